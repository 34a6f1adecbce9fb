from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.callbacks import MAX_BYTES, CallbackSigner, ForgedCallback
from bot.notifier import in_quiet_hours, is_critical
from core.base.events import Alert, OrderFilled, StopTriggered, TradingStateChanged
from core.base.types import OrderSide, TradingState, TradingStatus

SIGNER = CallbackSigner("123456:secret-token")
LONGEST_ID = "BRK_B-20241231T2359-abcdef" + "x" * 14  # 40 characters, the maximum


def test_round_trip_and_size() -> None:
    data = SIGNER.sign("a", LONGEST_ID, chat_id=-1001234567890)
    assert len(data.encode()) <= MAX_BYTES
    callback = SIGNER.verify(data, chat_id=-1001234567890)
    assert (callback.action, callback.args) == ("a", (LONGEST_ID,))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.replace("|a|", "|r|") if "|a|" in d else "r" + d[1:],  # approve → reject
        lambda d: d[:-1] + ("A" if d[-1] != "A" else "B"),  # signature changed
        lambda d: d.split("|")[0] + "|other-signal|" + d.split("|")[-1],  # another signal
        lambda d: "",
        lambda d: "a|x",
    ],
)
def test_tampered_data_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    data = SIGNER.sign("a", "sig1", chat_id=42)
    with pytest.raises(ForgedCallback):
        SIGNER.verify(tamper(data), chat_id=42)


def test_data_from_another_chat_or_key_is_refused() -> None:
    data = SIGNER.sign("a", "sig1", chat_id=42)
    with pytest.raises(ForgedCallback):
        SIGNER.verify(data, chat_id=43)
    with pytest.raises(ForgedCallback):
        CallbackSigner("another-token").verify(data, chat_id=42)


@pytest.mark.parametrize(
    ("utc", "quiet", "expected"),
    [
        (datetime(2024, 7, 5, 3, 0, tzinfo=UTC), "22:00-07:00", True),  # 23:00 New York
        (datetime(2024, 7, 5, 12, 0, tzinfo=UTC), "22:00-07:00", False),  # 08:00
        (datetime(2024, 7, 5, 16, 30, tzinfo=UTC), "12:00-13:00", True),  # 12:30
        (datetime(2024, 7, 5, 16, 30, tzinfo=UTC), None, False),
    ],
)
def test_quiet_hours_in_local_time(utc: datetime, quiet: str | None, expected: bool) -> None:
    assert in_quiet_hours(utc, quiet, "America/New_York") is expected


def test_what_is_critical() -> None:
    now = datetime(2024, 7, 5, tzinfo=UTC)
    halted = TradingStatus(state=TradingState.HALTED, changed_by="risk", reason="x", changed_at=now)
    active = TradingStatus(state=TradingState.ACTIVE, changed_by="x", reason="x", changed_at=now)
    assert is_critical(TradingStateChanged(status=halted, previous=TradingState.ACTIVE))
    assert not is_critical(TradingStateChanged(status=active, previous=TradingState.HALTED))
    assert is_critical(Alert(severity="critical", message="m", source="broker"))
    assert not is_critical(Alert(severity="info", message="m", source="model"))
    assert is_critical(StopTriggered(symbol="AAA", reason="stop", price=1.0, quantity=1))
    assert not is_critical(
        OrderFilled(client_order_id="c", symbol="AAA", side=OrderSide.BUY, quantity=1, price=1.0)
    )
