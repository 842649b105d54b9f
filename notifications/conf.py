"""Knobs of the notifications app. Each has a safe default; the environment may tune it
(tests shorten the lease and the sweep so a killed worker is replaced within seconds)."""

import os

from django.conf import settings


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return int(getattr(settings, name, default))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


# Recipients per delivery task (one SMTP connection per task).
CHUNK = _int("NOTIFICATIONS_CHUNK", 500)
# "Sent" marks are written together: after this many mails, or once this many milliseconds passed
# since the oldest unmarked one, or at once after a mail whose SMTP transaction took at least
# MARK_AT_ONCE_MS (a slow server: the mark costs nothing next to it). A worker killed mid-chunk
# sends the mails accepted since its last mark once more (same Message-ID): at most MARK_BATCH.
MARK_BATCH = _int("NOTIFICATIONS_MARK_BATCH", 100)
MARK_MS = _int("NOTIFICATIONS_MARK_MS", 200)
MARK_AT_ONCE_MS = _int("NOTIFICATIONS_MARK_AT_ONCE_MS", 20)
# How long a worker owns the deliveries it claimed (renewed at half time while it works); a
# killed worker's claims come back after this. Lease + sweep period stays under a minute.
LEASE_SECONDS = _int("NOTIFICATIONS_LEASE_SECONDS", 40)
# Beat: relay anything left behind (broker down at commit, killed workers) this often.
SWEEP_SECONDS = _int("NOTIFICATIONS_SWEEP_SECONDS", 15)
# A pending delivery queued this long ago, not claimed, while no task waits in the queue: its
# task was lost (Redis restarted, a worker died holding it) and it is queued again.
REQUEUE_AFTER_SECONDS = _int("NOTIFICATIONS_REQUEUE_AFTER_SECONDS", 30)
# The same while tasks do wait in the queue (workers behind, not a lost task).
REQUEUE_BUSY_AFTER_SECONDS = _int("NOTIFICATIONS_REQUEUE_BUSY_AFTER_SECONDS", 300)
# After this many claims a delivery is given up (recorded as failed).
MAX_ATTEMPTS = _int("NOTIFICATIONS_MAX_ATTEMPTS", 10)
# An outbox row whose fan-out raised this many times is left for a person to look at.
MAX_EVENT_ATTEMPTS = _int("NOTIFICATIONS_MAX_EVENT_ATTEMPTS", 5)
# The daily digest goes out at this hour (settings.TIME_ZONE, i.e. Bangkok).
DIGEST_HOUR = _int("NOTIFICATIONS_DIGEST_HOUR", 7)
# Debounce window of the on-commit kick: a burst of events enqueues about one relay task.
KICK_SECONDS = _int("NOTIFICATIONS_KICK_SECONDS", 10)
WEBHOOK_TIMEOUT = _int("NOTIFICATIONS_WEBHOOK_TIMEOUT", 10)

# Mail a person asked for or must get: sent immediately whatever their preference says.
TRANSACTIONAL = frozenset(
    {
        "account.confirm_email", "account.password_reset", "signature.confirm_requested", "moderation.outcome",
        "complaint.received", "signature.invalidated", "signature.restored",
    }
)  # fmt: skip
# Links with secrets inside: never in the inbox, never to integrators.
NO_INAPP = frozenset({"account.confirm_email", "account.password_reset", "signature.confirm_requested"})
# Never to integrators' webhooks: mail a person must get, and events about a complaint (each carries
# its tracking link, a bearer secret; the public gets only the statistics).
PRIVATE = TRANSACTIONAL | frozenset(
    {
        "complaint.assigned", "complaint.in_progress", "complaint.resolved", "complaint.rejected",
        "complaint.filed", "complaint.sla_warning", "complaint.sla_overdue", "integrity.received", "integrity.moved",
    }
)  # fmt: skip

# --- LINE and SMS (settings: LINE_*, SMS_*; read at call time so tests may point them elsewhere)
# Per channel: at most this many messages to one recipient per hour and from one organisation per
# day (0: no limit). Over it a message is recorded as refused, never retried.
THROTTLE_DEFAULTS = {
    "line": {"recipient_hour": 20, "org_day": 5000},
    "sms": {"recipient_hour": 5, "org_day": 500},
}
PUSH_TIMEOUT = _int("NOTIFICATIONS_PUSH_TIMEOUT", 10)


def throttle_limit(channel: str, kind: str) -> int:
    """The limit `kind` ("recipient_hour" or "org_day") of `channel`: settings
    NOTIFICATIONS_<CHANNEL>_PER_RECIPIENT_HOUR / _PER_ORG_DAY, else THROTTLE_DEFAULTS."""
    name = {"recipient_hour": "PER_RECIPIENT_HOUR", "org_day": "PER_ORG_DAY"}[kind]
    return int(getattr(settings, f"NOTIFICATIONS_{channel.upper()}_{name}", THROTTLE_DEFAULTS[channel][kind]))


def line_enabled() -> bool:
    return bool(getattr(settings, "LINE_CHANNEL_ACCESS_TOKEN", ""))


def sms_enabled() -> bool:
    return bool(getattr(settings, "SMS_GATEWAY_URL", ""))


def push_enabled(channel: str) -> bool:
    return {"line": line_enabled, "sms": sms_enabled}[channel]()
