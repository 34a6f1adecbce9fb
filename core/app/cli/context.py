"""What the running command has learnt, for explaining a failure in one line: its
settings once loaded, and how much history each symbol has once loaded. Standard
library only; written by `common`, read by `boundary` and `history`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CommandContext:
    settings: Any = None
    """The command's `Settings`, once loaded."""
    bars: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    """symbol → (first day, last day, number of bars), as loaded."""


current = CommandContext()
"""The one context of this process (imported by name: it is cleared, never replaced)."""


def reset() -> None:
    """Forget the last command (tests run several in one process)."""
    current.settings = None
    current.bars.clear()


def one_line(text: str) -> str:
    """Several problems (one per line) shown as one line."""
    return "; ".join(part.strip() for part in str(text).splitlines() if part.strip())
