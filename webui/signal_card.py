"""A waiting signal as a card built for a thumb: what it is and how long is left (real
time, from `Engine.decision_deadline`), what it means in dollars, the model's view
against the typical trade, its reasons in words, then the actions (`order_actions`).

A card outlives its wait: once decided here it shows the order that went out (or why
none did); at the deadline it says "expired" and its buttons go off even before the
agent's expiry job runs; decided elsewhere (Telegram, another tab) it says so. It stays
until the page is left, so a person sees what their tap did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from nicegui import ui
from nicegui.elements.button import Button

from core.agent.engine import (
    AlreadyDecided,
    Engine,
    EngineError,
    InvalidRequest,
    OrderChange,
    OrderChoices,
    SignalExpiredError,
    Timing,
)
from core.base import explain
from core.base.types import OrderStatus, TradingSignal
from webui import order_actions
from webui.access import Visitor
from webui.formatting import countdown, when
from webui.state import WebState

_OUTCOME_COLORS = {
    OrderStatus.FILLED: "text-positive",
    OrderStatus.SUBMITTED: "text-positive",
    OrderStatus.PARTIALLY_FILLED: "text-positive",
    OrderStatus.APPROVED: "text-primary",
    OrderStatus.FAILED: "text-negative",
}
_ELSEWHERE = {
    OrderStatus.EXPIRED: "Expired: nobody decided in time.",
    OrderStatus.REJECTED: "Rejected on Telegram or in another tab.",
    OrderStatus.FAILED: "Approved elsewhere, but no order went out: see the history below.",
}
"""What a card says when its signal stopped waiting without a tap here."""


@dataclass(frozen=True)
class CardContext:
    """What every card on one page shares."""

    state: WebState
    engine: Engine
    who: Visitor
    origin: str
    proven: bool | None
    """The trading model's grade (None when there is no model)."""


