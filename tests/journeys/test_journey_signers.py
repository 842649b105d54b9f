"""Close the loop, as the signers live it: people sign a petition on the page (visitors by email,
confirmed by the link in the real mail; residents signed in, in one step), a clerk takes it to the
council and records the outcome on the page, and every confirmed signer who did not say no hears
it: by mail (sent by the real Celery worker over SMTP), and residents also in their inbox, whose
entry leads to the petition's outcome. Who never confirmed, or unticked "email me what becomes
of it", hears nothing."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from notifications.models import Channel, Delivery
from petitions.models import Petition, PetitionPolicy, Signature, SignatureState
from tests.petitions.conftest import make_petition

from .conftest import DESKTOP, JOURNEY, PHONE, link_in, mails_to, screenshot, sign_in, text_of, wait_until

pytestmark = JOURNEY

TITLE = "ขอไฟส่องสว่างถนนหมู่ที่ 3"
SUBJECT = f"มติสภาเกี่ยวกับคำร้อง: {TITLE}"
SUMMARY = "สภาเทศบาลมีมติเห็นชอบให้ติดตั้งไฟ 20 ต้น"
# address -> hears the outcome (True), unticks "email me" (False), never confirms (None)
VISITORS = {"visitor1@example.org": True, "visitor2@example.org": False, "visitor3@example.org": None}
MEMBERS = ("somchai@example.com", "somying@example.com")


@pytest.fixture
def world(org, make_user, moderator, clerk, resident):
    PetitionPolicy.objects.create(
        organisation=org, sponsors_required=2, response_threshold=10, council_threshold=3, ip_limit=1000
    )
    author = make_user(Role.RESIDENT, org=org, email="author@example.com", full_name="ประยูร ขยัน")
    sponsors = [make_user(Role.RESIDENT, org=org, email=f"sponsor{i}@example.com") for i in range(2)]
    make_user(Role.RESIDENT, org=org, email=MEMBERS[1], full_name="สมหญิง รักดี", village=org.villages.get(number=2))
    return make_petition(org, author, state="open", sponsors=sponsors, moderator=moderator, title=TITLE)


def _outcome_mails(mailbox, address: str) -> list:
    return [m for m in mailbox.to(address) if m["Subject"].strip() == SUBJECT]


def test_every_confirmed_signer_hears_the_councils_outcome_in_the_inbox_and_by_mail(browse, mail, world, clerk):
    petition = world
    page = browse(PHONE)
    try:
        _journey(browse, page, mail, petition)
    except Exception:
        screenshot(page, "signers")
        raise


def _journey(browse, page, mailbox, petition):
    url = f"/petitions/{petition.pk}/"
    # 1. Visitors sign by email on a phone; two confirm from the mail, one never does.
    for n, (address, hears) in enumerate(VISITORS.items()):
        visitor = browse(PHONE)
        visitor.goto(url)
        form = visitor.get_by_test_id("sign-form")
        form.locator("#id_name").fill(f"ผู้ลงชื่อ {n}")
        form.locator("#id_email").fill(address)
        form.locator("#id_village").select_option(str(n + 1))
        form.locator("#id_consent").check()
        if hears is False:
            form.locator("#id_notify_outcome").uncheck()
        visitor.get_by_test_id("sign-submit").click()
        visitor.get_by_test_id("sign-done").wait_for()
        if hears is None:
            continue
        (message,) = mails_to(mailbox, address)
        visitor.goto(link_in(message, "/petitions/signatures/confirm/"))
        visitor.get_by_test_id("confirm-button").click()
        visitor.get_by_test_id("confirm-done").wait_for()

    # 2. Two residents sign in from the petition and sign in one step.
    members = {}
    for email in MEMBERS:
        member = browse(PHONE)
        member.goto(url)
        sign_in(member, email)
        form = member.get_by_test_id("sign-form")
        if not form.locator("#id_village").input_value():  # an account without a village says it here
            form.locator("#id_village").select_option("4")
        form.locator("#id_consent").check()
        member.get_by_test_id("sign-submit").click()
        expect(member.get_by_test_id("you-signed")).to_be_visible()
        members[email] = member
    confirmed = set(Signature.objects.filter(petition=petition, state=SignatureState.CONFIRMED).values_list("email", flat=True))
    assert confirmed == {"visitor1@example.org", "visitor2@example.org", *MEMBERS}

    # 3. Signing ends; the clerk takes it to the council and records the outcome on the page.
    Petition.objects.filter(pk=petition.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    staff = browse(DESKTOP)
    staff.goto(url)
    sign_in(staff, "clerk@example.com")
    staff.get_by_test_id("act-submit").click()
    staff.get_by_test_id("act-consider").click()
    outcome = staff.get_by_test_id("outcome-form")
    outcome.locator("#id_decision").select_option("adopted")
    outcome.locator("#id_summary").fill(SUMMARY)
    outcome.locator("#id_meeting").fill("สมัยสามัญที่ 4/2569")
    staff.get_by_test_id("act-decide").click()
    expect(staff.get_by_test_id("outcome")).to_contain_text(SUMMARY)

    # 4. The mail: each confirmed signer who did not say no, and the author; one each.
    hearing = ["visitor1@example.org", *MEMBERS, "author@example.com"]
    for address in hearing:
        assert wait_until(lambda a=address: _outcome_mails(mailbox, a), 40), (address, mailbox.recipients())
        (message,) = _outcome_mails(mailbox, address)
        body = text_of(message)
        assert SUMMARY in body and f"/petitions/{petition.pk}/" in body
    visitor_mail = _outcome_mails(mailbox, "visitor1@example.org")[0]
    assert "/notifications/unsubscribe/" in visitor_mail["List-Unsubscribe"]  # a visitor can stop it from the mail
    assert wait_until(
        lambda: (
            not Delivery.objects.filter(event__event="petition.council_outcome", channel=Channel.EMAIL)
            .exclude(status=Delivery.Status.SENT)
            .exists()
        ),
        20,
    )  # every outcome mail there is has gone: nobody else is still to hear it
    for address in ("visitor2@example.org", "visitor3@example.org"):
        assert _outcome_mails(mailbox, address) == [], address

    # 5. The inbox: each resident who signed has the outcome there, and it leads to the petition.
    for member in members.values():
        member.locator("header.site").get_by_role("link", name="กล่องข้อความ").click()
        entry = member.get_by_test_id("inbox").get_by_role("link").filter(has_text=TITLE).filter(has_text="มติสภา")
        expect(entry).to_have_count(1)
        entry.click()
        member.wait_for_url(re.compile(rf"/petitions/{petition.pk}/"))
        expect(member.get_by_test_id("outcome")).to_contain_text(SUMMARY)
