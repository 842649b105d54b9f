"""A small OpenID Connect relying party: the authorization code flow with PKCE (S256), state and
nonce, and an ID token whose signature is checked against the provider's JWKS (RS256 or ES256) or,
for a provider that signs with its client secret (LINE Login web login: HS256 keyed with the
channel secret), with that secret.

Used for ThaID (accounts/verification.py) and LINE Login (notifications/line_login.py); it knows
neither, each brings its own Provider. A provider lists the algorithms it may use
(`Provider.algorithms`): HS256 is accepted only from a provider that names it, and its key is only
ever our client secret, never a key from a JWKS (no RS256/HS256 confusion). A provider with fixed
endpoints (`authorization_endpoint`, `token_endpoint`) is used without discovery. Only the standard
library and `cryptography`.

    start = begin(provider, redirect_uri)        # keep start.pending in the session, send the person to start.url
    claims = finish(provider, pending, params)    # on the callback: checks state, swaps the code, checks the token

Nothing here stores a token: finish() returns the ID token's claims and forgets the rest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.cache import cache
from django.utils.crypto import constant_time_compare

ALGORITHMS = ("RS256", "ES256")  # a Provider's default: signed with a key of its JWKS
SUPPORTED = ("RS256", "ES256", "HS256")
LEEWAY = 60  # seconds of clock difference allowed for exp / iat
PENDING_MAX_AGE = 600  # a sign-in started more than ten minutes ago is not finished
TIMEOUT = 10  # seconds for each request to the provider
CACHE_SECONDS = 3600


class OIDCError(Exception):
    """The flow failed; `reason` is a short code (bad_state, bad_nonce, bad_signature, expired,
    wrong_issuer, wrong_audience, provider_error, denied, …) for logs and tests."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = ("openid",)
    extra: dict = field(default_factory=dict)  # more authorization request parameters
    algorithms: tuple[str, ...] = ALGORITHMS  # what its ID tokens may be signed with (of SUPPORTED)
    # Fixed endpoints instead of discovery (both, or neither); jwks_uri only for RS256/ES256.
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    jwks_uri: str = ""
    # How the client authenticates at the token endpoint with fixed endpoints:
    # "client_secret_basic" (HTTP Basic) or "client_secret_post" (in the form, as LINE wants).
    token_auth: str = "client_secret_basic"

    @property
    def configured(self) -> bool:
        return bool(self.issuer and self.client_id)


@dataclass
class Start:
    url: str
    pending: dict  # state, nonce, PKCE verifier, started: keep it server-side (the session) until the callback


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.isascii():
        raise OIDCError("malformed", "not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise OIDCError("malformed", "not base64url") from exc


def _check_url(url: str, what: str) -> str:
    """Only https, except on the loopback interface (a provider started by the tests, a dev box)."""
    parts = urllib.parse.urlsplit(str(url or ""))
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")):
        return url
    raise OIDCError("provider_error", f"{what} must be an https URL: {url!r}")


def _get_json(url: str, *, data: bytes | None = None, headers: dict | None = None) -> dict:
    # https, or http on loopback only: every URL here passed _check_url
    request = urllib.request.Request(url, data=data, headers={"Accept": "application/json", **(headers or {})})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            body = response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        raise OIDCError("provider_error", f"{url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise OIDCError("provider_error", f"{url}: {exc}") from None
    try:
        value = json.loads(body)
    except ValueError:
        raise OIDCError("provider_error", f"{url} did not answer JSON") from None
    if not isinstance(value, dict):
        raise OIDCError("provider_error", f"{url} did not answer a JSON object")
    return value


def discovery(provider: Provider) -> dict:
    """The provider's metadata (/.well-known/openid-configuration), cached; its issuer must be ours.
    A provider with fixed endpoints is not asked: its metadata are those endpoints."""
    if provider.authorization_endpoint or provider.token_endpoint:
        meta = {
            "issuer": provider.issuer,
            "authorization_endpoint": _check_url(provider.authorization_endpoint, "the authorization endpoint"),
            "token_endpoint": _check_url(provider.token_endpoint, "the token endpoint"),
            "token_endpoint_auth_methods_supported": [provider.token_auth],
        }
        if provider.jwks_uri:
            meta["jwks_uri"] = _check_url(provider.jwks_uri, "the JWKS URI")
        return meta
    issuer = _check_url(provider.issuer, "the issuer").rstrip("/")
    key = "oidc:discovery:" + hashlib.sha256(issuer.encode()).hexdigest()
    meta = cache.get(key)
    if meta is None:
        meta = _get_json(issuer + "/.well-known/openid-configuration")
        if meta.get("issuer") != provider.issuer:
            raise OIDCError("wrong_issuer", f"discovery names {meta.get('issuer')!r}")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            _check_url(meta.get(name), name)
        cache.set(key, meta, CACHE_SECONDS)
    return meta


def _jwks(uri: str, *, fresh: bool = False) -> list[dict]:
    key = "oidc:jwks:" + hashlib.sha256(uri.encode()).hexdigest()
    keys = None if fresh else cache.get(key)
    if keys is None:
        keys = _get_json(uri).get("keys")
        if not isinstance(keys, list):
            raise OIDCError("provider_error", "the JWKS has no keys")
        keys = [k for k in keys if isinstance(k, dict)]
        cache.set(key, keys, CACHE_SECONDS)
    return keys


def begin(provider: Provider, redirect_uri: str) -> Start:
    meta = discovery(provider)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(provider.scopes),
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **provider.extra,
    }
    endpoint = meta["authorization_endpoint"]
    url = endpoint + ("&" if "?" in endpoint else "?") + urllib.parse.urlencode(params)
    pending = {"state": state, "nonce": nonce, "verifier": verifier, "redirect_uri": redirect_uri, "started": int(time.time())}
    return Start(url=url, pending=pending)


def finish(provider: Provider, pending: dict | None, params) -> dict:
    """Check the callback against `pending` (what begin() returned, from the session), exchange the
    code and verify the ID token. Returns its claims; raises OIDCError."""
    if not isinstance(pending, dict) or not pending.get("state"):
        raise OIDCError("bad_state", "no sign-in was started here")
    if time.time() - int(pending.get("started") or 0) > PENDING_MAX_AGE:
        raise OIDCError("bad_state", "the sign-in was started too long ago")
    state = params.get("state")
    if not isinstance(state, str) or not constant_time_compare(state, pending["state"]):
        raise OIDCError("bad_state", "the state does not match")
    if params.get("error"):
        raise OIDCError("denied", str(params.get("error"))[:100])
    code = params.get("code")
    if not isinstance(code, str) or not code or len(code) > 2000:
        raise OIDCError("malformed", "no code")
    tokens = exchange(provider, code=code, verifier=pending["verifier"], redirect_uri=pending["redirect_uri"])
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise OIDCError("provider_error", "the token response has no ID token")
    return verify_id_token(provider, id_token, nonce=pending["nonce"])


def exchange(provider: Provider, *, code: str, verifier: str, redirect_uri: str) -> dict:
    """POST the code to the token endpoint, authenticating with the client secret (HTTP Basic, or
    in the body when the provider lists only client_secret_post)."""
    meta = discovery(provider)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" in methods:
        pair = f"{urllib.parse.quote(provider.client_id, safe='')}:{urllib.parse.quote(provider.client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    else:
        form |= {"client_id": provider.client_id, "client_secret": provider.client_secret}
    return _get_json(meta["token_endpoint"], data=urllib.parse.urlencode(form).encode(), headers=headers)


def _public_key(jwk: dict, alg: str):
    try:
        if alg == "RS256" and jwk.get("kty") == "RSA":
            n = int.from_bytes(_b64url_decode(jwk["n"]), "big")
            e = int.from_bytes(_b64url_decode(jwk["e"]), "big")
            return rsa.RSAPublicNumbers(e, n).public_key()
        if alg == "ES256" and jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            x = int.from_bytes(_b64url_decode(jwk["x"]), "big")
            y = int.from_bytes(_b64url_decode(jwk["y"]), "big")
            return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, ValueError) as exc:
        raise OIDCError("bad_key", str(exc)) from None
    return None


