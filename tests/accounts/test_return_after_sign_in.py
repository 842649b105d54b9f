"""Who signs in or registers from a page comes back to it (issue 14: the header's Sign in link
lost where the person was). The header's links carry `next`; registering keeps it in the session
until the address is confirmed on the same device, then the sign-in page leads back."""

import re

import pytest

from notifications.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _header_links(html: str) -> dict[str, str]:
    return dict(re.findall(r'<a href="([^"]*)" data-testid="(sign-in-link|register-link)"', html)[i][::-1] for i in range(2))


def test_the_header_links_keep_the_page_a_visitor_is_on(client, org):
    links = _header_links(client.get("/petitions/?village=3").content.decode())
    assert links == {
        "sign-in-link": "/accounts/login/?next=%2Fpetitions%2F%3Fvillage%3D3",
        "register-link": "/accounts/register/?next=%2Fpetitions%2F%3Fvillage%3D3",
    }
    assert _header_links(client.get("/").content.decode())["sign-in-link"] == "/accounts/login/"


def test_the_account_pages_pass_their_own_next_on_and_refuse_a_foreign_one(client, org):
    login = client.get("/accounts/login/?next=/consultations/").content.decode()
    assert 'href="/accounts/register/?next=%2Fconsultations%2F" data-testid="login-register-link"' in login
    foreign = client.get("/accounts/login/?next=//evil.example/").content.decode()
    assert _header_links(foreign) == {"sign-in-link": "/accounts/login/", "register-link": "/accounts/register/"}
    assert 'href="/accounts/register/" data-testid="login-register-link"' in foreign


def test_registering_from_a_page_leads_back_to_it_after_the_confirmation(client, org):
    page = client.get("/accounts/register/?next=/petitions/").content.decode()
    assert '<input type="hidden" name="next" value="/petitions/">' in page
    response = client.post("/accounts/register/", {
        "full_name": "มาลี ศรีสุข", "email": "malee@example.com", "password1": "a-long-enough-passphrase-42",
        "password2": "a-long-enough-passphrase-42", "organisation": org.pk, "language": "th", "next": "/petitions/",
    })  # fmt: skip
    assert response.status_code == 302
    url = OutboxEvent.objects.get(event="account.confirm_email").data["url"]
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=%2Fpetitions%2F"
    response = client.post(response["Location"], {"username": "malee@example.com", "password": "a-long-enough-passphrase-42",
                                                  "next": "/petitions/"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/petitions/"


def test_a_foreign_next_given_at_registration_is_dropped(client, org):
    client.post("/accounts/register/", {
        "full_name": "มาลี ศรีสุข", "email": "malee@example.com", "password1": "a-long-enough-passphrase-42",
        "password2": "a-long-enough-passphrase-42", "organisation": org.pk, "language": "th", "next": "https://evil.example/",
    })  # fmt: skip
    url = OutboxEvent.objects.get(event="account.confirm_email").data["url"]
    assert client.post(url)["Location"] == "/accounts/login/"
