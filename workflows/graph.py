"""The shape of each registered machine: states and labelled moves, per FSM field.

Used by `manage.py workflow_graph` (Mermaid / Graphviz) and by `{% workflow_diagram %}`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django_fsm import ANY_OTHER_STATE, ANY_STATE


@dataclass(frozen=True)
class Edge:
    name: str
    label: str
    source: str
    target: str
    reason_required: bool


@dataclass
class FieldGraph:
    field: str
    verbose_name: str
    states: list[tuple[str, str]]  # (value, label) in declaration order
    edges: list[Edge]
    initial: str | None

    def moves_from(self, state: str) -> list[Edge]:
        return [e for e in self.edges if e.source == state]


def _label(value, choices: dict) -> str:
    return str(choices.get(value, value))


def machine_graph(model: type) -> list[FieldGraph]:
    """One FieldGraph per FSM field of `model`; "*" and "+" sources are expanded to the states."""
    from django_fsm import FSMFieldMixin

    graphs = []
    for fsm_field in [f for f in model._meta.concrete_fields if isinstance(f, FSMFieldMixin)]:
        choices = dict(fsm_field.flatchoices) if fsm_field.choices else {}
        states: list[str] = list(choices)
        raw = []
        for t in fsm_field.get_all_transitions(model):
            custom = t.custom or {}
            if isinstance(t.target, str):
                targets = [t.target]
            else:  # a computed target (RETURN_VALUE): the states the move declares it may reach, per
                # source when custom["drawn_targets"] says so; GET_STATE and None cannot be drawn
                by_source = custom.get("drawn_targets") or {}
                targets = list(by_source.get(t.source, getattr(t.target, "allowed_states", None) or []))
            label, reason_required = str(custom.get("label", t.name)), bool(custom.get("reason_required"))
            raw.extend((t.name, label, t.source, target, reason_required) for target in targets)
            for value in (t.source, *targets):
                if isinstance(value, str) and value not in (ANY_STATE, ANY_OTHER_STATE) and value not in states:
                    states.append(value)
        edges = []
        for name, label, source, target, reason_required in raw:
            if source == ANY_STATE:
                sources = states
            elif source == ANY_OTHER_STATE:
                sources = [s for s in states if s != target]
            else:
                sources = [source]
            edges.extend(Edge(name, label, s, target, reason_required) for s in sources)
        order = {s: i for i, s in enumerate(states)}
        edges.sort(key=lambda e: (order.get(e.source, 0), order.get(e.target, 0), e.name))
        default = fsm_field.get_default() if fsm_field.has_default() else None
        graphs.append(
            FieldGraph(
                field=fsm_field.name,
                verbose_name=str(fsm_field.verbose_name),
                states=[(s, _label(s, choices)) for s in states],
                edges=edges,
                initial=default if default in states else None,
            )
        )
    return graphs


def _node_id(field: str, state: str) -> str:
    return f"{field}_{state}".replace("-", "_").replace(" ", "_")


def to_mermaid(model: type) -> str:
    """One stateDiagram-v2; each FSM field is a composite state. "*" marks a move that needs a reason."""
    lines = [f"%% {model._meta.label}", "stateDiagram-v2"]
    for g in machine_graph(model):
        lines.append(f'    state "{g.field}" as field_{g.field} {{')  # "state" alone is a Mermaid keyword
        for value, label in g.states:
            lines.append(f'        state "{label.replace(chr(34), chr(39))}" as {_node_id(g.field, value)}')
        if g.initial:
            lines.append(f"        [*] --> {_node_id(g.field, g.initial)}")
        for e in g.edges:
            mark = " *" if e.reason_required else ""
            lines.append(f"        {_node_id(g.field, e.source)} --> {_node_id(g.field, e.target)} : {e.name}{mark}")
        lines.append("    }")
    return "\n".join(lines) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(model: type) -> str:
    lines = [f"digraph {_dot_quote(model._meta.label)} {{", "    rankdir=LR;", "    node [shape=box, style=rounded];"]
    for g in machine_graph(model):
        lines.append(f"    subgraph {_dot_quote('cluster_' + g.field)} {{")
        lines.append(f"        label={_dot_quote(g.field)};")
        for value, label in g.states:
            shape = ", peripheries=2" if value == g.initial else ""
            lines.append(f"        {_dot_quote(_node_id(g.field, value))} [label={_dot_quote(label)}{shape}];")
        for e in g.edges:
            label = e.name + (" *" if e.reason_required else "")
            lines.append(
                f"        {_dot_quote(_node_id(g.field, e.source))} -> {_dot_quote(_node_id(g.field, e.target))}"
                f" [label={_dot_quote(label)}];"
            )
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"
