"""The relay: claims outbox rows, resolves who hears each event, applies their preferences
and writes one Delivery per (event, channel, recipient), then queues delivery tasks by id.

Safe to run twice or twice at once: a row is claimed with SELECT … FOR UPDATE SKIP LOCKED
and marked relayed in the same transaction that writes its deliveries, and every delivery
has a unique key, so nothing is created twice. Used by tasks.relay_outbox (kicked on
commit) and tasks.sweep (beat, every conf.SWEEP_SECONDS).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from accounts.models import Membership, User

from . import conf
from .models import (
    PUSH_CHANNELS,
    AddressOptOut,
    Channel,
    ChannelAddress,
    Delivery,
    Mode,
    Notification,
    OutboxEvent,
    Preference,
    WebhookEndpoint,
)
from .services import audience_resolver

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Recipient:
    user_id: int | None
    email: str
    name: str
    language: str
    email_confirmed: bool = True


def resolve_audience(event: OutboxEvent) -> list[Recipient]:
    """Everyone the event's audience names, each once (people by account, others by address)."""
    audience = event.audience or {}
    people: dict[int, Recipient] = {}
    fields = ("id", "email", "full_name", "language", "email_confirmed_at")
    querysets = []
    if audience.get("followers") and event.record_type and event.record_id:
        querysets.append(
            User.objects.filter(
                is_active=True, subscriptions__record_type=event.record_type, subscriptions__record_id=str(event.record_id)
            )
        )
    user_ids = [int(x) for x in audience.get("users") or [] if str(x).isdigit()]
    if user_ids:
        querysets.append(User.objects.filter(is_active=True, pk__in=user_ids))
    roles = [str(r) for r in audience.get("roles") or []]
    if roles and event.organisation_id:
        staff = Membership.objects.filter(organisation_id=event.organisation_id, role__in=roles).values("user_id")
        querysets.append(User.objects.filter(is_active=True, pk__in=staff))
    addresses = [_address(entry) for entry in audience.get("emails") or []]
    for name in audience.get("sources") or []:
        resolved = audience_resolver(str(name))(event)  # LookupError: the row is retried, then left for a person
        if resolved.get("users") is not None:
            querysets.append(User.objects.filter(is_active=True, pk__in=resolved["users"]))
        addresses.extend((str(e or "").strip().lower(), n or "", lang or "th") for e, n, lang in resolved.get("emails") or [])
    for qs in querysets:
        for pk, email, name, language, confirmed_at in qs.values_list(*fields).iterator(chunk_size=5000):
            people[pk] = Recipient(pk, email, name, language or "th", confirmed_at is not None)
    found = list(people.values())
    known = {r.email.lower() for r in found} | _opted_out(event)
    for email, name, language in addresses:
        if not email or email in known:
            continue
        known.add(email)
        language = str(language)[:2]
        found.append(Recipient(None, email, str(name), language if language in ("th", "en") else "th"))
    return found


def _address(entry) -> tuple[str, str, str]:
    if isinstance(entry, str):
        entry = {"email": entry}
    return str(entry.get("email") or "").strip().lower(), str(entry.get("name") or ""), str(entry.get("language") or "th")


def _opted_out(event: OutboxEvent) -> set[str]:
    """Addresses without an account that stopped update mail about the event's record."""
    if event.event in conf.TRANSACTIONAL or not event.record_type:
        return set()
    rows = AddressOptOut.objects.filter(record_type=event.record_type, record_id=str(event.record_id))
    return set(rows.values_list("email", flat=True))


def preferences_for(user_ids: list[int]) -> dict[tuple[int, str, str], str]:
    """(user_id, channel, event) → mode, only for people who changed a default; event "" is the
    person's choice for every event type they did not choose for one by one."""
    modes: dict[tuple[int, str, str], str] = {}
    for start in range(0, len(user_ids), 2000):
        chunk = user_ids[start : start + 2000]
        rows = Preference.objects.filter(user_id__in=chunk).values_list("user_id", "channel", "event", "mode")
        for user_id, channel, event, mode in rows:
            modes[(user_id, channel, event)] = mode
    return modes


DEFAULT_MODE = {Channel.EMAIL: Mode.IMMEDIATE, Channel.INAPP: Mode.IMMEDIATE, Channel.LINE: Mode.OFF, Channel.SMS: Mode.OFF}


