"""Keyboards: inline ones under a message, every button's data signed for the chat it is
sent to; and the /menu reply keyboard, whose buttons only send a read command's label.

A signal's inline keyboard puts Approve and Reject on the first row, so rows added below
(a smaller size, a limit, a tighter stop) keep the main choice where the thumb is. What
each button's data means is in `bot.order_variants`."""

from __future__ import annotations

import time

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.callbacks import CallbackSigner
from bot.commands import MENU_ROWS, by_name
from bot.order_variants import Variant
from core.agent.engine import OrderChoices, Timing
from core.base.explain import money
from core.base.types import KillScope, TradingMode


def _button(
    label: str, signer: CallbackSigner, chat_id: int, action: str, *args: str
) -> InlineKeyboardButton | None:
    """A signed button, or None when its data would not fit 64 bytes (left off)."""
    try:
        return InlineKeyboardButton(
            label, callback_data=signer.sign(action, *args, chat_id=chat_id)
        )
    except ValueError:
        return None


def _rows(*rows: list[InlineKeyboardButton | None]) -> InlineKeyboardMarkup:
    kept = [[b for b in row if b is not None] for row in rows]
    return InlineKeyboardMarkup([row for row in kept if row])


def _with(signal_id: str, variant: Variant) -> tuple[str, tuple[str, ...]]:
    action, args = variant.action()
    return action, (signal_id, *args)


def decision(
    signer: CallbackSigner,
    signal_id: str,
    chat_id: int,
    choices: OrderChoices | None = None,
) -> InlineKeyboardMarkup:
    """A waiting signal's buttons. With the market open: Approve / Reject, then the
    changes (½ size, Limit…, a tighter stop). With it closed: At the open / Reject, the
    same changes for the open, and Extended hours… (a limit). Without `choices` (they
    could not be read): Approve and Reject only."""

    def approve(label: str, variant: Variant) -> InlineKeyboardButton | None:
        action, args = _with(signal_id, variant)
        return _button(label, signer, chat_id, action, *args)

    reject = _button("❌ Reject", signer, chat_id, "r", signal_id)
    if choices is None:
        return _rows([approve("✅ Approve", Variant()), reject])
    half = f"½ size ({choices.half_quantity:,})"
    if choices.market_open:
        return _rows(
            [approve("✅ Approve", Variant()), reject],
            [
                approve(half, Variant(half=True)),
                _button("Limit…", signer, chat_id, "P", signal_id),
                approve(
                    f"Stop {money(choices.tighter_stop)}", Variant(stop_price=choices.tighter_stop)
                )
                if choices.tighter_stop is not None
                else None,
            ],
        )
    return _rows(
        [approve("🌅 At the open", Variant(timing="open")), reject],
        [
            approve(f"{half} at open", Variant(timing="open", half=True)),
            approve(
                f"Stop {money(choices.tighter_stop)} at open",
                Variant(timing="open", stop_price=choices.tighter_stop),
            )
            if choices.tighter_stop is not None
            else None,
        ],
        [_button("🌙 Extended hours…", signer, chat_id, "X", signal_id)],
    )


def limit_picker(
    signer: CallbackSigner,
    signal_id: str,
    chat_id: int,
    choices: OrderChoices,
    *,
    extended: bool = False,
) -> InlineKeyboardMarkup:
    """The three suggested limit prices, a typed one, or back to the main buttons."""
    timing: Timing = "extended" if extended else "now"
    prices = []
    for price in choices.suggested_limits:
        action, args = _with(signal_id, Variant(timing=timing, limit_price=price))
        prices.append(_button(money(price), signer, chat_id, action, *args))
    return _rows(
        prices,
        [
            _button("✍️ Type a price", signer, chat_id, "T" if extended else "t", signal_id),
            _button("↩ Back", signer, chat_id, "b", signal_id),
        ],
    )


def cancel_queued(signer: CallbackSigner, signal_id: str, chat_id: int) -> InlineKeyboardMarkup:
    return _rows([_button("✖ Cancel this order", signer, chat_id, "c", signal_id)])


def modes(signer: CallbackSigner, chat_id: int, current: TradingMode) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("• " if mode is current else "") + mode.value,
                    callback_data=signer.sign("m", mode.value, chat_id=chat_id),
                )
                for mode in TradingMode
            ]
        ]
    )


def kill_confirm(signer: CallbackSigner, chat_id: int) -> InlineKeyboardMarkup:
    issued = str(int(time.time()))
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "🛑 Stop (halt, cancel orders)",
                    callback_data=signer.sign("k", KillScope.STOP.value, issued, chat_id=chat_id),
                )
            ],
            [
                InlineKeyboardButton(
                    "🧯 Flatten (also close all positions)",
                    callback_data=signer.sign(
                        "k", KillScope.FLATTEN.value, issued, chat_id=chat_id
                    ),
                )
            ],
            [InlineKeyboardButton("Cancel", callback_data=signer.sign("x", chat_id=chat_id))],
        ]
    )


def menu() -> ReplyKeyboardMarkup:
    """The /menu keyboard: the safe read commands, two to a row, kept open."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(by_name(name).button or f"/{name}") for name in row] for row in MENU_ROWS],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder="Tap a button or type /help",
    )


def no_menu() -> ReplyKeyboardRemove:
    return ReplyKeyboardRemove()
