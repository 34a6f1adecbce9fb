"""The ways a signal's button can approve it, as signed callback data and back.

One letter says what the button does; a price, when there is one, travels in the data
itself, so a press does exactly what its label said (not what a fresh quote would
suggest a second later). Signal ids are at most 40 characters and the signature takes
13 bytes, so the longest button — a tighter stop or a limit — fits Telegram's 64 bytes
with a price of up to 8 characters (`99999.99`); a button that would not fit is left
off its keyboard rather than sent broken.

| action | meaning                                   | args             |
|--------|-------------------------------------------|------------------|
| a      | approve as proposed, now                  | signal           |
| o      | approve as proposed, at the next open     | signal           |
| h / H  | approve at half size, now / at the open   | signal           |
| s / S  | approve with a tighter stop, now / open   | signal, price    |
| l      | approve with a limit price, now           | signal, price    |
| e      | approve with a limit, extended hours      | signal, price    |
| r      | reject                                    | signal           |
| P / X  | show limit prices to pick (now / extended)| signal           |
| t / T  | ask for a typed limit (now / extended)    | signal           |
| b      | back to the signal's main buttons         | signal           |
| c      | cancel an order queued for the open       | signal           |
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.agent.engine import OrderChange, Timing

HALF = 0.5


@dataclass(frozen=True)
class Variant:
    """How an approval changes the signal's order, and when the order goes out."""

    timing: Timing = "now"
    half: bool = False
    limit_price: float | None = None
    stop_price: float | None = None

    def change(self) -> OrderChange | None:
        if not (self.half or self.limit_price is not None or self.stop_price is not None):
            return None
        return OrderChange(
            size_factor=HALF if self.half else 1.0,
            limit_price=self.limit_price,
            stop_price=self.stop_price,
        )

    def action(self) -> tuple[str, tuple[str, ...]]:
        """(action letter, price args) of the button that approves this way."""
        opening = self.timing == "open"
        if self.limit_price is not None:
            return ("e" if self.timing == "extended" else "l"), (price_text(self.limit_price),)
        if self.stop_price is not None:
            return ("S" if opening else "s"), (price_text(self.stop_price),)
        if self.half:
            return ("H" if opening else "h"), ()
        return ("o" if opening else "a"), ()

    def toast(self) -> str:
        """What the press's answer says while the approval runs."""
        parts = []
        if self.half:
            parts.append("½ size")
        if self.limit_price is not None:
            parts.append(f"limit {price_text(self.limit_price)}")
        if self.stop_price is not None:
            parts.append(f"stop {price_text(self.stop_price)}")
        what = f"Approving ({', '.join(parts)})…" if parts else "Approving…"
        if self.timing == "open":
            return what.replace("Approving", "Queuing for the open", 1)
        if self.timing == "extended":
            return what.replace("Approving", "Approving for extended hours", 1)
        return what


APPROVING_ACTIONS = frozenset("aohHsSle")


def variant_of(action: str, args: tuple[str, ...]) -> Variant:
    """The approval a verified button asks for. ValueError for anything else."""
    if action not in APPROVING_ACTIONS:
        raise ValueError(f"{action!r} does not approve")
    price = parse_price_arg(args[1]) if len(args) > 1 else None
    if action in "sSle" and price is None:
        raise ValueError(f"{action!r} needs a price")
    timing: Timing = "open" if action in "oHS" else "extended" if action == "e" else "now"
    return Variant(
        timing=timing,
        half=action in "hH",
        limit_price=price if action in "le" else None,
        stop_price=price if action in "sS" else None,
    )


def price_text(price: float) -> str:
    """`187.5`, `0.1234`: cents above a dollar, four decimals below (Alpaca's rule)."""
    return f"{price:.2f}" if price >= 1.0 else f"{price:.4f}".rstrip("0").rstrip(".")


def parse_price_arg(text: str) -> float:
    price = float(text)
    if not math.isfinite(price) or price <= 0:
        raise ValueError(f"{text!r} is not a price")
    return price
