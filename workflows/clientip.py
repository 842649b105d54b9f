"""The address of the person behind a request, the same way everywhere.

Behind a reverse proxy (BEHIND_PROXY=true) every connection comes from the proxy, so REMOTE_ADDR
names the proxy and a per-address limit would apply to the whole town. The proxy appends the
address it saw to X-Forwarded-For; a client can put anything before that. So the header is read
only when the connection itself comes from a trusted proxy (TRUSTED_PROXIES: addresses or CIDRs,
loopback by default), and from the right: each trusted hop is skipped, and the first address that
is not a trusted proxy is the client. Anything malformed ends the walk at the last good hop.

`resolve(meta)` rewrites REMOTE_ADDR in a WSGI environ / request.META once (the original is kept
as `ruamkid.peer_addr`), so Django, DRF's throttles (NUM_PROXIES=0: they read REMOTE_ADDR only),
the pages, the signing lane and the keyed IP hashes all see the same client address. It runs in
config.wsgi (before the signing lane) and in config.middleware.ClientAddressMiddleware (first in
the stack, for runserver and the test client); the second call finds the work done.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

PEER_KEY = "ruamkid.peer_addr"


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def parse_networks(items) -> tuple:
    """Parse TRUSTED_PROXIES entries (raises ValueError naming a bad one)."""
    out = []
    for item in items:
        try:
            out.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR: {item!r}") from None
    return tuple(out)


def _address(text: str):
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    if address is None:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def client_address(meta) -> str:
    """The client's address for a request's META / environ (without changing it)."""
    if PEER_KEY in meta:
        return meta.get("REMOTE_ADDR", "") or ""
    peer = meta.get("REMOTE_ADDR", "") or ""
    if not getattr(settings, "BEHIND_PROXY", False):
        return peer
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not _trusted(_address(peer), networks):
        return peer  # not from our proxy: its X-Forwarded-For means nothing
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    client = peer
    for hop in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _address(hop)
        if address is None:
            break  # garbage: trust nothing to its left
        client = str(address.ipv4_mapped or address) if getattr(address, "ipv4_mapped", None) else str(address)
        if not _trusted(address, networks):
            break
    return client


def resolve(meta) -> str:
    """Set REMOTE_ADDR to the client's address (once) and return it."""
    if PEER_KEY not in meta:
        client = client_address(meta)
        meta[PEER_KEY] = meta.get("REMOTE_ADDR", "") or ""
        meta["REMOTE_ADDR"] = client
    return meta.get("REMOTE_ADDR", "") or ""


class ClientAddress:
    """WSGI middleware: resolve() the client's address, then call `app` (config.wsgi)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        resolve(environ)
        return self.app(environ, start_response)