def _find_key(jwks_uri: str, kid, alg: str):
    for fresh in (False, True):  # an unknown kid: the provider may have rotated its keys
        usable = [
            k for k in _jwks(jwks_uri, fresh=fresh)
            if k.get("use", "sig") == "sig" and k.get("alg", alg) == alg and (kid is None or k.get("kid") == kid)
        ]  # fmt: skip
        keys = [key for key in (_public_key(k, alg) for k in usable) if key is not None]
        if keys and (kid is not None or len(keys) == 1):
            return keys[0]
    raise OIDCError("bad_signature", "no key of the provider's JWKS matches the token")


def _verify_signature(key, alg: str, signed: bytes, signature: bytes) -> None:
    try:
        if alg == "RS256":
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            if len(signature) != 64:  # JWS ES256: r and s, 32 bytes each
                raise InvalidSignature
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise OIDCError("bad_signature", "the ID token's signature does not verify") from None


def _verify_mac(secret: str, signed: bytes, signature: bytes) -> None:
    """HS256: HMAC-SHA256 keyed with the client secret (only the provider and we know it)."""
    if not secret:
        raise OIDCError("bad_signature", "no client secret to check an HS256 token with")
    expected = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise OIDCError("bad_signature", "the ID token's signature does not verify")


def verify_id_token(provider: Provider, id_token: str, *, nonce: str, now: float | None = None) -> dict:
    parts = id_token.split(".")
    if len(parts) != 3:
        raise OIDCError("malformed", "an ID token has three parts")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
    except ValueError:
        raise OIDCError("malformed", "the ID token is not JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise OIDCError("malformed", "the ID token is not a JSON object")
    alg = header.get("alg")
    if alg not in SUPPORTED or alg not in provider.algorithms:  # never "none", never one the provider does not use
        raise OIDCError("bad_signature", f"algorithm {alg!r} is not accepted")
    signed, signature = f"{parts[0]}.{parts[1]}".encode("ascii"), _b64url_decode(parts[2])
    if alg == "HS256":
        _verify_mac(provider.client_secret, signed, signature)
    else:
        meta = discovery(provider)
        if not meta.get("jwks_uri"):
            raise OIDCError("bad_signature", f"no JWKS to check an {alg} token with")
        key = _find_key(meta["jwks_uri"], header.get("kid"), alg)
        _verify_signature(key, alg, signed, signature)
    if claims.get("iss") != provider.issuer:
        raise OIDCError("wrong_issuer", f"issued by {claims.get('iss')!r}")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if provider.client_id not in audiences:
        raise OIDCError("wrong_audience", "the ID token is for another client")
    if len(audiences) > 1 and claims.get("azp", provider.client_id) != provider.client_id:
        raise OIDCError("wrong_audience", "the ID token was issued to another party")
    now = time.time() if now is None else now
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp + LEEWAY < now:
        raise OIDCError("expired", "the ID token has expired")
    if isinstance(iat, int | float) and not isinstance(iat, bool) and iat - LEEWAY > now:
        raise OIDCError("expired", "the ID token is issued in the future")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not constant_time_compare(token_nonce, nonce):
        raise OIDCError("bad_nonce", "the nonce does not match")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OIDCError("malformed", "no subject")
    return claims
