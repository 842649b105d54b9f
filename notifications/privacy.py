"""Notifications' part of personal data (PDPA), registered with accounts.privacy in apps.ready():
follows, preferences, the inbox and mail sent to a person; erasure removes them; the retention
purge deletes sent mail (whose rows hold addresses and names) after PDPA_MAIL_RETENTION_DAYS."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast

from .models import ChannelAddress, Delivery, Notification, OutboxEvent, Preference, Subscription

UNFINISHED = (Delivery.Status.PENDING, Delivery.Status.SENDING, Delivery.Status.DIGEST)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _mail_to(user):
    return Delivery.objects.filter(user=user) | Delivery.objects.filter(user__isnull=True, email__iexact=user.email)


def export(user) -> dict:
    return {
        "follows": [
            {"record_type": s.record_type, "record_id": s.record_id, "auto": s.auto, "created_at": _iso(s.created_at)}
            for s in Subscription.objects.filter(user=user).order_by("id")
        ],
        "preferences": {f"{p.channel}/{p.event}" if p.event else p.channel: p.mode for p in Preference.objects.filter(user=user)},
        "channel_addresses": [
            {"channel": a.channel, "address": a.address, "verified_at": _iso(a.verified_at)}
            for a in ChannelAddress.objects.filter(user=user).order_by("id")
        ],
        "inbox": [
            {
                "event": n.event,
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "created_at": _iso(n.created_at),
                "read_at": _iso(n.read_at),
            }
            for n in Notification.objects.filter(user=user).order_by("id")
        ],  # fmt: skip
        "messages": [
            {
                "event": d.event.event,
                "channel": d.channel,
                "email": d.email,
                "address": d.address,
                "status": d.status,
                "created_at": _iso(d.created_at),
                "sent_at": _iso(d.sent_at),
            }
            for d in _mail_to(user).select_related("event").order_by("id")
        ],  # fmt: skip
    }


def _address(entry) -> str:
    return str((entry.get("email") if isinstance(entry, dict) else entry) or "").strip().lower()


def _events_addressed_to(email: str):
    """Outbox rows whose audience names `email` (transactional mail: confirmations)."""
    return OutboxEvent.objects.annotate(audience_text=Cast("audience", TextField())).filter(audience_text__icontains=email)


def erase(user) -> dict[str, int]:
    """Follows, preferences, inbox and mail to the person go; an outbox row addressed to them (e.g.
    a signature's confirmation mail, which holds their name) goes when they are its only recipient,
    else loses their address."""
    email = user.email.lower()
    follows, _by_model = Subscription.objects.filter(user=user).delete()
    preferences, _by_model = Preference.objects.filter(user=user).delete()
    ChannelAddress.objects.filter(user=user).delete()  # the LINE user id and the phone number
    inbox, _by_model = Notification.objects.filter(user=user).delete()
    messages, _by_model = _mail_to(user).delete()
    events = 0
    for event in _events_addressed_to(email):
        listed = event.audience.get("emails") or []
        others = [entry for entry in listed if _address(entry) != email]
        if len(others) == len(listed):
            continue  # the address was elsewhere in the text, not a recipient
        if others or set(event.audience) - {"emails"}:
            event.audience = event.audience | {"emails": others}
            event.save(update_fields=["audience"])
        else:
            event.delete()
        events += 1
    return {"follows": follows, "preferences": preferences, "inbox": inbox, "messages": messages, "mail_events": events}


def purge(now: dt.datetime) -> dict[str, int]:
    """Delete outbox rows relayed more than PDPA_MAIL_RETENTION_DAYS ago whose deliveries are all
    finished (sent or failed), with those deliveries. Inbox entries stay (the person's own)."""
    cutoff = now - dt.timedelta(days=int(settings.PDPA_MAIL_RETENTION_DAYS))
    old = OutboxEvent.objects.filter(relayed_at__lt=cutoff).exclude(deliveries__status__in=UNFINISHED)
    _deleted, by_model = OutboxEvent.objects.filter(pk__in=list(old.values_list("pk", flat=True)[:50000])).delete()
    return {"mail_events": by_model.get(OutboxEvent._meta.label, 0), "deliveries": by_model.get(Delivery._meta.label, 0)}
