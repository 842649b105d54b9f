"""Nobody moderates their own contribution (issue #15): a moderator's own comment waits for another
moderator. The rule is the engine's (workflows.services.moderation_guard), shared with petitions."""

import pytest

from accounts.models import Role
from consultations import services
from consultations.models import Comment, ReasonCode, State, Visibility
from notifications.models import OutboxEvent
from tests.conftest import error_of
from workflows.errors import PermissionDenied
from workflows.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_comment(make_consultation, moderator, residents):
    """A moderator's comment, reported by a resident (its reports wait for a moderator)."""
    c = make_consultation("consult", State.DELIBERATION)
    comment = Comment.objects.create(consultation=c, author=moderator, body="ความเห็นของเจ้าหน้าที่", by_staff=True)
    services.report_file(consultation=c, actor=residents[0], kind="comment", object_id=comment.pk, reason_code=ReasonCode.SPAM)
    return comment


@pytest.mark.parametrize("outcome", ["remove", "dismiss"])
def test_a_moderator_cannot_decide_on_their_own_comment(own_comment, moderator, outcome):
    with pytest.raises(PermissionDenied) as err:
        services.moderation_decide(
            consultation=own_comment.consultation, actor=moderator, kind="comment", object_id=own_comment.pk,
            outcome=outcome, reason_code=ReasonCode.SPAM, reason="x",
        )  # fmt: skip
    assert err.value.code == "own_contribution_moderation"
    own_comment.refresh_from_db()
    assert own_comment.visibility == Visibility.PUBLISHED and own_comment.report_count == 1
    assert not AuditEntry.objects.filter(name__in=["moderation_remove", "reports_dismissed"]).exists()
    assert not OutboxEvent.objects.filter(event="moderation.outcome").exists()


def test_the_api_refuses_it_with_its_code_and_another_moderator_decides(own_comment, moderator, make_user, org, api):
    c = own_comment.consultation
    queue = api(moderator).get(f"/api/v1/consultations/{c.pk}/moderation/").json()["results"]
    assert [(i["id"], i["may_moderate"]) for i in queue] == [(own_comment.pk, False)]
    body = {"kind": "comment", "object_id": own_comment.pk, "outcome": "remove", "reason_code": "spam"}
    response = api(moderator).post(f"/api/v1/consultations/{c.pk}/moderation/", body, format="json")
    assert response.status_code == 403 and error_of(response)["code"] == "own_contribution_moderation"
    other = make_user(Role.MODERATOR, org=org)
    assert api(other).get(f"/api/v1/consultations/{c.pk}/moderation/").json()["results"][0]["may_moderate"] is True
    response = api(other).post(f"/api/v1/consultations/{c.pk}/moderation/", body, format="json")
    assert response.status_code == 200 and response.json()["visibility"] == "removed"


def test_the_pages_offer_no_buttons_on_own_comment(own_comment, moderator, make_user, org, client):
    c = own_comment.consultation
    client.force_login(moderator)
    for url in (f"/consultations/{c.pk}/moderation/", f"/consultations/{c.pk}/"):
        page = client.get(url).content.decode()
        assert 'data-testid="own-contribution"' in page, url
        assert f'name="object_id" value="{own_comment.pk}"' not in page, url
    client.force_login(make_user(Role.MODERATOR, org=org))
    page = client.get(f"/consultations/{c.pk}/moderation/").content.decode()
    assert f'name="object_id" value="{own_comment.pk}"' in page and 'data-testid="own-contribution"' not in page
