"""The three channels: email (Django's email backend, SMTP in production), the in-app inbox
and signed webhooks. Each delivery function takes Delivery ids, claims them with a
conditional update and records the outcome on each row.

Exactly-once and a killed worker: a delivery is claimed (pending → sending, with a lease),
sent, and marked sent once the SMTP server accepted it. A worker killed before the server's
"250 OK" leaves the row "sending"; when the lease runs out the sweep queues it again and it is
sent once. The marks are written in batches (Marks: at most conf.MARK_BATCH mails or
conf.MARK_MS after the oldest, at once after a transaction slower than conf.MARK_AT_ONCE_MS), so
a worker killed mid-chunk sends once more the mails accepted since its last mark: at most
MARK_BATCH, none but the last one when the server is slow. We accept that (at-least-once: a lost
confirmation link costs more than a duplicate) and give every mail a Message-ID derived from its
delivery key, so the two copies are the same message to the receiving mail system.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import smtplib
import socket
import time
import urllib.error
import urllib.request
import uuid
from email.header import Header
from email.utils import formataddr

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import forbid_multi_line_headers, sanitize_address
from django.core.validators import validate_email
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.thai import format_date

from . import conf
from .models import Channel, Delivery, OutboxEvent

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


class TransientDeliveryError(Exception):
    """Try again later (the task retries with back-off)."""


# --- claims -------------------------------------------------------------------------------


def claim(ids, *, channel: str, digest: bool = False, **filters) -> tuple[str, list[Delivery]]:
    """Take the deliveries among `ids` nobody holds: pending ones, or ones whose lease ran out."""
    token = ("d" if digest else "s") + uuid.uuid4().hex[:20]
    now = timezone.now()
    source = Delivery.Status.DIGEST if digest else Delivery.Status.PENDING
    base = Delivery.objects.filter(channel=channel, **filters)
    if ids is not None:
        base = base.filter(pk__in=list(ids))
    base.filter(Q(status=source) | Q(status=Delivery.Status.SENDING, lease_until__lt=now, claim__startswith=token[0])).update(
        status=Delivery.Status.SENDING,
        claim=token,
        lease_until=now + dt.timedelta(seconds=conf.LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    return token, list(Delivery.objects.filter(claim=token, status=Delivery.Status.SENDING).order_by("id"))


def mark_sent(ids: list[int], token: str) -> int:
    return Delivery.objects.filter(pk__in=ids, claim=token, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
    )


class Marks:
    """The "sent" marks of one claim, written in batches (conf.MARK_BATCH, conf.MARK_MS,
    conf.MARK_AT_ONCE_MS): one UPDATE for up to 100 mails instead of one each."""

    def __init__(self, token: str):
        self.token, self.ids, self.oldest = token, [], 0.0

    def add(self, pk: int, took: float) -> None:
        now = time.monotonic()
        if not self.ids:
            self.oldest = now
        self.ids.append(pk)
        if len(self.ids) >= conf.MARK_BATCH or (now - self.oldest) * 1000 >= conf.MARK_MS or took * 1000 >= conf.MARK_AT_ONCE_MS:
            self.flush()

    def flush(self) -> None:
        if self.ids:
            # Its own transaction, so that the commit without the disk flush (SET LOCAL) holds for
            # these marks only and ends with them: a session-level SET would stay on whichever
            # PostgreSQL connection PgBouncer (transaction mode) lent the statement, and reach
            # other clients' commits.
            with transaction.atomic():
                _asynchronous_commit()
                mark_sent(self.ids, self.token)
            self.ids = []


def mark_failed(ids: list[int], token: str, error: str) -> int:
    return Delivery.objects.filter(pk__in=ids, claim=token, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.FAILED, last_error=error[:2000], lease_until=None
    )


def release(ids: list[int], token: str, error: str = "", *, back_to: str = Delivery.Status.PENDING) -> int:
    """Give claimed deliveries back for a later try (or give up after conf.MAX_ATTEMPTS)."""
    ids = list(ids)
    if not ids:
        return 0
    held = Delivery.objects.filter(pk__in=ids, claim=token, status=Delivery.Status.SENDING)
    held.filter(attempts__gte=conf.MAX_ATTEMPTS).update(
        status=Delivery.Status.FAILED, last_error=f"gave up after {conf.MAX_ATTEMPTS} attempts: {error}"[:2000], lease_until=None
    )
    return held.update(status=back_to, claim="", lease_until=None, last_error=error[:2000])


class Lease:
    """Keeps a claim alive while a worker works through it: renewed at half-time, so the sweep
    only takes back claims of workers that died. Tells the worker which rows it still holds."""

    def __init__(self, token: str):
        self.token = token
        self.renewed = time.monotonic()

    def held(self, ids: set[int]) -> set[int]:
        if time.monotonic() - self.renewed < conf.LEASE_SECONDS / 2:
            return ids
        mine = Delivery.objects.filter(claim=self.token, status=Delivery.Status.SENDING)
        mine.update(lease_until=timezone.now() + dt.timedelta(seconds=conf.LEASE_SECONDS))
        self.renewed = time.monotonic()
        return set(mine.values_list("id", flat=True))


# --- rendering ----------------------------------------------------------------------------


def absolute(url: str) -> str:
    url = str(url or "")
    if url.startswith("/"):
        return settings.SITE_URL + url
    return url


def _dates(data: dict, language: str) -> dict[str, str]:
    """Every ISO date in `data` (keys ending in _date, _at or _on) formatted for the reader:
    Buddhist Era in Thai."""
    out = {}
    for key, value in (data or {}).items():
        if not isinstance(value, str) or not (key.endswith(("_date", "_at", "_on")) or key == "date"):
            continue
        try:
            parsed = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            continue
        out[key] = format_date(parsed, language)
    return out


def unsubscribe_token(user_id: int, channel: str = Channel.EMAIL) -> str:
    return signing.dumps({"u": user_id, "c": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def address_token(email: str, event: OutboxEvent) -> str:
    """For an address without an account: stop update mail about the event's record."""
    return signing.dumps({"e": email, "r": event.record_type, "i": event.record_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> dict | None:
    """{"u": user id, "c": channel} (an account) or {"e": email, "r": record type, "i": record id}."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, dict) and ("u" in value or "e" in value) else None


def stoppable(delivery: Delivery, event: OutboxEvent) -> bool:
    """Whether the mail carries a stop link: to an account always; to an address without one when it
    is an update about a record (a signer hears the outcome; a confirmation they asked for is not)."""
    return delivery.user_id is not None or (event.event not in conf.TRANSACTIONAL and bool(event.record_type))


def context_for(
    event: OutboxEvent, *, language: str, name: str = "", user_id: int | None = None, token: str = "", account: bool = True
) -> dict:
    data = dict(event.data or {})
    org = event.organisation.display_name(language) if event.organisation_id and event.organisation else ""
    ctx = {
        "event": event.event,
        "data": data,
        "title": data.get("title") or "",
        "url": absolute(data.get("url") or ""),
        "dates": _dates(data, language),
        "organisation": org,
        "name": name,
        "language": language,
        "site_url": settings.SITE_URL,
        "transactional": event.event in conf.TRANSACTIONAL,
        "unsubscribe_url": "",
    }
    if user_id is not None:
        token = token or unsubscribe_token(user_id)
        ctx["unsubscribe_url"] = absolute(reverse("notifications:unsubscribe", args=[token]))
        ctx["preferences_url"] = absolute(reverse("notifications:preferences")) if account else ""
    return ctx


def _templates(event: str, suffix: str) -> list[str]:
    return [f"notifications/email/{event}.{suffix}", f"notifications/email/generic.{suffix}"]


def render_subject(event: OutboxEvent, ctx: dict) -> str:
    subject = select_template(_templates(event.event, "subject.txt")).render(ctx)
    return " ".join(subject.split())[:250]


def inapp_title(event: OutboxEvent) -> str:
    """The inbox line: the email subject in the active language."""
    language = translation.get_language() or "th"
    return render_subject(event, context_for(event, language=language))


NAME_MARK, TOKEN_MARK = "RUAMKIDNAMEMARK", "RUAMKIDTOKENMARK"


class Renderer:
    """Renders each (event, language, named?, has an account?) once and fills in each person's
    name and unsubscribe token: a chunk of 500 recipients costs a handful of template renders."""

    def __init__(self):
        self.cache: dict[tuple, tuple[str, str, str, str]] = {}
        self.skeletons: dict[tuple, Skeleton | None] = {}

    def _key(self, delivery: Delivery, event: OutboxEvent) -> tuple:
        language = delivery.language if delivery.language in ("th", "en") else "th"
        key = (event.pk, language, bool(delivery.name), delivery.user_id is not None, stoppable(delivery, event))
        if key not in self.cache:
            _pk, language, named, has_user, stop = key
            with translation.override(language):
                ctx = context_for(
                    event, language=language, name=NAME_MARK if named else "",
                    user_id=0 if stop else None, token=TOKEN_MARK, account=has_user,
                )  # fmt: skip
                ctx["body_template"] = select_template(_templates(event.event, "txt")).template.name
                subject = render_subject(event, ctx)
                text = render_to_string("notifications/email/_text.txt", ctx)
                html = select_template(_templates(event.event, "html")).render(ctx)
            self.cache[key] = (subject, text, html, ctx["unsubscribe_url"])
        return key

    @staticmethod
    def _token(delivery: Delivery, event: OutboxEvent, key: tuple) -> str:
        has_user, stop = key[3], key[4]
        return unsubscribe_token(delivery.user_id) if has_user else address_token(delivery.email, event) if stop else ""

    def render(self, delivery: Delivery, event: OutboxEvent) -> tuple[str, str, str, str]:
        key = self._key(delivery, event)
        subject, text, html, unsubscribe_url = self.cache[key]
        token, name = self._token(delivery, event, key), delivery.name
        return (
            subject,
            text.replace(NAME_MARK, name).replace(TOKEN_MARK, token),
            html.replace(NAME_MARK, str(escape(name))).replace(TOKEN_MARK, token),
            unsubscribe_url.replace(TOKEN_MARK, token),
        )

    def raw(self, delivery: Delivery, event: OutboxEvent) -> bytes:
        """The whole mail as the SMTP server gets it (what build_email(...).message() would give,
        but a Date per chunk rather than per mail)."""
        key = self._key(delivery, event)
        if key not in self.skeletons:
            self.skeletons[key] = Skeleton.build(*self.cache[key])
        skeleton = self.skeletons[key]
        if skeleton is not None and not any(c in delivery.name + delivery.email for c in "\r\n"):  # else Django refuses it
            to = header_address(delivery.name, delivery.email, settings.DEFAULT_CHARSET)
            raw = skeleton.fill(
                to_header=to, message_id=message_id(delivery), name=delivery.name, token=self._token(delivery, event, key)
            )
            if raw is not None:
                return raw
        return build_email(delivery, event, renderer=self).message().as_bytes(linesep="\r\n")


def build_email(
    delivery: Delivery, event: OutboxEvent, connection=None, renderer: Renderer | None = None
) -> EmailMultiAlternatives:
    subject, text, html, unsubscribe_url = (renderer or Renderer()).render(delivery, event)
    headers = {"Message-ID": message_id(delivery)}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    to = formataddr((delivery.name, delivery.email)) if delivery.name else delivery.email
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers, connection=connection)
    message.attach_alternative(html, "text/html")
    return message


SMTP_LINE_LIMIT = 998  # RFC 5322: bytes per line, without the CRLF
TO_MARK, ID_MARK = "ruamkid-to-mark@ruamkid.invalid", "ruamkid-id-mark"
LISTED = {"7bit": b"8bit", "8bit": b"8bit"}


class Skeleton:
    """One MIME message as bytes per Renderer key, with marks where each person's To, Message-ID,
    name and unsubscribe token go: a mail costs a few bytes.replace() instead of a MIME build.
    The bytes are Django's own (EmailMultiAlternatives.message()), so headers and parts are those
    of build_email; None when a part came out quoted-printable or base64 (very long lines), where
    marks could be split: those mails are built one by one."""

    def __init__(self, raw: bytes):
        self.raw = raw

    @classmethod
    def build(cls, subject: str, text: str, html: str, unsubscribe_url: str) -> Skeleton | None:
        headers = {"Message-ID": ID_MARK}
        if unsubscribe_url:
            headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [TO_MARK], headers=headers)
        message.attach_alternative(html, "text/html")
        raw = message.message().as_bytes(linesep="\r\n")
        encodings = re.findall(rb"^Content-Transfer-Encoding: *(\S+)\r$", raw, re.M | re.I)
        if any(e.decode().lower() not in LISTED for e in encodings) or raw.count(b"\r\nTo: " + TO_MARK.encode() + b"\r\n") != 1:
            return None
        # 8bit is right for ASCII too: a Thai name filled into a part that was ASCII stays valid.
        raw = re.sub(rb"^(Content-Transfer-Encoding: *)7bit\r$", rb"\g<1>8bit\r", raw, flags=re.M | re.I)
        return cls(raw)

    def fill(self, *, to_header: str, message_id: str, name: str, token: str) -> bytes | None:
        """The mail for one person; None if a filled line would pass the SMTP line limit."""
        raw = (
            self.raw.replace(b"\r\nTo: " + TO_MARK.encode(), b"\r\nTo: " + to_header.replace("\n", "\r\n").encode(), 1)
            .replace(ID_MARK.encode(), message_id.encode(), 1)
            .replace(TOKEN_MARK.encode(), token.encode())
        )
        if NAME_MARK.encode() in raw:
            raw = _fill_name(raw, name)
        if name and max(map(len, raw.split(b"\r\n"))) > SMTP_LINE_LIMIT:
            return None
        return raw


def envelope_address(email: str, charset: str) -> str:
    """What Django's backend gives RCPT TO (sanitize_address), without its parser for plain ASCII."""
    return email if email.isascii() else sanitize_address(email, charset)


def header_address(name: str, email: str, charset: str) -> str:
    """The To header as Django writes it; its header parser only for non-ASCII addresses."""
    if not email.isascii():
        return forbid_multi_line_headers("To", formataddr((name, email)) if name else email, charset)[1]
    if not name:
        return email
    if name.isascii():
        return formataddr((name, email))
    return f"{Header(name, charset).encode()} <{email}>"


def _fill_name(raw: bytes, name: str) -> bytes:
    """The name as is in the text part, HTML-escaped in the HTML part (the parts in that order)."""
    head, sep, html = raw.partition(b"Content-Type: text/html")
    return head.replace(NAME_MARK.encode(), name.encode()) + sep + html.replace(NAME_MARK.encode(), str(escape(name)).encode())


def message_id(delivery: Delivery) -> str:
    return f"<ruamkid.{delivery.key.replace(':', '.').replace('@', '=')}@{_domain()}>"


def _domain() -> str:
    from urllib.parse import urlparse

    return urlparse(settings.SITE_URL).hostname or "ruamkid.local"


# --- email ----------------------------------------------------------------------------------

# Errors that say "the mail system is not reachable now": the whole chunk waits and retries.
CONNECTION_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    socket.timeout,
    TimeoutError,
    OSError,
)


def _smtp_code(exc: Exception) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return min(codes) if codes else 550
    return int(getattr(exc, "smtp_code", 0) or 0)


def _asynchronous_commit() -> None:
    """PostgreSQL: the "sent" marks of the current transaction commit without waiting for the disk
    flush (the fsync per batch, not the SMTP, was the bottleneck). A killed worker loses nothing
    (the server has the commit); only a crash of PostgreSQL itself may forget the last fraction of
    a second of marks, and those few mails would be sent once more. SET LOCAL: the setting ends
    with the transaction, as PgBouncer in transaction mode needs (docs/OPERATIONS.md)."""
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def send_emails(ids: list[int]) -> dict[str, int]:
    """Send the email deliveries `ids` over one connection. Raises TransientDeliveryError when
    some must be tried again later (they are back to pending); permanent failures are recorded."""
    token, claimed = claim(ids, channel=Channel.EMAIL)
    result = {"sent": 0, "failed": 0, "retry": 0}
    if not claimed:
        return result
    events = {e.pk: e for e in OutboxEvent.objects.select_related("organisation").filter(pk__in={d.event_id for d in claimed})}
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:
        release([d.pk for d in claimed], token, f"{type(exc).__name__}: {exc}")
        raise TransientDeliveryError(f"mail server unreachable: {exc}") from exc
    retry: list[int] = []
    # Django's SMTP backend: its connection (TLS, login) takes the mail as bytes, as the backend would
    # hand it over; any other backend (locmem in tests, console) gets EmailMessage objects.
    smtp = connection.connection if isinstance(connection, SMTPBackend) else None
    charset = settings.DEFAULT_CHARSET
    envelope_from = sanitize_address(settings.DEFAULT_FROM_EMAIL, charset)
    lease, held, renderer, marks = Lease(token), {d.pk for d in claimed}, Renderer(), Marks(token)
    try:
        for index, delivery in enumerate(claimed):
            held = lease.held(held)
            if delivery.pk not in held:  # our lease ran out and another worker took it over
                continue
            try:
                validate_email(delivery.email)
            except ValidationError:
                mark_failed([delivery.pk], token, "invalid address")
                result["failed"] += 1
                continue
            began = time.monotonic()
            try:
                event = events[delivery.event_id]
                if smtp is not None:  # the bytes straight onto the open connection
                    smtp.sendmail(envelope_from, [envelope_address(delivery.email, charset)], renderer.raw(delivery, event))
                else:
                    connection.send_messages([build_email(delivery, event, connection, renderer)])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                code = _smtp_code(exc)
                if code >= 500:
                    mark_failed([delivery.pk], token, f"refused by the mail server ({code})")
                    result["failed"] += 1
                else:
                    retry.append(delivery.pk)
                continue
            except CONNECTION_ERRORS as exc:
                rest = [d.pk for d in claimed[index:]]
                release(rest + retry, token, f"{type(exc).__name__}: {exc}")
                raise TransientDeliveryError(f"mail server went away: {exc}") from exc
            marks.add(delivery.pk, time.monotonic() - began)
            result["sent"] += 1
    finally:
        marks.flush()
        try:
            connection.close()
        except Exception:
            log.debug("closing the SMTP connection failed", exc_info=True)
    if retry:
        release(retry, token, "temporarily refused by the mail server")
        result["retry"] = len(retry)
        raise TransientDeliveryError(f"{len(retry)} mails temporarily refused")
    return result


def send_digests(user_ids=None) -> int:
    """One mail per person with everything waiting for their daily digest."""
    waiting = Delivery.objects.filter(channel=Channel.EMAIL, status=Delivery.Status.DIGEST)
    if user_ids is not None:
        waiting = waiting.filter(user_id__in=list(user_ids))
    people = sorted(set(waiting.values_list("user_id", flat=True)))
    sent = 0
    connection = get_connection(fail_silently=False)
    connection.open()
    try:
        for user_id in people:
            token, claimed = claim(None, channel=Channel.EMAIL, digest=True, user_id=user_id)
            if not claimed:
                continue
            first = claimed[0]
            events = {
                e.pk: e for e in OutboxEvent.objects.select_related("organisation").filter(pk__in={d.event_id for d in claimed})
            }
            language = first.language if first.language in ("th", "en") else "th"
            with translation.override(language):
                items = []
                for d in claimed:
                    event = events[d.event_id]
                    ctx = context_for(event, language=language)
                    items.append(
                        {
                            "subject": render_subject(event, ctx),
                            "url": ctx["url"],
                            "created_at": format_date(event.created_at, language),
                        }
                    )
                ctx = context_for(events[first.event_id], language=language, name=first.name, user_id=user_id)
                ctx["items"] = items
                ctx["url"] = absolute(reverse("notifications:inbox"))
                subject = " ".join(render_to_string("notifications/email/digest.subject.txt", ctx).split())
                text = render_to_string("notifications/email/digest.txt", ctx)
                html = render_to_string("notifications/email/digest.html", ctx)
            headers = {"List-Unsubscribe": f"<{ctx['unsubscribe_url']}>"}
            message = EmailMultiAlternatives(
                subject, text, settings.DEFAULT_FROM_EMAIL, [first.email], headers=headers, connection=connection
            )
            message.attach_alternative(html, "text/html")
            try:
                connection.send_messages([message])
            except Exception as exc:
                release([d.pk for d in claimed], token, f"{type(exc).__name__}: {exc}", back_to=Delivery.Status.DIGEST)
                log.warning("digest for user %s not sent; kept for the next run", user_id, exc_info=True)
                continue
            mark_sent([d.pk for d in claimed], token)
            sent += 1
    finally:
        connection.close()
    return sent


# --- webhooks -------------------------------------------------------------------------------


def webhook_body(event: OutboxEvent) -> bytes:
    payload = {
        "id": event.pk,
        "event": event.event,
        "created_at": event.created_at.isoformat(),
        "organisation_id": event.organisation_id,
        "record_type": event.record_type,
        "record_id": event.record_id,
        "data": {**(event.data or {}), "url": absolute((event.data or {}).get("url") or "")},
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """sha256=HMAC-SHA256(secret, "<timestamp>.<body>"): what receivers recompute."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def webhook_post(url: str, *, secret: str, body: bytes, event: str, delivery_key: str) -> int:
    """The one seam to integrators' servers. Returns the HTTP status (raises for network errors)."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("webhook URLs must be http(s)")
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Ruamkid-Webhooks/1",
            "X-Ruamkid-Event": event,
            "X-Ruamkid-Delivery": delivery_key,
            "X-Ruamkid-Timestamp": timestamp,
            "X-Ruamkid-Signature": webhook_signature(secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=conf.WEBHOOK_TIMEOUT) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def send_webhooks(ids: list[int]) -> dict[str, int]:
    token, claimed = claim(ids, channel=Channel.WEBHOOK)
    result = {"sent": 0, "failed": 0, "retry": 0}
    retry = []
    lease, held = Lease(token), {d.pk for d in claimed}
    for delivery in claimed:
        held = lease.held(held)  # up to WEBHOOK_TIMEOUT each: keep the claim alive
        if delivery.pk not in held:
            continue
        endpoint, event = delivery.endpoint, delivery.event
        try:
            status = webhook_post(
                endpoint.url, secret=endpoint.secret, body=webhook_body(event), event=event.event, delivery_key=delivery.key
            )
        except (urllib.error.URLError, OSError) as exc:
            retry.append(delivery.pk)
            log.info("webhook %s unreachable: %s", endpoint.url, exc)
            continue
        except ValueError as exc:
            mark_failed([delivery.pk], token, str(exc))
            result["failed"] += 1
            continue
        if 200 <= status < 300:
            mark_sent([delivery.pk], token)
            result["sent"] += 1
        elif status >= 500 or status in (408, 425, 429):
            retry.append(delivery.pk)
        else:
            mark_failed([delivery.pk], token, f"the receiver answered HTTP {status}")
            result["failed"] += 1
    if retry:
        release(retry, token, "receiver unreachable or busy")
        result["retry"] = len(retry)
        raise TransientDeliveryError(f"{len(retry)} webhooks to retry")
    return result
