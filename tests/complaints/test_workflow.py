"""The complaint machine: role × state for every move, through the one transition service, and
what each move leaves behind (audit entry, the filer told, the record's fields)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Role
from complaints.models import Complaint, Division, State
from notifications.models import OutboxEvent
from workflows.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.services import available_transitions, transition

STATES = [s.value for s in State]
ROLES = ["anonymous", "resident", "filer", "outsider", "moderator", "clerk", "admin"]
STAFF = {"moderator", "clerk", "admin"}
# move: the states it leaves from (written out here on purpose: this is the specification)
SOURCES = {
    "assign": {"received", "assigned"},
    "start": {"assigned"},
    "resolve": {"assigned", "in_progress"},
    "reject": {"received", "assigned", "in_progress"},
}
TARGET = {"assign": "assigned", "start": "in_progress", "resolve": "resolved", "reject": "rejected"}


def expected(move, role, state):
    if state not in SOURCES[move]:
        return TransitionNotAllowed
    return True if role in STAFF else PermissionDenied


def _actor(role, make_user, org, other_org, filer):
    if role == "anonymous":
        return AnonymousUser()
    if role == "filer":
        return filer
    if role == "outsider":
        return make_user(Role.MODERATOR, org=other_org)
    return make_user(role, org=org)


def _payload(move, c):
    if move == "assign":
        other = Division.objects.filter(organisation_id=c.organisation_id).exclude(pk=c.division_id).first()
        return {"division": other.pk}
    return {}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_it_allows_each_move_only_to_staff_and_only_from_its_states(role, state, make_complaint, make_user, org, other_org):
    filer = make_user(Role.RESIDENT, org=org)
    actor = _actor(role, make_user, org, other_org, filer)
    outcomes, wanted = {}, {}
    for move in SOURCES:
        c = make_complaint(state, actor=filer)
        audits = AuditEntry.objects.count()
        try:
            transition(c, move, actor=actor, reason="ซ่อมแล้ว", payload=_payload(move, c))
            got = True
            assert Complaint.objects.get(pk=c.pk).state == TARGET[move]
            assert AuditEntry.objects.count() == audits + 1
        except (PermissionDenied, TransitionNotAllowed) as exc:
            got = type(exc)
            assert Complaint.objects.get(pk=c.pk).state == state, f"{move} refused but moved"
            assert AuditEntry.objects.count() == audits
        outcomes[move], wanted[move] = got, expected(move, role, state)
    assert outcomes == wanted


@pytest.mark.parametrize("role", ROLES)
def test_it_offers_each_role_exactly_the_moves_it_may_make(role, make_complaint, make_user, org, other_org):
    filer = make_user(Role.RESIDENT, org=org)
    actor = _actor(role, make_user, org, other_org, filer)
    c = make_complaint(actor=filer)
    offered = {m["name"] for m in available_transitions(c, actor)}
    assert offered == ({"assign", "reject"} if role in STAFF else set())


def test_it_walks_received_to_resolved_and_tells_the_filer_at_each_step(make_complaint, make_user, org, works, moderator):
    filer = make_user(Role.RESIDENT, org=org, email="filer@example.com")
    c = make_complaint(actor=filer)
    assert (c.due_at - c.created_at).days == 15  # the road category's service level
    c = transition(c, "assign", actor=moderator, payload={"division": works.pk})
    assert (c.state, c.division_id) == ("assigned", works.pk) and c.assigned_at
    c = transition(c, "start", actor=moderator)
    c = transition(c, "resolve", actor=moderator, reason="เปลี่ยนหลอดไฟแล้ว")
    assert (c.state, c.resolution) == ("resolved", "เปลี่ยนหลอดไฟแล้ว") and c.closed_at
    events = list(OutboxEvent.objects.filter(record_type="complaints.complaint", record_id=str(c.pk)).order_by("id"))
    assert [e.event for e in events] == [
        "complaint.received", "complaint.filed", "complaint.assigned", "complaint.in_progress", "complaint.resolved",
    ]  # fmt: skip
    told = [e for e in events if e.event != "complaint.filed"]
    assert all(e.audience == {"users": [filer.pk]} for e in told)
    assert events[2].data["division"] == "กองช่าง"
    assert events[-1].data["reason"] == "เปลี่ยนหลอดไฟแล้ว"
    assert all(e.data["url"] == f"/complaints/track/{c.tracking_code}/" for e in told)
    assert all(c.body not in str(e.data) for e in events)  # the filer's text never rides in an event
    names = list(
        AuditEntry.objects.filter(record_type="complaints.complaint", record_id=str(c.pk)).values_list("name", flat=True)
    )
    assert names == ["file", "assign", "start", "resolve"]


def test_an_anonymous_filer_with_an_email_is_told_by_email(make_complaint, moderator):
    c = make_complaint(email="Somsri@Example.com", name="สมศรี")
    transition(c, "reject", actor=moderator, reason="ไม่อยู่ในอำนาจของเทศบาล ส่งต่ออำเภอแล้ว")
    event = OutboxEvent.objects.filter(event="complaint.rejected").get()
    assert event.audience == {"emails": [{"email": "somsri@example.com", "name": "สมศรี", "language": "th"}]}


def test_an_anonymous_filer_without_contact_is_told_nothing_but_can_track(make_complaint, moderator):
    c = make_complaint()
    transition(c, "reject", actor=moderator, reason="ซ้ำกับเรื่องเดิม")
    assert not OutboxEvent.objects.filter(event="complaint.rejected").exists()
    assert OutboxEvent.objects.filter(event="complaint.filed", audience={"roles": ["moderator", "clerk", "admin"]}).exists()


@pytest.mark.parametrize("move", ["resolve", "reject"])
def test_resolving_or_rejecting_needs_a_reason(move, make_complaint, moderator):
    c = make_complaint(State.IN_PROGRESS)
    with pytest.raises(ValidationFailed):
        transition(c, move, actor=moderator, reason="  ")
    assert Complaint.objects.get(pk=c.pk).state == "in_progress"


def test_assigning_needs_a_division_of_the_same_organisation(make_complaint, moderator, other_org):
    c = make_complaint()
    foreign = Division.objects.create(organisation=other_org, name="กองช่างที่อื่น")
    for payload in ({}, {"division": "x"}, {"division": foreign.pk}, {"division": 999999}):
        with pytest.raises(ValidationFailed):
            transition(c, "assign", actor=moderator, payload=payload)
    assert Complaint.objects.get(pk=c.pk).state == "received"


def test_a_complaint_can_be_passed_on_to_another_division(make_complaint, moderator, works):
    c = make_complaint()
    c = transition(c, "assign", actor=moderator, payload={"division": works.pk})
    with pytest.raises(ValidationFailed):  # the same division again
        transition(c, "assign", actor=moderator, payload={"division": works.pk})
    health = Division.objects.get(organisation=c.organisation, name="กองสาธารณสุขและสิ่งแวดล้อม")
    c = transition(c, "assign", actor=moderator, payload={"division": health.pk})
    assert c.division_id == health.pk


def test_the_generic_api_makes_the_same_moves(make_complaint, moderator, works, api):
    c = make_complaint()
    url = f"/api/v1/complaints/{c.pk}/transitions/"
    assert {m["name"] for m in api(moderator).get(url).json()["transitions"]} == {"assign", "reject"}
    response = api(moderator).post(url + "assign/", {"payload": {"division": works.pk}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"]["state"] == "assigned"
    assert api(moderator).post(url + "resolve/", {}, format="json").status_code == 400  # no reason
    assert api().post(url + "start/", {}, format="json").status_code == 404  # the public does not see the record
