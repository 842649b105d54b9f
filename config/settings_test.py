"""Settings for the test suite: the real settings plus a test-only workflow app (tests.testapp)
whose Ticket model exercises the engine without depending on any domain app."""

from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405
# The whole suite calls the API from 127.0.0.1 within a minute; keep the per-client limits out of
# its way (tests/config/test_api_foundation.py checks throttling on the "token" scope).
_RATES = {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": None, "user": None}  # noqa: F405
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": _RATES}  # noqa: F405
# Fast hashing: the suite creates many users; production keeps Django's default (PBKDF2).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