class SignalCard:
    def __init__(
        self, ctx: CardContext, signal: TradingSignal, choices: OrderChoices | None
    ) -> None:
        self.ctx = ctx
        self.signal = signal
        self.closed = False
        self.expired = False
        self.buttons: list[Button] = []
        with ui.card().classes("w-full gap-1 p-3 sm:p-4").mark(f"pending-{signal.id}") as card:
            self.card = card
            self._header()
            self._details()
            self.actions = ui.column().classes("w-full gap-1")
            self.outcome = ui.label("").classes("text-sm font-medium break-words")
            self.outcome.mark(f"outcome-{signal.id}").set_visibility(False)
            ui.label(signal.id).classes("text-xs opacity-60 signal-id break-all")
        self._draw_actions(choices)
        self.timer = ui.timer(1.0, self._tick)

    # -- drawing -----------------------------------------------------------------------

    def _header(self) -> None:
        with ui.row().classes("w-full items-start justify-between gap-x-3 gap-y-0 no-wrap"):
            ui.label(explain.signal_title(self.signal)).classes(
                "text-lg font-semibold leading-tight min-w-0"
            ).mark("pending-title")
            self.clock = (
                ui.label(self._left())
                .classes("text-sm font-mono whitespace-nowrap pt-1")
                .mark("countdown")
            )
            self.clock.tooltip("time left to decide")

    def _details(self) -> None:
        signal, state = self.signal, self.ctx.state
        status = state.snapshot.status
        held = next(
            ((p.quantity, p.entry) for p in state.snapshot.positions if p.symbol == signal.symbol),
            None,
        )
        self.deadline = ui.label(self._until()).classes("text-sm opacity-80")
        self.deadline.mark("pending-deadline")
        for line in explain.signal_money(
            signal, equity=status.equity if status else None, held=held
        ):
            ui.label(line).classes("text-sm").mark("pending-money")
        prediction = signal.prediction
        if prediction is not None:
            ui.label(
                explain.model_view(prediction, signal.risk_amount, proven=self.ctx.proven)
            ).classes("text-sm font-medium").mark("pending-outlook")
            if prediction.model_probabilities:
                members = ", ".join(
                    f"{explain.model_name(name)} {p:.2f}"
                    for name, p in prediction.model_probabilities.items()
                )
                ui.label(f"Each model: {members}").classes("text-xs opacity-70")
        for line in explain.signal_reasons(signal):
            ui.label(line).classes("text-sm opacity-80 break-words").mark("pending-reason")

    def _draw_actions(self, choices: OrderChoices | None) -> None:
        self.actions.clear()
        with self.actions:
            self.buttons = order_actions.action_row(
                self.signal, choices, self.ctx.state.zone, self.approve, self.reject
            )
        self._enable(True)

    def _enable(self, on: bool) -> None:
        allowed = on and not self.ctx.who.read_only and not self.expired and not self.closed
        for button in self.buttons:
            button.set_enabled(allowed)

    # -- time ----------------------------------------------------------------------------

    def _left(self) -> str:
        deadline = self.ctx.engine.decision_deadline(self.signal)
        return countdown(deadline - datetime.now(UTC))

    def _until(self) -> str:
        """The deadline moves in the demo (its clock waits while a page is open)."""
        deadline = self.ctx.engine.decision_deadline(self.signal)
        return f"Mode {self.signal.mode.value} · decide by {when(deadline, self.ctx.state.zone)}"

    def _tick(self) -> None:
        left = self._left()
        self.clock.set_text(left)
        self.deadline.set_text(self._until())
        if left == "expired" and not self.expired:
            self.expired = True
            self._enable(False)
            self._show("Expired: nobody decided in time.", "opacity-80")

    # -- deciding -------------------------------------------------------------------------

    async def approve(self, change: OrderChange | None, timing: Timing) -> str | None:
        """One approval through the Engine; returns a refusal to show under a field."""
        ctx = self.ctx
        self._enable(False)
        try:
            decision = await ctx.engine.approve(
                self.signal.id, ctx.who.actor, ctx.origin, change=change, timing=timing
            )
        except InvalidRequest as error:
            ui.notify(str(error), type="warning")
            if "timing" in error.fields:  # the market closed (or opened) meanwhile
                await self.reload_choices()
            self._enable(True)
            return error.fields.get("limit_price") or str(error)
        except EngineError as error:
            self._refused(error)
            return str(error)
        self.close(decision.message, decision.status)
        ui.notify(
            decision.message,
            type="negative" if decision.status is OrderStatus.FAILED else "positive",
        )
        await ctx.state.refresh()
        return None

    async def reject(self) -> None:
        ctx = self.ctx
        self._enable(False)
        try:
            decision = await ctx.engine.reject(self.signal.id, ctx.who.actor, ctx.origin)
        except EngineError as error:
            self._refused(error)
            return
        self.close(decision.message, OrderStatus.REJECTED)
        ui.notify(decision.message, type="info")
        await ctx.state.refresh()

    def _refused(self, error: EngineError) -> None:
        ui.notify(str(error), type="warning")
        if isinstance(error, AlreadyDecided | SignalExpiredError):
            self.close(str(error), None)
        else:
            self._enable(True)

    async def reload_choices(self) -> None:
        try:
            choices: OrderChoices | None = await self.ctx.engine.order_choices(self.signal.id)
        except EngineError:
            choices = None
        if not self.closed:
            self._draw_actions(choices)

    # -- after the wait -------------------------------------------------------------------

    def close(self, text: str, status: OrderStatus | None) -> None:
        """The wait is over: the buttons go, the outcome stays."""
        self.closed = True
        self.timer.deactivate()
        self.actions.clear()
        self.buttons = []
        self.clock.set_text(status.value.replace("_", " ") if status else "closed")
        self._show(text, _OUTCOME_COLORS.get(status, "opacity-80") if status else "opacity-80")

    async def stopped_waiting(self) -> None:
        """The signal left the waiting list without a decision from this card."""
        status: OrderStatus | None
        try:
            status = (await self.ctx.engine.signal(self.signal.id)).status
        except EngineError:
            status = None
        if status is None:
            text = "No longer waiting."
        elif status in _ELSEWHERE:
            text = _ELSEWHERE[status]
        else:
            text = f"Approved on Telegram or in another tab: now {status.value.replace('_', ' ')}."
        self.close(text, status)

    def _show(self, text: str, color: str) -> None:
        self.outcome.set_text(text)
        self.outcome.classes(replace=f"text-sm font-medium break-words {color}")
        self.outcome.set_visibility(True)
