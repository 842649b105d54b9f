"""Every `next=` goes through accounts.redirects: a link that would send a person off the site
after signing in, switching language, following or acting on a record lands on the page's own
default instead. Each hostile vector is tried on each view that takes `next`."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts import redirects
from accounts.models import Role
from consultations.services import consultation_create
from petitions.services import petition_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HOSTILE = [
    "//evil.example/",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "https://evil.example/",
    "/\t/evil.example",  # browsers drop the tab: //evil.example
    "/\n/evil.example",
    "\x01//evil.example",
    "///evil.example",
    "http://testserver/",  # this host, but not HTTPS while we are on HTTPS: see the unit test below
]
HOSTILE_ON_PLAIN_HTTP = HOSTILE[:-1]


@pytest.fixture
def draft_petition(org, resident):
    return petition_create(organisation=org, author=resident, kind="general", title="ขอไฟส่องสว่าง", body="ถนนมืด")


@pytest.fixture
def draft_consultation(org, moderator):
    return consultation_create(organisation=org, actor=moderator, title="แผนพัฒนาท้องถิ่น", level="consult")


def signed_in(client, user):
    client.force_login(user)
    return client


# Each view: (how to call it with a `next`, where it goes when `next` is refused).
def login_post(client, ctx, target):
    return client.post(reverse("accounts:login"), {"username": ctx["resident"].email, "password": PASSWORD, "next": target}), "/"


def logout_post(client, ctx, target):
    return signed_in(client, ctx["resident"]).post(reverse("accounts:logout"), {"next": target}), "/"


def language_post(client, ctx, target):
    return client.post(reverse("set_language"), {"language": "en", "next": target}), "/"


def follow_post(client, ctx, target):
    p = ctx["draft_petition"]
    return signed_in(client, ctx["resident"]).post(
        reverse("notifications:follow", args=["petitions.petition", p.pk]), {"next": target}
    ), "/"


def unfollow_post(client, ctx, target):
    p = ctx["draft_petition"]
    url = reverse("notifications:unfollow", args=["petitions.petition", p.pk])
    return signed_in(client, ctx["resident"]).post(url, {"next": target}), "/"


def petition_act_post(client, ctx, target):
    p = ctx["draft_petition"]
    url = reverse("petitions:act", args=[p.pk, "open"])  # not allowed: a message, then back
    return signed_in(client, ctx["resident"]).post(url, {"next": target}), p.get_absolute_url()


def petition_act_invalid_form_post(client, ctx, target):
    p = ctx["draft_petition"]
    url = reverse("petitions:act", args=[p.pk, "reject"])  # the form lacks its reason
    return signed_in(client, ctx["resident"]).post(url, {"next": target}), p.get_absolute_url()


def consultation_action_post(client, ctx, target):
    c = ctx["draft_consultation"]
    url = reverse("consultations:move", args=[c.pk])
    return signed_in(client, ctx["moderator"]).post(
        url, {"transition": "nonsense", "next": target}
    ), f"{c.get_absolute_url()}#staff"


VIEWS = [
    login_post,
    logout_post,
    language_post,
    follow_post,
    unfollow_post,
    petition_act_post,
    petition_act_invalid_form_post,
    consultation_action_post,
]


@pytest.fixture
def ctx(resident, moderator, draft_petition, draft_consultation):
    return {
        "resident": resident,
        "moderator": moderator,
        "draft_petition": draft_petition,
        "draft_consultation": draft_consultation,
    }


@pytest.mark.parametrize("target", HOSTILE_ON_PLAIN_HTTP, ids=repr)
@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.__name__)
def test_it_refuses_a_next_that_leaves_the_site(client, ctx, view, target):
    response, default = view(client, ctx, target)
    assert response.status_code == 302, response.content[:300]
    assert response["Location"] == default


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.__name__)
def test_it_follows_a_next_on_this_site(client, ctx, view):
    response, _default = view(client, ctx, "/audit/?page=2")
    assert response.status_code == 302
    assert response["Location"].startswith("/audit/?page=2")


@pytest.mark.parametrize("target", HOSTILE_ON_PLAIN_HTTP, ids=repr)
def test_the_login_form_never_carries_a_hostile_next(client, org, target):
    html = client.get(reverse("accounts:login"), {"next": target}).content.decode()
    assert 'name="next" value=""' in html


def test_the_login_form_carries_a_next_on_this_site(client, org):
    html = client.get(reverse("accounts:login"), {"next": "/petitions/"}).content.decode()
    assert 'name="next" value="/petitions/"' in html


@pytest.mark.parametrize("referer", ["https://evil.example/", "//evil.example/"])
def test_a_hostile_referer_is_not_followed_either(client, ctx, referer):
    response = client.post(reverse("set_language"), {"language": "en"}, headers={"referer": referer})
    assert response["Location"] == "/"
    p = ctx["draft_petition"]
    url = reverse("notifications:follow", args=["petitions.petition", p.pk])
    response = signed_in(client, ctx["resident"]).post(url, headers={"referer": referer})
    assert response["Location"] == "/"


def test_the_language_switch_still_sets_the_cookie_and_goes_back(client, org):
    response = client.post(reverse("set_language"), {"language": "en"}, headers={"referer": "http://testserver/petitions/"})
    assert response["Location"] == "http://testserver/petitions/"
    assert client.cookies["django_language"].value == "en"
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302 and client.cookies["django_language"].value == "en"
    # The header's switch is a link: a GET switches too, with the same safe `next`.
    response = client.get(reverse("set_language"), {"language": "th", "next": "https://evil.example/"})
    assert response["Location"] == "/" and client.cookies["django_language"].value == "th"
    assert client.delete(reverse("set_language")).status_code == 405


@pytest.mark.parametrize("target", HOSTILE, ids=repr)
def test_the_helper_refuses_each_vector_on_https(target):
    request = RequestFactory().get("/", secure=True)
    assert not redirects.is_safe(request, target)
    assert redirects.safe_next(request, target, "/fallback/") == "/fallback/"


def test_the_helper_accepts_this_sites_paths_and_urls():
    request = RequestFactory().get("/", secure=True)
    assert redirects.is_safe(request, "/petitions/?tab=open#list")
    assert redirects.is_safe(request, "https://testserver/petitions/")
    assert not redirects.is_safe(request, "")
    assert not redirects.is_safe(request, None)
    assert not redirects.is_safe(request, "/" + "a" * redirects.MAX_LENGTH)
    assert redirects.safe_next(request, None, "petitions:list") == "/petitions/"


def test_it_needs_staff_to_see_the_draft_consultation(client, make_user, org, draft_consultation):
    """The consultation vector above runs as staff; a resident gets the 404 before any redirect."""
    resident = make_user(Role.RESIDENT, org=org)
    url = reverse("consultations:move", args=[draft_consultation.pk])
    assert signed_in(client, resident).post(url, {"next": "//evil.example/"}).status_code == 404
