"""Keyboard only (issue 14): signing a petition, voting in a consultation and commenting are done
with Tab, Enter, Space and arrow keys in Chromium on a phone, and every control focus lands on is
visibly marked (an outline of at least 2 px under :focus-visible). After the htmx vote focus
stays on the button that was pressed and the server's answer is in the live region."""

import pytest
from playwright.sync_api import expect

from consultations.models import Ballot, Comment
from petitions.models import Signature

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    where: el.outerHTML.slice(0, 120),
    visible: el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until `selector` has focus; each stop on the way must show where focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now is not None, "focus left the page"
        assert now["visible"], f"focus is not visible on {now['where']}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def skip_to_content(page) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('a.skip')") and focused(page)["visible"]
    assert page.locator("a.skip").bounding_box()["x"] >= 0  # on screen when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_signing_a_petition_with_the_keyboard(pages, site):
    page, policy_errors = pages("anon", "th")
    page.goto(f"/petitions/{site.petition['open']}/")
    skip_to_content(page)
    tab_to(page, "#id_name")
    page.keyboard.type("ประสงค์ แป้นพิมพ์")
    tab_to(page, "#id_email")
    page.keyboard.type("keyboard@example.com")
    tab_to(page, "#id_village")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    assert page.locator("#id_village").input_value() == "3"
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    assert page.locator("#id_consent").is_checked()
    tab_to(page, "[data-testid=sign-submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "keyboard@example.com" in page.locator("main").inner_text()
    signature = Signature.objects.get(email="keyboard@example.com")
    assert signature.petition_id == site.petition["open"] and signature.village_number == 3
    assert not policy_errors, policy_errors


def test_voting_with_the_keyboard_keeps_focus_and_announces(pages, site):
    page, policy_errors = pages("resident", "th")
    page.goto(f"/consultations/{site.consultation['deliberation']}/")
    skip_to_content(page)
    tab_to(page, "[data-testid=ballot-form] input[name=alternative_ids]")
    page.keyboard.press("ArrowDown")  # the second alternative of the radio group
    page.keyboard.press("Space")
    chosen = page.evaluate("document.activeElement.value")
    tab_to(page, "[data-testid=vote]")
    page.keyboard.press("Enter")
    page.get_by_test_id("voted").wait_for()
    # Focus comes back when htmx has settled the swap (a moment after the new content shows).
    # expect() polls from Playwright's side: wait_for_function would evaluate a string in the
    # page, which the Content-Security-Policy (script-src 'self') refuses once it has to poll.
    expect(page.get_by_test_id("vote")).to_be_focused(timeout=5000)
    assert page.evaluate("document.activeElement.dataset.testid") == "vote"  # not lost to <body>
    assert focused(page)["visible"]
    assert "บันทึกคะแนนของท่านแล้ว" in page.locator("#messages[role=status]").inner_text()
    ballot = Ballot.objects.get(consultation_id=site.consultation["deliberation"], voter__email="resident@example.com")
    assert [str(c.alternative_id) for c in ballot.choices.all()] == [chosen]
    assert not policy_errors, policy_errors


COMMENT = "ควรติดไฟทางเดินก่อนหน้าฝน"


def test_commenting_with_the_keyboard(pages, site):
    page, policy_errors = pages("resident", "th")
    page.goto(f"/consultations/{site.consultation['problem_identification']}/")
    skip_to_content(page)
    tab_to(page, "#comments > details > summary")
    page.keyboard.press("Enter")  # opens the comment form
    tab_to(page, "#comments > details textarea[name=body]")
    page.keyboard.type(COMMENT)
    tab_to(page, "#comments > details button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Shown once as a comment; the author's edit form (open for a while after posting) holds it too.
    assert page.locator("#comments [data-testid=comment] > p").get_by_text(COMMENT).count() == 1
    assert page.locator("#comments textarea").get_by_text(COMMENT).count() == 1
    assert Comment.objects.filter(
        consultation_id=site.consultation["problem_identification"], body=COMMENT, author__email="resident@example.com"
    ).exists()
    assert not policy_errors, policy_errors
