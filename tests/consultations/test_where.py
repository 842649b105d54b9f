"""Where a consultation is, in words (issue 14): the steps its level visits, the current one, what
comes next; no engine words; the full diagram one click away (workflows/where.py)."""

import re

import pytest

from consultations.models import State
from workflows.where import CURRENT, DONE, LATER, NEXT, where

from .conftest import force_state

ENGINE_WORDS = ("(close)", "(publish)", "open_deliberation", "problem_identification<", ">state<")


def _where_section(page: str) -> str:
    return re.search(r'<section class="where card".*?</section>', page, re.S).group(0)


def test_it_lists_only_the_stages_an_inform_level_consultation_visits(make_consultation):
    c = make_consultation("inform", State.INFORMING)
    w = where(c)
    assert [s.value for s in w.steps] == ["draft", "informing", "closed"]
    assert [s.status for s in w.steps] == [DONE, CURRENT, NEXT]
    assert [s.value for s in w.next] == ["closed"] and not w.ended and not w.off_line


def test_a_consult_level_consultation_goes_from_informing_to_deliberation(make_consultation):
    c = make_consultation("consult", State.INFORMING)
    w = where(c)
    assert "problem_identification" not in [s.value for s in w.steps]
    assert [s.value for s in w.next] == ["deliberation"]
    assert {s.value: s.status for s in w.steps}["deciding"] == LATER


def test_a_cancelled_consultation_is_off_its_line_and_ended(make_consultation):
    w = where(force_state(make_consultation("collaborate", State.INFORMING), State.CANCELLED))
    assert w.off_line and w.ended and w.current == "cancelled" and w.next == []


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_page_says_where_it_is_in_words_and_keeps_the_diagram_one_click_away(make_consultation, client, lang):
    c = make_consultation("inform", State.INFORMING)
    client.cookies["django_language"] = lang
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    section = _where_section(page)
    now = "เผยแพร่ข้อมูล" if lang == "th" else "Informing"
    assert re.search(r'data-testid="where-now">([^<]+)<', section).group(1) == now
    assert 'aria-current="step"' in section
    assert 'data-testid="where-ends"' in section  # the current stage's end date
    # the steps line (outside the <details>) has no stage an inform-level consultation never reaches
    line = section.split("<details")[0]
    assert 'data-state="deliberation"' not in line and 'data-state="problem_identification"' not in line
    for word in ENGINE_WORDS:
        assert word not in line
    assert '<details class="where-diagram"' in section and "wf-diagram" in section.split("<details")[1]
    if lang == "en":
        assert "Where this is now" in section and "Next:</strong>" in section and "Closed" in section
        assert "read the documents and follow" in section
    else:
        assert "ตอนนี้อยู่ที่ไหน" in section and "ขั้นต่อไป" in section and "อ่านเอกสาร" in section
    assert page.index('data-testid="where"') < page.index('id="staff"' if 'id="staff"' in page else "</article>")
