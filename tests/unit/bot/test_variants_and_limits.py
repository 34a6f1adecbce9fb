"""A signal's buttons as signed data (the longest fits 64 bytes), what each approves,
and a typed limit price checked before anything is spent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import keyboards
from bot.callbacks import MAX_BYTES, CallbackSigner
from bot.limit_input import LimitError, parse_limit
from bot.order_variants import Variant, variant_of
from core.agent.engine import OrderChange, OrderChoices

SIGNER = CallbackSigner("123456:secret-token")
GROUP = -1001234567890
LONGEST_ID = "BRK_B-20241231T2359-abcdef" + "x" * 14  # 40 characters, the type's maximum
LONGEST_MADE = "ABCDEFGHIJ-20241231T2359-abcdef"  # signal_id() of a 10-letter ticker


def _choices(*, market_open: bool, quote: float = 99_999.99) -> OrderChoices:
    return OrderChoices(
        signal_id=LONGEST_ID,
        market_open=market_open,
        next_open=datetime(2025, 1, 2, 14, 30, tzinfo=UTC),
        quote=quote,
        half_quantity=7,
        suggested_limits=(99_799.99, 99_499.99, 98_999.99),
        tighter_stop=99_999.98,
    )


def _data(markup) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.callback_data for row in markup.inline_keyboard for b in row]


@pytest.mark.parametrize("market_open", [True, False])
def test_every_button_of_the_longest_signal_fits_and_verifies(market_open: bool) -> None:
    choices = _choices(market_open=market_open)
    markups = [
        keyboards.decision(SIGNER, LONGEST_ID, GROUP, choices),
        keyboards.limit_picker(SIGNER, LONGEST_ID, GROUP, choices),
        keyboards.limit_picker(SIGNER, LONGEST_ID, GROUP, choices, extended=True),
        keyboards.cancel_queued(SIGNER, LONGEST_ID, GROUP),
    ]
    data = [d for m in markups for d in _data(m)]
    longest = max(data, key=lambda d: len(d.encode()))
    assert len(longest.encode()) == MAX_BYTES, longest  # a $99,999.99 stop: exactly 64
    for item in data:
        callback = SIGNER.verify(item, GROUP)
        assert callback.args[0] == LONGEST_ID


def test_a_button_that_cannot_fit_is_left_off_not_sent_broken() -> None:
    expensive = _choices(market_open=True, quote=700_000.0)
    expensive = OrderChoices(**{**expensive.__dict__, "tighter_stop": 650_000.0})
    labels = [
        b.text
        for row in keyboards.decision(SIGNER, LONGEST_ID, GROUP, expensive).inline_keyboard
        for b in row
    ]
    assert "✅ Approve" in labels
    assert not any(label.startswith("Stop") for label in labels)
    # A real signal id (at most 31 characters) keeps even a $700,000 stop.
    real = keyboards.decision(SIGNER, LONGEST_MADE, GROUP, expensive)
    assert any(b.text.startswith("Stop $650,000.00") for row in real.inline_keyboard for b in row)


def test_the_keyboards_offer_what_the_market_allows() -> None:
    open_labels = [
        b.text
        for row in keyboards.decision(SIGNER, "s1", 42, _choices(market_open=True)).inline_keyboard
        for b in row
    ]
    assert open_labels == ["✅ Approve", "❌ Reject", "½ size (7)", "Limit…", "Stop $99,999.98"]
    closed = keyboards.decision(SIGNER, "s1", 42, _choices(market_open=False))
    closed_labels = [b.text for row in closed.inline_keyboard for b in row]
    assert closed_labels == [
        "🌅 At the open",
        "❌ Reject",
        "½ size (7) at open",
        "Stop $99,999.98 at open",
        "🌙 Extended hours…",
    ]
    assert [
        b.text for row in keyboards.decision(SIGNER, "s1", 42, None).inline_keyboard for b in row
    ] == ["✅ Approve", "❌ Reject"]


@pytest.mark.parametrize(
    ("variant", "change", "timing"),
    [
        (Variant(), None, "now"),
        (Variant(timing="open"), None, "open"),
        (Variant(half=True), OrderChange(size_factor=0.5), "now"),
        (Variant(timing="open", half=True), OrderChange(size_factor=0.5), "open"),
        (Variant(stop_price=23.5), OrderChange(stop_price=23.5), "now"),
        (Variant(timing="open", stop_price=23.5), OrderChange(stop_price=23.5), "open"),
        (Variant(limit_price=187.45), OrderChange(limit_price=187.45), "now"),
        (
            Variant(timing="extended", limit_price=0.1234),
            OrderChange(limit_price=0.1234),
            "extended",
        ),
    ],
)
def test_each_button_approves_exactly_what_it_says(variant, change, timing) -> None:  # type: ignore[no-untyped-def]
    action, args = variant.action()
    data = SIGNER.sign(action, "sig1", *args, chat_id=42)
    callback = SIGNER.verify(data, 42)
    decoded = variant_of(callback.action, callback.args)
    assert decoded.change() == change
    assert decoded.timing == timing


def test_a_price_button_without_a_price_or_a_non_approving_action_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a price"):
        variant_of("l", ("sig1",))
    with pytest.raises(ValueError, match="does not approve"):
        variant_of("r", ("sig1",))
    with pytest.raises(ValueError, match="not a price"):
        variant_of("s", ("sig1", "-3"))


@pytest.mark.parametrize(
    ("typed", "price"),
    [
        ("187.50", 187.5),
        ("$187.5", 187.5),
        (" 1,187.25 ", 1187.25),
        ("187", 187.0),
        ("0.5123", 0.5123),
    ],
)
def test_a_typed_limit_in_the_ways_people_write_it(typed: str, price: float) -> None:
    quote = 0.51 if price < 1 else price
    assert parse_limit(typed, quote=quote, collar=0.02) == price


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("abc", "'abc' is not a price"),
        ("-5", "'-5' is not a price"),
        ("0", "'0' is not a price: it must be above $0"),
        ("187.555", "'187.555' has more than 2 decimals"),
        ("18.75", "'18.75' is 90.0% below the quote $187.50"),
        (
            "200",
            "'200' is 6.7% above the quote $187.50: orders more than 2.0% from the quote are refused",
        ),
    ],
)
def test_a_typed_limit_that_cannot_work_is_refused_naming_the_value(typed: str, says: str) -> None:
    with pytest.raises(LimitError) as refused:
        parse_limit(typed, quote=187.5, collar=0.02)
    assert says in str(refused.value)