def chosen_mode(modes: dict, user_id: int, channel: str, event_name: str) -> str:
    """The person's choice for this event type, else for the channel, else the channel's default."""
    mode = modes.get((user_id, channel, event_name)) or modes.get((user_id, channel, ""))
    return mode or DEFAULT_MODE[channel]


def email_mode(event_name: str, recipient: Recipient, modes: dict) -> str:
    """Immediate, digest or off for this person's email. Transactional mail ignores "off"
    and the digest; other mail needs an account with a confirmed address."""
    if event_name in conf.TRANSACTIONAL:
        return Mode.IMMEDIATE
    if recipient.user_id is None:
        return Mode.IMMEDIATE
    if not recipient.email_confirmed:
        return Mode.OFF
    return chosen_mode(modes, recipient.user_id, Channel.EMAIL, event_name)


def inapp_mode(event_name: str, recipient: Recipient, modes: dict) -> str:
    if recipient.user_id is None or event_name in conf.NO_INAPP:
        return Mode.OFF
    mode = chosen_mode(modes, recipient.user_id, Channel.INAPP, event_name)
    return Mode.OFF if mode == Mode.OFF else Mode.IMMEDIATE  # the inbox has no digest


def push_mode(event_name: str, recipient: Recipient, channel: str, modes: dict) -> str:
    """LINE and SMS are chosen (off by default), per event type or for the channel. Links with
    secrets inside go only to the address they confirm (email); transactional messages a person
    chose LINE for go at once, never in the digest."""
    if recipient.user_id is None or event_name in conf.NO_INAPP:
        return Mode.OFF
    mode = chosen_mode(modes, recipient.user_id, channel, event_name)
    if mode == Mode.DIGEST and event_name in conf.TRANSACTIONAL:
        return Mode.IMMEDIATE
    return mode


def push_addresses(user_ids: list[int]) -> dict[tuple[int, str], str]:
    """(user_id, channel) → verified LINE user id / phone number, for the channels switched on."""
    channels = [c for c in PUSH_CHANNELS if conf.push_enabled(c)]
    found: dict[tuple[int, str], str] = {}
    if not channels:
        return found
    for start in range(0, len(user_ids), 2000):
        rows = ChannelAddress.objects.filter(
            user_id__in=user_ids[start : start + 2000], channel__in=channels, verified_at__isnull=False
        ).values_list("user_id", "channel", "address")
        for user_id, channel, address in rows:
            found[(user_id, channel)] = address
    return found


def phone_deliveries(event: OutboxEvent, now) -> list[Delivery]:
    """SMS to people without an account or email: audience {"phones": [{"phone", "language"}]}."""
    from .push import normalise_phone

    if not conf.sms_enabled() or event.event in conf.NO_INAPP:
        return []
    out, seen = [], set()
    for entry in (event.audience or {}).get("phones") or []:
        if isinstance(entry, str):
            entry = {"phone": entry}
        phone = normalise_phone(str(entry.get("phone") or ""))
        if phone is None or phone in seen:
            continue
        seen.add(phone)
        language = str(entry.get("language") or "th")[:2]
        out.append(
            Delivery(
                event=event, channel=Channel.SMS, key=delivery_key(event.pk, Channel.SMS, f"p{phone}"), address=phone,
                language=language if language in ("th", "en") else "th", created_at=now,
            )
        )  # fmt: skip
    return out


def delivery_key(event_id: int, channel: str, recipient: str) -> str:
    return f"{event_id}:{channel}:{recipient}"


DELIVERY_COLUMNS = ("event", "channel", "key", "user", "email", "address", "name", "language", "status", "created_at")
INBOX_COLUMNS = ("user", "source", "event", "title", "url", "created_at")


def insert_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT the rows (tuples in `columns` order; the other columns get their defaults) and skip
    those whose unique key exists, as bulk_create(ignore_conflicts=True) would. On PostgreSQL one
    INSERT … SELECT FROM unnest(arrays) per 20,000 rows: no model instance, no statement of 2,000
    placeholders per batch."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in columns]
    if db_connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**{f.attname: v for f, v in zip(fields, row, strict=True)}) for row in rows],
            batch_size=2000, ignore_conflicts=True,
        )  # fmt: skip
        return
    defaults = [f for f in model._meta.concrete_fields if not f.primary_key and f not in fields]
    names = ", ".join(db_connection.ops.quote_name(f.column) for f in fields + defaults)
    arrays = ", ".join(f"%s::{f.cast_db_type(db_connection)}[]" for f in fields)
    fixed = [f.get_db_prep_save(f.get_default(), db_connection) for f in defaults]
    values = ", ".join(["u.*"] + [f"%s::{f.cast_db_type(db_connection)}" for f in defaults])
    table = db_connection.ops.quote_name(model._meta.db_table)
    # Names and types from the model, values as parameters.
    sql = f"INSERT INTO {table} ({names}) SELECT {values} FROM unnest({arrays}) AS u ON CONFLICT DO NOTHING"  # noqa: S608
    with db_connection.cursor() as cursor:
        for start in range(0, len(rows), 20_000):
            chunk = rows[start : start + 20_000]
            cursor.execute(sql, fixed + [list(column) for column in zip(*chunk, strict=True)])  # SELECT list first


