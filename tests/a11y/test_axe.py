"""The accessibility gate (issue 14): axe-core finds no WCAG 2.1 A/AA violation on any page a
resident, staff member or the public reaches, in Thai and in English, on a 390×844 phone and a
1280×800 desktop, in Debian's Chromium. Each consultation stage, each petition state, the staff
desk and staff views, forms showing their errors and the 404 page are among them.

A failure names the rule, the element and what to fix; fix it as a class (templates or
static/css), never by excluding the page or the rule here."""

import pytest

from .axe import SETTLED, axe_violations, describe
from .conftest import LANGUAGES, STAGES, VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db]


def _drop_required(page):
    """Submit the page's main form empty, past the browser's own checks: the server's error state."""
    page.evaluate("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")


def submit_empty(testid_or_selector: str):
    def act(page):
        _drop_required(page)
        form = page.locator(testid_or_selector).first
        with page.expect_navigation():
            form.locator("button[type=submit], input[type=submit]").last.click()

    return act


def wrong_password(page):
    page.fill("input[name=username]", "resident@example.com")
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def sign_with_errors(page):
    _drop_required(page)
    form = page.get_by_test_id("sign-form")
    form.locator("input[name=name]").fill("ก")
    form.locator("input[name=email]").fill("not-an-address")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def petition(state: str, tail: str = ""):
    return lambda s: f"/petitions/{s.petition[state]}/{tail}"


def consultation(stage: str, tail: str = ""):
    return lambda s: f"/consultations/{s.consultation[stage]}/{tail}"


OPEN_TO_RESIDENTS = ("problem_identification", "alternatives", "deliberation")

# (name, persona, path from the seeded site, optional action before the check)
PAGES = [
    ("home", "anon", lambda s: "/", None),
    ("accessibility", "anon", lambda s: "/accessibility/", None),
    ("not-found", "anon", lambda s: "/no-such-page/", None),
    ("petition-list", "anon", lambda s: "/petitions/", None),
    ("petition-list-filtered", "anon", lambda s: "/petitions/?q=ไฟส่องสว่าง", None),
    ("petition-widget", "anon", petition("open", "widget/"), None),
    ("petition-receipts", "anon", lambda s: "/petitions/receipts/", None),
    ("search", "anon", lambda s: "/search/?q=ไฟส่องสว่าง", None),
    ("search-bad-query", "anon", lambda s: "/search/?q=ก", None),
    *[(f"petition-{state}", "anon", petition(state), None) for state in ("open", "decided", "rejected")],
    ("petition-sign-errors", "anon", petition("open"), sign_with_errors),
    ("petition-open-member", "resident", petition("open"), None),
    ("petition-confirm", "anon", lambda s: f"/petitions/signatures/confirm/{s.signature_token}/", None),
    ("petition-confirm-bad-link", "anon", lambda s: "/petitions/signatures/confirm/not-a-token/", None),
    ("petition-new", "resident", lambda s: "/petitions/new/", None),
    ("petition-new-errors", "resident", lambda s: "/petitions/new/", submit_empty("[data-testid=create-form]")),
    ("petition-moderation", "moderator", lambda s: "/petitions/moderation/", None),
    ("petition-awaiting-staff", "moderator", petition("awaiting_moderation"), None),
    ("petition-sponsors-staff", "moderator", petition("collecting_sponsors"), None),
    ("petition-signatures", "moderator", petition("open", "signatures/"), None),
    ("petition-addresses", "moderator", lambda s: "/petitions/moderation/addresses/", None),
    ("petition-signature-find", "moderator", petition("open", "signatures/find/?q=prasit@example.com"), None),
    ("signing-blocks", "admin", lambda s: "/petitions/organisations/ban-song/signing-blocks/", None),
    ("signing-limits", "admin", lambda s: "/petitions/organisations/ban-song/signing-limits/", None),
    ("consultation-list", "anon", lambda s: "/consultations/", None),
    *[(f"consultation-{stage}", "anon", consultation(stage), None) for stage in STAGES if stage != "draft"],
    *[(f"consultation-{stage}-resident", "resident", consultation(stage), None) for stage in OPEN_TO_RESIDENTS],
    *[(f"consultation-{stage}-staff", "clerk", consultation(stage), None) for stage in STAGES],
    ("consultation-record", "anon", consultation("decided", "record/"), None),
    ("consultation-new", "clerk", lambda s: "/consultations/new/", None),
    ("consultation-new-errors", "clerk", lambda s: "/consultations/new/", submit_empty("main form[method=post]")),
    ("consultation-moderation", "moderator", consultation("problem_identification", "moderation/"), None),
    ("consultation-decision-form", "clerk", consultation("deciding", "decision/"), None),
    ("audit", "anon", lambda s: "/audit/", None),
    ("audit-check", "anon", lambda s: "/audit/check/", None),
    ("statistics", "anon", lambda s: "/statistics/", None),
    ("open-data", "anon", lambda s: "/open-data/", None),
    ("ita-index", "anon", lambda s: "/open-data/ita/", None),
    ("ita-report", "anon", lambda s: "/open-data/ita/2565/", None),
    ("complaints", "anon", lambda s: "/complaints/", None),
    ("complaint-new", "anon", lambda s: "/complaints/new/", None),
    ("complaint-new-errors", "anon", lambda s: "/complaints/new/", submit_empty("[data-testid=complaint-form]")),
    ("complaint-track", "anon", lambda s: "/complaints/track/", None),
    ("complaint-tracked", "anon", lambda s: f"/complaints/track/{s.complaint_code}/", None),
    ("complaint-statistics", "anon", lambda s: "/complaints/statistics/", None),
    ("complaint-staff-queue", "moderator", lambda s: "/complaints/staff/", None),
    ("complaint-staff-detail", "moderator", lambda s: f"/complaints/{s.complaint_pk}/", None),
    ("integrity", "anon", lambda s: "/integrity/", None),
    ("integrity-new", "anon", lambda s: "/integrity/new/", None),
    ("integrity-track", "anon", lambda s: "/integrity/track/", None),
    ("integrity-tracked", "anon", lambda s: f"/integrity/track/{s.integrity_reference}/", None),
    ("integrity-reports", "integrity", lambda s: "/integrity/reports/", None),
    ("integrity-report", "integrity", lambda s: f"/integrity/{s.integrity_pk}/", None),
    ("surveys", "anon", lambda s: "/surveys/", None),
    ("survey", "anon", lambda s: f"/surveys/{s.survey_pk}/", None),
    ("survey-resident", "resident", lambda s: f"/surveys/{s.survey_pk}/", None),
    ("survey-results", "admin", lambda s: f"/surveys/{s.survey_pk}/results/", None),
    ("survey-moderation", "admin", lambda s: f"/surveys/{s.survey_pk}/moderation/", None),
    ("survey-new", "admin", lambda s: "/surveys/new/", None),
    ("login", "anon", lambda s: "/accounts/login/", None),
    ("login-errors", "anon", lambda s: "/accounts/login/", wrong_password),
    ("register", "anon", lambda s: "/accounts/register/", None),
    ("register-errors", "anon", lambda s: "/accounts/register/", submit_empty("main form[method=post]")),
    ("register-sent", "anon", lambda s: "/accounts/register/sent/", None),
    ("confirm-again", "anon", lambda s: "/accounts/confirm/again/", None),
    ("confirm-bad-link", "anon", lambda s: "/accounts/confirm/not-a-token/", None),
    ("password-reset", "anon", lambda s: "/accounts/password/reset/", None),
    ("password-reset-sent", "anon", lambda s: "/accounts/password/reset/sent/", None),
    ("password-reset-bad-link", "anon", lambda s: "/accounts/password/reset/MQ/bad-token/", None),
    ("privacy", "resident", lambda s: "/accounts/privacy/", None),
    ("privacy-requests", "admin", lambda s: "/accounts/privacy/requests/", None),
    ("inbox", "resident", lambda s: "/notifications/", None),
    ("preferences", "resident", lambda s: "/notifications/preferences/", None),
    ("home-resident", "resident", lambda s: "/", None),
    *[(f"desk-{persona}", persona, lambda s: "/desk/", None) for persona in ("moderator", "clerk", "admin")],
]


