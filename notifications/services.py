"""Writes of the notifications app. `outbox_write` is the one way any service announces an event."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.http import Http404

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
      {"sources": ["petitions.signers"]}       an audience a domain app resolves at fan-out time
                                               (audience_source): one row however many people it names
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


# The columns a hot path's SELECT must give, in this order, for outbox_insert_sql.
OUTBOX_COLUMNS = ("event", "data", "audience", "organisation_id", "record_type", "record_id", "created_at")


def outbox_insert_sql(source: str) -> str:
    """For a hot path that writes its own row and its event in one statement (one round trip and
    one implicit transaction instead of BEGIN, two INSERTs and COMMIT): the INSERT … SELECT of one
    outbox row per row of `source` (a CTE name or subquery giving OUTBOX_COLUMNS, data and audience
    as jsonb), to be used as a data-modifying CTE on PostgreSQL. The caller calls outbox_kick()
    after the statement. Used by petitions.signing."""
    table = OutboxEvent._meta.db_table
    columns = ", ".join(OUTBOX_COLUMNS)
    return f"INSERT INTO {table} ({columns}, attempts, last_error) SELECT {columns}, 0, '' FROM {source}"  # noqa: S608


def outbox_kick() -> None:
    """What outbox_write does after it has written: kick the relay once the transaction commits
    (at once in autocommit)."""
    transaction.on_commit(_kick_relay)


KICK_KEY = "notifications:relay-kick"
_broker_down_until = 0.0
# This process asked for a relay less than LOCAL_KICK_SECONDS ago: skip even the cache round trip.
# Under a signing spike that turns one Redis call per request into one per second per process;
# a row committed just after a drain waits at most for the next kick or the beat sweep.
LOCAL_KICK_SECONDS = 1.0
_kicked_at = -LOCAL_KICK_SECONDS


def _kick_relay() -> None:
    """Ask a worker to relay now, cheaply: within conf.KICK_SECONDS only the first commit of a
    burst queues a relay task (a cache key is the window); the relay drains until empty, then
    reopens the window and drains once more, so no row waits for the next kick. If the broker
    is down, nothing is lost: the beat sweep relays the row later, and this process stops
    trying for a few seconds so requests do not pay for a dead broker each time."""
    global _broker_down_until, _kicked_at
    from django.core.cache import cache

    from . import conf
    from .tasks import relay_outbox

    now = time.monotonic()
    if now < _broker_down_until:
        return
    if not settings.CELERY_TASK_ALWAYS_EAGER:  # eager (embedded default): every commit relays at once
        if now - _kicked_at < LOCAL_KICK_SECONDS:
            return
        _kicked_at = now
    try:
        if not cache.add(KICK_KEY, 1, timeout=conf.KICK_SECONDS):
            return
    except Exception:  # cache down: kick anyway, the broker may still be up
        log.debug("relay debounce key unavailable", exc_info=True)
    try:
        relay_outbox.delay()
    except Exception:  # broker down: nothing is lost, the row waits for the sweep
        _broker_down_until = time.monotonic() + 5
        kick_window_open()
        log.warning("outbox relay kick failed; the periodic sweep will deliver", exc_info=True)


def kick_window_open() -> None:
    """Let the next commit queue a relay again (called by the relay once it has drained)."""
    global _kicked_at
    from django.core.cache import cache

    _kicked_at = -LOCAL_KICK_SECONDS

    try:
        cache.delete(KICK_KEY)
    except Exception:
        log.debug("relay debounce key unavailable", exc_info=True)


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


def subscription_follow_ref(*, user, record_type: str, record_id: str, auto: bool = False):
    """Follow a record named by type and id (pages and the API). Only types listed in
    settings.NOTIFICATIONS_FOLLOWABLE; raises Http404 when there is no such record or `user`
    may not see it."""
    record = followable_record(record_type, record_id, user=user)
    return subscription_follow(user=user, record=record, auto=auto)


def subscription_unfollow_ref(*, user, record_type: str, record_id: str) -> bool:
    from .models import Subscription

    if record_type not in followable_types():
        raise Http404
    deleted, _ = Subscription.objects.filter(user=user, record_type=record_type, record_id=str(record_id)).delete()
    return bool(deleted)


def followable_types() -> list[str]:
    return list(getattr(settings, "NOTIFICATIONS_FOLLOWABLE", []))


# "app.model" -> (record, user) -> may `user` see it? This app knows no domain model, so
# workflows.registry.register hands each machine's visible_to over (followable_visibility).
_visible_to: dict[str, Callable] = {}


def followable_visibility(record_type: str, visible_to: Callable) -> None:
    _visible_to[record_type] = visible_to


def followable_record(record_type: str, record_id, *, user):
    """The record `user` wants to follow, or Http404: not followable, no such record, or one they
    may not see (a hidden petition, a draft consultation), so following answers as reading does."""
    if record_type not in followable_types():
        raise Http404
    try:
        model = apps.get_model(record_type)
        record = model._default_manager.get(pk=record_id)
    except (LookupError, ValueError, TypeError, ValidationError, ObjectDoesNotExist):
        raise Http404 from None
    visible_to = _visible_to.get(record_type)
    if visible_to is not None and not visible_to(record, user):
        raise Http404
    return record


def notification_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the person's inbox entries read (all of them when `ids` is None)."""
    from django.utils import timezone

    from .models import Notification

    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def preference_set(*, user, channel: str, mode: str, event: str = ""):
    """Set how `user` hears on `channel`, for one event type (`event`) or for all the others
    (`event` empty). For one event type, mode "" takes the choice back (the channel's choice
    applies again). The inbox has no digest."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from .events import CHOOSABLE_EVENTS
    from .models import Channel, Mode, Preference

    every = {Mode.IMMEDIATE, Mode.DIGEST, Mode.OFF}
    allowed = {Channel.EMAIL: every, Channel.INAPP: {Mode.IMMEDIATE, Mode.OFF}, Channel.LINE: every, Channel.SMS: every}
    if channel not in allowed or (event and event not in CHOOSABLE_EVENTS):
        raise ValidationError({"mode": [_("Choose one of the offered options.")]})
    if event and mode == "":
        Preference.objects.filter(user=user, channel=channel, event=event).delete()
        return None
    if mode not in allowed[channel]:
        raise ValidationError({"mode": [_("Choose one of the offered options.")]})
    pref, _created = Preference.objects.update_or_create(
        user=user, channel=channel, event=event, defaults={"mode": mode, "updated_at": timezone.now()}
    )
    return pref


# name -> event -> {"users": user ids (a queryset of pks or a list), "emails": [(email, name, language), ...]}.
# A domain app registers the large audiences it knows (a petition's signers) in its ready(): the
# outbox row names the source, the relay asks it when it fans the event out (this app reads no
# domain table), so one event reaches 100,000 signers without 100,000 addresses in its JSON.
_audience_sources: dict[str, Callable] = {}


def audience_source(name: str, resolve: Callable) -> None:
    _audience_sources[name] = resolve


def audience_resolver(name: str) -> Callable:
    try:
        return _audience_sources[name]
    except KeyError:
        raise LookupError(f"no audience source {name!r} is registered") from None


def address_opt_out(*, email: str, record_type: str, record_id: str) -> None:
    """An address without an account stops update mail about one record (idempotent)."""
    from .models import AddressOptOut

    AddressOptOut.objects.get_or_create(email=email.strip().lower()[:254], record_type=record_type, record_id=str(record_id))


def channel_address_set(*, user, channel: str, address: str, verified: bool = True):
    """Record where `user` is reached on LINE (their LINE user id, from the LINE Login link) or by
    SMS (a phone number, stored as 66XXXXXXXXX). Raises ValidationError for a malformed address."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from .models import Channel, ChannelAddress
    from .push import normalise_phone, valid_line_user_id

    if channel == Channel.LINE:
        if not valid_line_user_id(address):
            raise ValidationError({"address": [_("This is not a LINE user id.")]})
    elif channel == Channel.SMS:
        address = normalise_phone(address) or ""
        if not address:
            raise ValidationError({"address": [_("Enter a Thai phone number, for example 081 234 5678.")]})
    else:
        raise ValidationError({"channel": [_("Choose one of the offered options.")]})
    row, _created = ChannelAddress.objects.update_or_create(
        user=user, channel=channel, defaults={"address": address, "verified_at": timezone.now() if verified else None}
    )
    return row


