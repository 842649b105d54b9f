"""Integrity (corruption and misconduct) reports: rules, writes and reads in one place.

Kept apart from general complaints (the ITA asks for an online channel of its own that protects
the reporter):
- only holders of the integrity role of the organisation (accounts.Role.INTEGRITY) read or move a
  report; moderators, clerks and admins do not, and the Django admin does not list them;
- the reporter's identity, if they gave one, is in IntegrityReporter, read only by
  `reporter_reveal`, which leaves an audit entry; reporters are not sent mail (an address in the
  outbox would be visible to whoever reads the notification tables): they follow the report with
  its reference code, which shows its state and nothing else;
- their audit entries stay in the hash chain but out of the public trail (Machine.audit_public);
- the public sees counts per Thai fiscal year (received, in progress, completed), never a report.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Role
from accounts.selectors import has_role
from accounts.thai import fiscal_year
from notifications.services import outbox_write
from workflows.errors import NotFound, ValidationFailed
from workflows.models import AuditEntry
from workflows.registry import Move
from workflows.services import audit_append
from workflows.validation import clean_text

from .models import (
    IntegrityKind,
    IntegrityOutcome,
    IntegrityReport,
    IntegrityReporter,
    IntegrityState,
    new_tracking_code,
    normalise_code,
)
from .services import clean_contact, rate_limit

OFFICERS = [Role.INTEGRITY.value]
RECORD_TYPE = "complaints.integrityreport"


# --- rules -------------------------------------------------------------------------------------
def is_officer(user, organisation) -> bool:
    return has_role(user, organisation, Role.INTEGRITY)


def clean_outcome(report, payload: dict) -> dict:
    outcome = (payload or {}).get("outcome")
    if outcome not in IntegrityOutcome.values:
        message = _("Choose one of: %(codes)s") % {"codes": ", ".join(IntegrityOutcome.values)}
        raise ValidationFailed(_("Choose the outcome."), details={"outcome": [message]})
    return {"outcome": outcome}


# --- writes ------------------------------------------------------------------------------------
def report_file(
    *,
    organisation,
    actor,
    kind: str,
    subject: str,
    body: str,
    involved: str = "",
    when_text: str = "",
    where_text: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    client_ip: str = "",
) -> IntegrityReport:
    """File a report; anonymous unless the reporter gives a name or contact, or files signed in
    and asks to be known (`name` filled). Officers are told a report arrived, with no detail."""
    if kind not in IntegrityKind.values:
        raise ValidationFailed(details={"kind": [_("Choose what kind of wrongdoing it is.")]})
    subject = clean_text(subject, "subject", max_length=200)
    body = clean_text(body, "body", max_length=5000)
    involved = clean_text(involved, "involved", max_length=300, required=False)
    when_text = clean_text(when_text, "when_text", max_length=100, required=False)
    where_text = clean_text(where_text, "where_text", max_length=200, required=False)
    name, email, phone = clean_contact(name=name, email=email, phone=phone)
    rate_limit(scope="integrity", client_ip=client_ip)
    now = timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                report = IntegrityReport.objects.create(
                    organisation=organisation, reference=new_tracking_code("R"), kind=kind, subject=subject, body=body,
                    involved=involved, when_text=when_text, where_text=where_text, created_at=now, updated_at=now,
                )  # fmt: skip
                if name or email or phone:
                    signed_in = getattr(actor, "is_authenticated", False)
                    IntegrityReporter.objects.create(
                        report=report, user=actor if signed_in else None, name=name, email=email, phone=phone
                    )
                # The filing is audited without its actor: the chain must not name the reporter.
                audit_append(record=report, action=AuditEntry.Action.TRANSITION, name="file", actor=None, to_state=report.state)
                outbox_write(**_event(report, "integrity.received"))
            return report
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a unique reference")


def reporter_reveal(*, report: IntegrityReport, actor) -> IntegrityReporter | None:
    """The reporter's identity, for an integrity officer, with an audit entry saying who looked."""
    if not is_officer(actor, report.organisation_id):
        raise NotFound()
    with transaction.atomic():
        audit_append(record=report, action=AuditEntry.Action.MODERATION, name="reporter_reveal", actor=actor)
        return IntegrityReporter.objects.filter(report=report).select_related("user").first()


def _event(report: IntegrityReport, name: str) -> dict:
    # No reference (a bearer code), no kind, no text: a message that says only "look at #12".
    return {
        "event": name,
        "data": {"title": f"#{report.pk}", "url": report.get_absolute_url(), "state": report.state},
        "audience": {"roles": OFFICERS},
        "organisation_id": report.organisation_id,
    }


def on_move(report: IntegrityReport, move: Move) -> list[dict]:
    """The machine's hook: tell the other integrity officers that a report moved."""
    return [_event(report, "integrity.moved")]


# --- reads ----------------------------------------------------------------------------------------
def report_get(pk, user) -> IntegrityReport:
    report = IntegrityReport.objects.select_related("organisation").filter(pk=pk).first()
    if report is None or not is_officer(user, report.organisation_id):
        raise NotFound()
    return report


def reports_for(user, *, state: str = ""):
    org_ids = (
        Membership.objects.filter(user=user, role=Role.INTEGRITY).values_list("organisation_id", flat=True)
        if getattr(user, "is_authenticated", False)
        else []
    )
    qs = IntegrityReport.objects.filter(organisation_id__in=list(org_ids))
    return qs.filter(state=state) if state in IntegrityState.values else qs


def report_by_reference(code: str) -> IntegrityReport | None:
    code = normalise_code(code)
    return IntegrityReport.objects.filter(reference=code).first() if code.startswith("R-") else None


def tracking(report: IntegrityReport) -> dict:
    """What the reporter sees with the reference: the state and its dates, nothing of the content."""
    return {
        "reference": report.reference,
        "state": report.state,
        "state_label": str(IntegrityState(report.state).label),
        "received_at": report.created_at,
        "investigating_at": report.investigating_at,
        "completed_at": report.completed_at,
    }


COUNT_LABELS = {
    "received": gettext_lazy("received"),
    "in_progress": gettext_lazy("in progress"),
    "completed": gettext_lazy("completed"),
}


def statistics(organisation) -> dict:
    """Per Thai fiscal year (1 October – 30 September) of receipt: received, in progress (not yet
    completed) and completed. Counts only."""
    years: dict[int, dict] = defaultdict(lambda: {"received": 0, "in_progress": 0, "completed": 0})
    for created, state in IntegrityReport.objects.filter(organisation=organisation).values_list("created_at", "state"):
        row = years[fiscal_year(created)]
        row["received"] += 1
        row["completed" if state == IntegrityState.COMPLETED else "in_progress"] += 1
    return {
        "organisation": organisation.slug,
        "by_fiscal_year": [{"fiscal_year": fy} | row for fy, row in sorted(years.items(), reverse=True)],
    }


def statistics_rows(stats: dict) -> list[list]:
    rows = [["fiscal_year", "received", "in_progress", "completed"]]
    rows += [[r["fiscal_year"], r["received"], r["in_progress"], r["completed"]] for r in stats["by_fiscal_year"]]
    return rows
