"""The shape of the record pages (issue 14). On a 390×844 phone the sign form and the ballot are
on the first screen or one tap away: a "ลงชื่อ / Sign" or "ลงคะแนน / Vote" link near the top that brings them into view; a visitor
who is not signed in sees the "take part" card on the first screen of an open consultation; the
header has Register. Printed, a record shows no navigation and a header with the municipality,
the date printed and the address. Real Chromium on the seeded site (tests/a11y/conftest.py)."""

import pytest

from .conftest import VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

SCREEN = VIEWPORTS["phone"]["height"]


def _top(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box["y"] + page.evaluate("window.scrollY")


def _within_reach(page, target: str, jump: str) -> None:
    """`target` starts on the first screen, or `jump` does and tapping it brings `target` into view."""
    page.evaluate("window.scrollTo(0, 0)")
    if _top(page, target) < SCREEN:
        return
    assert _top(page, jump) < SCREEN, f"neither {target} nor {jump} is on the first screen"
    page.locator(jump).first.click()
    page.wait_for_function("() => window.scrollY > 0")
    box = page.locator(target).first.bounding_box()
    assert box is not None and 0 <= box["y"] < SCREEN, f"{jump} did not bring {target} into view"


@pytest.mark.parametrize("language", ["th", "en"])
def test_the_sign_form_is_within_one_tap_on_a_phone(pages, site, language):
    page, _ = pages("anon", language)
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"/petitions/{site.petition['open']}/")
    jump = page.get_by_test_id("jump-sign")
    assert jump.inner_text().strip() == ("ลงชื่อ" if language == "th" else "Sign")
    assert _top(page, "[data-testid=jump-sign]") < SCREEN  # near the top: on the first screen, below the header
    _within_reach(page, "[data-testid=sign-form]", "[data-testid=jump-sign]")


@pytest.mark.parametrize("language", ["th", "en"])
def test_the_ballot_is_within_one_tap_on_a_phone(pages, site, language):
    page, _ = pages("resident", language)
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"/consultations/{site.consultation['deliberation']}/")
    assert page.get_by_test_id("ballot-form").count() == 1
    assert _top(page, "[data-testid=jump-ballot]") < SCREEN
    _within_reach(page, "[data-testid=ballot-form]", "[data-testid=jump-ballot]")


@pytest.mark.parametrize("language", ["th", "en"])
def test_a_visitor_sees_how_to_take_part_on_the_first_screen(pages, site, language):
    page, _ = pages("anon", language)
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto(f"/consultations/{site.consultation['deliberation']}/")
    assert _top(page, "[data-testid=take-part-sign-in]") < SCREEN
    assert page.get_by_test_id("register-link").is_visible()
    href = page.get_by_test_id("take-part-sign-in").get_attribute("href")
    assert href.endswith(f"?next=/consultations/{site.consultation['deliberation']}/")
    page.get_by_test_id("take-part-sign-in").click()
    assert page.locator("input[name=next]").input_value() == f"/consultations/{site.consultation['deliberation']}/"


@pytest.mark.parametrize(("kind", "language"), [("petition", "th"), ("consultation", "en")])
def test_a_printed_record_has_no_navigation_and_a_header_naming_the_municipality(pages, site, kind, language):
    page, _ = pages("anon", language)
    path = (
        f"/petitions/{site.petition['open']}/" if kind == "petition" else f"/consultations/{site.consultation['deliberation']}/"
    )
    page.goto(path)
    assert not page.get_by_test_id("print-header").is_visible()  # on screen: not there
    page.emulate_media(media="print")
    try:
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        header = page.get_by_test_id("print-header")
        assert header.is_visible()
        text = header.inner_text()
        assert "บ้านซ่อง" in text  # the record's municipality (the demo's เทศบาลตำบลบ้านซ่อง)
        assert page.url in text  # the page's address
        year = str(__import__("datetime").date.today().year + (543 if language == "th" else 0))
        assert year in text and ("พิมพ์เมื่อ" if language == "th" else "Printed") in text
        for hidden in ("header.site", "footer.site", "nav", "main form"):
            assert all(not el.is_visible() for el in page.locator(hidden).all()), hidden
        assert page.locator("h1").is_visible()
    finally:
        page.emulate_media(media="screen")
