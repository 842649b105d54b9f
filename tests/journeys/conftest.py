"""Journeys (issue 14): a person finishes what they came for through the pages only, in Debian's
Chromium, against pytest-django's live server. Mail is real end to end: the live server writes
outbox rows, a real Celery worker (tests/notifications/conftest.py:Worker) relays them and sends
through SMTP to an aiosmtpd listener, and the journey opens the link that the mail carries
(the worker's SITE_URL is the live server's address).

Only the world the journey starts in (the municipality, the staff, a petition opened by its
author and sponsors, a consultation in a stage) is made through the services; from then on
everything a person does goes through a page. Waiting is done with Playwright's expect() or
wait_for on locators, never with wait_for_function on a string (the CSP refuses eval)."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.conftest import PASSWORD, requires_postgres, requires_redis, watch_policy_errors
from tests.notifications.conftest import (  # noqa: F401 (fixtures)
    Mailbox,
    free_port,
    purge,
    smtp,
    text_of,
    wait_until,
    workers,
)

# Every journey: a real browser, PostgreSQL and Redis, and a live server that commits (the worker reads it).
JOURNEY = [
    requires_redis,
    requires_postgres,
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LINK = re.compile(r"https?://[^\s<>\"']+")


@pytest.fixture(autouse=True)
def _clean_cache():
    """Sign-in and mail limits and cached counts live in the cache (Redis): none leaks between journeys."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mail(smtp, workers, live_server, settings):  # noqa: F811
    """The real mail path: a Celery worker (with beat, so the sweep picks up what a debounced kick
    leaves) sending to the SMTP listener. Yields the Mailbox; links in its mails name the live server."""
    mailbox, port = smtp
    settings.SITE_URL = live_server.url
    purge(settings.REDIS_URL)
    workers(port, settings.REDIS_URL, beat=True, SITE_URL=live_server.url)
    return mailbox


def mails_to(mailbox: Mailbox, address: str, count: int = 1, timeout: float = 40.0) -> list:
    assert wait_until(lambda: len(mailbox.to(address)) >= count, timeout), (address, mailbox.recipients())
    return mailbox.to(address)


def link_in(message, contains: str) -> str:
    """The first link in the mail's text part whose address contains `contains`."""
    for url in LINK.findall(text_of(message)):
        if contains in url:
            return url.rstrip(".,)")
    raise AssertionError(f"no link with {contains!r} in:\n{text_of(message)}")


class Browse:
    """browse(viewport): a fresh browser context (own cookies) on the live server. Every page
    it opened must keep to its Content-Security-Policy (checked when the test ends)."""

    def __init__(self, browser, live_server):
        self.browser, self.url = browser, live_server.url
        self.contexts, self.watched = [], []

    def __call__(self, viewport=PHONE, language: str | None = None):
        context = self.browser.new_context(base_url=self.url, locale="th-TH", viewport=viewport)
        context.set_default_timeout(20_000)
        if language:
            context.add_cookies([{"name": "django_language", "value": language, "url": self.url}])
        self.contexts.append(context)
        page = context.new_page()
        self.watched.append(watch_policy_errors(page))
        return page

    def policy_errors(self) -> list[str]:
        return [error for seen in self.watched for error in seen]

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def browse(browser, live_server):
    b = Browse(browser, live_server)
    yield b
    b.close()
    assert not b.policy_errors(), b.policy_errors()


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in the way a person does: the header's Sign in link from the page they are on, then back."""
    before = page.url
    page.locator("header.site").get_by_role("link", name=re.compile("เข้าสู่ระบบ|Sign in")).click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.url == before, (page.url, before)  # back where they were


def screenshot(page, name: str) -> None:
    """Keep what each person saw when a journey step fails: VAR_DIR/journeys/<name>-<n>.png, one
    per tab the journey opened (the last one is where it stopped)."""
    import os

    folder = os.path.join(os.environ.get("VAR_DIR") or settings.BASE_DIR / "var", "journeys")
    os.makedirs(folder, exist_ok=True)
    for n, context in enumerate(page.context.browser.contexts):
        for tab in context.pages:
            tab.screenshot(path=os.path.join(folder, f"{name}-{n}.png"), full_page=True)
