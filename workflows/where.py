"""Where a record is on its way, in words a resident reads: the states it can actually pass through,
which are behind it, the one it is in and what may come next.

The line comes from the record's machine: its `path` hook (a consultation's level decides which
stages it visits: an inform-level one never reaches deliberation), else the longest simple line
through the declared graph from the initial state. States off that line (cancelled, rejected,
withdrawn, hidden) appear only when the record is in one. `step_help` (state -> one sentence) says
what happens in the current state. Used by `{% where record %}` (templates/includes/where.html);
the full diagram (`{% workflow_diagram %}`) stays one click away on the same page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import registry
from .graph import FieldGraph, machine_graph

DONE, CURRENT, NEXT, LATER = "done", "current", "next", "later"


@dataclass(frozen=True)
class Step:
    value: str
    label: str
    status: str  # done | current | next | later


@dataclass
class Where:
    field: str
    current: str
    current_label: str
    steps: list[Step]
    next: list[Step] = field(default_factory=list)  # one move away, on the record's line
    ended: bool = False  # nothing further on the line
    off_line: bool = False  # the record left its line (cancelled, rejected, withdrawn…)
    help: str = ""


def main_line(g: FieldGraph) -> list[str]:
    """The longest simple line of states from the initial one (ties: declaration order)."""
    order = {value: i for i, (value, _label) in enumerate(g.states)}
    out: dict[str, list[str]] = {}
    for e in g.edges:
        if e.source != e.target and e.target not in out.setdefault(e.source, []):
            out[e.source].append(e.target)
    for targets in out.values():
        targets.sort(key=lambda s: order.get(s, 0))
    start = g.initial or (g.states[0][0] if g.states else None)
    if start is None:
        return []
    best: list[str] = []

    def walk(line: list[str]) -> None:
        nonlocal best
        if len(line) > len(best):
            best = list(line)
        for target in out.get(line[-1], []):
            if target not in line:
                line.append(target)
                walk(line)
                line.pop()

    walk([start])
    return best


def _open_moves(record, field_name: str, current: str) -> set[str]:
    """Targets of the moves from `current` whose conditions hold now (a consultation at consult level
    has an edge informing → closed that only an inform-level one may take)."""
    found = set()
    for fsm_field in registry.machine_for(record).fsm_fields():
        if fsm_field.name != field_name:
            continue
        for t in fsm_field.get_all_transitions(type(record)):
            if not isinstance(t.target, str) or t.target == current:
                continue
            meta = getattr(type(record), t.name)._django_fsm
            if meta.has_transition(current) and meta.conditions_met(record, current):
                found.add(t.target)
    return found


def line_for(record, g: FieldGraph) -> list[str]:
    """The states `record` can pass through on field `g.field`, in order."""
    machine = registry.machine_for(record)
    hook = machine.path
    known = {value for value, _label in g.states}
    if hook is not None and g.field == machine.fsm_fields()[0].name:
        return [str(s) for s in hook(record) if str(s) in known]
    return main_line(g)


def where(record, field_name: str = "") -> Where | None:
    """Where `record` is on its first FSM field (or `field_name`); None for a record with no machine."""
    try:
        machine = registry.machine_for(record)
    except LookupError:
        return None
    graphs = [g for g in machine_graph(type(record)) if not field_name or g.field == field_name]
    if not graphs:
        return None
    g = graphs[0]
    labels = dict(g.states)
    current = str(getattr(record, g.field))
    line = line_for(record, g)
    helps = machine.step_help(record) if machine.step_help else {}
    help_text = str(helps.get(current, ""))
    if current not in line:
        steps = [Step(current, str(labels.get(current, current)), CURRENT)]
        return Where(g.field, current, steps[0].label, steps, [], True, True, help_text)
    here = line.index(current)
    ahead = set(line[here + 1 :])
    reachable = {t for t in _open_moves(record, g.field, current) if t in ahead}
    if not reachable and here + 1 < len(line) and any(e.target == line[here + 1] for e in g.moves_from(current)):
        reachable = {line[here + 1]}  # nothing open yet (a decision still to write): the next step on the line
    steps = []
    for i, value in enumerate(line):
        status = DONE if i < here else CURRENT if i == here else NEXT if value in reachable else LATER
        steps.append(Step(value, str(labels.get(value, value)), status))
    following = [s for s in steps[here + 1 :] if s.status == NEXT]
    return Where(g.field, current, steps[here].label, steps, following, not following, False, help_text)
