"""The Settings page's notification levels and edges, through NiceGUI's simulated user
against a real agent: a level chosen is stored with the runtime settings and audited;
critical kinds say that off means silent; the edges explain themselves with the model's
own typical."""

from __future__ import annotations

from storage.models import AuditEvent, SettingOverride
from tests.integration.webui.conftest import Web, eventually


def _one(web: Web, marker: str):  # type: ignore[no-untyped-def]
    return web.user.find(marker=marker).elements.pop()


async def test_a_notification_level_is_stored_applied_and_audited(web: Web) -> None:
    await web.log_in(redirect_to="/settings")
    level = _one(web, "setting-notify_fills")
    assert level.value == "on"
    assert set(level.options) == {"on", "silent", "off"}
    level.value = "silent"
    web.user.find(marker="settings-save").click()
    await eventually(lambda: web.agent.engine.settings().notify_fills == "silent")
    stored = {o.key: o.value for o in SettingOverride.select()}
    assert stored == {"notify_fills": "silent"}
    change = AuditEvent.select().where(AuditEvent.action == "settings.update").get()
    assert change.actor == "web:owner"
    assert change.details["notify_fills"]["new"] == "silent"


async def test_critical_kinds_say_off_means_silent(web: Web) -> None:
    await web.log_in(redirect_to="/settings")
    for kind in ("notify_stops", "notify_alerts", "notify_changes"):
        assert "silent" in _one(web, f"critical-{kind}").text
    await web.user.should_not_see(marker="critical-notify_fills")  # fills can be off
    every_level = [f"setting-notify_{k}" for k in ("signals", "summary", "alerts", "changes")]
    for marker in every_level:
        await web.user.should_see(marker=marker)


async def test_the_edges_explain_themselves_with_the_models_typical(web: Web) -> None:
    web.agent.services.models.manifest = {
        "grade": {"proven": False, "summary": "no"},
        "typical": {"base_rate": 0.54},
    }
    await web.log_in(redirect_to="/settings")
    min_edge = _one(web, "explain-min_edge")
    assert "0.59 or more against this model's typical 0.54" in min_edge.text
    auto_edge = _one(web, "explain-auto_edge").text
    assert "P(profit) 0.64 or more" in auto_edge
    assert auto_edge.endswith("so every signal asks you for now.")
    web.user.find(marker="setting-min_edge").clear().type("0.08")
    await eventually(lambda: "0.62 or more" in min_edge.text)
