"""The bot on a phone: the "/" command list Telegram shows, /help in groups, and the
/menu keyboard whose buttons answer as their commands — against the fake Bot API."""

from __future__ import annotations

from bot.app import _HANDLERS
from bot.commands import COMMANDS, GROUPS
from tests.integration.bot.conftest import OWNER, calls, texts, until


def _text(call) -> str:  # type: ignore[no-untyped-def]
    return str(call.params.get("text") or "")


def _keyboard_labels(call) -> list[str]:  # type: ignore[no-untyped-def]
    keyboard = call.params["reply_markup"]["keyboard"]
    return [b if isinstance(b, str) else b["text"] for row in keyboard for b in row]


async def test_the_phones_command_list_has_every_command_grouped(running, telegram) -> None:
    [registered] = await calls(telegram, "setMyCommands")
    listed = registered.params["commands"]
    names = [c["command"] for c in listed]
    assert set(names) == set(_HANDLERS) - {"start"}  # every command but Telegram's /start
    groups = [next(c.group for c in COMMANDS if c.name == name) for name in names]
    assert groups == sorted(groups, key=GROUPS.index)  # reading, deciding, controlling
    by_name = {c["command"]: c["description"] for c in listed}
    assert by_name["status"].startswith("read: ")
    assert by_name["signals"].startswith("decide: ")
    assert by_name["kill"].startswith("control: ")


async def test_help_groups_the_commands(running, telegram) -> None:
    telegram.send_command(OWNER, "/help")
    await until(lambda: any("Controlling" in _text(c) for c in telegram.sent_to(OWNER)))
    help_text = next(_text(c) for c in telegram.sent_to(OWNER) if "Controlling" in _text(c))
    order = [help_text.index(s) for s in ("Reading", "/status", "Deciding", "/signals")]
    assert order == sorted(order)
    assert help_text.index("Controlling") < help_text.index("/kill")
    assert help_text.index("Controlling") > help_text.index("/mode")


async def test_menu_buttons_are_safe_reads_and_each_answers_as_its_command(
    running, telegram
) -> None:
    agent, _, _ = running
    telegram.send_command(OWNER, "/menu")
    await until(
        lambda: any(
            "keyboard" in (c.params.get("reply_markup") or {}) for c in telegram.sent_to(OWNER)
        )
    )
    shown = next(
        c for c in telegram.sent_to(OWNER) if "keyboard" in (c.params.get("reply_markup") or {})
    )
    labels = _keyboard_labels(shown)
    assert labels == [
        "📊 Status",
        "💼 Positions",
        "🔔 Signals",
        "💰 P&L",
        "🧾 Trades",
        "🧠 Model",
        "🧭 Review",
        "❓ Help",
    ]
    assert shown.params["reply_markup"].get("resize_keyboard") is True
    # Only reading commands (and /help) sit on buttons: nothing a mis-tap could change.
    assert all(c.group in ("reading", "deciding", "this bot") for c in COMMANDS if c.button)
    assert not any(c.button for c in COMMANDS if c.group == "controlling")

    telegram.send_text(OWNER, "📊 Status")
    telegram.send_text(OWNER, "💰 P&L")
    await until(
        lambda: (
            any(t.startswith("Mode:") for t in texts(telegram))
            and any(t.startswith("P&L today") for t in texts(telegram))
        )
    )
    status = next(t for t in texts(telegram) if t.startswith("Mode:"))
    assert f"${(await agent.engine.status()).equity:,.2f}" in status

    telegram.send_command(OWNER, "/menu off")
    await until(
        lambda: any(
            (c.params.get("reply_markup") or {}).get("remove_keyboard")
            for c in telegram.sent_to(OWNER)
        )
    )


async def test_start_shows_the_help_with_the_menu(running, telegram) -> None:
    telegram.send_command(OWNER, "/start")
    await until(
        lambda: any("Reading" in str(c.params.get("text")) for c in telegram.sent_to(OWNER))
    )
    first = next(c for c in telegram.sent_to(OWNER) if "Reading" in str(c.params.get("text")))
    assert "📊 Status" in _keyboard_labels(first)
