"""The filer told by real email (SMTP) at each step: an anonymous filer who gave an address gets
Thai mail with the tracking link; staff get the SLA alert."""

from django.conf import settings

from accounts.models import Role
from notifications.channels import send_emails
from notifications.models import Channel, Delivery
from notifications.relay import relay_pending
from workflows.services import transition


def _send():
    relay_pending()
    ids = list(Delivery.objects.filter(channel=Channel.EMAIL, status="pending").values_list("id", flat=True))
    return send_emails(ids)


def test_an_anonymous_filer_gets_thai_mail_with_the_tracking_link(make_complaint, moderator, works, smtp_backend):
    c = make_complaint(email="nid@example.com", name="นิด")
    c = transition(c, "assign", actor=moderator, payload={"division": works.pk})
    _send()
    received, assigned = smtp_backend.to("nid@example.com")
    assert received["Subject"].strip() == f"ได้รับเรื่องร้องเรียนแล้ว: รหัสติดตามเรื่อง {c.tracking_code}"
    body = received.get_body(preferencelist=("plain",)).get_content()
    assert settings.SITE_URL + f"/complaints/track/{c.tracking_code}/" in body
    assert "กองช่าง" in assigned.get_body(preferencelist=("plain",)).get_content()


def test_staff_get_the_deadline_alert(make_complaint, make_user, org, smtp_backend):
    import datetime as dt

    from django.utils import timezone

    from complaints.models import Complaint
    from complaints.services import complaint_sla_alerts

    make_user(Role.CLERK, org=org, email="clerk@example.com")
    c = make_complaint()
    Complaint.objects.filter(pk=c.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    complaint_sla_alerts()
    _send()
    subjects = [m["Subject"].strip() for m in smtp_backend.to("clerk@example.com")]
    assert f"เกินกำหนดแล้ว: {c.tracking_code} · ถนน ทางเท้า สะพาน" in subjects
