"""In Chromium: the result charts are readable (issue 14). The vote-result chart's labels were 11px
SVG text drawn 540 units wide and shrunk onto a phone (about 7.3px rendered); its winner was marked by
colour only; the petition's signature chart grew to 1086x516 on a 1280px desktop."""

import pytest

from consultations.models import Ballot, BallotChoice, State
from tests.consultations.conftest import add_alternative, force_state, make_consultation, residents  # noqa: F401 (fixtures)
from tests.petitions.conftest import open_petition, policy, sign_and_confirm, sponsors  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}

# The rendered size of each piece of text in the element: the computed font size, times the scale
# of the SVG it is drawn in (user units to CSS pixels), if any.
RENDERED_SIZES = """root => {
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const el = t.parentElement;
    if (!t.textContent.trim() || el.closest('title')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
      size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    }
    out.push(size);
  }
  return out;
}"""


def _results(make_consultation, residents):  # noqa: F811
    c = make_consultation("collaborate", State.DELIBERATION)
    win = add_alternative(c, title="ปรับปรุงถนนคอนกรีตเสริมเหล็กพร้อมรางระบายน้ำสองฝั่งตลอดสายหมู่ที่ 1 ถึงหมู่ที่ 3")
    other = add_alternative(c, title="ลาดยางถนนหมู่ที่ 1")
    for i, r in enumerate(residents):
        BallotChoice.objects.create(ballot=Ballot.objects.create(consultation=c, voter=r), alternative=win if i < 2 else other)
    return force_state(c, State.DECIDING), win


def test_vote_result_labels_are_at_least_12px_on_a_phone(page, make_consultation, residents):  # noqa: F811
    c, _ = _results(make_consultation, residents)
    page.set_viewport_size(PHONE)
    page.goto(c.get_absolute_url())
    chart = page.get_by_test_id("results-chart")
    chart.scroll_into_view_if_needed()
    sizes = chart.evaluate(RENDERED_SIZES)
    assert len(sizes) >= 4, sizes  # both titles, both counts at least
    assert min(sizes) >= 12, sizes
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # nothing runs off the phone
    for viewport in (PHONE, DESKTOP):  # the bars share one scale: every track is as wide as the others
        page.set_viewport_size(viewport)
        widths = chart.locator("svg.vote-bar").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
        tracks = {round(w) for w in widths}
        assert len(tracks) == 1 and min(tracks) >= 150, tracks


def test_the_winner_is_marked_in_words_not_by_colour_only(page, make_consultation, residents):  # noqa: F811
    c, win = _results(make_consultation, residents)
    page.goto(c.get_absolute_url())
    rows = page.get_by_test_id("results-chart").get_by_test_id("result-row")
    assert rows.count() == 2
    winner = rows.filter(has_text=win.title)
    mark = winner.get_by_test_id("winner-mark")
    assert mark.count() == 1 and "คะแนนสูงสุด" in mark.inner_text()
    assert rows.filter(has_text="ลาดยางถนนหมู่ที่ 1").get_by_test_id("winner-mark").count() == 0
    assert int(winner.locator(".vote-label strong").evaluate("el => getComputedStyle(el).fontWeight")) >= 700
    assert winner.locator("rect[fill^='url(#']").count() == 1  # a hatched bar: a second, non-colour cue
    summary = page.get_by_test_id("results-winner")
    assert win.title in summary.inner_text() and "คะแนนสูงสุด" in summary.inner_text()
    assert "2 คะแนน" in winner.inner_text()


@pytest.mark.parametrize(("viewport", "widest"), [(DESKTOP, 760), (PHONE, 390)])
def test_the_signature_chart_is_capped_on_a_desktop_and_fits_a_phone(page, open_petition, viewport, widest):  # noqa: F811
    for n in range(3):
        sign_and_confirm(open_petition, n, village=1 + n)
    page.set_viewport_size(viewport)
    page.goto(f"/petitions/{open_petition.pk}/")
    chart = page.get_by_test_id("signature-chart")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert 300 <= box["width"] <= widest, box
    assert box["height"] <= box["width"] * 190 / 400 + 1  # the height follows the width
    assert min(chart.evaluate(RENDERED_SIZES)) >= 12
