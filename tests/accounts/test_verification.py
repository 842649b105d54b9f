"""Verification levels (issue 16): ThaID through OpenID Connect against a local provider started by
the tests (tests/accounts/oidc_provider.py), and in-person verification by office staff, audited."""

import json
import urllib.parse

import pytest
from django.contrib.messages import get_messages
from django.utils import translation

from accounts import oidc
from accounts.models import IdentityVerification, Role, User, VerificationLevel
from accounts.thai import keyed_hash
from tests.conftest import error_of
from tests.petitions.conftest import valid_national_id
from workflows.models import AuditEntry

from .oidc_provider import FakeThaID, location_of

pytestmark = pytest.mark.django_db
PID = valid_national_id(4242)
CALLBACK = "/accounts/verification/thaid/callback/"


@pytest.fixture
def thaid(settings):
    provider = FakeThaID()
    provider.pid = PID
    settings.THAID_ISSUER = provider.issuer
    settings.THAID_CLIENT_ID = FakeThaID.CLIENT_ID
    settings.THAID_CLIENT_SECRET = FakeThaID.CLIENT_SECRET
    settings.THAID_SCOPES = "openid pid name"
    settings.THAID_ID_CLAIM = "pid"
    yield provider
    provider.stop()


def _start(client) -> str:
    """Press "Verify with ThaID"; the provider's authorize URL we are sent to."""
    response = client.post("/accounts/verification/thaid/")
    assert response.status_code == 302
    return response["Location"]


def _flow(client, *, state=None):
    """The whole round trip as a browser makes it; returns the callback's response."""
    authorize = _start(client)
    back = urllib.parse.urlsplit(location_of(authorize))
    query = dict(urllib.parse.parse_qsl(back.query))
    if state is not None:
        query["state"] = state
    return client.get(back.path, query)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _th(message: str) -> str:
    """What the page says, in Thai (the site's language)."""
    with translation.override("th"):
        return translation.gettext(message)


@pytest.fixture
def person(make_user, org):
    return make_user(Role.RESIDENT, org=org, email="somsri@example.com")


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_thaid_verifies_the_account_and_keeps_only_the_ids_keyed_hash(client, thaid, person, alg):
    thaid.alg = alg
    client.force_login(person)
    authorize = urllib.parse.urlsplit(_start(client))
    sent = dict(urllib.parse.parse_qsl(authorize.query))
    assert sent["code_challenge_method"] == "S256" and sent["scope"] == "openid pid name"
    assert sent["redirect_uri"].endswith(CALLBACK) and sent["client_id"] == FakeThaID.CLIENT_ID
    assert client.session["thaid_pending"]["state"] == sent["state"]
    back = urllib.parse.urlsplit(location_of(authorize.geturl()))
    response = client.get(back.path, dict(urllib.parse.parse_qsl(back.query)))
    assert response.status_code == 302 and response["Location"] == "/accounts/verification/"
    person.refresh_from_db()
    assert person.verification_level == VerificationLevel.THAID
    assert person.national_id_hash == keyed_hash(PID, purpose="national-id")
    assert "thaid_pending" not in client.session  # one use
    # The PKCE verifier the token endpoint received matched the challenge (the provider checks it).
    assert thaid.token_requests[-1]["code_verifier"]
    record = IdentityVerification.objects.get(user=person)
    assert (record.method, record.verified_by_id) == ("thaid", person.pk)
    entry = AuditEntry.objects.get(name="identity_verified")
    assert (entry.record_id, entry.to_state, entry.actor_id) == (str(record.pk), "thaid", person.pk)
    # Never the number itself, never a token: not on the account, the record, the chain or the session.
    stored = json.dumps(
        [list(User.objects.filter(pk=person.pk).values())[0], list(IdentityVerification.objects.values())[0],
         list(AuditEntry.objects.values())],
        default=str,
    )  # fmt: skip
    assert PID not in stored and "eyJ" not in stored
    assert PID not in json.dumps(dict(client.session.items()), default=str)
    page = client.get("/accounts/verification/")
    assert 'data-level="thaid"' in page.content.decode()


def test_the_page_offers_thaid_and_the_office(client, thaid, person):
    client.force_login(person)
    page = client.get("/accounts/verification/").content.decode()
    assert 'data-level="email"' in page and 'data-testid="thaid-start"' in page and 'data-testid="in-person"' in page


def test_a_tampered_state_is_refused(client, thaid, person):
    client.force_login(person)
    response = _flow(client, state="not-the-state-we-sent")
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.verification_level == VerificationLevel.EMAIL and person.national_id_hash is None
    assert not thaid.token_requests  # the code was never exchanged
    assert _messages(response) == [_th("The answer from ThaID could not be checked. Please start again.")]


def test_a_callback_nobody_started_is_refused(client, thaid, person):
    client.force_login(person)
    response = client.get(CALLBACK, {"code": "abc", "state": "xyz"})
    assert response.status_code == 302 and not thaid.token_requests
    person.refresh_from_db()
    assert person.identity_level == ""


