"""Orders approved for the next open, as `/signals` lists them: one message each, with
a Cancel button for the owner (a viewer sees the text alone)."""

from __future__ import annotations

from collections.abc import Sequence

from bot import formatting, keyboards
from bot.context import BotContext
from core.agent.engine import QueuedOrder


def queued_text(order: QueuedOrder, ctx: BotContext) -> str:
    by = f", approved by {order.approved_by}" if order.approved_by else ""
    return (
        f"🌅 Waiting for the open: {order.order}{by}. Re-checked and sent "
        f"{formatting.when(order.send_after, ctx.zone)} · id {order.signal_id}"
    )


def queued_messages(
    ctx: BotContext, chat_id: int, queued: Sequence[QueuedOrder], *, buttons: bool
) -> None:
    for order in queued:
        markup = keyboards.cancel_queued(ctx.signer, order.signal_id, chat_id) if buttons else None
        ctx.outbox.send(chat_id, queued_text(order, ctx), markup=markup)
