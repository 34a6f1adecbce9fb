"""The Settings page shows every runtime setting exactly once, in a section a person
looks in, notification levels among the notifications, each with a label in words."""

from __future__ import annotations

from core.base.settings import RuntimeSettings
from webui import setting_widgets
from webui.pages.settings import sections


def test_every_setting_is_shown_once() -> None:
    shown = [name for _, names in sections() for name in names]
    assert sorted(shown) == sorted(RuntimeSettings.model_fields)
    assert len(shown) == len(set(shown))


def test_notification_levels_are_under_notifications_with_labels() -> None:
    notifications = dict(sections())["Notifications"]
    levels = [
        n for n, info in RuntimeSettings.model_fields.items() if setting_widgets.is_level(info)
    ]
    assert len(levels) == 6
    assert set(levels) <= set(notifications)
    for name in RuntimeSettings.model_fields:
        assert "_" not in setting_widgets.label(name), name
