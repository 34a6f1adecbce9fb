"""A typed limit price: read as a person means it, or refused naming what was typed."""

from __future__ import annotations

import pytest

from webui.limit_price import NotAPrice, parse_limit


@pytest.mark.parametrize(
    ("typed", "price"),
    [("67.5", 67.5), ("$67.50", 67.5), (" 1,024.25 ", 1024.25), ("0.5123", 0.5123), ("12", 12.0)],
)
def test_a_price_as_people_type_it(typed: str, price: float) -> None:
    assert parse_limit(typed) == price


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "type a limit price, like 67.50"),
        ("abc", "'abc' is not a price: type a number like 67.50"),
        ("1.2.3", "'1.2.3' is not a price"),
        ("-5", "'-5' is not a price: a limit is above $0"),
        ("0", "'0' is not a price: a limit is above $0"),
        ("nan", "'nan' is not a price"),
        ("inf", "'inf' is not a price"),
        ("67.123", "'67.123' has fractions of a cent: use at most 2 decimals at $1 and up"),
        ("0.12345", "'0.12345' has fractions of a cent: use at most 4 decimals below $1"),
    ],
)
def test_what_is_not_a_price_is_refused_by_name(typed: str, says: str) -> None:
    with pytest.raises(NotAPrice) as refused:
        parse_limit(typed)
    assert str(refused.value).startswith(says)