def channel_address_remove(*, user, channel: str) -> bool:
    from .models import ChannelAddress

    deleted, _ = ChannelAddress.objects.filter(user=user, channel=channel).delete()
    return bool(deleted)


# --- LINE: linking a resident's LINE account (LINE Login, notifications/line_login.py) ----------


def line_link(*, user, line_user_id: str):
    """Link `user` to the LINE account `line_user_id` (the `sub` of a LINE Login ID token whose
    state, nonce and signature were checked): the Official Account may push to it from now on.

    A LINE account reaches one person here: if it was linked to another account, that link is
    taken away (the person just proved they hold the LINE account; the other account's LINE
    choices fall back to email as on unlink). Logged, not audited: nothing the public sees changes."""
    from django.db import IntegrityError
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from .models import Channel, ChannelAddress
    from .push import valid_line_user_id

    if not valid_line_user_id(line_user_id):
        raise ValidationError({"address": [_("This is not a LINE user id.")]})
    for attempt in (1, 2):  # two accounts linking one LINE account at the same moment: the second try wins
        try:
            with transaction.atomic():
                others = list(
                    ChannelAddress.objects.select_for_update()
                    .filter(channel=Channel.LINE, address=line_user_id)
                    .exclude(user=user)
                    .values_list("user_id", flat=True)
                )
                for other in others:
                    _line_drop(user_id=other)
                row, _created = ChannelAddress.objects.update_or_create(
                    user=user, channel=Channel.LINE, defaults={"address": line_user_id, "verified_at": timezone.now()}
                )
        except IntegrityError:
            if attempt == 2:
                raise
            continue
        break
    log.info("LINE linked: user %s (…%s)%s", user.pk, line_user_id[-4:], f", taken from user(s) {others}" if others else "")
    return row


