"""The client's address behind a reverse proxy: X-Forwarded-For counts only from trusted proxies,
read from the right; everything that limits or hashes by address sees the same client."""

import pytest
from django.test import RequestFactory
from rest_framework.throttling import AnonRateThrottle

from workflows import clientip


def meta(remote, forwarded=None):
    environ = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    return environ


@pytest.fixture
def behind_proxy(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]
    return settings


def test_it_ignores_the_header_when_not_behind_a_proxy(settings):
    settings.BEHIND_PROXY = False
    assert clientip.client_address(meta("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


def test_it_takes_the_forwarded_client_from_a_trusted_proxy(behind_proxy):
    assert clientip.client_address(meta("127.0.0.1", "198.51.100.7")) == "198.51.100.7"


def test_it_ignores_a_header_sent_by_an_untrusted_peer(behind_proxy):
    assert clientip.client_address(meta("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_it_reads_from_the_right_so_a_client_cannot_spoof_its_address(behind_proxy):
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
    assert clientip.client_address(meta("127.0.0.1", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_it_skips_each_trusted_hop(behind_proxy):
    assert clientip.client_address(meta("127.0.0.1", "198.51.100.7, 10.1.2.3")) == "198.51.100.7"


def test_it_stops_at_garbage_and_keeps_the_last_good_hop(behind_proxy):
    assert clientip.client_address(meta("127.0.0.1", "evil, 10.1.2.3")) == "10.1.2.3"
    assert clientip.client_address(meta("127.0.0.1", "")) == "127.0.0.1"


def test_it_understands_ports_and_ipv6(behind_proxy):
    assert clientip.client_address(meta("::1", "[2001:db8::5]:4711")) == "2001:db8::5"
    assert clientip.client_address(meta("127.0.0.1", "198.51.100.7:5555")) == "198.51.100.7"


def test_resolve_rewrites_the_address_once_and_keeps_the_peer(behind_proxy):
    environ = meta("127.0.0.1", "198.51.100.7")
    assert clientip.resolve(environ) == "198.51.100.7"
    assert environ["REMOTE_ADDR"] == "198.51.100.7" and environ[clientip.PEER_KEY] == "127.0.0.1"
    environ["HTTP_X_FORWARDED_FOR"] = "192.0.2.1"  # a second pass changes nothing
    assert clientip.resolve(environ) == "198.51.100.7"


def test_drf_throttles_see_the_client_not_the_proxy(behind_proxy, client):
    request = RequestFactory().get("/api/v1/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    clientip.resolve(request.META)
    assert AnonRateThrottle().get_ident(request) == "198.51.100.7"


def test_drf_does_not_trust_the_header_on_its_own(settings):
    settings.BEHIND_PROXY = False
    request = RequestFactory().get("/api/v1/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    clientip.resolve(request.META)
    assert AnonRateThrottle().get_ident(request) == "203.0.113.5"


def test_the_middleware_gives_views_the_client_address(behind_proxy, client, db):
    from config.middleware import ClientAddressMiddleware

    seen = {}

    def view(request):
        seen["addr"] = request.META["REMOTE_ADDR"]
        return "ok"

    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    ClientAddressMiddleware(view)(request)
    assert seen["addr"] == "198.51.100.7"


def test_a_bad_trusted_proxies_value_stops_start_up(monkeypatch):
    import subprocess
    import sys

    env = {"TRUSTED_PROXIES": "127.0.0.1,not-a-net", "BEHIND_PROXY": "true", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "manage.py", "check"], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert out.returncode == 2, out.stderr
    assert "TRUSTED_PROXIES" in out.stderr and "not-a-net" in out.stderr