def test_a_callback_is_used_once(client, thaid, person):
    client.force_login(person)
    authorize = _start(client)
    back = urllib.parse.urlsplit(location_of(authorize))
    query = dict(urllib.parse.parse_qsl(back.query))
    client.get(back.path, query)
    User.objects.filter(pk=person.pk).update(identity_level="", national_id_hash=None)
    client.get(back.path, query)  # replayed: the session no longer holds the state
    assert User.objects.get(pk=person.pk).identity_level == ""
    assert len(thaid.token_requests) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        {"nonce": "another-nonce"},
        {"iss": "https://impostor.example"},
        {"aud": "another-client"},
        {"aud": [FakeThaID.CLIENT_ID, "another-client"], "azp": "another-client"},
        {"exp": 1_000_000_000},
        {"iat": 4_000_000_000},
        {"sign_with_stranger": True},
    ],
    ids=["bad-nonce", "wrong-issuer", "wrong-audience", "other-party", "expired", "future", "bad-signature"],
)
@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_an_id_token_that_does_not_check_out_is_refused(client, thaid, person, tamper, alg):
    thaid.alg, thaid.tamper = alg, tamper
    client.force_login(person)
    response = _flow(client)
    assert response.status_code == 302 and len(thaid.token_requests) == 1
    person.refresh_from_db()
    assert person.verification_level == VerificationLevel.EMAIL and person.national_id_hash is None
    assert not IdentityVerification.objects.exists() and not AuditEntry.objects.filter(name="identity_verified").exists()


@pytest.mark.parametrize(("alg", "reason"), [("none", "bad_signature"), ("HS256", "bad_signature"), ("RS512", "bad_signature")])
def test_only_rs256_and_es256_are_accepted(thaid, alg, reason):
    provider = oidc.Provider(issuer=thaid.issuer, client_id=FakeThaID.CLIENT_ID, client_secret="x")
    token = thaid.sign({"iss": thaid.issuer, "aud": FakeThaID.CLIENT_ID, "exp": 4_000_000_000, "nonce": "n", "sub": "1"})
    head, body, signature = token.split(".")
    forged_head = oidc._b64url(json.dumps({"alg": alg, "kid": "rsa-1"}).encode())
    with pytest.raises(oidc.OIDCError) as err:
        oidc.verify_id_token(provider, f"{forged_head}.{body}.{signature}", nonce="n")
    assert err.value.reason == reason
    # the same token untouched verifies: the refusal is about the algorithm
    assert oidc.verify_id_token(provider, token, nonce="n")["sub"] == "1"


def test_a_changed_claim_breaks_the_signature(thaid):
    provider = oidc.Provider(issuer=thaid.issuer, client_id=FakeThaID.CLIENT_ID, client_secret="x")
    claims = {"iss": thaid.issuer, "aud": FakeThaID.CLIENT_ID, "exp": 4_000_000_000, "nonce": "n", "sub": "1", "pid": PID}
    token = thaid.sign(claims)
    head, body, signature = token.split(".")
    claims["pid"] = valid_national_id(1)
    with pytest.raises(oidc.OIDCError) as err:
        oidc.verify_id_token(provider, f"{head}.{oidc._b64url(json.dumps(claims).encode())}.{signature}", nonce="n")
    assert err.value.reason == "bad_signature"


def test_a_discovery_document_naming_another_issuer_is_refused(thaid):
    provider = oidc.Provider(issuer=thaid.issuer + "/", client_id=FakeThaID.CLIENT_ID, client_secret="x")
    with pytest.raises(oidc.OIDCError) as err:
        oidc.begin(provider, "http://testserver" + CALLBACK)
    assert err.value.reason == "wrong_issuer"


def test_a_plain_http_issuer_elsewhere_than_loopback_is_refused():
    provider = oidc.Provider(issuer="http://thaid.example", client_id="c", client_secret="x")
    with pytest.raises(oidc.OIDCError) as err:
        oidc.begin(provider, "https://ruamkid.example" + CALLBACK)
    assert err.value.reason == "provider_error"


def test_the_person_cancelling_at_thaid_changes_nothing(client, thaid, person):
    client.force_login(person)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(_start(client)).query))["state"]
    response = client.get(CALLBACK, {"error": "access_denied", "state": state})
    assert _messages(response) == [_th("You cancelled at ThaID, or ThaID did not confirm your identity. Nothing was changed.")]
    assert User.objects.get(pk=person.pk).identity_level == ""


def test_one_national_id_verifies_one_account(client, thaid, person, make_user, org):
    client.force_login(person)
    _flow(client)
    other = make_user(Role.RESIDENT, org=org, email="other@example.com")
    client.force_login(other)
    response = _flow(client)
    taken = "This national ID number is already verified on another account. One person has one account."
    assert _messages(response)[-1] == _th(taken) != taken
    other.refresh_from_db()
    assert other.identity_level == "" and other.national_id_hash is None


def test_a_token_without_a_valid_national_id_verifies_nothing(client, thaid, person):
    thaid.pid = "1234567890123"  # wrong check digit
    client.force_login(person)
    _flow(client)
    assert User.objects.get(pk=person.pk).identity_level == ""


