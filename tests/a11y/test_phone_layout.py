"""On a 390×844 phone (issue 14) the sign form and the ballot are on the first screen or one tap
away: a "ลงชื่อ / Sign" or "ลงคะแนน / Vote" link near the top that brings them into view; a visitor
who is not signed in sees the "take part" card on the first screen of an open consultation; the
header has Register. Real Chromium on the seeded site (tests/a11y/conftest.py)."""

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
