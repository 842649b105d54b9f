"""The engine's and accounts' own Thai catalogues: complete, compiled, and used by the pages."""

import gettext
from pathlib import Path

import pytest
from django.urls import reverse

from tests.config.test_translations import po_entries

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("app", ["workflows", "accounts"])
def test_every_string_of_the_app_has_a_compiled_thai_translation(app):
    po = ROOT / app / "locale" / "th" / "LC_MESSAGES" / "django.po"
    entries = po_entries(po)
    assert len(entries) > 40
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []
    assert "#, fuzzy" not in po.read_text(encoding="utf-8")
    catalogue = gettext.translation("django", localedir=po.parents[2], languages=["th"])
    assert [m for m, s in entries.items() if catalogue.gettext(m) != s] == [], f"run compilemessages in {app}/"


def test_the_pages_read_in_thai(client, db):
    assert "บันทึกการตรวจสอบ" in client.get(reverse("workflows:audit")).content.decode()
    assert "ลงทะเบียนเป็นประชาชนผู้ใช้งาน" in client.get(reverse("accounts:register")).content.decode()
