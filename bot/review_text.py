"""`/review [week|month|all]`: what the owner's decisions did against "full auto"
(every signal taken as proposed, walked through the bars by the plan's own exits), in
one message — the totals in words, what the model stated against what happened, and a
short list of the decisions."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from core.agent.engine import ReviewedDecision, ReviewReport
from core.base.explain import money, plural, short_day, signed_money

PERIOD_WORDS = {"week": "the last 7 days", "month": "the last 31 days", "all": "all time"}
DECISION_WORDS = {
    "approved": "approved",
    "modified": "approved with a change",
    "rejected": "rejected",
    "expired": "expired",
}
LISTED = 12
"""Decisions listed, newest last; older ones are counted."""


def totals_line(report: ReviewReport) -> str:
    """`Your rejections avoided $X of losses and missed $Y of gains; your changes moved
    P&L by $Z; you vs full auto: +$W.`"""
    line = (
        f"Your rejections avoided {money(report.rejections_avoided_losses)} of losses and "
        f"missed {money(report.rejections_missed_gains)} of gains; your changes moved P&L by "
        f"{signed_money(report.modifications_effect)}; you vs full auto: "
        f"{signed_money(report.yours_minus_full_auto)}."
    )
    if round(report.fills_effect, 2):
        line += (
            f" (Approvals that filled at other prices than their signals': "
            f"{signed_money(report.fills_effect)}.)"
        )
    return line


def stated_line(report: ReviewReport) -> str:
    """What the signals said against what happened, over the trades that closed."""
    n = sum(count for _, _, count in report.calibration)
    if not n:
        return "Stated vs happened: no trade has closed yet."
    stated = sum(p * count for p, _, count in report.calibration) / n
    profitable = round(sum(share * count for _, share, count in report.calibration))
    return (
        f"Stated vs happened: the signals said P(profit) {stated:.2f} on average; "
        f"{profitable} of {n} ended in profit ({profitable / n:.0%})."
    )


def decision_line(d: ReviewedDecision, tz: ZoneInfo) -> str:
    day = short_day(d.decided_at.astimezone(tz).date())
    head = f"{day} {d.symbol} {DECISION_WORDS.get(d.decision, d.decision)}"
    if d.pnl is None or d.full_auto_pnl is None:
        return f"{head}: bars missing"
    state = " (still open)" if d.state == "open" else ""
    if d.simulated and d.decision in ("approved", "modified"):  # queued, or not filled
        return f"{head}: not filled yet; as proposed {signed_money(d.full_auto_pnl)}{state}"
    if d.simulated:
        return f"{head}: would have made {signed_money(d.full_auto_pnl)}{state}"
    return f"{head}: {signed_money(d.pnl)}, full auto {signed_money(d.full_auto_pnl)}{state}"


def review_text(report: ReviewReport, tz: ZoneInfo) -> str:
    period = PERIOD_WORDS.get(report.period, report.period)
    if not report.decisions:
        return (
            f"No decision of yours in {period}: the review looks at the signals you "
            "approved, changed, rejected or let expire."
        )
    lines = [
        f"Your decisions, {period}: {plural(len(report.decisions), 'signal')} you decided.",
        totals_line(report),
        stated_line(report),
        "",
        "Decisions:",
    ]
    shown = report.decisions[-LISTED:]
    if len(report.decisions) > LISTED:
        lines.append(f"… {len(report.decisions) - LISTED} earlier")
    lines.extend(decision_line(d, tz) for d in shown)
    return "\n".join(lines)
