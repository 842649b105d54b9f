"""Settings for the test suite: the real settings plus a test-only workflow app (tests.testapp)
whose Ticket model exercises the engine without depending on any domain app."""

import os
from urllib.parse import urlsplit, urlunsplit


def _one_world_per_xdist_worker() -> None:
    """Under pytest-xdist (`pytest -n 2`) each worker process is a separate test run: its own test
    database (pytest-django adds the _gwN suffix), and here its own Redis db (the next one after
    REDIS_URL's: a cache.clear() is a FLUSHDB), Celery queue, cache prefix and VAR_DIR. They are
    written back to the environment, so the Celery workers, servers and scripts the tests start
    inherit them; applied once per process (a subprocess that loads these settings again keeps them)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or os.environ.get("RUAMKID_XDIST_WORKER") == worker:
        return
    n = int(worker[2:])
    os.environ["RUAMKID_XDIST_WORKER"] = worker
    if os.environ.get("REDIS_URL"):
        url = urlsplit(os.environ["REDIS_URL"])
        db = int(url.path.strip("/") or 0) + n
        os.environ["REDIS_URL"] = urlunsplit(url._replace(path=f"/{db}"))
    os.environ["CELERY_QUEUE"] = f"{os.environ.get('CELERY_QUEUE', 'ruamkid')}-{worker}"
    os.environ["CACHE_PREFIX"] = f"{os.environ.get('CACHE_PREFIX', 'ruamkid')}-{worker}"
    if os.environ.get("VAR_DIR"):
        os.environ["VAR_DIR"] = os.path.join(os.environ["VAR_DIR"], worker)


_one_world_per_xdist_worker()

from .settings import *  # noqa: E402, F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405
# The whole suite calls the API from 127.0.0.1 within a minute; keep the per-client limits out of
# its way (tests/config/test_api_foundation.py checks throttling on the "token" scope).
_RATES = {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": None, "user": None}  # noqa: F405
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": _RATES}  # noqa: F405
# Fast hashing: the suite creates many users; production keeps Django's default (PBKDF2).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
