"""Pages: the inbox, the unread badge, notification settings, follow/unfollow, unsubscribe."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.redirects import redirect_next

from . import selectors, services
from .channels import read_unsubscribe_token
from .events import CHOOSABLE_EVENTS
from .models import Channel, Mode, Notification


def _back(request, default: str = "notifications:inbox"):
    return redirect_next(request, default, referer=True)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@require_GET
def inbox(request):
    page = Paginator(selectors.inbox(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page_obj": page, "unread": selectors.unread_count(user=request.user)})


@require_GET
def badge(request):
    """The unread badge alone, for htmx to refresh."""
    return render(request, "notifications/unread_badge.html")


@login_required
@require_POST
def mark_read(request, pk: int):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    services.notification_mark_read(user=request.user, ids=[notification.pk])
    if _is_htmx(request):
        notification.refresh_from_db()
        response = render(request, "notifications/_item.html", {"n": notification})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return _back(request)


@login_required
@require_POST
def mark_read_all(request):
    services.notification_mark_read(user=request.user)
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    if request.method == "POST":
        try:
            for channel in (Channel.EMAIL, Channel.INAPP, Channel.LINE, Channel.SMS):
                if channel in request.POST:
                    services.preference_set(user=request.user, channel=channel, mode=request.POST[channel])
            for name, mode in request.POST.items():
                kind, _sep, rest = name.partition(":")  # "event:<event type>:<channel>"
                event, _sep, channel = rest.rpartition(":")
                if kind == "event" and event:
                    services.preference_set(user=request.user, channel=channel, mode=mode, event=event)
        except services.ValidationError:
            from django.contrib import messages

            messages.error(request, _("Choose one of the offered options."))
            return redirect("notifications:preferences")
        from django.contrib import messages

        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    modes = selectors.preferences_of(user=request.user)
    push = selectors.push_channels_of(user=request.user)
    for channel, state in push.items():
        state["mode"] = modes[channel]
    chosen = selectors.event_preferences_of(user=request.user)
    columns = [(Channel.EMAIL.value, Channel.EMAIL.label)]
    columns += [(channel, state["label"]) for channel, state in push.items() if state["enabled"] and state["linked"]]
    context = {
        "modes": modes,
        "push": push,
        "columns": columns,
        "event_rows": [
            {
                "event": event,
                "label": label,
                "cells": [
                    {"label": label_, "name": f"event:{event}:{c}", "mode": chosen.get(event, {}).get(c, "")}
                    for c, label_ in columns
                ],
            }
            for event, label in CHOOSABLE_EVENTS.items()
        ],  # fmt: skip
        "email_choices": Mode.choices,
        "inapp_choices": [(Mode.IMMEDIATE.value, Mode.IMMEDIATE.label), (Mode.OFF.value, Mode.OFF.label)],
        "subscriptions": selectors.subscriptions_with_records(user=request.user),
    }
    return render(request, "notifications/preferences.html", context)


def _follow_response(request, record_type: str, record_id: str):
    if _is_htmx(request):
        record = services.followable_record(record_type, record_id, user=request.user)
        return render(request, "notifications/follow_button.html", {"record": record})
    return _back(request, default="home")


@login_required
@require_POST
def follow(request, record_type: str, record_id: str):
    services.subscription_follow_ref(user=request.user, record_type=record_type, record_id=record_id)
    return _follow_response(request, record_type, record_id)


@login_required
@require_POST
def unfollow(request, record_type: str, record_id: str):
    services.subscription_unfollow_ref(user=request.user, record_type=record_type, record_id=record_id)
    if not _is_htmx(request):
        from django.contrib import messages

        messages.success(request, _("You no longer follow this."))
    return _follow_response(request, record_type, record_id)


def _masked(email: str) -> str:
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


@csrf_exempt  # the signed token is the credential; mail clients POST here for one-click unsubscribe (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    value = read_unsubscribe_token(token)
    if value and "e" in value:  # an address without an account: this record's updates only
        if request.method == "POST":
            services.address_opt_out(email=value["e"], record_type=value["r"], record_id=value["i"])
            if request.POST.get("List-Unsubscribe") == "One-Click":
                return HttpResponse(status=200)
            return render(request, "notifications/unsubscribe.html", {"done": True, "record": True})
        return render(request, "notifications/unsubscribe.html", {"email": _masked(value["e"]), "record": True})
    user = get_user_model().objects.filter(pk=value.get("u")).first() if value else None
    if user is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        services.preference_set(user=user, channel=value.get("c") or Channel.EMAIL, mode=Mode.OFF)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(status=200)
        return render(request, "notifications/unsubscribe.html", {"done": True})
    return render(request, "notifications/unsubscribe.html", {"email": _masked(user.email)})
