"""Done-when of issue 12 (field-ready): the production web server (granian, as the Procfile runs it)
behind a loopback reverse proxy. Sixty residents sign from sixty addresses and sixty more from one
village hall's address, each forwarded in X-Forwarded-For; all confirm from their mails. Every
confirmed signature counts, nothing is voided, and the hall's address waits in the staff queue."""

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from notifications.models import OutboxEvent
from petitions.models import AddressFlag, PetitionPolicy, Signature
from petitions.selectors import petition_total
from petitions.services import client_ip_hash
from tests.conftest import requires_postgres, requires_redis

from .conftest import make_petition

pytestmark = [
    requires_postgres, requires_redis, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow,
    pytest.mark.django_db(transaction=True),  # the server must see committed rows
]  # fmt: skip

ROOT = Path(__file__).resolve().parents[2]
HALL = "203.0.113.50"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`granian --interface wsgi config.wsgi:application` with the Procfile's options, started with
    the interpreter running the tests, behind a trusted loopback proxy."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        name = connection.settings_dict["NAME"]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
            "REDIS_URL": settings.REDIS_URL,
            "CACHE_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", "ruamkid"),
            "EMAIL_URL": "memory://",
            "BEHIND_PROXY": "true",
            "TRUSTED_PROXIES": "127.0.0.1",
            "DB_CONN_MAX_AGE": "60",
        }
        command = [
            sys.executable, "-m", "granian", "--interface", "wsgi", "config.wsgi:application", "--host", "127.0.0.1",
            "--port", str(self.port), "--workers", "2", "--blocking-threads", "4", "--backlog", "2048", "--no-access-log",
        ]  # fmt: skip
        self.log = open(tmp / "granian.log", "w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/healthz?scope=web")[0] == 200:
                    return
            except OSError:
                pass
            assert self.process.poll() is None, self.output()
            time.sleep(0.3)
        self.stop()
        raise AssertionError("granian did not become healthy within 60 s:\n" + self.output())

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = json.dumps(body).encode() if body is not None else None
            sent = {"Content-Type": "application/json"} if data else {}
            conn.request(method, path, body=data, headers=sent | (headers or {}))
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


@pytest.fixture
def server(tmp_path):
    started = Server(tmp_path)
    yield started
    started.stop()


@pytest.fixture
def meeting_petition(org, resident, sponsors, moderator):
    # The shipped per-address limits (no override); thresholds far away so signing stays open.
    PetitionPolicy.objects.create(organisation=org, sponsors_required=2, response_threshold=10_000, council_threshold=10_000)
    return make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)


def test_granian_behind_a_proxy_counts_every_confirmed_signature_and_flags_the_shared_address(
    server, meeting_petition, moderator, client
):
    petition = meeting_petition
    people = [(f"198.51.100.{n + 1}", f"resident{n}@example.org") for n in range(60)]
    people += [(HALL, f"villager{n}@mail{n % 3}.example") for n in range(60)]

    def sign(person):
        address, email = person
        body = {"name": f"ผู้ลงชื่อ {email}", "email": email, "village": len(email) % 5 + 1, "consent": True}
        return server.request("POST", f"/api/v1/petitions/{petition.pk}/signatures/", body, {"X-Forwarded-For": address})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(sign, people))
    assert [status for status, _body in answers] == [201] * 120, [b for s, b in answers if s != 201][:3]

    tokens = {}
    for event in OutboxEvent.objects.filter(event="signature.confirm_requested", record_id=str(petition.pk)):
        tokens[event.audience["emails"][0]["email"]] = event.data["confirm_url"].rstrip("/").rsplit("/", 1)[-1]
    assert len(tokens) == 120

    def confirm(person):
        address, email = person
        return server.request("POST", "/api/v1/signatures/confirm/", {"token": tokens[email]}, {"X-Forwarded-For": address})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(confirm, people))
    assert [status for status, _body in answers] == [200] * 120

    # Every confirmed signature counts; nothing is voided or refused.
    assert petition_total(petition.pk) == 120
    assert set(Signature.objects.filter(petition=petition).values_list("state", flat=True)) == {"confirmed"}
    # The client addresses came from X-Forwarded-For (the proxy's own address signed nothing).
    hashes = list(Signature.objects.filter(petition=petition).values_list("ip_hash", flat=True))
    assert len(set(hashes)) == 61 and client_ip_hash("127.0.0.1") not in hashes
    # Only the shared address is flagged, and it is in the staff queue (API and page).
    flag = AddressFlag.objects.get()
    assert (flag.petition_id, flag.ip_hash, flag.state) == (petition.pk, client_ip_hash(HALL), "open")
    token = Token.objects.create(user=moderator)
    status, body = server.request("GET", "/api/v1/address-flags/", headers={"Authorization": f"Token {token.key}"})
    assert status == 200
    (row,) = json.loads(body)
    assert (row["id"], row["signatures"], row["confirmed"], row["pending"]) == (flag.pk, 60, 60, 0)
    client.force_login(moderator)  # a database session the server shares
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    status, page = server.request("GET", "/petitions/moderation/addresses/", headers={"Cookie": cookie})
    assert status == 200 and f'data-flag="{flag.pk}"'.encode() in page
    assert "ลงชื่อจากที่อยู่นี้ 60 รายการ (ยืนยันแล้ว 60 รายการ".encode() in page
