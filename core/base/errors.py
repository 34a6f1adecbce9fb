"""Errors the Engine raises to front ends. Each message is fit to show a person as is;
the front end shows it and changes nothing else."""

from __future__ import annotations

from collections.abc import Mapping


class EngineError(Exception):
    """A request cannot be done; the message says why."""


class NotFound(EngineError):
    """No such signal, symbol or run."""


class AlreadyDecided(EngineError):
    """The signal was decided before (a double tap, another front end, a retry)."""


class SignalExpiredError(EngineError):
    """The signal waited too long; prices have moved on."""


class NotAllowed(EngineError):
    """A viewer asked for something only the owner may do (approve, kill, resume, mode,
    settings). Refused and audited; nothing changes."""


class InvalidRequest(EngineError):
    """A value a person typed is not allowed (the message names it and the rule).

    `fields` maps each refused field to its reason, for forms that show errors inline.
    """

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})
