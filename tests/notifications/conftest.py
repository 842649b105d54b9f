"""Helpers for the notifications tests: a real SMTP listener (aiosmtpd), event builders and a
real Celery worker subprocess (started with the interpreter running the tests)."""

import asyncio
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection, transaction

from notifications.models import OutboxEvent, Subscription
from notifications.relay import relay_pending
from notifications.services import outbox_write
from tests.accounts.oidc_provider import location_of


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every accepted mail. `refuse` maps an address to an SMTP
    reply for RCPT TO (e.g. "550 no such user"), `refuse_data` one for the end of the content;
    `delay` slows each DATA before the 250."""

    def __init__(self, delay: float = 0.0):
        self.messages: list = []
        self.refuse: dict[str, str] = {}
        self.refuse_data: dict[str, str] = {}  # recipient → the reply to its message content
        self.delay = delay
        self.started = 0  # DATA commands received (accepted or not)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.started += 1
        if self.delay:
            await asyncio.sleep(self.delay)  # cancelled if the client dies first: then nothing is accepted
        refused = next((self.refuse_data[r.lower()] for r in envelope.rcpt_tos if r.lower() in self.refuse_data), None)
        if refused:
            return refused
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt.lower(), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for rcpt, m in self.messages if rcpt == address.lower()]

    def recipients(self) -> list[str]:
        with self.lock:
            return [rcpt for rcpt, _m in self.messages]

    def wait_in_flight(self, number: int, timeout: float = 30.0) -> bool:
        """Wait until mail number `number` is being transmitted and not accepted yet."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.started >= number and len(self.messages) == number - 1:
                    return True
                if len(self.messages) >= number:
                    return False
            time.sleep(0.005)
        return False

    def wait_for(self, count: int, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.recipients()) >= count:
                return True
            time.sleep(0.05)
        return False


class PipeliningMailbox(Mailbox):
    """A Mailbox whose server advertises PIPELINING (RFC 2920) as Postfix does. aiosmtpd reads
    commands from a buffered stream, so a pipelined group is answered in order. `transactions`
    counts the MAIL FROM commands it received."""

    def __init__(self, delay: float = 0.0):
        super().__init__(delay)
        self.transactions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.transactions += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"


def _serve(mailbox):
    """Serve `mailbox` on 127.0.0.1 (random port) while the fixture lives; yields (mailbox, port)."""
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_pipelining():
    """A real SMTP server on 127.0.0.1 that advertises PIPELINING. Yields (mailbox, port)."""
    yield from _serve(PipeliningMailbox())


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def pipelining_backend(settings, smtp_pipelining):
    """Django's SMTP backend pointed at the listener that advertises PIPELINING."""
    mailbox, port = smtp_pipelining
    use_smtp(settings, port)
    return mailbox


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 (random port). Yields (mailbox, port)."""
    yield from _serve(Mailbox())


@pytest.fixture
def smtp_backend(settings, smtp):
    """Django's SMTP backend pointed at the listener."""
    mailbox, port = smtp
    use_smtp(settings, port)
    return mailbox


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def follow(user, record_type="petitions.petition", record_id="12", auto=False):
    return Subscription.objects.create(user=user, record_type=record_type, record_id=str(record_id), auto=auto)


def write_event(**kwargs) -> OutboxEvent:
    kwargs.setdefault("event", "petition.opened")
    kwargs.setdefault("data", {"title": "ซ่อมถนนหมู่ 3", "url": "/petitions/12/"})
    kwargs.setdefault("audience", {"followers": True})
    kwargs.setdefault("record_type", "petitions.petition")
    kwargs.setdefault("record_id", "12")
    with transaction.atomic():
        return outbox_write(**kwargs)


@pytest.fixture
def eager():
    """Run Celery tasks in-process (Celery's own switch), so a relay sends through
    settings.EMAIL_BACKEND (locmem in tests) without a broker."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def relay(eager):
    return relay_pending


ROOT = Path(__file__).resolve().parents[2]
QUEUE = os.environ.get("CELERY_QUEUE", "ruamkid")


def database_url(port: int | None = None) -> str:
    """The test database, for a subprocess (optionally through another port: a proxy)."""
    db = connection.settings_dict
    return f"postgres://postgres@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/{db['NAME']}"


def purge(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    client.delete(QUEUE, "unacked", "unacked_index")
    prefix = os.environ.get("CACHE_PREFIX", "ruamkid")
    for key in client.scan_iter(f"{prefix}:*notifications:relay-kick"):
        client.delete(key)


class Worker:
    """`celery -A config worker -Q <queue> -P prefork -c 2` in its own process group."""

    def __init__(self, smtp_port: int, redis_url: str, *, beat: bool = False, tmp: Path, **env):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": QUEUE,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "NOTIFICATIONS_SWEEP_SECONDS": "1",
            "NOTIFICATIONS_LEASE_SECONDS": "3",
            **env,
        }
        self.args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", QUEUE, "-P", "prefork", "-c", "2",
                     "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]  # fmt: skip
        if beat:
            self.args += ["-B", "-s", str(tmp / "beat-schedule")]
        self.log_path = tmp / f"worker-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "w+")  # noqa: SIM115
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)  # fmt: skip

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.seek(0)
        output = self.log.read()
        self.log.close()
        if "Traceback" in output:
            sys.stderr.write(output[-4000:])


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def start(*args, **kwargs) -> Worker:
        worker = Worker(*args, tmp=tmp_path, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def fake_line(settings):
    """A local LINE Messaging API; settings point the LINE channel at it."""
    from .fakes import FakeLine

    server = FakeLine()
    settings.LINE_API_BASE_URL = server.base_url
    settings.LINE_CHANNEL_ACCESS_TOKEN = FakeLine.TOKEN
    yield server
    server.stop()


@pytest.fixture
def fake_sms(settings):
    """A local JSON SMS gateway; settings point the SMS channel at it."""
    from .fakes import FakeSms

    server = FakeSms()
    settings.SMS_GATEWAY_URL = server.url
    settings.SMS_GATEWAY_AUTH_HEADER = f"Authorization: {FakeSms.AUTH}"
    settings.SMS_GATEWAY_BODY = FakeSms.BODY
    settings.SMS_SENDER = "TESTMUNI"
    yield server
    server.stop()


def line_id(n: int) -> str:
    return "U" + f"{n:032x}"


@pytest.fixture
def line_login(settings, fake_line):
    """A local LINE Login (tests/accounts/oidc_provider.py); settings point LINE_LOGIN_* at it (the
    issuer stays LINE's own). LINE pushes go to the fake Messaging API (fake_line)."""
    from tests.accounts.oidc_provider import FakeLineLogin

    server = FakeLineLogin()
    settings.LINE_LOGIN_CHANNEL_ID = FakeLineLogin.CHANNEL_ID
    settings.LINE_LOGIN_CHANNEL_SECRET = FakeLineLogin.CHANNEL_SECRET
    settings.LINE_LOGIN_AUTHORIZE_URL = server.authorize_url
    settings.LINE_LOGIN_TOKEN_URL = server.token_url
    yield server
    server.stop()


def link_through_line(client, *, query_changes=None):
    """Press "Link LINE", agree at LINE, come back: the callback's response."""
    start = client.post("/notifications/line/link/")
    assert start.status_code == 302 and start["Location"].startswith(django_settings.LINE_LOGIN_AUTHORIZE_URL)
    back = urllib.parse.urlsplit(location_of(start["Location"]))
    query = dict(urllib.parse.parse_qsl(back.query))
    query.update(query_changes or {})
    return client.get(back.path, query)
