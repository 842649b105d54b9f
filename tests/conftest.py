"""Shared personas and helpers. Each app's tests build on these (tests/<app>/...)."""

import os

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Membership, Organisation, Role, User, Village

PASSWORD = "correct-horse-battery-staple"


def on_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL (DATABASE_URL)"
)
requires_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")


@pytest.fixture(autouse=True)
def _fresh_sign_targets():
    """Signing reuses what it read about an open petition for a few seconds per process; a test
    that changes a policy with .update() (no save) must not see the previous test's reading."""
    from petitions.services import targets_forget

    targets_forget()
    yield
    targets_forget()


@pytest.fixture
def org(db):
    organisation = Organisation.objects.create(
        slug="ban-song", name="เทศบาลตำบลบ้านซ่อง", name_en="Ban Song Subdistrict Municipality"
    )
    for number in range(1, 6):
        Village.objects.create(organisation=organisation, number=number, name=f"บ้าน {number}")
    return organisation


@pytest.fixture
def other_org(db):
    return Organisation.objects.create(slug="other", name="เทศบาลอื่น", name_en="Another Municipality")


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    def make(*roles: str, org=None, email: str | None = None, confirmed: bool = True, **extra) -> User:
        counter["n"] += 1
        email = email or f"user{counter['n']}-{'-'.join(roles) or 'none'}@example.com"
        user = User.objects.create_user(
            email, PASSWORD, full_name=extra.pop("full_name", f"ผู้ใช้ {counter['n']}"),
            email_confirmed_at=timezone.now() if confirmed else None, **extra,
        )  # fmt: skip
        for role in roles:
            Membership.objects.create(user=user, organisation=org, role=role)
        return user

    return make


@pytest.fixture
def resident(make_user, org):
    return make_user(Role.RESIDENT, org=org, email="somchai@example.com", full_name="สมชาย ใจดี")


@pytest.fixture
def moderator(make_user, org):
    return make_user(Role.MODERATOR, org=org, email="moderator@example.com", full_name="มานี มีสุข")


@pytest.fixture
def clerk(make_user, org):
    return make_user(Role.CLERK, org=org, email="clerk@example.com", full_name="ปลัด สมศรี")


@pytest.fixture
def admin_user(make_user, org):
    return make_user(Role.ADMIN, org=org, email="admin@example.com", full_name="ผู้ดูแล")


@pytest.fixture
def outsider(make_user, other_org):
    return make_user(Role.MODERATOR, org=other_org, email="outsider@example.com")


@pytest.fixture
def api():
    """api() is anonymous; api(user) is signed in as user (session-less force_authenticate)."""

    def client(user=None) -> APIClient:
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c

    return client


def error_of(response) -> dict:
    """The one JSON error shape: {"error": {"code", "message", "details"}}."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "details"} <= set(body["error"]), body
    return body["error"]


# --- Browser tests: Playwright driving Debian's Chromium (a browser download cannot work here).
CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


def watch_policy_errors(pg) -> list[str]:
    """Collect what Chromium logs when the Content-Security-Policy blocks something (an inline
    script or style, a foreign source) or cannot read the Permissions-Policy header."""
    seen: list[str] = []

    def on_console(message):
        if message.type in ("error", "warning") and (
            "Content Security Policy" in message.text or "Permissions-Policy" in message.text
        ):
            seen.append(f"{pg.url}: {message.text}")

    pg.on("console", on_console)
    return seen


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (own cookies) with the live server as base URL. A page that breaks
    its own Content-Security-Policy fails the test (htmx must work without inline script or style)."""
    context = browser.new_context(base_url=live_server.url, locale="th-TH", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    policy_errors = watch_policy_errors(pg)
    yield pg
    context.close()
    assert not policy_errors, policy_errors
