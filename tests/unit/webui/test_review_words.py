"""The decision review in sentences, from a report whose figures are chosen here."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.agent.engine import ReviewReport
from core.agent.review import ReviewedDecision
from webui import charts, review_words

AT = datetime(2024, 7, 2, 19, 45, tzinfo=UTC)


def _decision(decision: str, pnl: float, auto: float, state: str = "closed") -> ReviewedDecision:
    return ReviewedDecision(
        signal_id=f"X-{decision}",
        symbol="AAA",
        decided_at=AT,
        decision=decision,  # type: ignore[arg-type]
        actor="web:owner",
        stated_probability=0.57,
        typical=0.54,
        pnl=pnl,
        r=None,
        full_auto_pnl=auto,
        state=state,  # type: ignore[arg-type]
        simulated=decision in ("rejected", "expired"),
    )


def _report() -> ReviewReport:
    return ReviewReport(
        period="week",
        since=None,
        decisions=[
            _decision("approved", 100.0, 100.0),
            _decision("modified", 40.0, 60.0, state="open"),
            _decision("rejected", 0.0, -125.0),
            _decision("expired", 0.0, 30.0),
        ],
        rejections_avoided_losses=125.0,
        rejections_missed_gains=30.0,
        modifications_effect=-20.0,
        yours_minus_full_auto=75.0,
        calibration=[(0.57, 0.5, 4)],
        daily=[(date(2024, 7, 2), 140.0, 65.0)],
    )


def test_the_totals_say_what_vetoes_and_changes_did_against_full_auto() -> None:
    assert review_words.totals(_report()) == [
        "Your rejections (and expiries) avoided $125.00 of losses and missed $30.00 of gains.",
        "Your changes (½ size, limits, tighter stops) moved P&L by −$20.00.",
        "You vs full auto: +$75.00 — your decisions made +$140.00, taking every signal as "
        "proposed would have made +$65.00: you are ahead of full auto.",
    ]
    assert review_words.counts(_report()) == (
        "4 decisions: 1 approved, 1 with a change, 1 rejected, 1 expired; "
        "1 still open (marked at the last close)."
    )


def test_no_decision_says_what_the_review_looks_at() -> None:
    [line] = review_words.totals(ReviewReport(period="all", since=None))
    assert line.startswith("No decision of yours in this period")


def test_calibration_in_words_and_the_chart_in_dollars() -> None:
    assert review_words.calibration_line(0.57, 0.5, 4) == (
        "Said 0.57: 2 of 4 ended in profit (50%)."
    )
    options = charts.yours_vs_full_auto([date(2024, 7, 2)], [140.004], [65.0])
    you, auto = options["series"]
    assert (you["name"], you["data"], you["showSymbol"]) == ("you", [140.0], True)
    assert (auto["name"], auto["data"]) == ("full auto", [65.0])
