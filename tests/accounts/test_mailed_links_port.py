"""The running server mails links to the port it is served on: manage.py runserver started the
way `make run` starts it (HOST and PORT in its environment, no SITE_URL), a real SMTP listener,
and the password-reset mail's link opened on that server."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from tests.conftest import requires_postgres
from tests.notifications.conftest import Mailbox, free_port, text_of

pytestmark = [requires_postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def wait_for_port(port: int, process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "runserver exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
def mailbox():
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def server(mailbox, tmp_path):
    _box, smtp_port = mailbox
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", HOST="127.0.0.1", PORT=str(port), VAR_DIR=str(tmp_path),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",  # no REDIS_URL: the mail is sent in the request's process
    )  # fmt: skip
    log = open(tmp_path / "runserver.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
        log.close()


def test_runserver_on_port_18200_style_mails_links_to_its_own_port(server, mailbox, make_user):
    box, _smtp_port = mailbox
    make_user(email="somchai@example.com", full_name="สมชาย ใจดี", language="th")
    base = f"http://127.0.0.1:{server}"
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = browser.open(base + "/accounts/password/reset/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": "somchai@example.com"}).encode()
    done = browser.open(base + "/accounts/password/reset/", data=data, timeout=30)
    assert done.geturl() == base + "/accounts/password/reset/sent/"

    assert box.wait_for(1)
    (message,) = box.to("somchai@example.com")
    link = re.search(r"http://\S+/accounts/password/reset/\S+/", text_of(message)).group(0)
    assert link.startswith(base + "/accounts/password/reset/")  # not :8000
    opened = browser.open(link, timeout=30)  # the link works on that server: a form for the new password
    assert opened.status == 200 and opened.geturl().endswith("/set-password/")
    assert 'name="new_password1"' in opened.read().decode()
