"""Symbols, reasons and messages come from data and chats: the page must show them as
text. NiceGUI escapes labels and table cells; these are the ways around that."""

from __future__ import annotations

import re
from pathlib import Path

WEBUI = Path(__file__).resolve().parents[3] / "webui"
MARKUP_SINKS = re.compile(
    r"ui\.html\(|ui\.markdown\(|ui\.mermaid\(|add_head_html|add_body_html|run_javascript|"
    r"sanitize\s*=\s*False|v-html"
)


def test_no_page_renders_markup_from_data() -> None:
    offenders = [
        f"{path.relative_to(WEBUI.parent)}:{number}: {line.strip()}"
        for path in sorted(WEBUI.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if MARKUP_SINKS.search(line)
    ]
    assert offenders == []
    assert len(list(WEBUI.rglob("*.py"))) >= 10  # the scan saw the pages


def test_no_page_speaks_of_confidence() -> None:
    """The model's view is P(profit) against the typical (issue 16), never a
    "confidence" that read as the probability of a direction."""
    said = [
        f"{path.relative_to(WEBUI.parent)}:{number}"
        for path in sorted(WEBUI.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"confiden", line, re.IGNORECASE)
    ]
    assert said == []
