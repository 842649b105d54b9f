"""Writes of the notifications app. `outbox_write` is the one way any service announces an event."""

from __future__ import annotations

import logging

from django.db import transaction

from .models import OutboxEvent

log = logging.getLogger(__name__)


def outbox_write(
    *,
    event: str,
    data: dict,
    audience: dict,
    organisation_id: int | None = None,
    record_type: str = "",
    record_id: str | int = "",
) -> OutboxEvent:
    """Record an event in the caller's transaction; the relay is kicked after commit.

    `data` carries everything the message needs (title, url, reason, dates as ISO strings).
    `audience` says who hears it, any combination of:
      {"followers": true}                      followers of (record_type, record_id)
      {"users": [user_id, ...]}
      {"roles": ["moderator", "clerk"]}        staff of organisation_id holding these roles
      {"emails": [{"email": "...", "name": "...", "language": "th"}]}   people without accounts
    """
    row = OutboxEvent.objects.create(
        event=event,
        data=data,
        audience=audience,
        organisation_id=organisation_id,
        record_type=record_type,
        record_id=str(record_id or ""),
    )
    transaction.on_commit(_kick_relay)
    return row


def _kick_relay() -> None:
    """Ask a worker to relay now. If the broker is down the beat sweep sends it later."""
    from .tasks import relay_outbox

    try:
        relay_outbox.delay()
    except Exception:  # broker down: nothing is lost, the row waits for the sweep
        log.warning("outbox relay kick failed; the periodic sweep will deliver", exc_info=True)


def subscription_follow(*, user, record, auto: bool = False):
    """Follow `record`. Taking part follows automatically (auto=True); an explicit follow
    turns an automatic one into a chosen one. Idempotent."""
    from .models import Subscription

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    sub, created = Subscription.objects.get_or_create(
        user=user, record_type=record._meta.label_lower, record_id=str(record.pk), defaults={"auto": auto}
    )
    if not created and sub.auto and not auto:
        Subscription.objects.filter(pk=sub.pk).update(auto=False)
        sub.auto = False
    return sub


def subscription_unfollow(*, user, record) -> bool:
    from .models import Subscription

    deleted, _ = Subscription.objects.filter(user=user, record_type=record._meta.label_lower, record_id=str(record.pk)).delete()
    return bool(deleted)


def is_following(*, user, record) -> bool:
    from .models import Subscription

    if not getattr(user, "is_authenticated", False):
        return False
    return Subscription.objects.filter(user=user, record_type=record._meta.label_lower, record_id=str(record.pk)).exists()
