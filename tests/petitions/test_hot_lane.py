"""The WSGI lane for signing (workflows.jsonviews.HotLane) answers exactly as Django does.

Each request is sent twice through real WSGI calls: to the lane, built over an app that fails the
test if the request reaches it, and to Django itself (config.wsgi.django_application). Status,
body and the set of headers must be the same. Requests the lane must not take (forms, bad hosts,
plain HTTP when HTTPS is required) are checked to reach Django. The database is used outside a
test transaction, as in production: both paths open and close their own connections.
"""

import json

import pytest
from django.core.handlers.wsgi import WSGIHandler

from config.wsgi import application, django_application
from petitions.api import HOT_ROUTES
from petitions.models import Signature
from tests.wsgi_calls import call
from workflows.clientip import ClientAddress
from workflows.jsonviews import HotLane, TokenLane

from .conftest import last_confirm_token, sign

pytestmark = pytest.mark.django_db(transaction=True)


def _not_django(environ, start_response):
    raise AssertionError(f"the lane handed {environ['REQUEST_METHOD']} {environ['PATH_INFO']} to Django")


LANE_ONLY = HotLane(_not_django, HOT_ROUTES)


def fresh_django():
    """Django as config.wsgi builds it, with middleware loaded now (SecurityMiddleware reads its
    settings when it is built, so a test that changes them needs a new handler)."""
    return WSGIHandler()


class ToDjango:
    """Records that the lane passed a request on, then lets Django answer it."""

    def __init__(self):
        self.calls = 0
        self.django = fresh_django()

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


def both(path, make_body, **meta):
    """The lane's and Django's answers; make_body(i) gives each its own body (e.g. its own email)."""
    lane = call(LANE_ONLY, path, make_body(0), **meta)
    django = call(fresh_django(), path, make_body(1), **meta)
    return lane, django


def sign_url(petition):
    return f"/api/v1/petitions/{petition.pk}/signatures/"


def signer(i, **overrides):
    body = {"name": "สมหญิง รักถิ่น", "email": f"lane{i}@example.org", "village": 3, "consent": True}
    body.update(overrides)
    return body


def assert_same(lane, django, status):
    assert lane[0] == django[0] and lane[0].startswith(str(status)), (lane, django)
    assert lane[2] == django[2]
    assert lane[1] == django[1]


def test_a_new_signature_is_answered_the_same(open_petition):
    lane, django = both(sign_url(open_petition), signer)
    assert_same(lane, django, 201)
    assert json.loads(lane[2])["outcome"] == "created"
    assert ("content-language", "th") in lane[1] and ("x-frame-options", "DENY") in lane[1]
    assert Signature.objects.filter(email__in=["lane0@example.org", "lane1@example.org"]).count() == 2


def test_a_repeat_is_answered_the_same(open_petition):
    sign(open_petition, 0, email="lane0@example.org")
    sign(open_petition, 1, email="lane1@example.org")
    lane, django = both(sign_url(open_petition), lambda i: signer(i, name=f"ผู้ลงชื่อ {i}", village=1))  # the same person
    assert_same(lane, django, 200)
    assert Signature.objects.count() == 2


@pytest.mark.parametrize(
    "make_body,status",
    [
        (lambda i: signer(i, consent=False), 400),
        (lambda i: signer(i, name="ก" * 10_000), 400),
        (lambda i: b"{not json", 400),
        (lambda i: b"[1, 2]", 400),
    ],
    ids=["no consent", "10 kB name", "malformed", "array"],
)
def test_bad_input_is_answered_the_same(open_petition, make_body, status):
    lane, django = both(sign_url(open_petition), make_body)
    assert_same(lane, django, status)
    assert json.loads(lane[2])["error"]["code"] in ("invalid", "malformed_request")
    assert Signature.objects.count() == 0


def test_an_unknown_petition_is_answered_the_same(open_petition):
    lane, django = both("/api/v1/petitions/999999/signatures/", signer)
    assert_same(lane, django, 404)


def test_english_from_the_header_or_the_cookie(open_petition):
    lane, django = both(sign_url(open_petition), signer, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert_same(lane, django, 201)
    assert "Check your email" in json.loads(lane[2])["message"]
    lane, django = both(sign_url(open_petition), lambda i: signer(i + 2), HTTP_COOKIE="django_language=en")
    assert_same(lane, django, 201)
    assert ("content-language", "en") in lane[1]
    pending = Signature.objects.filter(email="lane2@example.org").get()
    assert pending.language == "en"


def test_the_confirm_link_is_answered_the_same(open_petition):
    sign(open_petition, 0, email="lane0@example.org")
    sign(open_petition, 1, email="lane1@example.org")
    tokens = [last_confirm_token("lane0@example.org"), last_confirm_token("lane1@example.org")]
    lane, django = both("/api/v1/signatures/confirm/", lambda i: {"token": tokens[i]})
    assert_same(lane, django, 200)
    assert json.loads(lane[2])["state"] == "confirmed"
    lane, django = both("/api/v1/signatures/confirm/", lambda i: {"token": tokens[i]})
    assert_same(lane, django, 200)
    assert json.loads(lane[2])["already_confirmed"] is True
    lane, django = both("/api/v1/signatures/confirm/", lambda i: {"token": "1.abc.def"})
    assert lane[0] == django[0] and lane[0][:1] == "4" and lane[2] == django[2] and lane[1] == django[1]


def test_https_headers_follow_the_settings(open_petition, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    lane, django = both(sign_url(open_petition), signer, secure=True)
    assert_same(lane, django, 201)
    assert ("strict-transport-security", "max-age=3600; includeSubDomains") in lane[1]
    lane, django = both(sign_url(open_petition), lambda i: signer(i + 2))  # plain HTTP: no HSTS
    assert_same(lane, django, 201)
    assert not any(name == "strict-transport-security" for name, _ in lane[1])


def test_an_oversized_body_is_answered_the_same(open_petition, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    lane, django = both(sign_url(open_petition), lambda i: signer(i, name="ก" * 400))
    assert_same(lane, django, 413)
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    "meta,body,content_type,status",
    [
        ({"HTTP_HOST": "evil.example"}, signer(0), "application/json", 400),
        ({}, "name=x&email=form%40example.org&village=3&consent=true", "application/x-www-form-urlencoded", 201),
        ({}, b"token=abc", "text/plain", 415),
    ],
    ids=["bad host", "form", "other type"],
)
def test_what_the_lane_does_not_take_reaches_django(open_petition, meta, body, content_type, status):
    to_django = ToDjango()
    answer = call(HotLane(to_django, HOT_ROUTES), sign_url(open_petition), body, content_type=content_type, **meta)
    assert to_django.calls == 1
    assert answer[0].startswith(str(status)), answer
    assert Signature.objects.count() == (1 if status == 201 else 0)


def test_plain_http_is_redirected_by_django_when_https_is_required(open_petition, settings):
    settings.SECURE_SSL_REDIRECT = True
    to_django = ToDjango()
    status, headers, _ = call(HotLane(to_django, HOT_ROUTES), sign_url(open_petition), signer(0))
    assert to_django.calls == 1 and status.startswith("301")
    assert Signature.objects.count() == 0


def test_the_served_application_is_the_lane_behind_the_client_address():
    from workflows.readcache import ReadLane

    assert isinstance(application, ClientAddress) and isinstance(application.app, ReadLane)
    assert isinstance(application.app.app, HotLane)
    # then the ballot lane (consultations.api.BALLOT_ROUTES, tests/consultations/test_ballot_lane.py), then Django
    ballots = application.app.app.app
    assert isinstance(ballots, TokenLane) and ballots.app is django_application
