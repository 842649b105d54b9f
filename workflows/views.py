"""The public audit trail page (/audit/): anyone, without an account, can read every move."""

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy

from . import registry
from .anchoring import public_key_hex
from .selectors import actor_display, audit_entries, audit_verify

PAGE_SIZE = 50


# Acts that are not a state machine's move (those carry their own label), in words for the public.
ACT_LABELS = {
    "membership_grant": gettext_lazy("Role granted"),
    "membership_revoke": gettext_lazy("Role revoked"),
    "create": gettext_lazy("Created"),
    "sponsor": gettext_lazy("Sponsored"),
    "signatures_invalidated": gettext_lazy("Signatures invalidated"),
    "address_flagged": gettext_lazy("Busy address flagged for review"),
    "address_flag_cleared": gettext_lazy("Busy address cleared"),
    "auto_hide": gettext_lazy("Hidden after reports"),
    "moderation_publish": gettext_lazy("Published by a moderator"),
    "moderation_remove": gettext_lazy("Removed by a moderator"),
    "reports_dismissed": gettext_lazy("Reports dismissed by a moderator"),
    "problem_merge": gettext_lazy("Merged into another problem"),
    "official_answer": gettext_lazy("Official answer published"),
    "contribution_edit": gettext_lazy("Edited by its author"),
    "contribution_withdraw": gettext_lazy("Withdrawn by its author"),
    "deadline_changed": gettext_lazy("Deadline moved"),
    "answers_published": gettext_lazy("Answers published"),
    "progress_update": gettext_lazy("Progress update published"),
    "signature_withdrawn": gettext_lazy("Signature withdrawn by the signer"),
    "policy_changed": gettext_lazy("Rules changed"),
    "thresholds_changed": gettext_lazy("Thresholds changed"),
    "attachment_add": gettext_lazy("File attached"),
    "attachment_remove": gettext_lazy("File removed"),
}
PUBLISHED_LABEL = gettext_lazy("Published text recorded")
TYPE_LABELS = {
    "accounts.membership": gettext_lazy("role"),
    "consultations.problem": gettext_lazy("problem"),
    "consultations.alternative": gettext_lazy("alternative"),
    "consultations.comment": gettext_lazy("comment"),
    "petitions.petitionpolicy": gettext_lazy("petition rules"),
    "consultations.consultationpolicy": gettext_lazy("consultation rules"),
}
TITLE_LENGTH = 80


def _state_labels(machine) -> dict:
    labels = {}
    for f in machine.fsm_fields():
        labels.update({value: str(label) for value, label in f.flatchoices})
    return labels


def _move_label(entry) -> str:
    if entry.name.endswith(":published"):
        return str(PUBLISHED_LABEL)
    if entry.name in ACT_LABELS:
        return str(ACT_LABELS[entry.name])
    machine = registry.machine_by_label(entry.record_type)
    meta = machine.transitions().get(entry.name) if machine is not None else None
    if meta is None:
        return entry.name
    for t in meta.transitions.values():
        return str((t.custom or {}).get("label", entry.name))
    return entry.name


def _record_links(entries) -> dict[tuple[str, str], tuple[str, str]]:
    """(record_type, record_id) -> (label, url): one query per record type on the page. A record the
    public may see is named by its title; one it may not (a hidden petition) only by number."""
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
            url, label = "", f"{noun} #{i}"
            if record is not None and (machine.visible_to is None or machine.visible_to(record, AnonymousUser())):
                title = str(machine.title(record) or "")
                if title:
                    label = f"{noun}: {Truncator(title).chars(TITLE_LENGTH)}"
                if machine.public_url is not None:
                    url = machine.public_url(record) or ""
            links[(record_type, i)] = (label, url)
    return links


def audit_list(request):
    record_type = request.GET.get("record_type", "")[:100]
    record_id = request.GET.get("record_id", "")[:64]
    if "record" in request.GET:  # the short link from a record's page: ?record=petitions.petition:7
        record_type, _sep, record_id = request.GET["record"][:170].partition(":")
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
            "audit_key": public_key_hex(),
        },
    )


CHECK_CACHE_SECONDS = 60


def audit_check(request):
    """The chain checked for a person, not a program: what was checked, the result, and how to check
    it yourself. The check reads the whole chain, so its result is reused for a minute."""
    report = cache.get("audit:check")
    if report is None:
        report = audit_verify().as_dict() | {"checkpoints": _checkpoint_count()}
        cache.set("audit:check", report, CHECK_CACHE_SECONDS)
    return render(request, "workflows/audit_check.html", {"report": report, "audit_key": public_key_hex()})


def _checkpoint_count() -> int:
    from .models import AuditCheckpoint

    return AuditCheckpoint.objects.count()


def verifier_download(request):
    """tools/verify_record.py itself, so an auditor gets the checker from the site it checks (and can
    compare it with the copy in the public repository)."""
    from django.conf import settings
    from django.http import HttpResponse

    response = HttpResponse((settings.BASE_DIR / "tools" / "verify_record.py").read_bytes(), content_type="text/x-python")
    response["Content-Disposition"] = 'attachment; filename="verify_record.py"'
    return response
