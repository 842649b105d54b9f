"""How often a person may try what can be abused: a wrong password on the sign-in page, a mail
asking to reset a password or to confirm an address. Counted in the cache (Redis in production, so
every web process shares the count).

A Limit allows `count` tries per `seconds` for one key (an account's email, a client address).
The count runs for `seconds` from the first try; the try that reaches `count` locks the key for
`seconds`, and the lock's end is stored with it, so the page can say how long to wait. Keys are
keyed hashes: no email or IP address is kept in clear (PDPA). The client address is REMOTE_ADDR,
which config.middleware.ClientAddressMiddleware has already resolved behind a trusted proxy
(workflows/clientip.py).

If the cache is down, no limit applies (logged): people can still sign in and ask for mail.

Why not django-axes (8.3.1 supports Django 5.2): it has one failure limit for all its lockout
parameters, and a village meeting on one Wi-Fi needs a much higher limit per address than per
account; its backend also has to sit in front of every authenticate() call, the API's included.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext

from .thai import keyed_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    scope: str
    count_setting: str  # names in settings, read at each use (tests shorten them)
    seconds_setting: str

    @property
    def count(self) -> int:
        return int(getattr(settings, self.count_setting))

    @property
    def seconds(self) -> int:
        return int(getattr(settings, self.seconds_setting))

    def _keys(self, who: str) -> tuple[str, str]:
        key = f"limit:{self.scope}:{keyed_hash(who, purpose='limit')}"
        return key, key + ":until"

    def wait(self, who: str) -> int:
        """Seconds until `who` may try again (0: now)."""
        if not who:
            return 0
        _count, lock = self._keys(who)
        try:
            until = cache.get(lock)
        except Exception:
            log.warning("limit %s not checked: the cache is unavailable", self.scope, exc_info=True)
            return 0
        return max(1, math.ceil(until - time.time())) if until else 0

    def hit(self, who: str) -> int:
        """Count one try of `who`; returns the wait it leads to (0 while under the limit)."""
        if not who:
            return 0
        count, lock = self._keys(who)
        try:
            if cache.add(count, 1, timeout=self.seconds):
                used = 1
            else:
                try:
                    used = cache.incr(count)
                except ValueError:  # expired between add and incr
                    cache.add(count, 1, timeout=self.seconds)
                    used = 1
            if used < self.count:
                return 0
            until = time.time() + self.seconds
            cache.set(lock, until, timeout=self.seconds)
            cache.delete(count)  # the lock holds them off; afterwards the count starts again
        except Exception:
            log.warning("limit %s not counted: the cache is unavailable", self.scope, exc_info=True)
            return 0
        return self.seconds

    def clear(self, who: str) -> None:
        if who:
            try:
                cache.delete_many(list(self._keys(who)))
            except Exception:
                log.warning("limit %s not cleared: the cache is unavailable", self.scope, exc_info=True)


LOGIN_ACCOUNT = Limit("login-account", "LOGIN_LIMIT_ACCOUNT", "LOGIN_LIMIT_SECONDS")
LOGIN_ADDRESS = Limit("login-address", "LOGIN_LIMIT_ADDRESS", "LOGIN_LIMIT_SECONDS")
MAIL_RECIPIENT = Limit("mail-recipient", "ACCOUNT_MAIL_LIMIT", "ACCOUNT_MAIL_LIMIT_SECONDS")
MAIL_ADDRESS = Limit("mail-address", "ACCOUNT_MAIL_LIMIT_ADDRESS", "ACCOUNT_MAIL_LIMIT_SECONDS")


def mail_wait(*, email: str, address: str) -> int:
    """0 if one more password-reset or confirmation mail may go to `email`, asked from `address`
    (and counts it); else the seconds to wait. Counted whether or not `email` has an account,
    so a refusal reveals nothing."""
    wait = max(MAIL_RECIPIENT.wait(email), MAIL_ADDRESS.wait(address))
    if not wait:
        MAIL_RECIPIENT.hit(email)
        MAIL_ADDRESS.hit(address)
    return wait


def minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def wait_message(seconds: int, *, what: str) -> str:
    """What the page says to someone who has to wait (`what`: "account", "address" or "mail")."""
    n = minutes(seconds)
    if what == "account":
        text = ngettext(
            "Too many wrong passwords for this account. To keep it safe, signing in to it is paused: "
            "try again in %(minutes)d minute, or reset your password.",
            "Too many wrong passwords for this account. To keep it safe, signing in to it is paused: "
            "try again in %(minutes)d minutes, or reset your password.",
            n,
        )
    elif what == "address":
        text = ngettext(
            "Too many wrong passwords from your network. Please try again in %(minutes)d minute.",
            "Too many wrong passwords from your network. Please try again in %(minutes)d minutes.",
            n,
        )
    else:
        text = ngettext(
            "We have sent this several emails already. Please check your inbox (and spam folder), "
            "or try again in %(minutes)d minute.",
            "We have sent this several emails already. Please check your inbox (and spam folder), "
            "or try again in %(minutes)d minutes.",
            n,
        )
    return text % {"minutes": n}
