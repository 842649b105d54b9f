"""ID tokens signed HS256 with the client secret (LINE Login's web login), checked by the OpenID
Connect relying party (accounts/oidc.py): each way a token can be wrong is refused with its reason,
and HS256 is accepted only from a provider that names it."""

import time

import pytest

from accounts import oidc

from .oidc_provider import FakeLineLogin, hs256

SECRET = FakeLineLogin.CHANNEL_SECRET
NONCE = "n-0123456789"
LINE = oidc.Provider(
    issuer="https://access.line.me", client_id=FakeLineLogin.CHANNEL_ID, client_secret=SECRET, algorithms=("HS256",),
    authorization_endpoint="https://access.line.me/oauth2/v2.1/authorize",
    token_endpoint="https://api.line.me/oauth2/v2.1/token", token_auth="client_secret_post",
)  # fmt: skip


def _claims(**changes) -> dict:
    now = int(time.time())
    claims = {"iss": "https://access.line.me", "sub": "U" + "a" * 32, "aud": FakeLineLogin.CHANNEL_ID,
              "iat": now, "exp": now + 3600, "nonce": NONCE}  # fmt: skip
    claims.update(changes)
    return claims


def _reason(token: str, provider=LINE, nonce=NONCE) -> str:
    with pytest.raises(oidc.OIDCError) as caught:
        oidc.verify_id_token(provider, token, nonce=nonce)
    return caught.value.reason


def test_it_accepts_a_token_signed_with_the_channel_secret():
    claims = oidc.verify_id_token(LINE, hs256(_claims(), SECRET), nonce=NONCE)
    assert claims["sub"] == "U" + "a" * 32


def test_it_refuses_a_bad_signature():
    assert _reason(hs256(_claims(), "another-channel-secret")) == "bad_signature"
    token = hs256(_claims(), SECRET)
    assert _reason(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")) == "bad_signature"


def test_it_refuses_a_token_for_another_channel():
    assert _reason(hs256(_claims(aud="1659999999"), SECRET)) == "wrong_audience"
    assert _reason(hs256(_claims(aud=["1659999999", FakeLineLogin.CHANNEL_ID], azp="1659999999"), SECRET)) == "wrong_audience"


def test_it_refuses_an_expired_token():
    now = int(time.time())
    assert _reason(hs256(_claims(iat=now - 7200, exp=now - oidc.LEEWAY - 1), SECRET)) == "expired"
    assert _reason(hs256(_claims(exp="tomorrow"), SECRET)) == "expired"


def test_it_refuses_a_wrong_or_missing_nonce():
    assert _reason(hs256(_claims(nonce="n-other"), SECRET)) == "bad_nonce"
    no_nonce = _claims()
    del no_nonce["nonce"]
    assert _reason(hs256(no_nonce, SECRET)) == "bad_nonce"


def test_it_refuses_another_issuer():
    assert _reason(hs256(_claims(iss="https://evil.example"), SECRET)) == "wrong_issuer"


def test_hs256_is_refused_from_a_provider_that_does_not_name_it():
    """ThaID signs with its JWKS keys: an HS256 token, even keyed with our client secret, is not
    accepted from it (nor "none", nor an RS256 token from LINE)."""
    thaid = oidc.Provider(issuer="https://access.line.me", client_id=FakeLineLogin.CHANNEL_ID, client_secret=SECRET)
    assert _reason(hs256(_claims(), SECRET), provider=thaid) == "bad_signature"
    assert _reason(hs256(_claims(), SECRET, alg="none")) == "bad_signature"
    assert _reason(hs256(_claims(), SECRET, alg="RS256")) == "bad_signature"


def test_an_empty_secret_verifies_nothing():
    keyless = oidc.Provider(issuer="https://access.line.me", client_id=FakeLineLogin.CHANNEL_ID, client_secret="",
                            algorithms=("HS256",))  # fmt: skip
    assert _reason(hs256(_claims(), ""), provider=keyless) == "bad_signature"
