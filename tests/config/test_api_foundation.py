"""The API foundation every app builds on: root, OpenAPI schema and local docs, one error shape,
token and session authentication, throttling."""

import json
import re
import uuid

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, error_of

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def fresh_client(**defaults) -> APIClient:
    """A client with its own address, so throttle counters (kept in Redis across runs) start at zero."""
    return APIClient(REMOTE_ADDR=f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}", **defaults)


def test_the_root_links_to_the_schema_docs_and_token(api):
    response = api().get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["schema"].endswith("/api/schema/")
    assert body["docs"].endswith("/api/docs/")
    assert body["redoc"].endswith("/api/redoc/")
    assert body["token"].endswith(TOKEN_URL)


def test_the_schema_is_openapi_3_in_yaml_and_json(api):
    as_yaml = api().get("/api/schema/")
    assert as_yaml.status_code == 200
    document = yaml.safe_load(as_yaml.content)
    as_json = api().get("/api/schema/?format=json")
    assert as_json.status_code == 200
    assert json.loads(as_json.content) == document
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Ruamkid API"
    assert "/api/v1/" in document["paths"]
    assert "post" in document["paths"][TOKEN_URL]
    assert {"tokenAuth", "cookieAuth"} <= set(document["components"]["securitySchemes"])


def test_the_schema_validates_without_warnings(tmp_path, capsys):
    """`manage.py spectacular --validate --fail-on-warn`: raises on any warning from any app."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")
    assert "Warning" not in capsys.readouterr().err


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_load_their_scripts_and_styles_from_local_static(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
    assert assets, html
    for url in assets:
        assert url.startswith("/static/drf_spectacular_sidecar/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content if asset.streaming else [asset.content])
    assert "cdn" not in html.lower()


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/nothing", "/api/v1/audit/not-a-number/x/y/"])
def test_an_unknown_api_path_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert error_of(response)["code"] == "not_found"


def test_an_unknown_api_path_is_json_even_in_debug_mode(client, settings):
    settings.DEBUG = True  # `make run`: Django would answer with its HTML debug page
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unknown_page_is_an_html_404_in_thai(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "ไม่พบหน้าที่ต้องการ" in response.content.decode()


def test_a_wrong_method_is_405_in_the_error_shape(api):
    response = api().delete("/api/v1/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_malformed_json_body_is_400_not_500():
    response = fresh_client().post(TOKEN_URL, data='{"email": "a@example.com",', content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"


def test_a_body_over_the_upload_limit_is_413_not_500(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"email": "a@example.com", "password": "' + "x" * 2000 + '"}'
    response = fresh_client().post(TOKEN_URL, data=body, content_type="application/json")
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "payload_too_large"
    assert error["details"] == {"max_bytes": 1000}


def test_an_unsupported_media_type_is_415():
    response = fresh_client().post(TOKEN_URL, data="email=a", content_type="text/plain")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_missing_fields_are_named_in_details():
    response = fresh_client().post(TOKEN_URL, {"password": "x"}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert "email" in error["details"]


def test_an_unauthenticated_write_is_401_with_a_challenge():
    response = fresh_client().delete(TOKEN_URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"


def test_a_wrong_password_is_401(resident):
    response = fresh_client().post(TOKEN_URL, {"email": resident.email, "password": "wrong"}, format="json")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"
    assert not Token.objects.filter(user=resident).exists()


def test_token_authentication_works_end_to_end(resident):
    client = fresh_client()
    response = client.post(TOKEN_URL, {"email": resident.email.upper(), "password": PASSWORD}, format="json")
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=resident).key == key

    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["email"] == resident.email
    assert client.delete(TOKEN_URL).status_code == 204  # only an authenticated caller may revoke
    assert not Token.objects.filter(user=resident).exists()
    again = client.delete(TOKEN_URL)
    assert again.status_code == 401
    assert error_of(again)["code"] == "authentication_failed"


def test_session_authentication_works_and_enforces_csrf(resident):
    Token.objects.create(user=resident)
    browser = Client(enforce_csrf_checks=True)
    assert browser.get("/api/v1/me/").status_code == 401
    browser.force_login(resident)
    assert browser.get("/api/v1/me/").json()["email"] == resident.email
    refused = browser.delete(TOKEN_URL)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "csrf_failed"
    assert Token.objects.filter(user=resident).exists()

    # What a page with a form does: a CSRF cookie, and the matching token sent back in a header.
    request = RequestFactory().get("/")
    token = get_token(request)
    browser.cookies[settings.CSRF_COOKIE_NAME] = request.META["CSRF_COOKIE"]
    allowed = browser.delete(TOKEN_URL, headers={"X-CSRFToken": token})
    assert allowed.status_code == 204
    assert not Token.objects.filter(user=resident).exists()


def test_throttling_answers_429_in_the_error_shape():
    client = fresh_client()
    statuses = []
    for _ in range(12):  # the "token" scope allows 10 a minute
        response = client.post(TOKEN_URL, {"email": "nobody@example.com", "password": "guess"}, format="json")
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    error = error_of(response)
    assert error["code"] == "rate_limited"
    assert 0 < error["details"]["retry_after_seconds"] <= 60
    assert int(response["Retry-After"]) > 0
