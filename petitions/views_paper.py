"""Pages of paper signatures (staff) and of an ordinance initiative's filing: the staff page with the
packet (PDF, CSV), and the public objection notice. Writes go through petitions.paper and
petitions.filing; their errors come back as form errors or messages."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from workflows.errors import ApplicationError, ValidationFailed
from workflows.exports import csv_response

from . import filing, paper, rules, selectors
from .forms import DraftForm, ObjectionForm, PaperImportForm, PaperLineForm, RepresentativeForm, ResolveForm
from .models import PaperSheet
from .views import _petition_or_404, apply_errors


def _staff_petition(request, pk: int):
    petition = _petition_or_404(pk, request.user)
    if not rules.can_enter_paper(petition, request.user):
        raise Http404
    return petition


def _attempt(form, fn, **kwargs):
    """Run a service; on a domain error put it on the form and return None."""
    try:
        return fn(**kwargs)
    except ValidationFailed as exc:
        apply_errors(form, exc)
    except ApplicationError as exc:
        form.add_error(None, str(exc.message))
    return None


def _entered_message(request, result: dict) -> None:
    messages.success(
        request,
        _("Sheet %(sheet)s: %(counted)d counted, %(waiting)d waiting for the second entry, %(mismatch)d differ, "
          "%(duplicate)d duplicates.") % result,
    )  # fmt: skip


def paper_sheets(request, pk: int):
    """Staff: the petition's sheets, a form for one line and a CSV import for a whole sheet."""
    petition = _staff_petition(request, pk)
    villages = selectors.village_choices(petition.organisation_id)
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    which = request.POST.get("form") if data else ""
    line_form = PaperLineForm(data if which == "line" else None, files if which == "line" else None, villages=villages,
                              ordinance=petition.is_ordinance)  # fmt: skip
    import_form = PaperImportForm(data if which == "import" else None, files if which == "import" else None)
    form = line_form if which == "line" else import_form
    if which in ("line", "import") and form.is_valid():
        clean = dict(form.cleaned_data)
        number, scan = clean.pop("sheet_number"), clean.pop("scan")
        if which == "line":
            result = None
            new = scan is not None and not PaperSheet.objects.filter(petition=petition, number=number).exists()
            sheet = (
                _attempt(form, paper.paper_sheet_add, petition=petition, actor=request.user, number=number, scan=scan)
                if new
                else True
            )
            if sheet:
                result = _attempt(
                    form, paper.paper_entry_record, petition=petition, actor=request.user, sheet_number=number, **clean
                )
        else:
            result = _attempt(
                form, paper.paper_sheet_import, petition=petition, actor=request.user, sheet_number=number,
                file=clean["file"], scan=scan,
            )  # fmt: skip
        if result:
            _entered_message(request, result)
            return redirect("petitions:paper-sheet", pk, number)
    context = {
        "petition": petition, "sheets": paper.sheets_for(petition), "line_form": line_form, "import_form": import_form,
        "counts": selectors.petition_counts(petition.pk, fresh=True),
    }  # fmt: skip
    return render(request, "petitions/paper_sheets.html", context)


def paper_sheet(request, pk: int, number: int):
    """Staff: one sheet's lines, each reading, and which fields two readings differ in."""
    petition = _staff_petition(request, pk)
    try:
        sheet = paper.paper_sheet_get(petition=petition, number=number)
    except ApplicationError:
        raise Http404 from None
    return render(
        request, "petitions/paper_sheet.html", {"petition": petition, "sheet": sheet, "lines": paper.sheet_lines(sheet)}
    )


def filing_page(request, pk: int):
    """Staff: what the ordinance filing carries, the packet, the objection notice and objections."""
    petition = _staff_petition(request, pk)
    if not petition.is_ordinance:
        raise Http404
    villages = selectors.village_choices(petition.organisation_id)
    which = request.POST.get("form") if request.method == "POST" else ""
    draft_form = DraftForm(
        request.POST if which == "draft" else None,
        initial={"draft_ordinance": petition.draft_ordinance, "collection_regulation": petition.collection_regulation},
    )
    rep_form = RepresentativeForm(request.POST if which == "representative" else None, villages=villages)
    resolve_form = ResolveForm(request.POST if which == "resolve" else None)
    done = None
    if which == "draft" and draft_form.is_valid():
        done = _attempt(
            draft_form, filing.ordinance_details_set, petition=petition, actor=request.user, **draft_form.cleaned_data
        )
    elif which == "representative" and rep_form.is_valid():
        done = _attempt(rep_form, filing.representative_add, petition=petition, actor=request.user, **rep_form.cleaned_data)
    elif which == "notice":
        try:
            done = filing.objection_notice_post(petition=petition, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
    elif which == "resolve" and resolve_form.is_valid():
        done = _attempt(
            resolve_form, filing.objection_resolve, objection_id=request.POST.get("objection"), actor=request.user,
            **resolve_form.cleaned_data,
        )  # fmt: skip
    if done:
        messages.success(request, _("Saved."))
        return redirect("petitions:filing", pk)
    f = filing.filing(petition)
    context = {
        "petition": petition, "filing": f, "draft_form": draft_form, "rep_form": rep_form, "resolve_form": resolve_form,
        "objections": filing.objections_for(petition), "notice_running": filing.notice_running(petition),
        "complete": rules.filing_complete(petition),
    }  # fmt: skip
    return render(request, "petitions/filing.html", context)


def filing_pdf(request, pk: int):
    petition = _staff_petition(request, pk)
    if not petition.is_ordinance:
        raise Http404
    response = HttpResponse(filing.filing_pdf(filing.filing(petition)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="filing-{petition.pk}.pdf"'
    return response


def filing_csv(request, pk: int):
    petition = _staff_petition(request, pk)
    if not petition.is_ordinance:
        raise Http404
    return csv_response(filing.filing_csv_rows(filing.filing(petition)), filename=f"filing-{petition.pk}.csv")


def objection_notice(request, pk: int):
    """Public: the posted list of signers (names and villages only) and the form to object."""
    petition = _petition_or_404(pk, request.user)
    if not petition.is_ordinance:
        raise Http404
    running = filing.notice_running(petition)
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        objection = _attempt(
            form, filing.objection_file, petition=petition, ip=request.META.get("REMOTE_ADDR", "") or "", **form.cleaned_data
        )
        if objection:
            messages.success(request, _("Your objection has been received; staff will look into it."))
            return redirect("petitions:objections", pk)
    context = {"petition": petition, "running": running, "entries": filing.notice_entries(petition) if running else [],
               "form": form}  # fmt: skip
    return render(request, "petitions/objections.html", context)