def fan_out(event: OutboxEvent) -> dict[str, int]:
    """Write the deliveries and inbox entries of one event (inside the caller's transaction)."""
    from .channels import inapp_title

    recipients = resolve_audience(event)
    user_ids = [r.user_id for r in recipients if r.user_id is not None]
    modes = preferences_for(user_ids)
    addresses = push_addresses(user_ids)
    now = timezone.now()
    rows, inbox = [], []  # DELIVERY_COLUMNS, INBOX_COLUMNS
    titles: dict[str, str] = {}
    pending, digest, email = str(Delivery.Status.PENDING), str(Delivery.Status.DIGEST), str(Channel.EMAIL)
    event_name, pk = event.event, event.pk
    url = str((event.data or {}).get("url") or "")[:500]
    for r in recipients:
        mode = email_mode(event_name, r, modes)
        if mode != Mode.OFF and r.email:
            who = f"u{r.user_id}" if r.user_id is not None else f"e{r.email}"
            status = digest if mode == Mode.DIGEST else pending
            rows.append((pk, email, delivery_key(pk, email, who), r.user_id, r.email, "", r.name[:200], r.language, status, now))
        if addresses:
            for channel in PUSH_CHANNELS:
                address = addresses.get((r.user_id, channel))
                mode = push_mode(event_name, r, channel, modes) if address else Mode.OFF
                if mode != Mode.OFF:
                    status = digest if mode == Mode.DIGEST else pending
                    key = delivery_key(pk, channel, f"u{r.user_id}")
                    rows.append((pk, str(channel), key, r.user_id, "", address, r.name[:200], r.language, status, now))
        if inapp_mode(event_name, r, modes) == Mode.IMMEDIATE:
            if r.language not in titles:
                with translation.override(r.language):
                    titles[r.language] = inapp_title(event)[:300]
            inbox.append((r.user_id, pk, event_name, titles[r.language], url, now))
    others = []
    if event.organisation_id and event.event not in conf.PRIVATE:
        for endpoint in WebhookEndpoint.objects.filter(organisation_id=event.organisation_id, active=True):
            if endpoint.wants(event.event):
                others.append(
                    Delivery(
                        event=event, channel=Channel.WEBHOOK, key=delivery_key(event.pk, Channel.WEBHOOK, str(endpoint.pk)),
                        endpoint=endpoint, created_at=now,
                    )
                )  # fmt: skip
    others += phone_deliveries(event, now)
    insert_rows(Delivery, DELIVERY_COLUMNS, rows)
    Delivery.objects.bulk_create(others, batch_size=2000, ignore_conflicts=True)
    insert_rows(Notification, INBOX_COLUMNS, inbox)
    return {"recipients": len(recipients), "deliveries": len(rows) + len(others), "inbox": len(inbox)}


def _claim_next(skip: set[int]) -> OutboxEvent | None:
    return (
        OutboxEvent.objects.select_for_update(skip_locked=True)
        .filter(relayed_at__isnull=True, attempts__lt=conf.MAX_EVENT_ATTEMPTS)
        .exclude(pk__in=skip)
        .order_by("id")
        .first()
    )


def relay_one(skip: set[int]) -> OutboxEvent | None:
    """Claim and fan out the oldest unrelayed row; None when there is nothing left."""
    with transaction.atomic():
        event = _claim_next(skip)
        if event is None:
            return None
        try:
            with transaction.atomic():
                fan_out(event)
                event.relayed_at = timezone.now()
                event.save(update_fields=["relayed_at"])
        except Exception as exc:  # a bad row must not block the others; it is retried by the sweep
            log.exception("outbox event %s could not be relayed", event.pk)
            skip.add(event.pk)
            event.attempts += 1
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            event.save(update_fields=["attempts", "last_error"])
            return event
    enqueue_deliveries(Delivery.objects.filter(event_id=event.pk))
    return event


