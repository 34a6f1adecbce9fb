"""A limit price the owner typed, checked before anything is approved.

An approval whose order the pre-trade re-check refuses is spent (its signal fails), so
a typo — 18.75 for 187.50 — must be caught here, while the owner can still type again:
the text must be a price in whole cents (Alpaca refuses sub-penny prices from $1 up) and
within the owner's own price collar (`price_collar_pct`) of the quote, the rule the
re-check applies to the order's price.
"""

from __future__ import annotations

import math
import re

from core.base.types import SignalType

_NUMBER = re.compile(r"^\$?\s*([0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)$")


class LimitError(ValueError):
    """The typed text is not a usable limit price; the message names it and why."""


def parse_limit(text: str, *, quote: float | None, collar: float) -> float:
    raw = text.strip()
    match = _NUMBER.match(raw)
    if match is None:
        raise LimitError(f"{raw!r} is not a price: reply with a number such as 187.50")
    digits = match.group(1).replace(",", "")
    price = float(digits)
    if not math.isfinite(price) or price <= 0:
        raise LimitError(f"{raw!r} is not a price: it must be above $0")
    decimals = len(digits.partition(".")[2])
    if price >= 1.0 and decimals > 2:
        raise LimitError(f"{raw!r} has more than 2 decimals: prices from $1 up are whole cents")
    if price < 1.0 and decimals > 4:
        raise LimitError(f"{raw!r} has more than 4 decimals: the broker takes at most 4")
    if quote:
        distance = abs(price - quote) / quote
        if distance > collar:
            where = "below" if price < quote else "above"
            raise LimitError(
                f"{raw!r} is {distance:.1%} {where} the quote ${quote:,.2f}: orders more "
                f"than {collar:.1%} from the quote are refused (your price_collar_pct)"
            )
    return price


def question(symbol_title: str, quote: float | None, side: SignalType) -> str:
    """The question the phone opens its keyboard for."""
    rule = "it fills at this price or lower" if side is SignalType.BUY else "at this or higher"
    seen = f" (quote ${quote:,.2f})" if quote else ""
    return f"Your limit price for {symbol_title}{seen}? Reply with a number such as 187.50: {rule}."