def line_unlink(*, user) -> bool:
    """Unlink `user`'s LINE account: nothing more is pushed to it, LINE is no longer chosen for any
    event type, and whatever the person heard on LINE they hear by email instead (see _line_drop).
    Idempotent: False when nothing was linked."""
    with transaction.atomic():
        linked = _line_drop(user_id=user.pk)
    if linked:
        log.info("LINE unlinked: user %s", user.pk)
    return linked


def _line_drop(*, user_id: int) -> bool:
    """Take away one account's LINE link, in the caller's transaction. For every scope (the channel
    as a whole, each event type chosen one by one) where LINE was on and email off, email gets
    LINE's mode (immediately or the digest); then every LINE choice is removed. Messages still
    waiting for LINE (queued, or for tomorrow's digest) are not sent there."""
    from django.utils import timezone

    from .models import Channel, ChannelAddress, Delivery, Mode, Preference
    from .selectors import DEFAULT_MODES

    deleted, _ = ChannelAddress.objects.filter(user_id=user_id, channel=Channel.LINE).delete()
    rows = Preference.objects.filter(user_id=user_id, channel__in=[Channel.LINE, Channel.EMAIL])
    chosen = {(channel, event): mode for channel, event, mode in rows.values_list("channel", "event", "mode")}

    def effective(channel: str, event: str) -> str:
        return chosen.get((channel, event)) or chosen.get((channel, "")) or DEFAULT_MODES[channel]

    now = timezone.now()
    for event in ["", *sorted({e for _c, e in chosen if e})]:  # the channel-wide choice first: events inherit it
        line_mode = effective(Channel.LINE, event)
        if line_mode != Mode.OFF and effective(Channel.EMAIL, event) == Mode.OFF:
            Preference.objects.update_or_create(
                user_id=user_id, channel=Channel.EMAIL, event=event, defaults={"mode": line_mode, "updated_at": now}
            )
            chosen[(Channel.EMAIL, event)] = line_mode
    Preference.objects.filter(user_id=user_id, channel=Channel.LINE).delete()
    Delivery.objects.filter(
        user_id=user_id, channel=Channel.LINE, status__in=[Delivery.Status.PENDING, Delivery.Status.DIGEST]
    ).update(status=Delivery.Status.FAILED, last_error="not sent: the LINE account was unlinked", lease_until=None)
    return bool(deleted)