def relay_pending(limit: int | None = None) -> int:
    """Relay until no unrelayed row is left (or `limit` rows). Returns how many were relayed."""
    done, skip = 0, set()
    while limit is None or done < limit:
        event = relay_one(skip)
        if event is None:
            break
        if event.pk not in skip:
            done += 1
    return done


def enqueue_deliveries(deliveries) -> int:
    """Queue delivery tasks for the pending deliveries in `deliveries`, conf.CHUNK ids per task.
    If the broker is down the rows stay pending and the sweep queues them later."""
    from .tasks import deliver_email, deliver_line, deliver_sms, deliver_webhooks

    queued = 0
    tasks = {
        Channel.EMAIL: deliver_email,
        Channel.WEBHOOK: deliver_webhooks,
        Channel.LINE: deliver_line,
        Channel.SMS: deliver_sms,
    }
    for channel, task in tasks.items():
        ids = list(deliveries.filter(channel=channel, status=Delivery.Status.PENDING).order_by("id").values_list("id", flat=True))
        done = 0
        try:
            for start in range(0, len(ids), conf.CHUNK):
                task.delay(ids[start : start + conf.CHUNK])
                done = min(start + conf.CHUNK, len(ids))
        except Exception:
            log.warning("could not queue %d %s deliveries; the sweep will", len(ids) - done, channel, exc_info=True)
            return queued + _enqueued(ids[:done])
        queued += _enqueued(ids)
    return queued


def _enqueued(ids: list[int]) -> int:
    """Mark the queued ones (those still pending: a task may already have claimed some), 10,000 a statement."""
    now = timezone.now()
    for start in range(0, len(ids), 10_000):  # under PostgreSQL's 65,535 parameters a statement
        Delivery.objects.filter(pk__in=ids[start : start + 10_000], status=Delivery.Status.PENDING).update(enqueued_at=now)
    return len(ids)


def broker_backlog() -> int | None:
    """How many tasks wait in our queue of the broker (0 when tasks run eagerly), None when the
    broker cannot say (then nothing can be queued either)."""
    from celery import current_app as app  # the project's app (config/celery.py), without importing config

    if app.conf.task_always_eager:
        return 0
    try:
        with app.connection_for_read() as connection:
            return connection.default_channel.queue_declare(queue=app.conf.task_default_queue).message_count
    except Exception:
        log.warning("could not read the length of the task queue", exc_info=True)
        return None


def sweep() -> dict[str, int]:
    """Beat task body: relay what the kicks missed, give back leases of killed workers,
    queue again deliveries whose task was lost. Each comes back within a minute with the
    defaults: a claim after its lease (40 s), a lost task after 30 s, plus one sweep period (15 s)."""
    relayed = relay_pending()
    now = timezone.now()
    # Digest claims whose worker died go back to the digest.
    Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=now, claim__startswith="d").update(
        status=Delivery.Status.DIGEST, claim="", lease_until=None
    )
    given_up = Delivery.objects.filter(
        Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.SENDING, lease_until__lt=now),
        attempts__gte=conf.MAX_ATTEMPTS,
    ).update(status=Delivery.Status.FAILED, last_error="gave up after repeated temporary failures", lease_until=None)
    lost = Q(status=Delivery.Status.PENDING, enqueued_at__isnull=True, created_at__lt=now - dt.timedelta(seconds=5))
    lost |= Q(status=Delivery.Status.SENDING, lease_until__lt=now)
    # Queued a while ago and never claimed, while no task waits in the queue: the task was lost
    # (Redis restarted or flushed, a worker died holding it). While tasks wait it may only be late:
    # queued again after the longer wait, so a backlog is not doubled every sweep.
    wait = conf.REQUEUE_AFTER_SECONDS if broker_backlog() == 0 else conf.REQUEUE_BUSY_AFTER_SECONDS
    lost |= Q(status=Delivery.Status.PENDING, enqueued_at__lt=now - dt.timedelta(seconds=wait))
    stale = Delivery.objects.filter(lost)
    ids = list(stale.order_by("id").values_list("id", flat=True)[:100_000])
    # enqueue_deliveries only queues pending rows: expired claims are made pending again first.
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING, lease_until__lt=now).update(
        status=Delivery.Status.PENDING, claim="", lease_until=None
    )
    requeued = enqueue_deliveries(Delivery.objects.filter(pk__in=ids)) if ids else 0
    return {"relayed": relayed, "requeued": requeued, "given_up": given_up}
