"""The generic transitions API maps each domain error to its status and the one error shape."""

from tests.conftest import error_of
from tests.workflows.conftest import moved
from workflows.models import AuditEntry


def url(ticket, name=""):
    return f"/api/v1/tickets/{ticket.pk}/transitions/" + (f"{name}/" if name else "")


def test_it_lists_only_the_moves_the_user_may_make(api, make_ticket, resident, moderator, admin_user):
    ticket = moved(make_ticket(), "submit")
    body = api(moderator).get(url(ticket)).json()
    assert body["state"] == {"status": "open", "priority": "normal", "version": 1}
    assert sorted(t["name"] for t in body["transitions"]) == ["assign", "escalate"]
    assert sorted(t["name"] for t in api(admin_user).get(url(ticket)).json()["transitions"]) == ["assign", "close"]
    assert api(resident).get(url(ticket)).json()["transitions"] == []
    assert api().get(url(ticket)).json()["transitions"] == []


def test_it_applies_a_move_and_returns_the_new_state_and_audit_id(api, make_ticket, moderator):
    ticket = moved(make_ticket(), "submit")
    response = api(moderator).post(url(ticket, "assign"), {"reason": "on it", "expected_version": 1}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == {"status": "in_progress", "priority": "normal", "version": 2}
    entry = AuditEntry.objects.get(pk=body["audit_id"])
    assert (entry.name, entry.reason, entry.actor_id) == ("assign", "on it", moderator.pk)


def test_it_answers_403_to_a_user_without_the_permission(api, make_ticket, resident, outsider):
    ticket = moved(make_ticket(), "submit")
    for user in (resident, outsider):
        response = api(user).post(url(ticket, "assign"), {}, format="json")
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
    assert AuditEntry.objects.count() == 1


def test_it_answers_401_to_anonymous_people(api, make_ticket):
    response = api().post(url(make_ticket(), "submit"), {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"


def test_it_answers_409_when_the_move_is_not_possible_now(api, make_ticket, admin_user):
    ticket = make_ticket()
    response = api(admin_user).post(url(ticket, "resolve"), {}, format="json")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "transition_not_allowed" and error["details"]["state"] == "new"


def test_it_answers_409_with_the_condition_when_one_is_unmet(api, make_ticket, moderator):
    ticket = moved(make_ticket(blocked=True), "submit")
    response = api(moderator).post(url(ticket, "assign"), {}, format="json")
    assert response.status_code == 409
    assert error_of(response)["details"]["conditions"] == ["the ticket is blocked"]


def test_it_answers_409_conflict_to_a_stale_version(api, make_ticket, moderator):
    ticket = moved(make_ticket(), "submit")
    response = api(moderator).post(url(ticket, "assign"), {"expected_version": 0}, format="json")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "conflict" and error["details"] == {"expected_version": 0, "version": 1}


def test_it_answers_400_when_a_required_reason_is_missing_or_the_body_is_bad(api, make_ticket, admin_user):
    ticket = moved(make_ticket(), "submit")
    response = api(admin_user).post(url(ticket, "close"), {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in error_of(response)["details"]
    response = api(admin_user).post(url(ticket, "close"), {"reason": "x", "expected_version": "soon"}, format="json")
    assert response.status_code == 400
    assert "expected_version" in error_of(response)["details"]
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_it_answers_404_for_an_unknown_record_type_record_or_move_on_a_hidden_record(api, make_ticket, resident, moderator):
    ticket = make_ticket(secret=True)
    assert error_of(api(resident).get("/api/v1/widgets/1/transitions/"))["code"] == "not_found"
    assert api(resident).get(f"/api/v1/tickets/{ticket.pk + 1000}/transitions/").status_code == 404
    assert api(resident).get(url(ticket)).status_code == 404  # hidden from non-staff
    assert api(resident).post(url(ticket, "submit"), {}, format="json").status_code == 404
    assert api(moderator).get(url(ticket)).status_code == 200


def test_it_answers_409_for_an_unknown_move_name(api, make_ticket, admin_user):
    response = api(admin_user).post(url(make_ticket(), "teleport"), {}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "unknown_transition"
