"""LINE and SMS: messages pushed to a person's own address (ChannelAddress) over HTTP.

LINE: the Messaging API push endpoint of the municipality's LINE Official Account
(POST {LINE_API_BASE_URL}/v2/bot/message/push, Bearer LINE_CHANNEL_ACCESS_TOKEN). Each delivery
sends an X-Line-Retry-Key derived from its delivery key, so a push tried again after a timeout or a
killed worker is accepted by LINE once (a repeat answers 409, which we record as sent).
SMS: a configurable HTTP gateway (SMS_GATEWAY_URL, SMS_GATEWAY_AUTH_HEADER, SMS_GATEWAY_BODY, a JSON
template whose string values "{to}", "{text}", ... are replaced after parsing, so a message cannot
break out of its field). The same reference is sent on every try, for gateways that deduplicate.

Both run through the outbox and the claim/lease/retry machinery of notifications.channels, and both
are throttled per recipient per hour and per organisation per day (Throttle): a message over a
limit is recorded as refused and never retried, so nobody can run up the municipality's bill.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.db.models import F
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone, translation

from accounts.thai import format_date

from . import conf
from .channels import Lease, TransientDeliveryError, absolute, claim, context_for, mark_failed, mark_sent, release, render_subject
from .models import Channel, Delivery, OutboxEvent, SendCounter

log = logging.getLogger(__name__)
RETRY_NAMESPACE = uuid.UUID("6f1c2a4e-3b7d-4c55-9a41-0d8e5b7f2c10")
LINE_TEXT_LIMIT = 5000  # characters in one LINE text message
SMS_TEXT_LIMIT = 335  # five UCS-2 segments of Thai text


# --- addresses -------------------------------------------------------------------------------

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_LINE_USER_ID = re.compile(r"^U[0-9a-f]{32}$")


def normalise_phone(raw: str) -> str | None:
    """A Thai mobile or fixed number as digits with the country code ("66812345678"), or None.
    Accepts 081-234-5678, +66 81 234 5678, 66812345678 and Thai digits."""
    digits = re.sub(r"[\s\-().]", "", str(raw or "").translate(_THAI_DIGITS))
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isdigit():
        return None
    if digits.startswith("0") and len(digits) in (9, 10):
        digits = "66" + digits[1:]
    if digits.startswith("66") and len(digits) in (10, 11) and digits[2] != "0":
        return digits
    return None


def valid_line_user_id(raw: str) -> bool:
    """LINE user ids of one provider look like U followed by 32 hex digits."""
    return bool(_LINE_USER_ID.match(str(raw or "")))


# --- throttles -------------------------------------------------------------------------------


def _take(channel: str, scope: str, window, limit: int) -> bool:
    counter, _created = SendCounter.objects.get_or_create(channel=channel, scope=scope, window=window)
    return SendCounter.objects.filter(pk=counter.pk, count__lt=limit).update(count=F("count") + 1) == 1


def _give_back(channel: str, scope: str, window) -> None:
    SendCounter.objects.filter(channel=channel, scope=scope, window=window, count__gt=0).update(count=F("count") - 1)


def throttle_take(channel: str, address: str, organisation_id: int | None) -> str:
    """Count one message to `address` for `organisation_id` on `channel`; '' when allowed, else
    the reason it is refused (nothing counted then)."""
    now = timezone.localtime()
    hour = now.replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0)
    per_recipient = conf.throttle_limit(channel, "recipient_hour")
    per_org = conf.throttle_limit(channel, "org_day")
    to_scope, org_scope = f"to:{address}", f"org:{organisation_id or '-'}"
    if per_recipient and not _take(channel, to_scope, hour, per_recipient):
        return f"refused: more than {per_recipient} {channel} messages to this recipient in an hour"
    if per_org and not _take(channel, org_scope, day, per_org):
        if per_recipient:
            _give_back(channel, to_scope, hour)
        return f"refused: more than {per_org} {channel} messages from this organisation today"
    return ""


def _charge(delivery: Delivery, token: str, organisation_id: int | None) -> str:
    """Take one message from the limits for this delivery, once however often it is tried."""
    if delivery.counted:
        return ""
    refusal = throttle_take(delivery.channel, delivery.address, organisation_id)
    if not refusal:
        Delivery.objects.filter(pk=delivery.pk, claim=token).update(counted=True)
    return refusal


def mark_refused(ids: list[int], token: str, reason: str) -> int:
    log.warning("%d message(s) %s", len(ids), reason)
    return Delivery.objects.filter(pk__in=ids, claim=token, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.REFUSED, last_error=reason[:2000], lease_until=None
    )


# --- texts -----------------------------------------------------------------------------------


def _language(delivery: Delivery) -> str:
    return delivery.language if delivery.language in ("th", "en") else "th"


def push_text(delivery: Delivery, event: OutboxEvent, cache: dict | None = None) -> str:
    """The message in the reader's language: for LINE the subject, the body and the link; for SMS
    the subject and the link (short: each 70 Thai characters is one paid segment)."""
    language = _language(delivery)
    key = (event.pk, delivery.channel, language, delivery.user_id is not None)
    if cache is not None and key in cache:
        return cache[key]
    with translation.override(language):
        ctx = context_for(event, language=language)
        ctx["subject"] = render_subject(event, ctx)
        if delivery.user_id is not None:
            ctx["preferences_url"] = absolute(reverse("notifications:preferences"))
        if delivery.channel == Channel.LINE:
            ctx["body_template"] = select_template(
                [f"notifications/email/{event.event}.txt", "notifications/email/generic.txt"]
            ).template.name
            text = render_to_string("notifications/push/line.txt", ctx).strip()[:LINE_TEXT_LIMIT]
        else:
            text = " ".join(render_to_string("notifications/push/sms.txt", ctx).split())[:SMS_TEXT_LIMIT]
    if cache is not None:
        cache[key] = text
    return text


def digest_text(channel: str, language: str, items: list[tuple[OutboxEvent, str]]) -> str:
    with translation.override(language):
        rows = []
        for event, _key in items:
            ctx = context_for(event, language=language)
            rows.append(
                {"subject": render_subject(event, ctx), "url": ctx["url"], "created_at": format_date(event.created_at, language)}
            )
        ctx = {"items": rows, "inbox_url": absolute(reverse("notifications:inbox")),
               "preferences_url": absolute(reverse("notifications:preferences"))}  # fmt: skip
        text = render_to_string(f"notifications/push/digest_{channel}.txt", ctx)
    if channel == Channel.SMS:
        return " ".join(text.split())[:SMS_TEXT_LIMIT]
    return text.strip()[:LINE_TEXT_LIMIT]


# --- the two HTTP seams ----------------------------------------------------------------------


def retry_key(delivery_key: str) -> str:
    """The same UUID for every try of one delivery (LINE wants a UUID in X-Line-Retry-Key)."""
    return str(uuid.uuid5(RETRY_NAMESPACE, delivery_key))


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("the gateway URL must be http(s)")
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 (scheme checked above)
    try:
        with urllib.request.urlopen(request, timeout=conf.PUSH_TIMEOUT) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def line_push(to: str, text: str, key: str) -> int:
    """POST one text message to one LINE user. Returns the HTTP status (raises for network errors)."""
    body = json.dumps({"to": to, "messages": [{"type": "text", "text": text}]}, ensure_ascii=False).encode()
    return _post(
        f"{settings.LINE_API_BASE_URL}/v2/bot/message/push",
        body,
        {
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}",
            "X-Line-Retry-Key": retry_key(key),
            "User-Agent": "Ruamkid-Notifications/1",
        },
    )


def _fill(template, values: dict[str, str]):
    """Replace "{name}" inside every string of the parsed template (never in the JSON text)."""
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    if isinstance(template, str):
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
    return template


def sms_body(to: str, text: str, key: str) -> bytes:
    values = {
        "to": to,  # 66812345678
        "to_local": "0" + to[2:] if to.startswith("66") else to,  # 0812345678
        "to_e164": "+" + to,  # +66812345678
        "text": text,
        "sender": settings.SMS_SENDER,
        "reference": retry_key(key),
    }
    return json.dumps(_fill(json.loads(settings.SMS_GATEWAY_BODY), values), ensure_ascii=False).encode()


def sms_send(to: str, text: str, key: str) -> int:
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Ruamkid-Notifications/1",
               "X-Request-Id": retry_key(key)}  # fmt: skip
    name, sep, value = (settings.SMS_GATEWAY_AUTH_HEADER or "").partition(":")
    if sep and name.strip():
        headers[name.strip()] = value.strip()
    return _post(settings.SMS_GATEWAY_URL, sms_body(to, text, key), headers)


SENDERS = {Channel.LINE: line_push, Channel.SMS: sms_send}


def _outcome(channel: str, status: int) -> str:
    """ "sent", "retry" or "failed" for an HTTP status of LINE or the SMS gateway."""
    if 200 <= status < 300:
        return "sent"
    if channel == Channel.LINE and status == 409:
        return "sent"  # this X-Line-Retry-Key was accepted before: the message went out once
    if status >= 500 or status in (401, 408, 425, 429):
        return "retry"  # busy, over LINE's rate, or a token being rotated: bounded by MAX_ATTEMPTS
    return "failed"


# --- delivery --------------------------------------------------------------------------------


def send_push(ids: list[int], channel: str) -> dict[str, int]:
    """Send the LINE or SMS deliveries `ids`. Raises TransientDeliveryError when some must be tried
    again later (they are back to pending); refusals and permanent failures are recorded."""
    token, claimed = claim(ids, channel=channel)
    result = {"sent": 0, "failed": 0, "refused": 0, "retry": 0}
    if not claimed:
        return result
    events = {e.pk: e for e in OutboxEvent.objects.select_related("organisation").filter(pk__in={d.event_id for d in claimed})}
    retry: list[int] = []
    lease, held, texts = Lease(token), {d.pk for d in claimed}, {}
    for delivery in claimed:
        held = lease.held(held)
        if delivery.pk not in held:  # our lease ran out and another worker took it over
            continue
        event = events[delivery.event_id]
        refusal = _charge(delivery, token, event.organisation_id)
        if refusal:
            mark_refused([delivery.pk], token, refusal)
            result["refused"] += 1
            continue
        try:
            status = SENDERS[channel](delivery.address, push_text(delivery, event, texts), delivery.key)
        except ValueError as exc:
            mark_failed([delivery.pk], token, str(exc))
            result["failed"] += 1
            continue
        except (urllib.error.URLError, OSError) as exc:
            retry.append(delivery.pk)
            log.info("%s gateway unreachable: %s", channel, exc)
            continue
        outcome = _outcome(channel, status)
        if outcome == "sent":
            mark_sent([delivery.pk], token)
            result["sent"] += 1
        elif outcome == "retry":
            retry.append(delivery.pk)
        else:
            mark_failed([delivery.pk], token, f"the {channel} gateway answered HTTP {status}")
            result["failed"] += 1
    if retry:
        release(retry, token, f"{channel} gateway unreachable or busy")
        result["retry"] = len(retry)
        raise TransientDeliveryError(f"{len(retry)} {channel} messages to retry")
    return result


def send_push_digests(channel: str, user_ids=None) -> int:
    """One LINE message (or SMS) per person with everything waiting for their daily digest."""
    waiting = Delivery.objects.filter(channel=channel, status=Delivery.Status.DIGEST)
    if user_ids is not None:
        waiting = waiting.filter(user_id__in=list(user_ids))
    sent = 0
    for user_id in sorted(set(waiting.values_list("user_id", flat=True))):
        token, claimed = claim(None, channel=channel, digest=True, user_id=user_id)
        if not claimed:
            continue
        first = claimed[0]
        events = {
            e.pk: e for e in OutboxEvent.objects.select_related("organisation").filter(pk__in={d.event_id for d in claimed})
        }
        ids = [d.pk for d in claimed]
        if not any(d.counted for d in claimed):
            refusal = throttle_take(channel, first.address, events[first.event_id].organisation_id)
            if refusal:
                mark_refused(ids, token, refusal)
                continue
            Delivery.objects.filter(pk__in=ids, claim=token).update(counted=True)
        text = digest_text(channel, _language(first), [(events[d.event_id], d.key) for d in claimed])
        key = f"digest:{channel}:{user_id}:{first.pk}"
        try:
            outcome = _outcome(channel, SENDERS[channel](first.address, text, key))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            outcome = "retry"
            log.info("%s digest for user %s not sent: %s", channel, user_id, exc)
        if outcome == "sent":
            mark_sent(ids, token)
            sent += 1
        elif outcome == "retry":
            release(ids, token, f"{channel} gateway unreachable or busy", back_to=Delivery.Status.DIGEST)
        else:
            mark_failed(ids, token, f"the {channel} gateway refused the digest")
    return sent
