"""Fixed-window counters in the cache (Redis in production), shared by every app's rate limits."""

from django.core.cache import cache


def hit(key: str, window: int) -> int:
    """Count one request against `key`; returns the count in the current window of `window` seconds.
    A key's first hit sets its expiry."""
    if cache.add(key, 1, timeout=window + 1):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        return 1
