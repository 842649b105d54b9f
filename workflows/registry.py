"""Domain apps register their state machines here; the engine knows no domain app.

    registry.register(Petition, api_name="petitions", notify=petition_events)

`notify(record, move)` returns the outbox events a move produces:
a list of dicts accepted by notifications.services.outbox_write(**event).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django_fsm import FSMFieldMixin


@dataclass(frozen=True)
class Move:
    """What the transition service hands to a machine's `notify` hook."""

    name: str
    field: str
    source: str
    target: str
    actor: Any
    reason: str
    payload: dict
    audit_id: int


@dataclass
class Machine:
    model: type
    api_name: str
    notify: Callable[[Any, Move], list[dict]] | None = None
    title: Callable[[Any], str] = str
    public_url: Callable[[Any], str] | None = None
    visible_to: Callable[[Any, Any], bool] | None = None  # (record, user) -> may this user see it?
    # record -> the text the public reads of it now (decision, answers, responses…), JSON-able. Every
    # change of it is bound into the chain (services.published_record) and checked by verify_audit.
    published: Callable[[Any], dict] | None = None
    checkpoint_on_publish: bool = True  # sign the chain head each time published content changes
    # False: the record's audit entries stay in the chain (verify_audit checks them) but are left out
    # of the public trail, its API and the admin (integrity reports: the reporter must stay safe).
    audit_public: bool = True
    # A hot-path machine (a petition's signatures): its graph is declared and drawn like the others,
    # but its moves are made by its app's own SQL, which follows the declared graph; the transition
    # service and the generic API refuse it (a chain entry per move would serialise the hot path).
    lean: bool = False
    # Files (workflows.attachments): record -> {part: shown to the public?} for each part files may
    # hang on now ("" = the record itself), and (record, user, part) -> may this person attach there?
    attach_parts: Callable[[Any], dict[str, bool]] | None = None
    may_attach: Callable[[Any, Any, str], bool] | None = None
    # record -> the user id of the person who wrote it (None: nobody). A move declared with
    # custom={"moderates": True} is refused to that person (services.moderation_guard): nobody
    # moderates their own contribution. Default: the record's `author_id`, if it has one.
    author_of: Callable[[Any], int | None] | None = None
    # Where the record is, in words (workflows.where): record -> the states of its first FSM field it
    # can pass through, in order (None: the longest line through the graph); record -> {state: one
    # sentence on what happens while it is there}.
    path: Callable[[Any], list[str]] | None = None
    # Moves a person must confirm (workflows.confirm): destructive or irreversible ones.
    confirm: frozenset[str] = frozenset()
    step_help: Callable[[Any], dict[str, str]] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.model._meta.label_lower  # "petitions.petition"

    def fsm_fields(self) -> list[FSMFieldMixin]:
        return [f for f in self.model._meta.concrete_fields if isinstance(f, FSMFieldMixin)]

    def transitions(self) -> dict[str, Any]:
        """name -> django_fsm FSMMeta, over every FSM field of the model."""
        found = {}
        for fsm_field in self.fsm_fields():
            for t in fsm_field.get_all_transitions(self.model):
                meta = getattr(self.model, t.name)._django_fsm
                found[t.name] = meta
        return found


_machines: dict[type, Machine] = {}
_by_api_name: dict[str, Machine] = {}


def register(model: type, *, api_name: str, **options) -> Machine:
    from notifications.services import followable_visibility

    if "confirm" in options:
        options["confirm"] = frozenset(options["confirm"])
    machine = Machine(model=model, api_name=api_name, **options)
    if machine.attach_parts is not None and machine.published is not None:
        machine.published = _with_files(machine.published)
    _machines[model] = machine
    if not machine.lean:
        _by_api_name[api_name] = machine
    if machine.visible_to is not None:  # following a record answers 404 as reading it does
        followable_visibility(machine.label, machine.visible_to)
    return machine


def _with_files(published: Callable[[Any], dict]) -> Callable[[Any], dict]:
    """The published content plus the hashes of the record's public files (workflows.attachments)."""

    def content(record) -> dict:
        from .attachments import published_files

        data, files = published(record), published_files(record)
        return {**data, "attachments": files} if files else data

    return content


def machine_for(model_or_record) -> Machine:
    model = model_or_record if isinstance(model_or_record, type) else type(model_or_record)
    try:
        return _machines[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no registered workflow") from None


def machine_by_api_name(api_name: str) -> Machine | None:
    return _by_api_name.get(api_name)


def machine_by_label(label: str) -> Machine | None:
    return next((m for m in _machines.values() if m.label == label and not m.lean), None)


def machines() -> list[Machine]:
    """The machines whose moves go through the transition service (not the lean ones)."""
    return [m for m in _machines.values() if not m.lean]


def moves(model: type) -> dict[str, tuple[frozenset[str], str]]:
    """name -> (source states, target state) of a machine's declared moves with a fixed target:
    what a lean machine's own SQL reads, so that its graph is declared once, on the model."""
    found: dict[str, tuple[frozenset[str], str]] = {}
    for fsm_field in [f for f in model._meta.concrete_fields if isinstance(f, FSMFieldMixin)]:
        for t in fsm_field.get_all_transitions(model):
            if isinstance(t.target, str):
                sources = found.get(t.name, (frozenset(), t.target))[0] | {t.source}
                found[t.name] = (frozenset(sources), t.target)
    return found


def private_labels() -> list[str]:
    """Record types whose audit entries are not public (Machine.audit_public=False)."""
    return [m.label for m in _machines.values() if not m.audit_public]
