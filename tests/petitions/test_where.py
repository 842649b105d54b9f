"""Where a petition is, in words (issue 14): the sign form comes first, then where it is and what
comes next; the full diagram is one click away, not printed above the content."""

import re

from workflows.where import CURRENT, DONE, where


def test_an_open_petition_is_past_moderation_and_closes_next(open_petition):
    w = where(open_petition)
    status = {s.value: s.status for s in w.steps}
    assert status["awaiting_moderation"] == DONE and status["open"] == CURRENT
    assert "rejected" not in status and "hidden" not in status  # exits show only when the petition is in one
    assert [s.value for s in w.next] == ["closed"]  # submitting needs the threshold first


def test_the_page_puts_the_sign_form_first_and_the_diagram_behind_a_click(open_petition, client):
    client.cookies["django_language"] = "en"
    page = client.get(f"/petitions/{open_petition.pk}/").content.decode()
    assert page.index('data-testid="sign-form"') < page.index('data-testid="where"')
    section = re.search(r'<section class="where card".*?</section>', page, re.S).group(0)
    assert "Open for signatures" in section and "Residents can sign until signing closes." in section
    assert "Next:</strong> Closed" in section
    before_details, diagram = section.split('<details class="where-diagram"')
    assert "wf-diagram" not in before_details and "wf-diagram" in diagram
    details = page.index('<details class="where-diagram"')
    assert page.index("wf-diagram") > details and page.rindex("wf-diagram") < page.index("</details>", details)


def test_a_rejected_petition_says_so_and_that_nothing_follows(make_user, org, policy, sponsors, moderator, client, resident):
    from .conftest import make_petition

    p = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors, moderator=moderator)
    from petitions.models import Petition

    Petition.objects.filter(pk=p.pk).update(state="rejected")
    w = where(Petition.objects.get(pk=p.pk))
    assert w.off_line and w.ended and w.current_label == "Rejected"
    page = client.get(f"/petitions/{p.pk}/", headers={"Cookie": "django_language=th"}).content.decode()
    assert "ไม่มีขั้นตอนต่อไปแล้ว" in page and "เทศบาลไม่รับคำร้อง" in page
