"""A local OpenID Connect provider that answers like ThaID, for the tests: discovery, JWKS, an
authorize endpoint that redirects back with a code (the person "agrees" at once), and a token
endpoint that checks the client secret (HTTP Basic), the redirect URI and the PKCE verifier, then
issues an ID token signed with RS256 or ES256.

Knobs (set before the flow): `alg`, `pid`, and `tamper` — a dict of claim overrides (iss, aud,
nonce, exp, …) or {"sign_with_stranger": True} to sign with a key the JWKS does not publish."""

import base64
import hashlib
import hmac
import http.client
import json
import secrets
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.notifications.fakes import FakeServer


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(n: int, length: int | None = None) -> str:
    return b64url(n.to_bytes(length or (n.bit_length() + 7) // 8, "big"))


class FakeThaID(FakeServer):
    CLIENT_ID = "ruamkid-test-client"
    CLIENT_SECRET = "s3cret/with:odd+chars"

    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.stranger_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger_ec = ec.generate_private_key(ec.SECP256R1())
        self.alg = "RS256"
        self.pid = ""
        self.tamper: dict = {}
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        super().__init__()
        self.issuer = self.base_url

    def handle_get(self, path, headers):
        url = urllib.parse.urlsplit(path)
        if url.path == "/.well-known/openid-configuration":
            return 200, self.discovery(), {}
        if url.path == "/jwks":
            return 200, self.jwks(), {}
        if url.path == "/authorize":
            return self.authorize(dict(urllib.parse.parse_qsl(url.query)))
        return 404, {"error": "not_found"}, {}

    def handle(self, path, headers, body):
        """POST (under self.lock): the token endpoint."""
        return self.token(path, headers, dict(urllib.parse.parse_qsl(body.decode())))

    # --- the endpoints ----------------------------------------------------------------------
    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict:
        r = self.rsa.public_key().public_numbers()
        e = self.ec.public_key().public_numbers()
        rsa_key = {"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": _int(r.n), "e": _int(r.e)}
        ec_key = {"kty": "EC", "kid": "ec-1", "alg": "ES256", "crv": "P-256", "x": _int(e.x, 32), "y": _int(e.y, 32)}
        return {"keys": [rsa_key, ec_key]}

    def authorize(self, query: dict):
        problems = []
        if query.get("client_id") != self.CLIENT_ID:
            problems.append("client_id")
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            problems.append("response_type/scope")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problems.append("pkce")
        if not query.get("state") or not query.get("nonce"):
            problems.append("state/nonce")
        if problems:
            return 400, {"error": "invalid_request", "problems": problems}, {}
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {
                "nonce": query["nonce"], "challenge": query["code_challenge"], "redirect_uri": query["redirect_uri"],
                "scope": query["scope"],
            }  # fmt: skip
        target = query["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": query["state"]})
        return 302, {}, {"Location": target}

    def token(self, path: str, headers, form: dict) -> tuple[int, dict]:
        if path != "/token":
            return 404, {"error": "not_found"}
        pair = f"{urllib.parse.quote(self.CLIENT_ID, safe='')}:{urllib.parse.quote(self.CLIENT_SECRET, safe='')}"
        expected = "Basic " + base64.b64encode(pair.encode()).decode()
        if headers.get("Authorization") != expected:
            return 401, {"error": "invalid_client"}
        self.token_requests.append(form)
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier"}
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": "thaid-subject-1", "aud": self.CLIENT_ID, "iat": now, "exp": now + 300,
            "nonce": grant["nonce"], "pid": self.pid, "name": "สมชาย ใจดี",
        }  # fmt: skip
        claims.update({k: v for k, v in self.tamper.items() if k != "sign_with_stranger"})
        return 200, {
            "access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
            "id_token": self.sign(claims), "scope": grant["scope"],
        }  # fmt: skip

    # --- signing ----------------------------------------------------------------------------
    def sign(self, claims: dict, *, alg: str | None = None) -> str:
        alg = alg or self.alg
        stranger = self.tamper.get("sign_with_stranger")
        header = {"alg": alg, "typ": "JWT", "kid": "rsa-1" if alg == "RS256" else "ec-1"}
        signed = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
        if alg == "RS256":
            key = self.stranger_rsa if stranger else self.rsa
            signature = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            key = self.stranger_ec if stranger else self.ec
            r, s = decode_dss_signature(key.sign(signed, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signed.decode()}.{b64url(signature)}"


def hs256(claims: dict, secret: str, *, alg: str = "HS256") -> str:
    """An ID token as LINE Login's web login signs it: HMAC-SHA256 keyed with the channel secret."""
    header = {"alg": alg, "typ": "JWT"}
    signed = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
    return f"{signed.decode()}.{b64url(hmac.new(secret.encode(), signed, hashlib.sha256).digest())}"


class FakeLineLogin(FakeServer):
    """A local LINE Login v2.1, as LINE documents it: GET /oauth2/v2.1/authorize redirects back
    with a code and the state (or with error=access_denied when `deny` is set: the person pressed
    Cancel), POST /oauth2/v2.1/token takes the form (grant_type, code, redirect_uri, client_id,
    client_secret, code_verifier) and answers an ID token signed HS256 with the channel secret,
    issued by https://access.line.me for the channel id, `sub` the person's LINE user id.

    Knobs: `sub`, `deny`, and `tamper`: claim overrides (aud, nonce, exp, …) or {"secret": "…"} to
    sign with another secret. `authorize_queries` keeps what each authorize request asked for."""

    CHANNEL_ID = "1650000000"
    CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"
    ISSUER = "https://access.line.me"

    def __init__(self):
        self.sub = "U" + "4" * 32
        self.deny = False
        self.tamper: dict = {}
        self.codes: dict[str, dict] = {}
        self.authorize_queries: list[dict] = []
        super().__init__()
        self.authorize_url = self.base_url + "/oauth2/v2.1/authorize"
        self.token_url = self.base_url + "/oauth2/v2.1/token"

    def handle_get(self, path, headers):
        url = urllib.parse.urlsplit(path)
        if url.path != "/oauth2/v2.1/authorize":
            return 404, {"error": "not_found"}, {}
        query = dict(urllib.parse.parse_qsl(url.query))
        with self.lock:
            self.authorize_queries.append(query)
        if query.get("client_id") != self.CHANNEL_ID or query.get("response_type") != "code" or not query.get("state"):
            return 400, {"error": "invalid_request"}, {}
        if "openid" not in query.get("scope", "").split() or query.get("code_challenge_method") != "S256":
            return 400, {"error": "invalid_request"}, {}
        if self.deny:
            back = {"error": "access_denied", "error_description": "The user has denied the request", "state": query["state"]}
        else:
            code = secrets.token_urlsafe(16)
            with self.lock:
                self.codes[code] = {"nonce": query.get("nonce"), "challenge": query["code_challenge"],
                                    "redirect_uri": query["redirect_uri"]}  # fmt: skip
            back = {"code": code, "state": query["state"]}
        return 302, {}, {"Location": query["redirect_uri"] + "?" + urllib.parse.urlencode(back)}

    def handle(self, path, headers, body):
        if path != "/oauth2/v2.1/token":
            return 404, {"error": "not_found"}
        form = dict(urllib.parse.parse_qsl(body.decode()))
        if form.get("client_id") != self.CHANNEL_ID or form.get("client_secret") != self.CHANNEL_SECRET:
            return 400, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if form.get("grant_type") != "authorization_code" or grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        if b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest()) != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "code_verifier"}
        now = int(time.time())
        claims = {"iss": self.ISSUER, "sub": self.sub, "aud": self.CHANNEL_ID, "exp": now + 3600, "iat": now,
                  "amr": ["linesso"]}  # fmt: skip
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        claims.update({k: v for k, v in self.tamper.items() if k != "secret"})
        token = hs256(claims, self.tamper.get("secret", self.CHANNEL_SECRET))
        return 200, {"access_token": secrets.token_urlsafe(16), "expires_in": 2592000, "id_token": token,
                     "refresh_token": secrets.token_urlsafe(16), "scope": "openid", "token_type": "Bearer"}  # fmt: skip


def location_of(url: str) -> str:
    """GET `url` on the provider without following its redirect: where it sends the browser back."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", parts.path + "?" + parts.query)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 302, (response.status, body)
    return response.getheader("Location")
