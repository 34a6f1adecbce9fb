"""The buttons under a waiting signal: approve as proposed or changed (half the size, a
limit price, a tighter stop), or reject — and, while the market is closed, approve for
the open or for extended hours instead of an approval that could only fail.

Every button is one decision through `Engine.approve` (or `reject`), as a tap on
Telegram's buttons is: the card then shows the order that went out. The limit price is
picked from three suggestions near the quote or typed, and a typed price that is not a
price is refused under the field, naming what was typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from nicegui import ui
from nicegui.elements.button import Button

from core.agent.engine import OrderChange, OrderChoices, Timing
from core.base import explain
from core.base.types import TradingSignal
from webui.formatting import money, percent, shares, when
from webui.frame import show_error
from webui.limit_price import NotAPrice, parse_limit

Approve = Callable[[OrderChange | None, Timing], Awaitable[str | None]]
"""Approve with a change at a timing; returns why not (for the field), None when done."""
Reject = Callable[[], Awaitable[None]]

CLOSED_NOTE = (
    "At the open: a market order sent at the next open, after a fresh re-check. "
    "Extended hours: a limit order that may fill before the open or after the close."
)
_TIMING_NOTE: dict[Timing, str] = {
    "now": "The limit order goes out now.",
    "open": "A limit order for the open, re-checked just before it goes out.",
    "extended": "A limit order for extended hours: it may fill before the open or after "
    "the close (day order).",
}


def action_row(
    signal: TradingSignal,
    choices: OrderChoices | None,
    zone: ZoneInfo,
    approve: Approve,
    reject: Reject,
) -> list[Button]:
    """Draw the buttons for `signal` in the current container (they wrap on a phone);
    returns them, so the card can switch them off while a decision is on its way."""
    sid = signal.id
    open_now = choices is None or choices.market_open
    limit = _LimitDialog(signal, choices, approve)
    # The dialog's own buttons decide too: they go off with the card's (a viewer, a
    # decision on its way) even though a closed dialog shows nothing.
    buttons: list[Button] = list(limit.buttons)

    def button(text: str, mark: str, action: Callable[[], object], **kw: str) -> Button:
        made = ui.button(text, on_click=action, **kw).classes("grow sm:grow-0").mark(mark)
        buttons.append(made)
        return made

    if not open_now:
        assert choices is not None
        ui.label(f"The market is closed; it opens {when(choices.next_open, zone)}.").classes(
            "text-sm font-medium"
        ).mark("market-closed")
        ui.label(CLOSED_NOTE).classes("text-xs opacity-70")
    with ui.row().classes("w-full items-center gap-2 pt-1").mark("pending-actions"):
        if open_now:
            button("Approve", f"approve-{sid}", lambda: approve(None, "now"), icon="check").props(
                "color=positive"
            )
        else:
            button(
                "At the open", f"approve-open-{sid}", lambda: approve(None, "open"), icon="wb_sunny"
            ).props("color=positive")
            button(
                "Extended hours (limit)",
                f"approve-extended-{sid}",
                lambda: limit.open("extended"),
                icon="schedule",
            ).props("outline color=positive")
        button("Reject", f"reject-{sid}", reject, icon="close").props("outline color=negative")
    if choices is None:
        return buttons
    timing: Timing = "now" if open_now else "open"
    ui.label("Or approve with a change:" if open_now else "Or at the open with a change:").classes(
        "text-xs opacity-70 pt-1"
    )
    with ui.row().classes("w-full items-center gap-2").mark("modify-actions"):
        if signal.quantity > 1:
            button(
                "½ size", f"half-{sid}", lambda: approve(OrderChange(size_factor=0.5), timing)
            ).props("outline no-caps").tooltip(
                f"{shares(choices.half_quantity)} shares instead of {shares(signal.quantity)}"
            )
        button("Limit…", f"limit-{sid}", lambda: limit.open(timing)).props("outline no-caps")
        tighter = choices.tighter_stop
        if tighter is not None:
            button(
                "Tighter stop",
                f"tighter-{sid}",
                lambda: approve(OrderChange(stop_price=tighter), timing),
            ).props("outline no-caps").tooltip(
                f"stop at {money(tighter)} instead of {money(signal.stop_price)}"
            )
    ui.label(_change_summary(signal, choices)).classes("text-xs opacity-70").mark("change-summary")
    return buttons


def _change_summary(signal: TradingSignal, choices: OrderChoices) -> str:
    """What each change does, in one line under the buttons (a tooltip needs a mouse)."""
    parts = []
    if signal.quantity > 1:
        parts.append(
            f"½ size buys {shares(choices.half_quantity)} instead of {shares(signal.quantity)}"
        )
    parts.append("a limit sets the most you pay")
    if choices.tighter_stop is not None and signal.stop_price is not None:
        parts.append(
            f"a tighter stop sits at {money(choices.tighter_stop)} "
            f"(planned {money(signal.stop_price)})"
        )
    return "; ".join(parts).capitalize() + "."


class _LimitDialog:
    """Pick one of three prices near the quote, or type one."""

    def __init__(
        self, signal: TradingSignal, choices: OrderChoices | None, approve: Approve
    ) -> None:
        self.approve = approve
        self.timing: Timing = "now"
        self.buttons: list[Button] = []
        reference = (choices.quote if choices else None) or signal.price
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-sm gap-2"):
            ui.label(f"Limit price · {explain.signal_title(signal)}").classes(
                "text-lg font-semibold"
            )
            self.note = ui.label("").classes("text-sm opacity-80").mark("limit-timing")
            ui.label(f"Latest price {money(reference)}").classes("text-sm")
            if choices is not None:
                with ui.row().classes("w-full gap-2"):
                    for index, price in enumerate(choices.suggested_limits):
                        away = percent(price / reference - 1, signed=True, digits=1)
                        suggested = ui.button(
                            f"{money(price)} ({away})", on_click=lambda p=price: self._submit(p)
                        )
                        suggested.props("outline no-caps").classes("grow")
                        self.buttons.append(suggested.mark(f"limit-suggested-{index}"))
            self.field = (
                ui.input("Your limit ($)")
                .props("inputmode=decimal autocomplete=off")
                .classes("w-full")
                .mark("limit-input")
                .on("keydown.enter", self._typed)
            )
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=self.dialog.close).props("flat").mark("limit-cancel")
                self.buttons.append(
                    ui.button("Approve at this limit", on_click=self._typed).mark("limit-approve")
                )

    def open(self, timing: Timing) -> None:
        self.timing = timing
        self.note.set_text(_TIMING_NOTE[timing])
        show_error(self.field, None)
        self.dialog.open()

    async def _typed(self) -> None:
        try:
            price = parse_limit(self.field.value)
        except NotAPrice as problem:
            show_error(self.field, str(problem))
            return
        await self._submit(price)

    async def _submit(self, price: float) -> None:
        show_error(self.field, None)
        refused = await self.approve(OrderChange(limit_price=price), self.timing)
        if refused is None:
            self.dialog.close()
        else:
            show_error(self.field, refused)
