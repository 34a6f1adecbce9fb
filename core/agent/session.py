"""The session lifecycle: WHAT runs, in which order — at start, at the open, on each
watch tick, at the decision time and at the close.

The live scheduler, the demo and the backtest only choose WHEN to call these (they own
the clock). So the order of the day's jobs is written once, here:

| step | jobs |
|---|---|
| start | reconcile · settle interrupted approvals · protect positions · resume flatten |
| before open | send the orders approved for the open (after a re-check) |
| open, watch | work orders · track · resume flatten · daily loss · trail stops |
| decision | work orders · track · daily loss · time exits · trading cycle |
| close | work orders · track · expire signals · trail stops · equity snapshot · |
| | score predictions · daily summary |

The daily loss limit is checked on every watch tick and right before deciding (a day's
loss must stop that day's entries); after the close it could only halt a session that
is over, so the close step does not.

"Work resting orders" is the broker's own business (`Broker.process_open_orders`): a
no-op at Alpaca, whose exchange does it; the paper exchange fills what the prices
reached.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import timedelta

from core.agent.approval import send_queued, settle_interrupted
from core.agent.jobs.bookkeeping import daily_summary, snapshot_equity
from core.agent.jobs.daily_loss import check_daily_loss
from core.agent.jobs.expiry import expire_signals
from core.agent.jobs.scoring import score_predictions
from core.agent.jobs.time_exit import exit_overdue_positions
from core.agent.jobs.trailing import trail_stops
from core.agent.pipeline import CycleReport, run_cycle
from core.agent.predictor import Predictor, last_atr
from core.agent.services import Services
from core.base.events import Alert
from execution.reconciliation import ReconcileReport
from risk.stops import StopError, initial_stop

log = logging.getLogger(__name__)

JobTrace = Callable[[str], None]


class SessionLifecycle:
    def __init__(
        self, services: Services, predictor: Predictor, trace: JobTrace | None = None
    ) -> None:
        self.services = services
        self.predictor = predictor
        """What the decision step asks for predictions (replaceable: a retrained
        model keeps the same predictor; tests script one)."""
        self.trace: JobTrace = trace or (lambda job: None)
        """Told the name of every job as it starts (tests compare drivers with it)."""

    def _run(self, job: str, function: Callable[[], object]) -> object:
        self.trace(job)
        return function()

    # -- the steps -------------------------------------------------------------------

    def start(self) -> ReconcileReport:
        """Before anything else (and every few minutes live): make the books agree with
        the broker, finish what a crash interrupted."""
        desk = self.services.desk
        report: ReconcileReport = self._run("reconcile", desk.reconciler.run)  # type: ignore[assignment]
        if not report.ok:
            return report
        self._run(
            "settle_approvals", lambda: settle_interrupted(self.services, report.awaiting_recheck)
        )
        self._run("protect_positions", lambda: self._protect(report.unprotected))
        self._run("resume_flatten", desk.flattener.resume)
        return report

    def before_open(self) -> None:
        """Just before the open (live: 10 minutes; demo and replay: at the open)."""
        self._run("send_queued", lambda: send_queued(self.services))

    def at_open(self) -> None:
        self.on_watch()

    def on_watch(self) -> None:
        desk = self.services.desk
        self._run("work_orders", self.services.broker.process_open_orders)
        self._run("track", desk.orders.track)
        self._run("resume_flatten", desk.flattener.resume)
        self._run("daily_loss", lambda: check_daily_loss(self.services))
        self._run("trail_stops", lambda: trail_stops(self.services))

    def at_decision(self) -> CycleReport:
        desk = self.services.desk
        self._run("work_orders", self.services.broker.process_open_orders)
        self._run("track", desk.orders.track)
        self._run("daily_loss", lambda: check_daily_loss(self.services))
        self._run("time_exits", lambda: exit_overdue_positions(self.services))
        report: CycleReport = self._run(  # type: ignore[assignment]
            "cycle", lambda: run_cycle(self.services, self.predictor)
        )
        return report

    def at_close(self) -> None:
        s = self.services
        self._run("work_orders", s.broker.process_open_orders)
        self._run("track", s.desk.orders.track)
        self._run("expire_signals", lambda: expire_signals(s))
        self._run("trail_stops", lambda: trail_stops(s))
        self._run("snapshot_equity", lambda: snapshot_equity(s))
        self._run("score_predictions", lambda: score_predictions(s))
        self._run("daily_summary", lambda: daily_summary(s))

    def expire(self) -> int:
        """Between the steps live: signals past their time expire within seconds."""
        return expire_signals(self.services)

    # -- protecting positions the book has no stop for -------------------------------

    def _protect(self, symbols: list[str]) -> None:
        """Positions found without a planned stop (adopted at the broker, or kept from
        before stops lived there) get one by the plan's rule from today's price, so the
        stop is below the market and the risk from now on is the plan's."""
        s = self.services
        if not symbols:
            return
        now = s.clock.now()
        prices = s.data.latest_prices(symbols)
        bars = s.data.get_bars(symbols, now - timedelta(days=45), now)
        for symbol in symbols:
            position = s.store.book.open_position(symbol)
            price = prices.get(symbol)
            if position is None or position.stop_price is not None:
                continue
            if price is None:
                s.bus.publish(
                    Alert(
                        severity="critical",
                        source="protection",
                        message=f"{symbol} has no protective stop: no price to plan one from",
                    )
                )
                continue
            frame = bars.get(symbol)
            atr = last_atr(frame) if frame is not None and len(frame) >= 15 else math.nan
            try:
                stop = initial_stop(
                    price, atr if math.isfinite(atr) else None, s.settings.trading.stops
                )
            except StopError as error:
                log.warning("no stop for position", extra={"symbol": symbol, "why": str(error)})
                continue
            s.store.book.set_stops(
                symbol, initial_stop=stop, stop_price=stop, highest_price=price, now=now
            )
            s.desk.stops.ensure(symbol)
