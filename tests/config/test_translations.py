"""Project-level Thai (locale/th): every string translated and the committed .mo matches the .po,
so a fresh clone reads in Thai without gettext tools."""

import ast
import gettext
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
PO = LOCALE / "th" / "LC_MESSAGES" / "django.po"


def po_entries(path: Path) -> dict[str, str]:
    """msgid → msgstr (msgstr[0] for plurals) of a .po file; enough of the format for our own files."""
    entries, current, field = {}, {}, None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if "msgid" in current and current["msgid"]:
                entries[current["msgid"]] = current.get("msgstr", current.get("msgstr[0]", ""))
            current, field = {}, None
        elif line.startswith("#"):
            current.setdefault("flags", "")
            current["flags"] += line
        elif line.startswith('"'):
            current[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            current[field] = ast.literal_eval(value)
    return entries


def test_every_project_string_has_a_thai_translation():
    entries = po_entries(PO)
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert untranslated == []
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")


def test_the_compiled_catalogue_matches_the_po():
    catalogue = gettext.translation("django", localedir=LOCALE, languages=["th"])
    stale = [msgid for msgid, msgstr in po_entries(PO).items() if catalogue.gettext(msgid) != msgstr]
    assert stale == [], "run compilemessages (see README.md#translations)"


@pytest.mark.parametrize(("english", "thai"), [("Skip to content", "ข้ามไปยังเนื้อหา"), ("Home", "หน้าหลัก")])
def test_django_uses_the_catalogue(english, thai):
    from django.utils import translation

    with translation.override("th"):
        assert translation.gettext(english) == thai
