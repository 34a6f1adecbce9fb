"""Every command the bot answers, in one table: the phone's "/" menu (`setMyCommands`),
`/help` and the `/menu` keyboard are all built from it, so none of them can leave a
command out or describe it differently.

Commands are grouped by what they do: reading changes nothing; deciding is about the
signals that wait for the owner; controlling changes how the agent trades."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Group = Literal["reading", "deciding", "controlling", "this bot"]
GROUPS: tuple[Group, ...] = ("reading", "deciding", "controlling", "this bot")
GROUP_TITLES: dict[Group, str] = {
    "reading": "Reading (changes nothing)",
    "deciding": "Deciding",
    "controlling": "Controlling",
    "this bot": "This bot",
}


@dataclass(frozen=True)
class Command:
    name: str
    group: Group
    what: str
    """What it does, as the phone's command list and /help show it."""
    usage: str = ""
    """Its arguments, for /help: `[today|week|month|all]`."""
    button: str | None = None
    """Its label on the /menu keyboard (safe read commands only)."""


COMMANDS: tuple[Command, ...] = (
    Command("status", "reading", "mode, trading state, equity, today's P&L", button="📊 Status"),
    Command("positions", "reading", "open positions, their P&L and stops", button="💼 Positions"),
    Command(
        "pnl",
        "reading",
        "profit and loss for today, the week, the month or all",
        "[today|week|month|all]",
        button="💰 P&L",
    ),
    Command("trades", "reading", "the latest fills", button="🧾 Trades"),
    Command("chart", "reading", "a price chart with its averages", "SYMBOL"),
    Command(
        "model", "reading", "the model's record: proven edge or not, and why", button="🧠 Model"
    ),
    Command(
        "review",
        "reading",
        "what your decisions did against full auto",
        "[week|month|all]",
        button="🧭 Review",
    ),
    Command("settings", "reading", "the settings you can change"),
    Command(
        "signals",
        "deciding",
        "signals waiting for you and orders waiting for the open",
        button="🔔 Signals",
    ),
    Command("mode", "deciding", "who decides: auto, manual or hybrid", "[auto|manual|hybrid]"),
    Command("kill", "controlling", "stop trading (you confirm: stop or flatten)"),
    Command("resume", "controlling", "trade again after a kill"),
    Command("set", "controlling", "change a setting", "KEY VALUE"),
    Command(
        "notify",
        "controlling",
        "which news reach you: on, silent or off, per kind",
        "[KIND on|silent|off]",
    ),
    Command("menu", "this bot", "buttons for the reading commands", "[off]"),
    Command("help", "this bot", "what the bot can do", button="❓ Help"),
)

MENU_ROWS: tuple[tuple[str, ...], ...] = (
    ("status", "positions"),
    ("signals", "pnl"),
    ("trades", "model"),
    ("review", "help"),
)
"""The /menu keyboard's layout: two thumb-sized buttons a row."""


def by_name(name: str) -> Command:
    return next(c for c in COMMANDS if c.name == name)


def button_commands() -> dict[str, str]:
    """Keyboard label → command name."""
    return {c.button: c.name for c in COMMANDS if c.button}


_MENU_PREFIX: dict[Group, str] = {
    "reading": "read: ",
    "deciding": "decide: ",
    "controlling": "control: ",
    "this bot": "",
}


def bot_commands() -> list[tuple[str, str]]:
    """(command, description) for `setMyCommands`, in /help's order, each description
    saying its group: the phone's "/" menu shows them in this order."""
    return [
        (c.name, _MENU_PREFIX[c.group] + c.what)
        for group in GROUPS
        for c in COMMANDS
        if c.group == group
    ]


def help_text() -> str:
    """/help: the commands grouped by what they do."""
    lines = ["stockbot — your trading agent (paper unless you set up live)."]
    for group in GROUPS:
        lines.append("")
        lines.append(GROUP_TITLES[group])
        for c in COMMANDS:
            if c.group == group:
                usage = f" {c.usage}" if c.usage else ""
                lines.append(f"/{c.name}{usage} — {c.what}")
    lines.append("")
    lines.append(
        "Signals that ask come with buttons: Approve or Reject, or change the order first "
        "(½ size, a limit price, a tighter stop); after the close, for the open or for "
        "extended hours."
    )
    return "\n".join(lines)
