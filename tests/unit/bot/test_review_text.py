"""/review's line per decision says what happened in words a person reads on a phone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.review_text import decision_line
from core.agent.review import Decision, ReviewedDecision, TradeState

NEW_YORK = ZoneInfo("America/New_York")


def reviewed(
    decision: Decision, *, pnl: float, auto: float, simulated: bool, state: TradeState = "closed"
) -> ReviewedDecision:
    return ReviewedDecision(
        signal_id="AAA-1",
        symbol="AAA",
        decided_at=datetime(2024, 7, 5, 20, 30, tzinfo=UTC),
        decision=decision,
        actor="telegram:42",
        stated_probability=0.61,
        typical=0.54,
        pnl=pnl,
        r=None,
        full_auto_pnl=auto,
        state=state,
        simulated=simulated,
    )


def test_a_rejection_says_what_the_signal_would_have_made() -> None:
    line = decision_line(reviewed("rejected", pnl=0.0, auto=-125.0, simulated=True), NEW_YORK)
    assert line == "Jul 5 AAA rejected: would have made −$125.00"


def test_an_approval_not_filled_yet_does_not_read_as_a_missed_trade() -> None:
    line = decision_line(
        reviewed("approved", pnl=0.0, auto=-0.89, simulated=True, state="open"), NEW_YORK
    )
    assert line == "Jul 5 AAA approved: not filled yet; as proposed −$0.89 (still open)"


def test_a_traded_decision_sets_yours_against_full_auto() -> None:
    line = decision_line(reviewed("modified", pnl=48.0, auto=100.0, simulated=False), NEW_YORK)
    assert line == "Jul 5 AAA approved with a change: +$48.00, full auto +$100.00"
