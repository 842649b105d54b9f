"""SMTP PIPELINING (RFC 2920): against a real listener that advertises it (aiosmtpd with
PIPELINING in its EHLO, as Postfix answers) each mail's MAIL FROM, RCPT TO and DATA go in one
write with the content of the mail before; against one that does not, one smtplib.sendmail a
mail as before. Refusals of one recipient in a pipelined chunk leave the others right."""

import smtplib
from collections import Counter

import pytest

from notifications import conf
from notifications.channels import TransientDeliveryError, message_id, send_emails
from notifications.models import Delivery

from .conftest import follow, text_of
from .test_email import fanned


@pytest.fixture
def sendmails(monkeypatch):
    """Counts smtplib.SMTP.sendmail calls (the non-pipelined path), changing nothing else."""
    calls = {"n": 0}
    real = smtplib.SMTP.sendmail

    def sendmail(self, *args, **kwargs):
        calls["n"] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "sendmail", sendmail)
    return calls


def people(make_user, count: int) -> list[str]:
    addresses = [f"p{n:03d}@example.com" for n in range(count)]
    for n, address in enumerate(addresses):
        follow(make_user(email=address, full_name=f"คน {n}" if n % 2 else f"Person {n}", language="th" if n % 2 else "en"))
    return addresses


def test_a_chunk_is_pipelined_to_a_server_that_advertises_it(make_user, pipelining_backend, sendmails):
    addresses = people(make_user, 40)
    _event, ids = fanned()
    assert send_emails(ids) == {"sent": 40, "failed": 0, "retry": 0}
    assert sendmails["n"] == 0  # nothing went through smtplib's one-command-a-round-trip path
    assert pipelining_backend.transactions == 40
    assert Counter(pipelining_backend.recipients()) == Counter(addresses)  # each once
    assert Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENT).count() == 40
    for delivery in Delivery.objects.filter(pk__in=ids):
        (mail,) = pipelining_backend.to(delivery.email)
        assert mail["Message-ID"] == message_id(delivery)
        assert delivery.email in mail["To"]
        assert "/notifications/unsubscribe/" in mail["List-Unsubscribe"]
        greeting = "สวัสดี" if delivery.language == "th" else "Hello"
        assert greeting in text_of(mail) or delivery.name in text_of(mail)


def test_a_server_without_pipelining_gets_one_transaction_at_a_time(make_user, smtp_backend, sendmails):
    addresses = people(make_user, 12)
    _event, ids = fanned()
    assert send_emails(ids) == {"sent": 12, "failed": 0, "retry": 0}
    assert sendmails["n"] == 12
    assert Counter(smtp_backend.recipients()) == Counter(addresses)


def test_the_switch_turns_pipelining_off(make_user, pipelining_backend, sendmails, settings):
    settings.NOTIFICATIONS_SMTP_PIPELINING = False
    people(make_user, 5)
    _event, ids = fanned()
    assert send_emails(ids) == {"sent": 5, "failed": 0, "retry": 0}
    assert sendmails["n"] == 5


def test_refusals_in_a_pipelined_chunk_leave_the_others_right(make_user, pipelining_backend, sendmails):
    addresses = people(make_user, 12)
    gone, busy, spam, last = addresses[3], addresses[4], addresses[7], addresses[11]
    pipelining_backend.refuse[gone] = "550 5.1.1 No such user"
    pipelining_backend.refuse[busy] = "451 4.2.1 Mailbox busy, try later"
    pipelining_backend.refuse_data[spam] = "554 5.7.1 Rejected as spam"
    pipelining_backend.refuse_data[last] = "452 4.3.1 Insufficient system storage"
    _event, ids = fanned()
    with pytest.raises(TransientDeliveryError):
        send_emails(ids)
    assert sendmails["n"] == 0
    rows = {d.email: d for d in Delivery.objects.filter(pk__in=ids)}
    assert rows[gone].status == Delivery.Status.FAILED and "550" in rows[gone].last_error
    assert rows[spam].status == Delivery.Status.FAILED and "554" in rows[spam].last_error
    for again in (busy, last):
        assert rows[again].status == Delivery.Status.PENDING and rows[again].attempts == 1
        assert rows[again].last_error == "temporarily refused by the mail server"
    fine = set(addresses) - {gone, busy, spam, last}
    assert {a for a, d in rows.items() if d.status == Delivery.Status.SENT} == fine
    assert Counter(pipelining_backend.recipients()) == Counter(fine)  # the mails after each refusal arrived, once

    # The retry: the busy mailbox and the full disk have recovered; only they are sent, once.
    pipelining_backend.refuse.clear()
    pipelining_backend.refuse_data.clear()
    assert send_emails(ids) == {"sent": 2, "failed": 0, "retry": 0}
    assert Counter(pipelining_backend.recipients()) == Counter(fine | {busy, last})
    assert Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENT).count() == 10


