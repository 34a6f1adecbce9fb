"""Keyboards: inline ones under a message, every button's data signed for the chat it is
sent to; and the /menu reply keyboard, whose buttons only send a read command's label.

A signal's inline keyboard puts Approve and Reject on the first row, so rows added below
(a smaller size, a limit, a tighter stop) keep the main choice where the thumb is."""

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
from core.base.types import KillScope, TradingMode


def decision(signer: CallbackSigner, signal_id: str, chat_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "✅ Approve", callback_data=signer.sign("a", signal_id, chat_id=chat_id)
                ),
                InlineKeyboardButton(
                    "❌ Reject", callback_data=signer.sign("r", signal_id, chat_id=chat_id)
                ),
            ]
        ]
    )


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
