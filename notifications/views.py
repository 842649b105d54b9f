"""Pages: the inbox, the unread badge, notification settings, follow/unfollow, unsubscribe, and
linking a LINE account (LINE Login)."""

import logging

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import oidc
from accounts.redirects import redirect_next

from . import line_login, selectors, services
from .channels import read_unsubscribe_token
from .events import CHOOSABLE_EVENTS
from .models import Channel, Mode, Notification

log = logging.getLogger(__name__)
LINE_PENDING_KEY = "line_login_pending"


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
            messages.error(request, _("Choose one of the offered options."))
            return redirect("notifications:preferences")
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
        "line": selectors.line_link_of(user=request.user),
    }
    return render(request, "notifications/preferences.html", context)


@login_required
@require_POST
def line_link(request):
    """ "Link LINE": send the person to LINE Login with a fresh state, nonce and PKCE challenge
    (kept in the session until LINE sends them back)."""
    if not line_login.available():
        raise Http404
    try:
        start = oidc.begin(line_login.provider(), line_login.redirect_uri())
    except oidc.OIDCError as exc:
        log.warning("LINE Login: could not start: %s", exc)
        messages.error(request, _("LINE cannot be reached just now. Please try again later."))
        return redirect("notifications:preferences")
    request.session[LINE_PENDING_KEY] = start.pending
    return redirect(start.url)


LINE_ERRORS = {
    "bad_state": lambda: _(
        "This LINE link was not started from your notification settings, or it was started too long ago. "
        "Your LINE account was not linked. Please start again."
    ),
    "denied": lambda: _("You cancelled at LINE, so your LINE account was not linked. Nothing was changed."),
    "provider_error": lambda: _(
        "LINE did not accept the link just now, so your LINE account was not linked. Please start again."
    ),
    "unchecked": lambda: _(
        "The answer from LINE could not be checked, so your LINE account was not linked. Please start again."
    ),  # a bad signature, another audience or nonce, an expired or malformed token
}


@login_required
@require_GET
def line_callback(request):
    """LINE Login sends the person back here: check the state, swap the code for the ID token, check
    it (HS256 with the channel secret, issuer, audience, expiry, nonce) and keep its `sub`, the LINE
    user id. Nothing else of LINE's answer is kept. Any failure: a 400 page, nothing changed."""
    pending = request.session.pop(LINE_PENDING_KEY, None)  # one use, whatever happens next
    if not line_login.available():
        raise Http404
    try:
        claims = oidc.finish(line_login.provider(), pending, request.GET)
        services.line_link(user=request.user, line_user_id=claims["sub"])
    except (oidc.OIDCError, services.ValidationError) as exc:
        reason = getattr(exc, "reason", "malformed")
        log.warning("LINE Login: link refused for user %s: %s", request.user.pk, reason)
        message = LINE_ERRORS.get(reason, LINE_ERRORS["unchecked"])()
        return render(request, "notifications/line_error.html", {"message": message, "reason": reason}, status=400)
    messages.success(request, _("Your LINE account is linked. Choose below which messages come on LINE."))
    return redirect("notifications:preferences")


@login_required
@require_POST
def line_unlink(request):
    if services.line_unlink(user=request.user):
        messages.success(
            request, _("Your LINE account is unlinked. Nothing more is sent to it; what came on LINE now comes by email.")
        )
    return redirect("notifications:preferences")


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
