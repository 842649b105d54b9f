"""{% load workflow %} {% workflow_diagram record %}: the record's machine as an ordered list of
states with their moves, the current state marked with aria-current (no JavaScript, readable
by screen readers, prints well)."""

from django import template

from workflows import registry
from workflows.graph import machine_graph

register = template.Library()


@register.inclusion_tag("workflows/diagram.html")
def workflow_diagram(record, field: str = ""):
    """All FSM fields of `record` (or only `field`), each as a list of states and moves."""
    try:
        registry.machine_for(record)
    except LookupError:
        return {"fields": []}
    fields = []
    for g in machine_graph(type(record)):
        if field and g.field != field:
            continue
        current = getattr(record, g.field)
        labels = dict(g.states)
        states = [
            {
                "value": value,
                "label": label,
                "current": value == current,
                "moves": [
                    {"name": e.name, "label": e.label, "target": labels.get(e.target, e.target)} for e in g.moves_from(value)
                ],
            }
            for value, label in g.states
        ]
        fields.append(
            {"name": g.field, "verbose_name": g.verbose_name, "states": states, "current": labels.get(current, current)}
        )
    return {"fields": fields, "multiple": len(fields) > 1}
