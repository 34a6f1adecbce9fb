"""The decision review in sentences: what your vetoes and changes did against "full
auto" (taking every signal as proposed), and what the model said against what happened.
Plain functions of the Engine's `ReviewReport`, so the words are tested without a page."""

from __future__ import annotations

from collections import Counter

from core.agent.engine import ReviewReport
from core.base.explain import money, plural, signed_money

DECISION_WORDS = {
    "approved": "Approved",
    "modified": "Approved with a change",
    "rejected": "Rejected",
    "expired": "Expired",
}
STATE_WORDS = {"closed": "closed", "open": "still open", "unknown": "bars missing"}


def totals(report: ReviewReport) -> list[str]:
    """The headline sentences, most telling first."""
    if not report.decisions:
        return [
            "No decision of yours in this period: the review looks at signals you approved, "
            "changed, rejected or let expire."
        ]
    lines = [
        f"Your rejections (and expiries) avoided {money(report.rejections_avoided_losses)} "
        f"of losses and missed {money(report.rejections_missed_gains)} of gains.",
        f"Your changes (½ size, limits, tighter stops) moved P&L by "
        f"{signed_money(report.modifications_effect)}.",
    ]
    if round(report.fills_effect, 2):
        lines.append(
            "Your approvals filled at other prices than the signals': "
            f"{signed_money(report.fills_effect)}."
        )
    if report.daily:
        _, yours, auto = report.daily[-1]
        verdict = "ahead of" if yours > auto else "behind" if yours < auto else "level with"
        lines.append(
            f"You vs full auto: {signed_money(report.yours_minus_full_auto)} — your decisions "
            f"made {signed_money(yours)}, taking every signal as proposed would have made "
            f"{signed_money(auto)}: you are {verdict} full auto."
        )
    return lines


def counts(report: ReviewReport) -> str:
    """`5 decisions: 2 approved, 1 with a change, 1 rejected, 1 expired; 1 still open.`"""
    kinds: Counter[str] = Counter(d.decision for d in report.decisions)
    parts = [
        f"{kinds[k]} {word}"
        for k, word in (
            ("approved", "approved"),
            ("modified", "with a change"),
            ("rejected", "rejected"),
            ("expired", "expired"),
        )
        if kinds[k]
    ]
    text = f"{plural(len(report.decisions), 'decision')}: {', '.join(parts)}"
    still = sum(1 for d in report.decisions if d.state == "open")
    if still:
        text += f"; {still} still open (marked at the last close)"
    return text + "."


def calibration_line(stated: float, happened: float, n: int) -> str:
    """`Said 0.57: 2 of 4 ended in profit (50%).`"""
    profitable = round(happened * n)
    return f"Said {stated:.2f}: {profitable} of {n} ended in profit ({happened * 100:.0f}%)."
