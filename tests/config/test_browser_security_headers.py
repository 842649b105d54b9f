"""In Chromium, under the site's real Content-Security-Policy: the pages log no policy violation,
htmx still swaps in place (a vote, a follow), an injected inline script does not run, and the
API docs still render. The `page` fixture fails any test whose page breaks the policy; the
inline-script test shows that the watch it relies on sees a violation when there is one."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from consultations import services as consultations
from consultations.models import State
from petitions.models import Petition
from petitions.services import petition_create
from tests.conftest import watch_policy_errors
from tests.consultations.conftest import add_alternative, force_state, schedule_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_as(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


@pytest.fixture
def deliberation(org, make_user):
    clerk = make_user(Role.CLERK, org=org, email="clerk@example.com")
    c = consultations.consultation_create(organisation=org, actor=clerk, level="consult", title="แผนพัฒนาหมู่บ้าน 2566")
    consultations.consultation_schedule_set(consultation=c, actor=clerk, stages=schedule_for("consult"))
    add_alternative(c, title="ลาดยางถนนหมู่ที่ 1")
    add_alternative(c, title="ถนนคอนกรีตพร้อมรางระบายน้ำ")
    return force_state(c, State.DELIBERATION)


def test_a_vote_and_a_follow_swap_in_place_with_no_policy_violation(page, live_server, org, make_user, deliberation):
    resident = make_user(Role.RESIDENT, org=org, village=org.villages.first())
    sign_in_as(page, live_server, resident)
    response = page.goto(deliberation.get_absolute_url())
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "camera=()" in response.headers["permissions-policy"]
    page.evaluate("window.notReloaded = true")  # survives only if htmx swapped instead of a page load

    page.get_by_test_id("ballot-form").get_by_label("ลาดยางถนนหมู่ที่ 1").check()
    page.get_by_test_id("vote").click()
    page.get_by_test_id("voted").wait_for()
    page.get_by_test_id("follow").first.get_by_role("button").click()
    page.get_by_test_id("follow-state").first.wait_for()

    assert page.evaluate("window.notReloaded") is True
    # the vendored stylesheet applies under style-src 'self' (ruamkid.css lays the steps out in a row)
    assert page.evaluate("getComputedStyle(document.querySelector('.where-steps')).display") == "flex"


def test_an_injected_inline_script_or_handler_does_not_run_and_the_watch_sees_it(browser, live_server, org):
    context = browser.new_context(base_url=live_server.url)
    try:
        pg = context.new_page()
        errors = watch_policy_errors(pg)
        pg.goto("/")
        with pg.expect_console_message(lambda m: "Content Security Policy" in m.text):
            ran = pg.evaluate(
                """() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';
                           document.body.append(s); return window.injected === 1; }"""
            )
        assert ran is False
        with pg.expect_console_message(lambda m: "Content Security Policy" in m.text):
            pg.evaluate("document.body.setAttribute('onclick', 'window.clicked = 1'); document.body.click()")
        assert pg.evaluate("window.clicked") is None
        assert len(errors) == 2, errors
    finally:
        context.close()


def test_each_kind_of_page_keeps_to_the_policy(page, live_server, org, make_user, deliberation):
    moderator = make_user(Role.MODERATOR, org=org, email="mod@example.com")
    petition = petition_create(organisation=org, author=moderator, kind="general", title="ขอไฟส่องสว่าง", body="ถนนมืด")
    Petition.objects.filter(pk=petition.pk).update(state="open")
    anonymous = ["/", "/petitions/", f"/petitions/{petition.pk}/", "/consultations/", deliberation.get_absolute_url(),
                 "/audit/", "/audit/check/", "/accounts/login/", "/accounts/register/", "/healthz?scope=web"]  # fmt: skip
    for path in anonymous:
        response = page.goto(path)
        assert response.ok, path
        if response.headers.get("content-type", "").startswith("text/html"):
            assert response.headers["content-security-policy"].startswith("default-src 'self'"), path
    sign_in_as(page, live_server, moderator)
    for path in [reverse("notifications:inbox"), reverse("notifications:preferences"), reverse("petitions:moderation"),
                 f"/petitions/{petition.pk}/", reverse("desk"), deliberation.get_absolute_url()]:  # fmt: skip
        assert page.goto(path).ok, path
    page.context.clear_cookies()
    assert page.goto("/admin/login/").ok
    admin = make_user(org=org, email="root@example.com", is_staff=True, is_superuser=True)
    sign_in_as(page, live_server, admin)
    admin_pages = ["/admin/", f"/admin/consultations/consultation/{deliberation.pk}/change/", "/admin/accounts/user/",
                   "/admin/petitions/petitionpolicy/add/"]  # fmt: skip
    for path in admin_pages:
        assert page.goto(path).ok, path


def test_the_api_docs_render_without_inline_script(page, browser, live_server, org):
    response = page.goto("/api/docs/")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    page.locator("#swagger-ui .information-container").wait_for()

    # Redoc's bundle shows a logo from its CDN; the policy refuses it (no CDN), and that is all it refuses.
    context = browser.new_context(base_url=live_server.url)
    try:
        redoc = context.new_page()
        errors = watch_policy_errors(redoc)
        redoc.goto("/api/redoc/")
        redoc.get_by_text("Ruamkid API").first.wait_for()
        assert all("https://cdn.redoc.ly/" in e and "img-src" in e for e in errors), errors
    finally:
        context.close()
