"""The read lane: the pages and API answers everyone refreshes in a spike, served from memory.

When a petition goes viral most requests are anonymous visitors *watching* it. Rendering its page
through Django's full request cycle costs a few milliseconds; answering from a copy made a moment
ago costs a few microseconds. So, in front of Django (config/wsgi.py), `ReadLane` keeps in each
web process a copy of the answers to anonymous GET/HEAD requests on the hot routes
(settings.READ_CACHE_ROUTES) and serves it for READ_CACHE_SECONDS (default 2 s; 0 turns the lane
off). What may be copied is decided by Django's own answer, not guessed:

- the request carries no session cookie, no messages cookie and no Authorization header (a signed-in
  person, a flash message or an API token gets Django, always);
- the answer is a 200 that sets no cookie and is not marked private or no-store.

The key is the host, scheme, path, query string and language (the language cookie for pages, as
config.middleware.ThaiFirstLocaleMiddleware decides; the Accept-Language header too for the API).

How stale: a count or a page is at most READ_CACHE_SECONDS old, plus the time one render takes
(when a copy expires one thread makes it again while the others serve the old copy meanwhile, for
at most 5 s more); the page says when it was made (the `Age` header says how long it was kept).
Every audited act (workflows.services.audit_append) bumps a generation number in the cache when
it commits; each process reads that number at most every READ_CACHE_CHECK_SECONDS (0.5 s) and
drops its copies when it changed, so a moved record's page is new within half a second.

Why a per-process copy and not Django's cache framework: a Redis round trip per request and the
middleware stack it needs would cost more than the rendering it saves at these sizes; a dict
lookup does not. Each process renders a hot page at most once per TTL.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import parse_cookie

log = logging.getLogger(__name__)
GENERATION_KEY = "readcache:generation"
_MAX_ENTRIES = 4096
# When a copy expires, one thread makes it again while the others go on serving it, for at most
# this long past its TTL (so a slow render under load does not stall every request behind it).
_GRACE = 5.0


def served_for() -> float:
    """Seconds a copy may be served after it was rendered: its TTL, plus the grace while one thread
    renders it again (0 when the lane is off)."""
    seconds = float(settings.READ_CACHE_SECONDS)
    return seconds + _GRACE if seconds > 0 else 0.0


def bump() -> None:
    """Tell every web process that records moved: their copies are dropped within the check interval."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)
    except Exception:  # the cache is down: copies expire by their TTL anyway
        log.warning("read lane: could not bump the generation", exc_info=True)


def _generation():
    try:
        return cache.get(GENERATION_KEY, 0)
    except Exception:
        return None


@dataclass(slots=True)
class _Entry:
    status: str
    headers: list
    body: bytes
    made: float
    generation: object
    refreshing: bool = False


class ReadLane:
    """WSGI middleware: anonymous GET/HEAD on `routes` (regexes of PATH_INFO) served from memory."""

    def __init__(self, app, routes=None, *, seconds=None, check_seconds=None):
        self.app = app
        self.routes = [re.compile(r) for r in (routes if routes is not None else settings.READ_CACHE_ROUTES)]
        self.seconds = float(settings.READ_CACHE_SECONDS if seconds is None else seconds)
        self.check_seconds = float(settings.READ_CACHE_CHECK_SECONDS if check_seconds is None else check_seconds)
        self.private_cookies = {settings.SESSION_COOKIE_NAME, "messages"}
        self.language_cookie = settings.LANGUAGE_COOKIE_NAME
        self.store: dict[tuple, _Entry] = {}
        self.lock = threading.Lock()
        self.generation = _generation()
        self.checked = time.monotonic()

    # What may be copied -------------------------------------------------------------------------

    def _key(self, environ) -> tuple | None:
        if self.seconds <= 0 or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if "HTTP_AUTHORIZATION" in environ:
            return None
        path = environ.get("PATH_INFO", "")
        if not any(r.fullmatch(path) for r in self.routes):
            return None
        cookies = parse_cookie(environ.get("HTTP_COOKIE", "")) if "HTTP_COOKIE" in environ else {}
        if self.private_cookies.intersection(cookies):
            return None
        language = cookies.get(self.language_cookie, "")
        accept = environ.get("HTTP_ACCEPT_LANGUAGE", "")[:64] if path.startswith("/api/") else ""
        return (
            environ.get("HTTP_HOST", ""),
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_X_FORWARDED_PROTO", ""),
            path,
            environ.get("QUERY_STRING", ""),
            language,
            accept,
            environ["REQUEST_METHOD"] == "HEAD",
        )

    @staticmethod
    def _storable(status: str, headers: list) -> bool:
        if not status.startswith("200"):
            return False
        for name, value in headers:
            lower = name.lower()
            if lower == "set-cookie":
                return False
            if lower == "cache-control" and ("private" in value or "no-store" in value):
                return False
        return True

    # Serving ------------------------------------------------------------------------------------

    def _fresh_generation(self, now: float):
        if now - self.checked >= self.check_seconds:
            self.checked = now
            generation = _generation()
            if generation != self.generation:
                self.generation = generation
                with self.lock:
                    self.store.clear()
        return self.generation

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        now = time.monotonic()
        generation = self._fresh_generation(now)
        entry = self.store.get(key)
        if entry is not None and entry.generation == generation:
            age = now - entry.made
            if age < self.seconds or (age < self.seconds + _GRACE and not self._claim(entry)):
                # Fresh, or being made again by another thread: this copy meanwhile.
                start_response(entry.status, [*entry.headers, ("Age", str(int(age)))])
                return [entry.body]
        return self._render(key, generation, now, environ, start_response)

    def _claim(self, entry: _Entry) -> bool:
        """True for the one thread that makes an expired copy again."""
        with self.lock:
            if entry.refreshing:
                return False
            entry.refreshing = True
            return True

    def _render(self, key, generation, now, environ, start_response):
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, list(headers)
            return _discard

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = seen["status"], seen["headers"]
        if self._storable(status, headers):
            with self.lock:
                if len(self.store) >= _MAX_ENTRIES:
                    self.store.clear()
                self.store[key] = _Entry(status, headers, body, now, generation)
        else:
            self.store.pop(key, None)  # e.g. the record is gone now: its old copy must not be served
        start_response(status, headers)
        return [body]


def _discard(data):  # the write() callable of start_response: unused by Django
    raise RuntimeError("the read lane does not support write()")
