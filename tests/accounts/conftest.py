import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache():
    """Sign-in and mail limits are counted in the cache (Redis on CI): none leaks between tests."""
    cache.clear()
    yield
    cache.clear()


# The real SMTP listener and the in-process relay of the notifications tests: account mails go
# through the same outbox.
from tests.notifications.conftest import eager, smtp, smtp_backend  # noqa: E402, F401
