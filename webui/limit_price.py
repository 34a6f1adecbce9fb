"""A limit price typed on a phone, read the way a person means it ("$67.50", "1,024.5")
or refused with a sentence that names what was typed. No NiceGUI here, so the rule is
tested as a plain function; the Engine checks the price again (the collar, the re-check)
and its refusals are shown under the same field."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

EXAMPLE = "67.50"


class NotAPrice(ValueError):
    """The typed text is not a limit price; the message says why and names it."""


def parse_limit(text: str | None) -> float:
    raw = (text or "").strip()
    if not raw:
        raise NotAPrice(f"type a limit price, like {EXAMPLE}")
    cleaned = raw.replace("$", "").replace(",", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise NotAPrice(f"{raw!r} is not a price: type a number like {EXAMPLE}") from None
    if not value.is_finite() or value <= 0:
        raise NotAPrice(f"{raw!r} is not a price: a limit is above $0")
    # Alpaca refuses sub-penny prices: cents from $1 up, hundredths of a cent below.
    places = 2 if value >= 1 else 4
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise NotAPrice(
            f"{raw!r} has fractions of a cent: use at most {places} decimals"
            + (" at $1 and up" if places == 2 else " below $1")
        )
    price = float(value)
    if not math.isfinite(price):
        raise NotAPrice(f"{raw!r} is not a price: type a number like {EXAMPLE}")
    return price
