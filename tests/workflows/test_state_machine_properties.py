"""Property: random sequences of moves by random actors never break the engine's invariants.

An independent model of the Ticket machine (SPEC below, written from its definition, not read
from django-fsm) predicts each outcome; the engine must agree on every step, and after every
step: the stored states are valid and equal the model's, no forbidden move succeeded, and the
audit chain verifies with exactly one entry per successful move.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.testapp.models import Priority, Status, Ticket
from workflows.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.selectors import audit_verify
from workflows.services import transition

STAFF = {"moderator", "clerk", "admin"}
MEMBERS = STAFF | {"resident"}
#         name: (field, sources, target, roles allowed, condition(model) or None, reason required)
SPEC = {
    "submit": ("status", {"new"}, "open", MEMBERS, None, False),
    "assign": ("status", {"open"}, "in_progress", STAFF, lambda m: not m["blocked"], False),
    "resolve": ("status", {"in_progress"}, "resolved", {"clerk", "admin"}, None, False),
    "reopen": ("status", {"resolved"}, "open", STAFF, None, True),
    "close": ("status", {"open", "in_progress", "resolved"}, "closed", {"admin"}, None, True),
    "expire": ("status", {"open"}, "expired", set(), None, False),
    "remind": ("status", {"open"}, "open", set(), None, False),
    "escalate": ("priority", {"normal"}, "escalated", {"moderator"}, lambda m: m["status"] in {"open", "in_progress"}, False),
    "deescalate": ("priority", {"escalated"}, "normal", {"admin"}, None, False),
}
ACTORS = ["resident", "moderator", "clerk", "admin", "outsider", "anonymous", "system"]


def expected_outcome(model: dict, name: str, actor: str, reason: str, version_mode: str):
    """What the engine must do, in the documented order of checks."""
    field, sources, _target, roles, condition, reason_required = SPEC[name]
    if version_mode == "stale":
        return Conflict
    if model[field] not in sources:
        return TransitionNotAllowed
    if actor != "system" and actor not in roles:  # outsider and anonymous hold no role here
        return PermissionDenied
    if condition is not None and not condition(model):
        return TransitionNotAllowed
    if reason_required and not reason.strip():
        return ValidationFailed
    return None


@pytest.mark.slow
def test_it_never_breaks_an_invariant(org, resident, moderator, clerk, admin_user, outsider):
    people = {
        "resident": resident, "moderator": moderator, "clerk": clerk, "admin": admin_user,
        "outsider": outsider, "anonymous": AnonymousUser(), "system": None,
    }  # fmt: skip

    class TicketMachine(RuleBasedStateMachine):
        @initialize(blocked=st.booleans())
        def create(self, blocked):
            self.ticket = Ticket.objects.create(organisation=org, title="ไฟทางดับ", blocked=blocked)
            self.model = {"status": Status.NEW, "priority": Priority.NORMAL, "version": 0, "blocked": blocked}
            self.moves: list[str] = []

        @rule(
            name=st.sampled_from(sorted(SPEC)),
            actor=st.sampled_from(ACTORS),
            reason=st.sampled_from(["", "   ", "เหตุผล"]),
            version_mode=st.sampled_from(["none", "current", "stale"]),
        )
        def move(self, name, actor, reason, version_mode):
            expected = expected_outcome(self.model, name, actor, reason, version_mode)
            expected_version = {"none": None, "current": self.model["version"], "stale": self.model["version"] + 1}[version_mode]
            stale_record = Ticket.objects.get(pk=self.ticket.pk)  # callers may hold any copy
            try:
                result = transition(stale_record, name, actor=people[actor], reason=reason, expected_version=expected_version)
            except (Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed) as exc:
                assert type(exc) is expected, (
                    f"{name} by {actor} from {self.model}: got {type(exc).__name__}, expected {expected}"
                )
                return
            assert expected is None, f"{name} by {actor} from {self.model} succeeded; expected {expected.__name__}"
            field, _sources, target, *_ = SPEC[name]
            self.model[field] = target
            self.model["version"] += 1
            self.moves.append(name)
            assert result.last_audit_entry.name == name
            assert result.last_audit_entry.actor_role == (
                "system" if actor == "system" else {"resident": "resident"}.get(actor, actor)
            )

        @rule(
            data=st.data(),
            actor=st.sampled_from(ACTORS),
            reason=st.sampled_from(["", "เหตุผล"]),
            version_mode=st.sampled_from(["none", "current", "current", "stale"]),
        )
        def move_from_here(self, data, actor, reason, version_mode):
            """Mostly moves that start from the current state, so deep states are reached."""
            here = sorted(n for n, (field, sources, *_rest) in SPEC.items() if self.model[field] in sources)
            self.move(data.draw(st.sampled_from(here), label="name"), actor, reason, version_mode)

        @rule(blocked=st.booleans())
        def set_blocked(self, blocked):
            Ticket.objects.filter(pk=self.ticket.pk).update(blocked=blocked)
            self.model["blocked"] = blocked

        @invariant()
        def states_are_valid_and_as_predicted(self):
            stored = Ticket.objects.get(pk=self.ticket.pk)
            assert stored.status in Status.values and stored.priority in Priority.values
            assert (stored.status, stored.priority, stored.version) == (
                self.model["status"], self.model["priority"], self.model["version"],
            )  # fmt: skip

        @invariant()
        def one_audit_entry_per_successful_move_and_the_chain_verifies(self):
            names = list(
                AuditEntry.objects.filter(record_type="testapp.ticket", record_id=str(self.ticket.pk))
                .order_by("id")
                .values_list("name", flat=True)
            )
            assert names == self.moves
            report = audit_verify()
            assert report.ok, report.as_dict()

    run_state_machine_as_test(
        TicketMachine,
        settings=settings(
            max_examples=30, stateful_step_count=25, deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )  # fmt: skip
