"""Helpers for the notifications tests: a real SMTP listener (aiosmtpd) and event builders."""

import asyncio
import email
import email.policy
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from notifications.models import OutboxEvent, Subscription
from notifications.relay import relay_pending
from notifications.services import outbox_write


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every accepted mail. `refuse` maps an address to an SMTP
    reply for RCPT TO (e.g. "550 no such user"); `delay` slows each DATA before the 250."""

    def __init__(self, delay: float = 0.0):
        self.messages: list = []
        self.refuse: dict[str, str] = {}
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


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 (random port). Yields (mailbox, port)."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp_backend(settings, smtp):
    """Django's SMTP backend pointed at the listener."""
    mailbox, port = smtp
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
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
