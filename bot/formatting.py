"""Message texts. Plain text (no parse mode), so a symbol or a reason can never inject
markup."""

from __future__ import annotations

from datetime import datetime

from core.agent.engine import Decision, ModelReport, PnlReport, PositionView, StatusReport, Trade
from core.base.settings import RuntimeSettings
from core.base.types import TradingSignal

HELP = """stockbot — your trading agent (paper unless you set up live).
/status — mode, trading state, equity, P&L, positions
/positions — open positions with stops
/signals — signals waiting for you, with their buttons
/trades — recent fills
/pnl [today|week|month|all] — profit and loss
/mode [auto|manual|hybrid] — show or change who decides
/kill — stop trading (asks to confirm; stop or flatten)
/resume — trade again after a kill
/settings — the runtime settings;  /set KEY VALUE — change one
/chart SYMBOL — a price chart
/model — the current model and its out-of-sample figures"""


def money(value: float) -> str:
    return f"${value:,.2f}"


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def status(report: StatusReport) -> str:
    runs = (
        ", ".join(
            f"{job} {when(at)}"
            for job, at in sorted(report.next_runs.items())
            if job in ("cycle", "end_of_day")
        )
        or "not scheduled"
    )
    telegram = {True: "connected", False: "disconnected", None: "off"}[report.telegram_connected]
    return "\n".join(
        [
            f"Mode: {report.mode.value}   Trading: {report.trading.state.value.upper()}",
            f"  (set by {report.trading.changed_by}: {report.trading.reason})",
            f"Equity {money(report.equity)}   Cash {money(report.cash)}",
            f"Today {report.daily_pnl:+,.2f} ({report.daily_pnl_pct:+.2%})   "
            f"Exposure {money(report.exposure)}",
            f"Open positions {report.positions}   Waiting signals {report.pending_signals}",
            f"Next: {runs}",
            f"Data {report.data_provider}   Broker {report.broker} ({report.account_mode})   "
            f"Model {report.model_run or 'none'}",
            f"Reconciled: {'yes' if report.reconciled else 'NO — orders blocked'}   "
            f"Telegram {telegram}",
        ]
    )


def signal(s: TradingSignal, equity: float | None = None) -> str:
    lines = [
        f"{s.signal_type.value.upper()} {s.quantity} {s.symbol} @ {s.price:.2f}",
        f"Confidence {s.confidence:.2f} (calibrated)   Mode {s.mode.value}",
    ]
    if s.stop_price:
        share = f" = {s.risk_amount / equity:.2%} of equity" if equity else ""
        lines.append(f"Stop {s.stop_price:.2f}   At risk {money(s.risk_amount)}{share}")
    if s.prediction and s.prediction.model_probabilities:
        votes = ", ".join(f"{k} {v:.2f}" for k, v in s.prediction.model_probabilities.items())
        lines.append(f"Models (p up): {votes}")
    if s.reasons:
        lines.append("Why: " + "; ".join(s.reasons))
    lines.append(f"Expires {when(s.expires_at)}   id {s.id}")
    return "\n".join(lines)


def decided(s: TradingSignal, decision: Decision, actor: str, at: datetime) -> str:
    return (
        f"{signal(s)}\n\n{decision.status.value.upper()} by {actor} at {when(at)}: "
        f"{decision.message}"
    )


def positions(rows: list[PositionView]) -> str:
    if not rows:
        return "No open positions."
    lines = []
    for p in rows:
        pnl = f"{p.unrealized_pnl:+,.2f}" if p.unrealized_pnl is not None else "—"
        last = f"{p.last:.2f}" if p.last is not None else "—"
        trail = f" trail {p.trailing_stop:.2f}" if p.trailing_stop else ""
        stop = f" stop {p.stop:.2f}" if p.stop else ""
        lines.append(
            f"{p.symbol}: {p.quantity:g} @ {p.entry:.2f}, last {last}, P&L {pnl}{stop}{trail}"
        )
    return "\n".join(lines)


def trades(rows: list[Trade]) -> str:
    if not rows:
        return "No trades yet."
    return "\n".join(
        f"{when(t.at)} {t.side} {t.quantity:g} {t.symbol} @ {t.price:.2f}" for t in rows
    )


def pnl(report: PnlReport) -> str:
    since = when(report.start) if report.start else "the start"
    return (
        f"P&L {report.period} (since {since}): {report.pnl:+,.2f} ({report.pnl_pct:+.2%})\n"
        f"Equity {money(report.end_equity)}   Realised {report.realized:+,.2f}   "
        f"Fills {report.trades}"
    )


def settings(values: RuntimeSettings) -> str:
    return "\n".join(f"{key} = {value}" for key, value in values.model_dump().items())


def model(report: ModelReport) -> str:
    if report.run_id is None:
        return "No model yet: train one with `stockbot train`."
    manifest = report.manifest
    metrics = manifest.get("oos_metrics", {})
    lines = [
        f"Model run {report.run_id}",
        f"Models: {', '.join(manifest.get('models', []))}",
        f"Trained on {', '.join(manifest.get('symbols', []))} "
        f"{manifest.get('training_window', {})}",
    ]
    for name in ("ensemble", "always_up", "momentum_baseline"):
        m = metrics.get(name)
        if m:
            lines.append(
                f"{name}: AUC {m.get('auc') or 0:.3f}, accuracy {m['accuracy']:.3f}, "
                f"Brier {m['brier']:.4f}"
            )
    if report.live_accuracy is not None:
        lines.append(f"Live: {report.live_accuracy:.1%} right on {report.live_scored} scored")
    return "\n".join(lines)
