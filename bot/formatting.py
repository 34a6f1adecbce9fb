"""Message texts. Plain text (no parse mode), so a symbol or a reason can never inject
markup. Numbers read as people write them ($1,234.50, −$12.30, 66%), times are in the
owner's time zone, and a model's reasons are words (`core.base.explain`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands import help_text
from bot.model_words import model_message, profit_line
from core.agent.engine import Decision, ModelReport, PnlReport, PositionView, StatusReport, Trade
from core.base import explain
from core.base.explain import money, percent, shares, signed_money
from core.base.settings import RuntimeSettings
from core.base.types import TradingSignal

HELP = help_text()


def when(value: datetime | None, tz: ZoneInfo) -> str:
    return explain.when(value, tz)


def status(report: StatusReport, tz: ZoneInfo) -> str:
    runs = (
        ", ".join(
            f"{job.replace('_', ' ')} {when(at, tz)}"
            for job, at in sorted(report.next_runs.items())
            if job in ("cycle", "end_of_day")
        )
        or "not scheduled"
    )
    telegram = {True: "connected", False: "disconnected", None: "off"}[report.telegram_connected]
    trading = report.trading
    since = (
        "never stopped since the start"
        if explain.never_set(trading.changed_at)
        else f"since {when(trading.changed_at, tz)}, by {trading.changed_by}: {trading.reason}"
    )
    return "\n".join(
        [
            f"Mode: {report.mode.value}   Trading: {trading.state.value.upper()}",
            f"  ({since})",
            f"Equity {money(report.equity)}   Cash {money(report.cash)}",
            f"Today {signed_money(report.daily_pnl)} "
            f"({percent(report.daily_pnl_pct, signed=True)})   "
            f"Exposure {money(report.exposure)}",
            f"Open positions {report.positions}   Waiting signals {report.pending_signals}",
            f"Next: {runs}",
            f"Data {report.data_provider}   Broker {report.broker} ({report.account_mode})   "
            f"Model {report.model_run or 'none'}",
            f"Reconciled: {'yes' if report.reconciled else 'NO — orders blocked'}   "
            f"Telegram {telegram}",
        ]
    )


def time_left(seconds: float) -> str:
    """`45 s`, `14 min`, `1 h 05 min`: a countdown as a phone shows it."""
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def clock_with_seconds(value: datetime, tz: ZoneInfo) -> str:
    """`3:45:12 PM EDT`: a deadline a minute away needs its seconds."""
    local = value.astimezone(tz)
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M:%S} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"


def countdown(deadline: datetime, wall_now: datetime, tz: ZoneInfo) -> str:
    """How long a waiting signal has, in real time (the demo's window or the live
    expiry), and until when."""
    left = (deadline - wall_now).total_seconds()
    until = clock_with_seconds(deadline, tz) if left < 600 else explain.clock(deadline, tz)
    return f"⏳ {time_left(left)} left to decide (until {until})"


def signal(
    s: TradingSignal,
    tz: ZoneInfo,
    *,
    equity: float | None = None,
    held: tuple[float, float] | None = None,
    proven: bool | None = None,
    deadline: datetime | None = None,
    wall_now: datetime | None = None,
    opens: datetime | None = None,
) -> str:
    """A signal as its message says it: what, the model's claim against the typical,
    what it means in dollars, why (in words), and — while it waits — how long is left.
    `held` is the position it would sell (shares, entry price), for the P&L of selling;
    `proven` is the model's record; `deadline` the wall-clock end of the wait; `opens`
    the next open when the market is closed now."""
    lines = [
        explain.signal_title(s),
        profit_line(s, proven),
        *explain.signal_money(s, equity=equity, held=held),
    ]
    if s.prediction is not None and (votes := explain.votes(s.prediction)):
        lines.append(f"Models: {votes}")
    lines.extend(explain.signal_reasons(s))
    lines.append(f"Mode {s.mode.value} · id {s.id}")
    if opens is not None:
        lines.append(
            f"🌙 Market closed — opens {when(opens, tz)}: approve for the open, or for "
            "extended hours with a limit price."
        )
    if deadline is not None and wall_now is not None:
        lines.append(countdown(deadline, wall_now, tz))
    return "\n".join(lines)


def decided(
    s: TradingSignal,
    decision: Decision,
    actor: str,
    at: datetime,
    tz: ZoneInfo,
    proven: bool | None = None,
) -> str:
    outcome = f"{decision.status.value.upper()} by {actor} at {when(at, tz)}"
    return f"{signal(s, tz, proven=proven)}\n\n{outcome}: {decision.message}"


def positions(rows: list[PositionView]) -> str:
    if not rows:
        return "No open positions."
    lines = []
    for p in rows:
        cost = p.entry * p.quantity
        pnl = (
            f"{signed_money(p.unrealized_pnl)} "
            f"({percent(p.unrealized_pnl / cost if cost else None, signed=True, digits=1)})"
            if p.unrealized_pnl is not None
            else "—"
        )
        stops = ", ".join(
            part
            for part in (
                f"stop {money(p.stop)}" if p.stop else "",
                f"trailing {money(p.trailing_stop)}" if p.trailing_stop else "",
            )
            if part
        )
        lines.append(
            f"{p.symbol}: {shares(p.quantity)} @ {money(p.entry)}, last {money(p.last)}, "
            f"P&L {pnl}" + (f"; {stops}" if stops else "")
        )
    return "\n".join(lines)


def trades(rows: list[Trade], tz: ZoneInfo) -> str:
    if not rows:
        return "No trades yet."
    return "\n".join(
        f"{when(t.at, tz)}: {t.side} {shares(t.quantity)} {t.symbol} @ {money(t.price)}"
        for t in rows
    )


def pnl(report: PnlReport, tz: ZoneInfo) -> str:
    since = when(report.start, tz) if report.start else "the start"
    period = {"today": "today", "week": "this week", "month": "this month", "all": "in all"}
    return (
        f"P&L {period.get(report.period, report.period)} (since {since}): "
        f"{signed_money(report.pnl)} ({percent(report.pnl_pct, signed=True)})\n"
        f"Equity {money(report.end_equity)}   Realised {signed_money(report.realized)}   "
        f"Fills {report.trades}"
    )


def settings(values: RuntimeSettings) -> str:
    return "\n".join(f"{key} = {value}" for key, value in values.model_dump().items())


def model(report: ModelReport) -> str:
    return model_message(report)
