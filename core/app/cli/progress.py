"""Progress for people: a bar with its total on a terminal; plain lines now and then
when the output goes to a file, a pipe or a container log (a carriage-return bar there
becomes one very long line)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

LINE_EVERY_SECONDS = 10.0


class Progress:
    """`update(done, note)` with the count so far; `total` may be learnt late."""

    def __init__(
        self,
        desc: str,
        *,
        unit: str,
        total: int | None = None,
        stream: TextIO | None = None,
        every: float = LINE_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.desc = desc
        self.unit = unit
        self.total = total
        self.done = 0
        self.note = ""
        self.stream = stream or sys.stderr
        self.every = every
        self.clock = clock
        self._last_line = clock()
        self._bar: Any = None
        if _is_terminal(self.stream):
            from tqdm import tqdm

            self._bar = tqdm(desc=desc, total=total, unit=unit, file=self.stream, leave=True)

    def update(self, done: int, note: str = "", total: int | None = None) -> None:
        if total is not None:
            self.total = total
        step, self.done, self.note = done - self.done, done, note
        if self._bar is not None:
            if total is not None:
                self._bar.total = total
            if note:
                self._bar.set_postfix_str(note, refresh=False)
            self._bar.update(step)
            return
        finished = self.total is not None and self.done >= self.total
        if finished or self.clock() - self._last_line >= self.every:
            self._line()

    def _line(self) -> None:
        self._last_line = self.clock()
        count = f"{self.done:,}/{self.total:,}" if self.total else f"{self.done:,}"
        share = f" ({self.done / self.total:.0%})" if self.total else ""
        note = f", {self.note}" if self.note else ""
        print(f"{self.desc}: {count} {self.unit}s{share}{note}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
