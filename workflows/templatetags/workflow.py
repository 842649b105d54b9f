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


@register.inclusion_tag("includes/where.html")
def where(record, schedule=None, diagram: bool = True, ends=None):
    """Where `record` is and what comes next, in words (workflows.where), with the full diagram one
    click away. `schedule`: rows with name, starts_at, ends_at (a consultation's stages) put dates
    on the steps; `ends`: when the current step ends."""
    from workflows.where import where as where_of

    found = where_of(record)
    if found is None:
        return {"where": None}
    dates = {str(row["name"]): row for row in schedule or []}
    steps = [
        {"value": s.value, "label": s.label, "status": s.status, "starts_at": dates.get(s.value, {}).get("starts_at"),
         "ends_at": dates.get(s.value, {}).get("ends_at")}
        for s in found.steps
    ]  # fmt: skip
    return {"where": found, "steps": steps, "record": record, "diagram": diagram, "ends": ends}


@register.inclusion_tag("workflows/attachments.html", takes_context=True)
def attachments(context, record, part: str = "", part_id=None, level: int = 3):
    """The files on `part` of `record` this person may see, and the form to attach one when they may
    (workflows.attachments). `{% attachments consultation "progress" update.pk %}` is part
    "progress:<pk>"; `level` is the heading's (h2, h3…; 0: none). Reads the record's files once per page."""
    part = f"{part}:{part_id}" if part_id is not None else part
    from workflows.attachments import attachments_for, may_attach
    from workflows.files import IMAGE, PDF, max_bytes

    request = context.get("request")
    user = getattr(request, "user", None)
    cache = record.__dict__.setdefault("_attachments_seen", {})
    key = getattr(user, "pk", None)
    if key not in cache:
        cache[key] = attachments_for(record, user)
    try:
        machine = registry.machine_for(record)
    except LookupError:
        return {"files": [], "can_attach": False}
    files = [a for a in cache[key] if a.part == part]
    can = may_attach(record, user, part)
    return {
        "files": files, "can_attach": can, "api_name": machine.api_name, "record": record, "part": part,
        "slug": part.replace(":", "-") or "record", "level": level, "csrf_token": context.get("csrf_token"),
        "next": getattr(request, "get_full_path", lambda: "")(),
        "pdf_mb": f"{max_bytes(PDF) / 1024 / 1024:g}", "image_mb": f"{max_bytes(IMAGE) / 1024 / 1024:g}",
    }  # fmt: skip
