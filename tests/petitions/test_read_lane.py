"""The read lane (workflows.readcache.ReadLane): anonymous GETs of the hot pages are served from a
per-process copy, never a signed-in person's page, never an answer that sets a cookie, and a
workflow move drops the copies.

Requests go through real WSGI calls to the application config.wsgi builds (the lane over Django),
on a database used outside a test transaction, as in production."""

import json
import time

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from config.wsgi import django_application
from petitions import selectors
from workflows import readcache
from workflows.readcache import ReadLane
from workflows.services import transition

from .conftest import sign_and_confirm

pytestmark = pytest.mark.django_db(transaction=True)


class Counting:
    """Django, counting the requests that reach it."""

    def __init__(self):
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return django_application(environ, start_response)


def get(app, path, *, cookies="", **meta):
    environ = RequestFactory().get(path, **meta).environ
    if cookies:
        environ["HTTP_COOKIE"] = cookies
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, {k.lower(): v for k, v in headers}

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body.decode()


@pytest.fixture
def lane():
    cache.delete(readcache.GENERATION_KEY)
    django = Counting()
    return ReadLane(django, seconds=60, check_seconds=0), django


def test_an_anonymous_petition_page_is_rendered_once_and_served_again_from_the_copy(lane, open_petition):
    app, django = lane
    path = f"/petitions/{open_petition.pk}/"
    first = get(app, path)
    second = get(app, path)
    assert first[0] == second[0] == "200 OK"
    assert django.calls == 1
    assert second[2] == first[2]
    assert "set-cookie" not in first[1]
    assert second[1]["age"] == "0" and "age" not in first[1]
    assert first[1]["content-security-policy"] == second[1]["content-security-policy"]
    # The page says how old its count may be.
    assert "seconds old" in first[2] or "วินาที" in first[2]


def test_the_copy_is_per_language_and_the_api_copy_per_accept_language(lane, open_petition):
    app, django = lane
    th = get(app, f"/petitions/{open_petition.pk}/")[2]
    en = get(app, f"/petitions/{open_petition.pk}/", cookies="django_language=en")[2]
    assert 'lang="th"' in th and 'lang="en"' in en
    assert django.calls == 2
    api = f"/api/v1/petitions/{open_petition.pk}/"
    get(app, api, HTTP_ACCEPT_LANGUAGE="en")
    get(app, api, HTTP_ACCEPT_LANGUAGE="th")
    get(app, api, HTTP_ACCEPT_LANGUAGE="en")
    assert django.calls == 4


def test_signed_in_people_flash_messages_and_tokens_always_reach_django(lane, open_petition, client, resident):
    app, django = lane
    path = f"/petitions/{open_petition.pk}/"
    get(app, path)
    client.force_login(resident)
    session = client.cookies["sessionid"].value
    status, headers, body = get(app, path, cookies=f"sessionid={session}")
    assert status == "200 OK" and "age" not in headers
    assert "Sign out" in body or "ออกจากระบบ" in body
    get(app, path, cookies="messages=abc")
    get(app, path, HTTP_AUTHORIZATION="Token abc")
    assert django.calls == 4


def test_an_answer_that_sets_a_cookie_or_is_not_a_200_is_never_copied(lane, open_petition):
    app, django = lane
    for _ in range(2):
        assert get(app, "/petitions/999999/")[0].startswith("404")
    assert django.calls == 2
    for _ in range(2):  # a path the lane does not take at all
        get(app, "/accounts/login/")
    assert django.calls == 4


def test_a_workflow_move_drops_the_copies(lane, open_petition, moderator):
    app, django = lane
    path = f"/petitions/{open_petition.pk}/"
    get(app, path)
    get(app, path)
    assert django.calls == 1
    transition(open_petition, "hide", actor=moderator, reason="ข้อมูลส่วนบุคคล", payload={"reason_code": "duplicate"})
    status, headers, body = get(app, path)
    assert django.calls == 2 and "age" not in headers
    assert status.startswith("404")  # hidden: the public no longer sees it, at once


def test_a_copy_older_than_its_seconds_is_rendered_again(open_petition, monkeypatch):
    django = Counting()
    app = ReadLane(django, seconds=2, check_seconds=60)
    now = [1000.0]
    monkeypatch.setattr(readcache.time, "monotonic", lambda: now[0])
    path = f"/petitions/{open_petition.pk}/"
    get(app, path)
    now[0] += 1.9
    assert get(app, path)[1]["age"] == "1"
    assert django.calls == 1
    now[0] += 0.2
    get(app, path)
    assert django.calls == 2


def test_new_signatures_show_within_the_lane_seconds(open_petition):
    """A confirmed signature reaches the copy within the lane's seconds, its grace and the count
    cache's seconds (what the page's "counted at" line promises), and not from the same copy."""
    django = Counting()
    app = ReadLane(django, seconds=0.3, check_seconds=60)
    path = f"/api/v1/petitions/{open_petition.pk}/count/"

    def count():
        return json.loads(get(app, path)[2])["count"]

    before = count()
    sign_and_confirm(open_petition, 1)
    deadline = time.monotonic() + 0.3 + readcache._GRACE + selectors.COUNTS_TTL + 1
    seen = count()
    while seen == before and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = count()
    assert seen == before + 1
    assert 1 < django.calls < 200  # copies served between the renders


def test_seconds_zero_turns_the_lane_off(open_petition):
    django = Counting()
    app = ReadLane(django, seconds=0)
    for _ in range(3):
        get(app, f"/petitions/{open_petition.pk}/")
    assert django.calls == 3


def test_an_anonymous_visitor_signs_from_the_shared_page_without_a_csrf_token(open_petition):
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/petitions/{open_petition.pk}/")
    assert "csrfmiddlewaretoken" not in page.content.decode()
    response = client.post(
        f"/petitions/{open_petition.pk}/sign/",
        {"name": "สมหญิง ใจดี", "email": "somying@example.com", "village": "3", "consent": "on"},
    )
    assert response.status_code == 200
    assert open_petition.signatures.filter(email="somying@example.com", state="pending").exists()


def test_a_signed_in_member_still_needs_the_csrf_token(open_petition, resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    page = client.get(f"/petitions/{open_petition.pk}/").content.decode()
    assert "csrfmiddlewaretoken" in page
    refused = client.post(f"/petitions/{open_petition.pk}/sign/", {"village": "3", "consent": "on"})
    assert refused.status_code == 403
    assert not open_petition.signatures.filter(user=resident).exists()


def test_the_language_switch_is_a_link_that_works_without_a_token():
    client = Client(enforce_csrf_checks=True)
    response = client.get("/i18n/setlang/?language=en&next=/petitions/")
    assert response.status_code == 302 and response["Location"] == "/petitions/"
    assert client.cookies["django_language"].value == "en"
    assert 'lang="en"' in client.get("/petitions/").content.decode()


def test_while_one_thread_makes_an_expired_copy_again_the_others_serve_the_old_one(open_petition, monkeypatch):
    django = Counting()
    app = ReadLane(django, seconds=2, check_seconds=60)
    now = [1000.0]
    monkeypatch.setattr(readcache.time, "monotonic", lambda: now[0])
    path = f"/petitions/{open_petition.pk}/"
    get(app, path)
    (entry,) = app.store.values()
    entry.refreshing = True  # another thread is rendering it
    now[0] += 3
    assert get(app, path)[1]["age"] == "3"
    assert django.calls == 1
    now[0] += 5  # past the grace: render, whatever the other thread does
    get(app, path)
    assert django.calls == 2
