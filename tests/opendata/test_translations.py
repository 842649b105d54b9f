"""The opendata app's Thai catalogue: complete, compiled, with the placeholders of each English string."""

import gettext
import re
from pathlib import Path

from tests.config.test_translations import po_entries

PO = Path(__file__).resolve().parents[2] / "opendata" / "locale" / "th" / "LC_MESSAGES" / "django.po"


def test_every_string_has_a_compiled_thai_translation():
    entries = po_entries(PO)
    assert len(entries) > 100
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")
    catalogue = gettext.translation("django", localedir=PO.parents[2], languages=["th"])
    assert [m for m, s in entries.items() if catalogue.gettext(m) != s] == [], "run compilemessages in opendata/"


def test_each_translation_keeps_the_placeholders():
    placeholder = re.compile(r"%\(\w+\)s|\{\{ ?\w+ ?\}\}")
    wrong = {m: s for m, s in po_entries(PO).items() if sorted(placeholder.findall(m)) != sorted(placeholder.findall(s))}
    assert wrong == {}