def test_without_an_issuer_thaid_is_not_offered(client, settings, person):
    settings.THAID_ISSUER = ""
    client.force_login(person)
    assert 'data-testid="thaid-start"' not in client.get("/accounts/verification/").content.decode()
    assert client.post("/accounts/verification/thaid/").status_code == 404


# --- in person at the office ---------------------------------------------------------------------


def _office_post(client, **values):
    data = {"email": "somsri@example.com", "national_id": PID, "id_card_seen": "yes"} | values
    return client.post("/accounts/verification/office/", data)


def test_a_clerk_verifies_a_person_in_person_audited(client, clerk, person, org):
    client.force_login(clerk)
    response = _office_post(client, national_id=f"{PID[0]}-{PID[1:5]}-{PID[5:10]}-{PID[10:12]}-{PID[12]}")
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.verification_level == VerificationLevel.IN_PERSON
    assert person.national_id_hash == keyed_hash(PID, purpose="national-id")
    record = IdentityVerification.objects.get(user=person)
    assert (record.method, record.verified_by, record.organisation) == ("in_person", clerk, org)
    entry = AuditEntry.objects.get(name="identity_verified")
    assert (entry.actor_id, entry.actor_role, entry.organisation_id, entry.from_state, entry.to_state) == (
        clerk.pk, Role.CLERK, org.pk, "email", "in_person",
    )  # fmt: skip
    assert PID not in json.dumps(entry.payload) and person.email not in json.dumps(entry.payload)
    page = client.get("/accounts/verification/office/").content.decode()
    assert "somsri@example.com" in page and clerk.full_name in page  # who verified whom, and when


def test_the_office_form_needs_the_card_seen_and_a_valid_number(client, clerk, person):
    client.force_login(clerk)
    assert _office_post(client, id_card_seen="").status_code == 400
    assert _office_post(client, national_id="1234567890123").status_code == 400
    assert _office_post(client, email="nobody@example.com").status_code == 400
    assert User.objects.get(pk=person.pk).identity_level == ""
    assert not AuditEntry.objects.filter(name="identity_verified").exists()


def test_only_office_staff_verify_in_person(client, moderator, person, outsider):
    for user in (moderator, person, outsider):
        client.force_login(user)
        assert client.get("/accounts/verification/office/").status_code == 403
    assert User.objects.get(pk=person.pk).identity_level == ""


def test_the_api_verifies_in_person(api, clerk, admin_user, moderator, person, org):
    body = {"organisation": org.slug, "email": "SomSri@example.com", "national_id": PID, "id_card_seen": True}
    url = "/api/v1/verifications/in-person/"
    refused = api(moderator).post(url, body, format="json")
    assert refused.status_code == 403 and error_of(refused)["code"] == "forbidden"
    assert api(clerk).post(url, body | {"id_card_seen": False}, format="json").status_code == 400
    assert api(clerk).post(url, body | {"organisation": "nope"}, format="json").status_code == 404
    assert api(clerk).post(url, body | {"email": "x@example.com"}, format="json").status_code == 404
    done = api(clerk).post(url, body, format="json")
    assert done.status_code == 201 and done.json()["verification_level"] == "in_person"
    person.refresh_from_db()
    assert api(person).get("/api/v1/me/").json()["verification_level"] == "in_person"
    # Another ID on the same account, or the same ID on another account: refused.
    other = api(admin_user).post(url, body | {"national_id": valid_national_id(7)}, format="json")
    assert other.status_code == 409 and error_of(other)["code"] == "national_id_mismatch"
    twin = api(admin_user).post(url, body | {"email": admin_user.email}, format="json")
    assert twin.status_code == 409 and error_of(twin)["code"] == "national_id_taken"
    assert IdentityVerification.objects.count() == 1


def test_thaid_after_in_person_raises_the_level_and_in_person_after_thaid_keeps_it(client, thaid, clerk, person):
    client.force_login(clerk)
    _office_post(client)
    client.force_login(person)
    _flow(client)
    assert User.objects.get(pk=person.pk).verification_level == VerificationLevel.THAID
    client.force_login(clerk)
    _office_post(client)
    assert User.objects.get(pk=person.pk).verification_level == VerificationLevel.THAID
    methods = list(IdentityVerification.objects.order_by("id").values_list("method", flat=True))
    assert methods == ["in_person", "thaid", "in_person"]


def test_erasure_forgets_the_identity(clerk, person, org):
    from accounts.privacy.services import erasure_complete, erasure_request
    from accounts.services import identity_verify_in_person

    identity_verify_in_person(actor=clerk, user=person, organisation=org, national_id=PID, id_card_seen=True)
    request, _ = erasure_request(user=person)
    admin = User.objects.create_superuser("root@example.com", "x")
    erasure_complete(request_id=request.pk, actor=admin)
    person.refresh_from_db()
    assert (person.identity_level, person.national_id_hash, person.verification_level) == ("", None, "none")
