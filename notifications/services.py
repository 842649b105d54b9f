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