def test_a_line_starting_with_a_dot_is_stuffed_and_arrives_whole(make_user, pipelining_backend):
    """A summary line "." alone would end the DATA early if it were not doubled (RFC 5321 4.5.2)."""
    from notifications.channels import Renderer

    follow(make_user(email="dot@example.com", full_name="Dot", language="en"))
    follow(make_user(email="after@example.com", full_name="After", language="en"))
    event, ids = fanned(event="petition.updated", data={"title": "Road", "url": "/petitions/12/", "summary": ".hidden\n.\nend"})
    assert b"\r\n.hidden\r\n.\r\nend" in Renderer().raw(Delivery.objects.get(pk=ids[0]), event)
    assert send_emails(ids) == {"sent": 2, "failed": 0, "retry": 0}
    (mail,) = pipelining_backend.to("dot@example.com")
    assert ".hidden\r\n.\r\nend\r\n" in text_of(mail)
    (after,) = pipelining_backend.to("after@example.com")  # the next mail began where it should
    assert after["Message-ID"] == message_id(Delivery.objects.get(pk=ids[1]))


class Killed(BaseException):
    """The worker process dies: nothing after it runs."""


def test_a_worker_killed_mid_pipeline_resends_at_most_the_unmarked_batch(make_user, pipelining_backend, monkeypatch, eager):
    """Killed right after the server accepted mail 25 (its "250" read, the next mail's MAIL FROM,
    RCPT TO and DATA already answered): marks after mails 10 and 20 are in; 21–25 come again."""
    from notifications.channels import Marks
    from notifications.relay import sweep

    monkeypatch.setattr(conf, "MARK_BATCH", 10)
    monkeypatch.setattr(conf, "MARK_MS", 10**9)
    monkeypatch.setattr(conf, "MARK_AT_ONCE_MS", 10**9)
    addresses = people(make_user, 35)
    _event, ids = fanned()
    state = {"accepted": 0, "dead": False}
    real_add, real_flush = Marks.add, Marks.flush

    def add(self, pk, took):
        if state["dead"]:
            raise Killed
        state["accepted"] += 1
        if state["accepted"] == 25:
            state["dead"] = True
            raise Killed
        return real_add(self, pk, took)

    def flush(self):
        if state["dead"]:
            raise Killed
        return real_flush(self)

    monkeypatch.setattr(Marks, "add", add)
    monkeypatch.setattr(Marks, "flush", flush)
    with pytest.raises(Killed):
        send_emails(ids)
    assert Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENT).count() == 20
    assert pipelining_backend.wait_for(25)
    monkeypatch.setattr(Marks, "add", real_add)
    monkeypatch.setattr(Marks, "flush", real_flush)
    import datetime as dt

    from django.utils import timezone

    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    sweep()  # eager: the sweep's tasks send in this process
    counts = Counter(pipelining_backend.recipients())
    assert set(counts) == set(addresses)
    in_order = list(Delivery.objects.filter(pk__in=ids).order_by("id").values_list("email", flat=True))
    assert sorted(a for a, n in counts.items() if n > 1) == sorted(in_order[20:25])
    assert max(counts.values()) == 2
    assert Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENT).count() == 35
