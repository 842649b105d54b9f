"""/api/v1/me/ says who I am and my roles; /api/v1/auth/token/ gives API clients a token."""

from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Membership
from tests.conftest import PASSWORD, error_of


def test_it_tells_me_my_account_and_roles_per_organisation(api, make_user, org, other_org):
    user = make_user("resident", "moderator", org=org, full_name="มานี")
    Membership.objects.create(user=user, organisation=other_org, role="clerk")
    body = api(user).get(reverse("api:me")).json()
    assert body["email"] == user.email and body["full_name"] == "มานี" and body["email_confirmed"] is True
    assert body["organisations"] == [
        {"id": org.pk, "slug": "ban-song", "name": org.name, "roles": ["moderator", "resident"]},
        {"id": other_org.pk, "slug": "other", "name": other_org.name, "roles": ["clerk"]},
    ]


def test_anonymous_people_are_told_to_sign_in(api):
    response = api().get(reverse("api:me"))
    assert response.status_code in (401, 403)
    assert error_of(response)["code"] == "not_authenticated"


def test_me_works_with_an_api_token(resident):
    client = APIClient()
    response = client.post(reverse("api:token"), {"email": "SOMCHAI@example.com", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert (
        client.post(reverse("api:token"), {"email": resident.email, "password": PASSWORD}, format="json").json()["token"] == token
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(reverse("api:me")).json()["email"] == resident.email
    response = APIClient().post(reverse("api:token"), {"email": resident.email, "password": "nope"}, format="json")
    assert response.status_code == 401 and error_of(response)["code"] == "authentication_failed"
