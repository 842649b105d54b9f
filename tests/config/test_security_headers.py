"""Content-Security-Policy and Permissions-Policy on every page, set by
config.middleware.SecurityHeadersMiddleware from settings; and no template carries the inline
script, event handler or style the policy forbids (tests/config/test_browser_security_headers.py
shows the pages in Chromium)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = ["/", "/petitions/", "/consultations/", "/audit/", "/accounts/login/", "/accounts/register/", "/no-such-page/"]


def directives(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_forbids_inline_script_and_foreign_sources(client, org, path):
    response = client.get(path)
    assert response["Content-Type"].startswith("text/html")
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'" and policy["base-uri"] == "'self'"
    features = dict(item.strip().split("=", 1) for item in response["Permissions-Policy"].split(","))
    assert features["camera"] == features["microphone"] == features["payment"] == "()"
    assert features["geolocation"] == "(self)"  # complaint locations may need it


def test_a_signed_in_page_and_an_error_page_have_them_too(client, resident):
    client.force_login(resident)
    for path in ("/notifications/", "/notifications/preferences/", "/petitions/999999/"):
        response = client.get(path)
        assert "Content-Security-Policy" in response and "Permissions-Policy" in response, path


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_may_use_inline_styles_but_never_inline_script(client, path):
    response = client.get(path)
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"  # Swagger UI and Redoc inject their styles
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), html
    assert "fonts.googleapis.com" not in html


def test_json_answers_carry_no_page_headers(client, org):
    """Browsers apply the policy to documents; the signing lane's JSON must stay Django's byte for byte."""
    response = client.get("/api/v1/")
    assert response["Content-Type"].startswith("application/json")
    assert "Content-Security-Policy" not in response


def test_the_policies_are_settings(org, settings):
    settings.CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' https://tiles.example"
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = True
    settings.PERMISSIONS_POLICY = "geolocation=(self)"
    response = Client().get("/")
    assert "Content-Security-Policy" not in response
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'self'; img-src 'self' https://tiles.example"
    assert response["Permissions-Policy"] == "geolocation=(self)"
    settings.CONTENT_SECURITY_POLICY = settings.PERMISSIONS_POLICY = ""
    response = Client().get("/")
    assert not any(
        name in response for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only", "Permissions-Policy")
    )


def test_the_environment_sets_them(tmp_path):
    from tests.config.test_settings import manage

    show = "from django.conf import settings as s; print(s.CONTENT_SECURITY_POLICY); print(s.PERMISSIONS_POLICY)"
    done = manage(tmp_path, "shell", "-c", show, CONTENT_SECURITY_POLICY="default-src 'none'", PERMISSIONS_POLICY="camera=()")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["default-src 'none'", "camera=()"]


# --- the templates ------------------------------------------------------------------------------

ROOT = Path(settings.BASE_DIR)
# Mail is not a page: mail clients need inline styles and run no script; the policy is not theirs.
PAGE_TEMPLATES = sorted(
    p
    for p in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
    if "/email/" not in p.as_posix() and ".venv" not in p.parts
)
FORBIDDEN = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "an on* event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "an hx-on handler (needs eval)": re.compile(r"\bhx-on", re.I),
    "an inline <style>": re.compile(r"<style[\s>]", re.I),
    "a style= attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
}


def test_the_template_list_is_real():
    names = {p.relative_to(ROOT).as_posix() for p in PAGE_TEMPLATES}
    assert {"templates/base.html", "consultations/templates/consultations/detail.html"} <= names
    assert not any("/email/" in n for n in names)


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_template_has_inline_script_or_style(template):
    text = template.read_text(encoding="utf-8")
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert not found, f"{template.relative_to(ROOT)} has {', '.join(found)}: move it to static/ (the CSP refuses it)"
