import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache():
    """Sign-in and mail limits are counted in the cache (Redis on CI): none leaks between tests."""
    cache.clear()
    yield
    cache.clear()
