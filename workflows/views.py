"""The public audit trail page (/audit/): anyone, without an account, can read every move."""

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from . import registry
from .selectors import actor_display, audit_entries

PAGE_SIZE = 50


ACT_LABELS = {
    "membership_grant": gettext_lazy("Role granted"),
    "membership_revoke": gettext_lazy("Role revoked"),
}
TYPE_LABELS = {"accounts.membership": gettext_lazy("role")}


def _state_labels(machine) -> dict:
    labels = {}
    for f in machine.fsm_fields():
        labels.update({value: str(label) for value, label in f.flatchoices})
    return labels


def _move_label(entry) -> str:
    machine = registry.machine_by_label(entry.record_type)
    if machine is None:
        return str(ACT_LABELS.get(entry.name, entry.name))
    meta = machine.transitions().get(entry.name)
    if meta is None:
        return entry.name
    for t in meta.transitions.values():
        return str((t.custom or {}).get("label", entry.name))
    return entry.name


def _record_links(entries) -> dict[tuple[str, str], tuple[str, str]]:
    """(record_type, record_id) -> (label, url): one query per record type on the page."""
    wanted: dict[str, set[str]] = {}
    for e in entries:
        wanted.setdefault(e.record_type, set()).add(e.record_id)
    links = {}
    for record_type, ids in wanted.items():
        machine = registry.machine_by_label(record_type)
        if machine is None:
            noun = str(TYPE_LABELS.get(record_type, record_type))
            links.update({(record_type, i): (f"{noun} #{i}", "") for i in ids})
            continue
        noun = str(machine.model._meta.verbose_name)
        int_ids = [int(i) for i in ids if i.isdigit()]
        records = {str(r.pk): r for r in machine.model._default_manager.filter(pk__in=int_ids)}
        for i in ids:
            record = records.get(i)
            url = ""
            if (
                record is not None
                and machine.public_url is not None
                and (machine.visible_to is None or machine.visible_to(record, AnonymousUser()))
            ):
                url = machine.public_url(record) or ""
            links[(record_type, i)] = (f"{noun} #{i}", url)
    return links


def audit_list(request):
    record_type = request.GET.get("record_type", "")[:100]
    record_id = request.GET.get("record_id", "")[:64]
    organisation = request.GET.get("organisation", "")[:50]
    entries = audit_entries(record_type=record_type, record_id=record_id, organisation=organisation or None)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    entries_on_page = list(page.object_list)
    links = _record_links(entries_on_page)
    state_labels = {m.label: _state_labels(m) for m in registry.machines()}
    for entry in entries_on_page:
        label, url = links[(entry.record_type, entry.record_id)]
        states = state_labels.get(entry.record_type, {})
        rows.append(
            {
                "entry": entry,
                "who": actor_display(entry),
                "move": _move_label(entry),
                "record": label,
                "url": url,
                "from": states.get(entry.from_state, entry.from_state),
                "to": states.get(entry.to_state, entry.to_state),
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    types = sorted((m.label, str(m.model._meta.verbose_name)) for m in registry.machines() if m.audit_public)
    return render(
        request,
        "workflows/audit_list.html",
        {
            "page": page,
            "rows": rows,
            "record_type": record_type,
            "record_id": record_id,
            "organisation": organisation,
            "record_types": types,
            "query": query.urlencode(),
        },
    )