DANGLING = """() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby]')].flatMap(el =>
  ['aria-describedby', 'aria-labelledby'].flatMap(a => (el.getAttribute(a) || '').split(/\\s+/).filter(Boolean)
    .filter(id => !document.getElementById(id)).map(id => `${el.id || el.tagName.toLowerCase()} ${a}=${id}`)))"""


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "persona", "path", "act"), PAGES, ids=[p[0] for p in PAGES])
def test_no_wcag_violations(pages, site, name, persona, path, act, language):
    """Loaded on the phone, checked there, then widened to the desktop and checked again (one
    navigation per page and language keeps the gate to a few minutes)."""
    page, policy_errors = pages(persona, language)
    page.set_viewport_size(VIEWPORTS["phone"])
    response = page.goto(path(site))
    # Each page is the one named, not a sign-in redirect or a refusal; only the error pages are errors.
    expected = (404,) if name == "not-found" else (400, 404) if name.endswith(("bad-link", "bad-query")) else (200,)
    assert response is not None and response.status in expected, f"{name}: {response and response.status} at {page.url}"
    if act is not None:
        act(page)
    assert page.locator("html").get_attribute("lang") == language
    found = {}
    for viewport, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        page.evaluate(SETTLED)
        violations = axe_violations(page)
        if violations:
            found[viewport] = describe(violations)
        # What axe leaves to review: the page reflows without sideways scrolling (WCAG 1.4.10), and
        # every id an aria-describedby or aria-labelledby names is on the page (else nothing is read).
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if wide > 0:
            found[f"{viewport} reflow"] = f"{wide} px wider than the window"
        dangling = page.evaluate(DANGLING)
        if dangling:
            found[f"{viewport} aria"] = f"names ids that are not on the page: {dangling}"
    assert not found, f"{name} ({language}) {page.url}:\n" + "\n".join(f"[{v}] {d}" for v, d in found.items())
    assert not policy_errors, policy_errors
