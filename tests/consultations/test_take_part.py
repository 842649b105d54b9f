"""An open consultation tells a visitor who is not signed in what they can do in this stage and
how to get in, coming back to the page (issue 14); the header has Register and a Sign in that
keeps `next`."""

import re

import pytest

from consultations.models import State

from .conftest import force_state


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def _card(page: str) -> str | None:
    found = re.search(r'<section class="card take-part".*?</section>', page, re.S)
    return found.group(0) if found else None


@pytest.mark.parametrize(
    ("level", "state", "can", "cannot"),
    [
        ("involve", State.PROBLEM_IDENTIFICATION, ["Raise a problem", "Support the problems", "Comment"], ["Vote for"]),
        ("collaborate", State.ALTERNATIVES, ["Propose an alternative", "Comment"], ["Raise a problem", "Vote for"]),
        ("consult", State.DELIBERATION, ["Vote for the alternatives", "Comment"], ["Propose an alternative"]),
        ("inform", State.INFORMING, ["Follow it"], ["Comment", "Vote for"]),
    ],
)
def test_a_visitor_sees_what_they_can_do_in_this_stage(make_consultation, en, level, state, can, cannot):
    c = make_consultation(level, state)
    page = en.get(f"/consultations/{c.pk}/").content.decode()
    card = _card(page)
    assert card is not None
    for text in can:
        assert text in card
    for text in cannot:
        assert text not in card
    assert f'href="/accounts/login/?next=/consultations/{c.pk}/"' in card
    assert f'href="/accounts/register/?next=/consultations/{c.pk}/"' in card
    assert page.index('data-testid="take-part"') < page.index('data-testid="where"')  # near the top


def test_no_card_once_signed_in_or_when_nothing_is_open(make_consultation, en, resident):
    c = make_consultation("consult", State.DELIBERATION)
    assert _card(en.get(f"/consultations/{c.pk}/").content.decode()) is not None
    closed = force_state(make_consultation("consult", State.DELIBERATION), State.DECIDING)
    assert _card(en.get(f"/consultations/{closed.pk}/").content.decode()) is None
    en.force_login(resident)
    assert _card(en.get(f"/consultations/{c.pk}/").content.decode()) is None


def test_the_header_has_register_and_sign_in_keeps_the_page(make_consultation, client):
    c = make_consultation("consult", State.DELIBERATION)
    page = client.get(f"/consultations/{c.pk}/?page=2").content.decode()
    assert re.search(rf'href="/accounts/login/\?next=/consultations/{c.pk}/%3Fpage%3D2"[^>]*data-testid="sign-in-link"', page)
    assert re.search(rf'href="/accounts/register/\?next=/consultations/{c.pk}/%3Fpage%3D2"[^>]*data-testid="register-link"', page)
    login = client.get("/accounts/login/").content.decode()
    assert re.search(r'href="/accounts/login/"[^>]*data-testid="sign-in-link"', login)  # no next= back to itself


def test_register_keeps_next_through_the_confirmation_to_the_sign_in(client, org):
    from accounts.models import User
    from notifications.models import OutboxEvent

    form = client.get("/accounts/register/?next=/consultations/7/").content.decode()
    assert '<input type="hidden" name="next" value="/consultations/7/">' in form
    assert 'href="/accounts/login/?next=/consultations/7/"' in form
    assert 'name="next"' not in client.get("/accounts/register/?next=//evil.example/").content.decode()
    password = "a-long-enough-passphrase-42"
    data = {"full_name": "สมศรี ใจงาม", "email": "somsri@example.com", "password1": password, "password2": password}
    data |= {"language": "th", "organisation": org.pk, "next": "/consultations/7/"}
    assert client.post("/accounts/register/", data).status_code == 302
    url = OutboxEvent.objects.get(event="account.confirm_email").data["url"]
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/consultations/7/"
    assert User.objects.get(email="somsri@example.com").email_confirmed_at is not None
