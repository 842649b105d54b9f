"""Reads of the notifications app, shared by the pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Channel, Mode, Notification, Preference, Subscription

DEFAULT_MODES = {Channel.EMAIL: Mode.IMMEDIATE, Channel.INAPP: Mode.IMMEDIATE, Channel.LINE: Mode.OFF, Channel.SMS: Mode.OFF}


def inbox(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-id")


def unread_count(*, user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def preferences_of(*, user) -> dict[str, str]:
    modes = dict(DEFAULT_MODES)
    modes.update(dict(Preference.objects.filter(user=user, event="").values_list("channel", "mode")))
    return {str(k): str(v) for k, v in modes.items()}


def event_preferences_of(*, user) -> dict[str, dict[str, str]]:
    """event type → channel → mode, only what the person chose one by one."""
    chosen: dict[str, dict[str, str]] = {}
    for event, channel, mode in Preference.objects.filter(user=user).exclude(event="").values_list("event", "channel", "mode"):
        chosen.setdefault(event, {})[channel] = mode
    return chosen


def push_channels_of(*, user) -> dict[str, dict]:
    """LINE and SMS as the settings page offers them: switched on for the site, and whether the
    person has a verified address there."""
    from . import conf
    from .models import PUSH_CHANNELS, ChannelAddress

    addresses = dict(ChannelAddress.objects.filter(user=user, verified_at__isnull=False).values_list("channel", "address"))
    return {
        str(channel): {"enabled": conf.push_enabled(channel), "linked": channel in addresses, "label": channel.label}
        for channel in PUSH_CHANNELS
    }


def follow_state(*, user, record) -> dict:
    """What the follow button shows for `record`: following or not, and whether the follow
    was automatic (the person took part)."""
    record_type, record_id = record._meta.label_lower, str(record.pk)
    state = {
        "record_type": record_type,
        "record_id": record_id,
        "dom_id": f"{record_type.replace('.', '-')}-{record_id}",
        "following": False,
        "auto": False,
    }
    if getattr(user, "is_authenticated", False):
        sub = Subscription.objects.filter(user=user, record_type=record_type, record_id=record_id).only("auto").first()
        if sub is not None:
            state.update(following=True, auto=sub.auto)
    return state


def subscriptions_of(*, user) -> QuerySet[Subscription]:
    return Subscription.objects.filter(user=user).order_by("-id")


def subscriptions_with_records(*, user, limit: int = 200) -> list[Subscription]:
    """My follows, each with `.record` (the followed object, or None if it is gone) for display."""
    from django.apps import apps

    subs = list(subscriptions_of(user=user)[:limit])
    by_type: dict[str, list[str]] = {}
    for sub in subs:
        by_type.setdefault(sub.record_type, []).append(sub.record_id)
    found: dict[tuple[str, str], object] = {}
    for record_type, ids in by_type.items():
        try:
            model = apps.get_model(record_type)
        except (LookupError, ValueError):
            continue
        try:
            for pk, obj in model._default_manager.in_bulk(ids).items():
                found[(record_type, str(pk))] = obj
        except (ValueError, TypeError):
            continue
    for sub in subs:
        sub.record = found.get((sub.record_type, sub.record_id))
    return subs


def line_link_of(*, user) -> dict:
    """The person's LINE link as the settings page and the API show it: whether linking is offered
    here, whether they are linked and since when, and only the end of the LINE user id."""
    from . import line_login
    from .models import ChannelAddress

    row = ChannelAddress.objects.filter(user=user, channel=Channel.LINE, verified_at__isnull=False).first()
    return {
        "available": line_login.available(),
        "linked": row is not None,
        "linked_at": row.verified_at if row else None,
        "line_user": line_login.masked(row.address) if row else "",
    }
