"""The fast mail path: MIME bytes filled per person (the same mail Django would build) and the
batched "sent" marks, with the window a killed worker re-sends. Real SMTP listener (aiosmtpd)."""

import datetime as dt
import email
import email.policy
import smtplib
from collections import Counter
from email.header import decode_header, make_header

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import conf
from notifications.channels import Renderer, build_email, send_emails
from notifications.models import Delivery
from notifications.relay import sweep

from .conftest import follow, html_of, text_of
from .test_email import fanned

LONG_NAME = " ".join(["สมหญิง"] * 28)  # 195 characters, mostly 3 bytes each: a To header of several encoded words


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


@pytest.mark.parametrize(
    ("event", "person"),
    [
        ("petition.opened", {"full_name": "สมหญิง ใจดี", "language": "th"}),
        ("petition.opened", {"full_name": 'Jane "J" <O\'Neil> & Co', "language": "en"}),
        ("petition.opened", {"full_name": "", "language": "en"}),
        ("petition.opened", {"full_name": LONG_NAME, "language": "th"}),
        ("signature.confirm_requested", None),  # an address without an account, no stop link
        ("petition.responded", None),  # an address without an account, with the record's stop link
    ],
)
def test_the_filled_bytes_are_the_mail_django_would_build(make_user, event, person, monkeypatch):
    # The stop links are signed with the second they were made: both builds sign in the same one
    # (on a loaded machine the two renderings can straddle a second and differ only there).
    from django.core.signing import TimestampSigner

    second = TimestampSigner().timestamp()
    monkeypatch.setattr(TimestampSigner, "timestamp", lambda self: second)
    if person is None:
        ev, ids = fanned(event=event, audience={"emails": [{"email": "guest@example.org", "name": "ผู้มาเยือน"}]})
    else:
        follow(make_user(email="reader@example.com", **person))
        ev, ids = fanned(event=event)
    (delivery,) = Delivery.objects.filter(pk__in=ids)
    ours = parsed(Renderer().raw(delivery, ev))
    django = parsed(build_email(delivery, ev).message().as_bytes(linesep="\r\n"))
    # Django's generator refolds a long encoded To header and splits characters apart ("สมห ญิง"); ours keeps it whole.
    headers = ("To",) if person is None or person["full_name"] != LONG_NAME else ()
    for header in (*headers, "Subject", "From", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "Content-Type"):
        assert str(ours[header] or "").split(";")[0] == str(django[header] or "").split(";")[0], header
    assert text_of(ours) == text_of(django)
    assert html_of(ours) == html_of(django)
    assert all(len(line) <= 998 for line in Renderer().raw(delivery, ev).split(b"\r\n"))
    if person and not person["full_name"].isascii():  # RFC 2047: the space between encoded words is not part of the name
        to = email.message_from_bytes(Renderer().raw(delivery, ev))["To"]
        assert str(make_header(decode_header(to.rsplit("<", 1)[0].strip()))) == person["full_name"]


def test_a_name_with_a_line_break_is_refused_as_django_refuses_it(make_user):
    from django.core.mail import BadHeaderError

    follow(make_user(email="evil@example.com", full_name="Eve\r\nBcc: victim@example.com"))
    ev, ids = fanned()
    with pytest.raises(BadHeaderError):
        Renderer().raw(Delivery.objects.get(pk=ids[0]), ev)


@pytest.fixture
def marks(monkeypatch):
    """Deterministic batching: only MARK_BATCH decides (no time-based flush) unless a test says so."""

    def set_(batch=100, ms=10**9, at_once_ms=10**9):
        monkeypatch.setattr(conf, "MARK_BATCH", batch)
        monkeypatch.setattr(conf, "MARK_MS", ms)
        monkeypatch.setattr(conf, "MARK_AT_ONCE_MS", at_once_ms)

    return set_


def people(make_user, count: int) -> list[str]:
    addresses = [f"p{n:03d}@example.com" for n in range(count)]
    for address in addresses:
        follow(make_user(email=address, full_name=f"คน {address[:4]}"))
    return addresses


def test_a_chunk_is_sent_once_and_marked_in_batches(make_user, smtp_backend, marks):
    marks(batch=100)
    addresses = people(make_user, 250)
    _event, ids = fanned()
    with CaptureQueriesContext(connection) as queries:
        assert send_emails(ids) == {"sent": 250, "failed": 0, "retry": 0}
    assert Counter(smtp_backend.recipients()) == Counter(addresses)  # each once
    assert Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENT).count() == 250
    mark_statements = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "'sent'" in q["sql"]]
    assert len(mark_statements) == 3  # 100 + 100 + 50, not 250


@pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
@pytest.mark.django_db(transaction=True)  # autocommit, as in the worker: the test's own transaction would keep SET LOCAL
def test_the_marks_commit_without_the_disk_flush_only_in_their_own_transaction(make_user, smtp_backend, marks):
    """Behind PgBouncer in transaction mode each transaction may run on another server connection: a
    session-level SET would stay behind on one of them (and reach other clients' commits) while the
    RESET went to another. So the setting is SET LOCAL, inside the transaction of each batch of marks."""
    marks(batch=10)
    people(make_user, 25)
    _event, ids = fanned()
    with CaptureQueriesContext(connection) as queries:
        assert send_emails(ids)["sent"] == 25
    sql = [q["sql"] for q in queries.captured_queries]
    settings_sql = [s for s in sql if "synchronous_commit" in s]
    assert settings_sql == ["SET LOCAL synchronous_commit TO OFF"] * 3  # 10 + 10 + 5 marks, each batch its own
    for index, statement in enumerate(sql):
        if "synchronous_commit" in statement:
            assert "'sent'" in sql[index + 1] and sql[index + 1].startswith("UPDATE")  # the marks, in the same transaction
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


class Killed(BaseException):
    """The worker process dies: nothing after it runs (no flush, no release)."""


def kill_after(monkeypatch, accepted: int) -> dict:
    """The worker dies right after the server accepted mail number `accepted`, before it could
    write anything more to the database."""
    state = {"sent": 0, "dead": False}
    real_sendmail = smtplib.SMTP.sendmail

    def sendmail(self, *args, **kwargs):
        if state["dead"]:
            raise Killed
        answer = real_sendmail(self, *args, **kwargs)
        state["sent"] += 1
        if state["sent"] == accepted:
            state["dead"] = True
            raise Killed
        return answer

    real_mark_sent = __import__("notifications.channels", fromlist=["mark_sent"]).mark_sent

    def mark_sent(*args, **kwargs):
        if state["dead"]:
            raise Killed
        return real_mark_sent(*args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "sendmail", sendmail)
    monkeypatch.setattr("notifications.channels.mark_sent", mark_sent)
    return state


def next_worker(monkeypatch, ids) -> None:
    """The dead worker's lease runs out; the sweep hands its claims to a live worker (eager)."""
    monkeypatch.undo()
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    sweep()


def test_a_worker_killed_between_send_and_mark_resends_at_most_the_unmarked_batch(
    make_user, smtp_backend, marks, monkeypatch, eager
):
    marks(batch=10)
    addresses = people(make_user, 35)
    _event, ids = fanned()
    kill_after(monkeypatch, accepted=25)  # marks written after mails 10 and 20; 21–25 accepted, not marked
    with pytest.raises(Killed):
        send_emails(ids)
    assert Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENT).count() == 20
    next_worker(monkeypatch, ids)
    counts = Counter(smtp_backend.recipients())
    assert set(counts) == set(addresses)  # nobody lost
    in_order = list(Delivery.objects.filter(pk__in=ids).order_by("id").values_list("email", flat=True))
    twice = sorted(a for a, n in counts.items() if n > 1)
    assert twice == sorted(in_order[20:25])  # exactly the accepted, unmarked ones: at most MARK_BATCH
    assert max(counts.values()) == 2
    assert Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENT).count() == 35


def test_after_a_slow_transaction_the_mark_is_written_at_once(make_user, smtp_backend, marks, monkeypatch, eager):
    """A server taking 30 ms a mail (MARK_AT_ONCE_MS 20): every accepted mail is marked before the
    next begins, so a kill re-sends nothing the server had accepted."""
    marks(batch=100, at_once_ms=20)
    smtp_backend.delay = 0.03
    addresses = people(make_user, 6)
    _event, ids = fanned()
    kill_after(monkeypatch, accepted=4)
    with pytest.raises(Killed):
        send_emails(ids)
    assert Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENT).count() == 3  # the 4th died before its mark
    next_worker(monkeypatch, ids)
    counts = Counter(smtp_backend.recipients())
    assert set(counts) == set(addresses)
    fourth = Delivery.objects.filter(pk__in=ids).order_by("id")[3].email
    assert [a for a, n in counts.items() if n > 1] == [fourth]  # only the one inside the 250-to-UPDATE instant
