"""The app's Thai catalogue is complete and compiled (the notification templates' too)."""

import gettext
from pathlib import Path

import pytest

from tests.config.test_translations import po_entries

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("app", ["complaints", "surveys", "notifications"])
def test_every_string_has_a_compiled_thai_translation(app):
    po = ROOT / app / "locale" / "th" / "LC_MESSAGES" / "django.po"
    entries = po_entries(po)
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []
    assert "#, fuzzy" not in po.read_text(encoding="utf-8")
    catalogue = gettext.translation("django", localedir=po.parents[2], languages=["th"])
    assert [m for m, s in entries.items() if catalogue.gettext(m) != s] == [], f"run compilemessages in {app}/"
