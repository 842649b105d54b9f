"""Petition pages. Writes go through petitions.services / workflows.services.transition; the
domain errors come back as messages or as form errors in the page's language."""

from __future__ import annotations

import functools
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import verification
from accounts.models import Organisation, VerificationLevel
from accounts.redirects import redirect_next
from accounts.selectors import staff_organisations
from workflows import readcache
from workflows.confirm import ConfirmationRequired, confirmed, refused
from workflows.errors import ApplicationError, ValidationFailed
from workflows.filters import days_since, for_page, form_fields
from workflows.paging import page_for
from workflows.services import available_transitions, own_contribution

from . import rules, selectors, services, siglog
from .charts import signatures_chart
from .filters import NEEDS, ORDERING, PetitionFilter
from .forms import (
    InvalidateForm,
    OutcomeForm,
    PetitionEditForm,
    PetitionForm,
    ReasonForm,
    RejectForm,
    ResponseForm,
    SignForm,
)
from .models import PUBLIC_STATES, AddressFlag, Petition, Signature, SignatureState, State

LIST_TABS = {
    "open": [State.OPEN],
    "council": [State.SUBMITTED, State.UNDER_CONSIDERATION, State.DECIDED],
    "closed": [State.CLOSED],
    "rejected": [State.REJECTED],
}


@functools.cache
def template_exists(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def apply_errors(form, error: ValidationFailed, aliases: dict | None = None) -> None:
    """Put a service's field errors on the form (unknown fields become non-field errors)."""
    details = error.details if isinstance(error.details, dict) else {}
    if not details:
        form.add_error(None, str(error.message))
    for field, problems in details.items():
        name = (aliases or {}).get(field, field)
        for problem in problems if isinstance(problems, list | tuple) else [problems]:
            form.add_error(name if name in form.fields else None, str(problem))


def _petition_or_404(pk: int, user) -> Petition:
    petition = Petition.objects.select_related("author", "organisation").filter(pk=pk).first()
    if petition is None or not rules.can_see(petition, user):
        raise Http404
    return petition


def _percent(n: int, of: int | None) -> int:
    return min(100, round(100 * n / of)) if of else 0


FILTER_KEYS = ("q", "state", "kind", "village", "waiting", "ordering")


def petition_list(request):
    """Public petitions: a tab (a group of states) or the filters of petitions.filters.PetitionFilter
    (search, state, kind, village, waiting, sorting), the same as the API's; numbered pages
    (workflows.paging.page_of). Refused values are a 400 showing why."""
    filtering = any(request.GET.get(k) for k in FILTER_KEYS)
    tab = request.GET.get("tab", "") or ("" if filtering else "open")
    tab_errors = []
    if tab and tab not in LIST_TABS:
        allowed = _("Not one of the allowed values: %(allowed)s.") % {"allowed": ", ".join(LIST_TABS)}
        tab_errors, tab = [f"{_('List')}: {allowed}"], ("" if filtering else "open")
    base = selectors.petitions_public(states=LIST_TABS[tab] if tab else None)
    filterset = PetitionFilter(request.GET, queryset=base, request=request)
    queryset, _ordering, filter_errors = for_page(filterset, base.none())
    petitions, pager, paging_errors = page_for(request.GET, queryset)
    petitions = selectors.withhold_for(petitions, request.user)
    filter_errors += tab_errors + paging_errors
    totals = selectors.totals_for([p.pk for p in petitions])
    now = timezone.now()
    rows = [
        {"petition": p, "count": totals[p.pk], "percent": _percent(totals[p.pk], p.council_threshold),
         "days_waited": days_since(getattr(p, "waiting_since", None), now),
         "village_signatures": getattr(p, "village_signatures", None)}
        for p in petitions
    ]  # fmt: skip
    villages = selectors.village_numbers()
    options = {
        "state": [("", _("All")), *[(s.value, s.label) for s in State if s in PUBLIC_STATES]],
        "village": [("", _("All")), *villages],
        "ordering": sorted(  # with `waiting`, its default (oldest wait first) comes first
            [(v, label) for v, label in ORDERING if v not in NEEDS or request.GET.get(NEEDS[v][0])],
            key=lambda option: option[0] != "longest_waiting",
        ),
    }
    my_village = request.user.village if request.user.is_authenticated and request.user.village_id else None
    mine = []
    if request.user.is_authenticated:
        mine = list(
            Petition.objects.filter(author=request.user)
            .exclude(state__in=[State.OPEN, State.CLOSED, State.SUBMITTED, State.UNDER_CONSIDERATION, State.DECIDED])
            .order_by("-id")[:20]
        )
    context = {
        "rows": rows, "tab": tab, "tabs": LIST_TABS, "mine": mine, "waiting": request.GET.get("waiting", ""),
        "filter_fields": form_fields(filterset, options=options), "filter_errors": filter_errors,
        "filter_keep": [("tab", tab)] if tab and filtering else [], "my_village": my_village,
        "pager": pager, "village": request.GET.get("village", ""),
        "in_my_village": bool(my_village) and request.GET.get("village") == str(my_village.number),
    }  # fmt: skip
    return render(request, "petitions/list.html", context, status=400 if filter_errors else 200)


def _verify_needed(petition: Petition, user) -> str:
    """How to reach the verification level the organisation's policy asks of signers ("" if the
    visitor has it; a visitor without an account reaches "email" by the confirmation mail)."""
    policy = selectors.policy_for(petition.organisation_id)
    required = policy.ordinance_signing_level if petition.is_ordinance else policy.signing_level
    level = verification.level_of(user) if user.is_authenticated else VerificationLevel.EMAIL
    return "" if verification.meets(level, required) else verification.how_to_reach(required)


def _member(user) -> bool:
    """Signed in with a confirmed email: signs in one step, without the mail round trip."""
    return bool(getattr(user, "is_authenticated", False) and user.email_confirmed_at)


def _sign_form(petition, data=None, user=None):
    initial = {}
    if user is not None and user.is_authenticated:  # a signed-in resident need not type it all again
        village = getattr(user.village, "number", None) if user.village_id else None
        initial = {"name": user.full_name, "email": user.email, "village": village}
    return SignForm(
        data, initial=initial, villages=selectors.village_choices(petition.organisation_id), ordinance=petition.is_ordinance,
        member=_member(user),
    )  # fmt: skip


def petition_detail(request, pk: int, *, sign_form=None, status=200):
    petition = _petition_or_404(pk, request.user)
    selectors.withhold_for(petition, request.user)  # the placeholder instead of a withheld text
    counts = selectors.petition_counts(petition.pk)
    user = request.user
    moves = {m["name"]: m for m in available_transitions(petition, user)} if user.is_authenticated else {}
    mine = selectors.signature_of(petition.pk, user)
    signed = mine is not None and mine.state == SignatureState.CONFIRMED
    context = {
        "my_signature": mine,
        "petition": petition,
        "counts": counts,
        "villages": selectors.village_rows(petition, counts),
        "chart": signatures_chart(counts.hours, threshold=petition.council_threshold),
        "response_percent": _percent(counts.total, petition.response_threshold),
        "council_percent": _percent(counts.total, petition.council_threshold),
        "sign_form": sign_form or (_sign_form(petition, user=user) if petition.accepting_signatures and not signed else None),
        "member": _member(user),
        "verify_needed": _verify_needed(petition, user),
        "moves": moves,
        "is_author": rules.is_author(petition, user),
        "can_edit": bool(user.is_authenticated and _edit_mode(petition, user)),
        "is_staff": rules.is_staff(petition, user),
        "sponsor_count": petition.sponsor_count()
        if petition.state in (State.COLLECTING_SPONSORS, State.AWAITING_MODERATION)
        else None,
        "sponsor_url": request.build_absolute_uri(reverse("petitions:sponsor", args=[petition.pk, petition.sponsor_token]))
        if rules.is_author(petition, user) and petition.state == State.COLLECTING_SPONSORS
        else "",
        "response": getattr(petition, "response", None) if petition.response_state == "responded" else None,
        "outcome": getattr(petition, "council_outcome", None) if petition.state == State.DECIDED else None,
        "reject_form": RejectForm() if "reject" in moves or "hide" in moves else None,
        "response_form": ResponseForm() if "respond" in moves else None,
        "outcome_form": OutcomeForm(initial={"decided_on": timezone.localdate()}) if "decide" in moves else None,
        "threshold_lost": selectors.threshold_lost(petition) if petition.is_public else None,
        "has_follow": template_exists("notifications/follow_button.html"),
        "share_url": request.build_absolute_uri(petition.get_absolute_url()),
        "embed_url": request.build_absolute_uri(reverse("petitions:widget", args=[petition.pk])),
        # The counts come from a cache of COUNTS_TTL seconds and the read lane may serve this page
        # to anonymous visitors for its seconds and grace after: the page says the sum.
        "counted_at": timezone.localtime(),
        "fresh_seconds": math.ceil(readcache.served_for() + selectors.COUNTS_TTL),
    }
    return render(request, "petitions/detail.html", context, status=status)


# The widget is framed by the municipality's own site (and anyone's): this route alone may be
# framed (no X-Frame-Options, CSP frame-ancestors *); it has no form, no cookie and no script.
WIDGET_CSP = settings.CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")


@xframe_options_exempt
def petition_widget(request, pk: int):
    """/petitions/<id>/widget/: the embeddable count (selectors.count_snapshot, cached briefly)."""
    snapshot = selectors.count_snapshot(pk)
    if snapshot is None:
        raise Http404
    title = selectors.withhold_for(Petition.objects.get(pk=pk), None)[0].title
    context = {
        "snapshot": snapshot, "title": title, "percent": _percent(snapshot["count"], snapshot["council_threshold"]),
        "url": request.build_absolute_uri(reverse("petitions:detail", args=[pk])),
    }  # fmt: skip
    response = render(request, "petitions/widget.html", context)
    if WIDGET_CSP:
        response["Content-Security-Policy"] = WIDGET_CSP
    patch_cache_control(response, public=True, max_age=selectors.COUNTS_TTL)
    return response


def _csrf_refused(request):
    """Django's CSRF check, for a view that is exempt from the middleware's."""
    return CsrfViewMiddleware(lambda _request: None).process_view(request, None, (), {})


@csrf_exempt
@require_POST
def petition_sign(request, pk: int):
    """Sign from the page: in one step when signed in with a confirmed email, else by email.

    A signed-in person's form carries a CSRF token and is checked as every form is. An anonymous
    visitor's does not (the page is served from the read lane's shared copy, which cannot hold a
    per-visitor token): a forged anonymous signature is only a pending one until the signer presses
    the button in the mail sent to them, which is the check that counts."""
    if request.user.is_authenticated and (refused := _csrf_refused(request)) is not None:
        return refused
    petition = _petition_or_404(pk, request.user)
    form = _sign_form(petition, request.POST, user=request.user)
    if not form.is_valid():
        return petition_detail(request, pk, sign_form=form, status=400)
    data = form.cleaned_data
    common = {
        "petition_id": petition.pk, "village_number": data["village"], "consent": data["consent"],
        "national_id": data.get("national_id", ""), "ip": request.META.get("REMOTE_ADDR", ""),
        "language": request.LANGUAGE_CODE, "notify_outcome": data["notify_outcome"],
    }  # fmt: skip
    try:
        if _member(request.user):
            services.signature_sign_member(user=request.user, **common)
        else:
            signature, outcome = services.signature_sign(name=data["name"], email=data["email"], **common)
    except ValidationFailed as exc:
        apply_errors(form, exc, {"village_number": "village"})
    except ApplicationError as exc:
        form.add_error(None, str(exc.message))
    else:
        if _member(request.user):
            messages.success(request, _("Thank you: your signature counts."))
            return redirect(reverse("petitions:detail", args=[petition.pk]) + "#signed")
        context = {"petition": petition, "outcome": outcome, "email": signature.email}
        return render(request, "petitions/sign_done.html", context)
    return petition_detail(request, pk, sign_form=form, status=400)


def signature_confirm(request, token: str):
    """GET shows the button (mail scanners follow links; they must not confirm); POST confirms."""
    context = {"token": token, "done": False}
    try:
        signature = services._signature_for_token(token)
    except ApplicationError as exc:
        return render(request, "petitions/confirm.html", {"error": exc.message}, status=exc.status)
    context["signature"] = signature
    context["petition"] = signature.petition
    if request.method == "POST":
        try:
            signature, already = services.signature_confirm(token=token)
        except ApplicationError as exc:
            context["error"] = exc.message
            return render(request, "petitions/confirm.html", context, status=exc.status)
        context.update(done=True, already=already, signature=signature)
    context["receipt"] = siglog.receipt(signature.salt)
    context["can_withdraw"] = (
        signature.petition.is_ordinance
        and signature.petition.state in (State.OPEN, State.CLOSED)
        and signature.state in (SignatureState.PENDING, SignatureState.CONFIRMED)
    )
    return render(request, "petitions/confirm.html", context)


def receipt_check(request):
    """Anyone pastes a receipt and sees whether, and where, it counts: nothing about who signed."""
    value = request.GET.get("receipt", "")
    context = {"receipt": str(value)[:100], "asked": bool(value)}
    if value:
        if not siglog.clean_receipt(value):
            context["error"] = _("A receipt is 32 letters and digits (0-9, a-f), as in your confirmation mail.")
        else:
            context["found"] = siglog.receipt_lookup(value)
    return render(request, "petitions/receipt.html", context, status=400 if context.get("error") else 200)


@require_POST
def signature_withdraw(request, token: str):
    try:
        signature = services.signature_withdraw(token=token)
    except ApplicationError as exc:
        return render(request, "petitions/confirm.html", {"error": exc.message}, status=exc.status)
    messages.success(request, _("Your signature is withdrawn."))
    return redirect("petitions:detail", signature.petition_id)


def petition_create(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    organisation = _organisation_for(request)
    if organisation is None or not rules.can_create(request.user, organisation):
        return render(request, "petitions/create.html", {"forbidden": True}, status=403)
    form = PetitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            petition = services.petition_create(organisation=organisation, author=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Your draft is saved. Read it once more, then ask for sponsors."))
            return redirect("petitions:detail", petition.pk)
    policy = selectors.policy_for(organisation.pk)
    context = {"form": form, "policy": policy, "organisation": organisation}
    # A refused draft comes back with what was written and the errors beside it.
    return render(request, "petitions/create.html", context, status=400 if request.method == "POST" else 200)


def _edit_mode(petition: Petition, user) -> str:
    """ "author" (may edit now), "municipal" (a moderator's correction) or "" (may not edit)."""
    if rules.is_author(petition, user):
        return "author" if petition.author_may_edit else ""
    return "municipal" if rules.is_moderator(petition, user) and not own_contribution(petition, user) else ""


def petition_edit(request, pk: int):
    """The author edits their petition until it is sponsored; a moderator corrects it with a reason
    (services.petition_edit holds both rules)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    petition = _petition_or_404(pk, request.user)
    mode = _edit_mode(petition, request.user)
    if not mode:
        status = 409 if rules.is_author(petition, request.user) else 403
        return render(request, "petitions/edit.html", {"petition": petition, "refused": True}, status=status)
    initial = {"title": petition.title, "body": petition.body, "background": petition.background}
    form = PetitionEditForm(request.POST or None, initial=initial, municipal=mode == "municipal")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("reason", "")
            try:
                services.petition_edit(petition=petition, actor=request.user, values=data, reason=reason)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            except ApplicationError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Saved."))
                return redirect("petitions:detail", petition.pk)
        status = 400
    return render(request, "petitions/edit.html", {"petition": petition, "form": form, "mode": mode}, status=status)


def _organisation_for(request) -> Organisation | None:
    """The organisation a resident acts in: their resident membership, else the first one."""
    membership = request.user.memberships.select_related("organisation").order_by("id").first()
    return membership.organisation if membership else Organisation.objects.order_by("pk").first()


def petition_sponsor(request, pk: int, token: str):
    petition = Petition.objects.filter(pk=pk).first()
    if petition is None or not services._same_secret(petition.sponsor_token, token) or not rules.sponsor_link_live(petition):
        raise Http404
    context = {"petition": petition, "token": token}
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            _sponsor, created = services.sponsor_add(petition_id=pk, user=request.user, token=token)
        except ApplicationError as exc:
            context["error"] = exc.message
            return render(request, "petitions/sponsor.html", context, status=exc.status)
        messages.success(
            request, _("Thank you for sponsoring this petition.") if created else _("You already sponsor this petition.")
        )
        petition.refresh_from_db()
        context["done"] = True
    context["sponsor_count"] = petition.sponsor_count()
    context["already"] = request.user.is_authenticated and petition.sponsors.filter(user=request.user).exists()
    return render(request, "petitions/sponsor.html", context)


ACT_FORMS = {"reject": RejectForm, "hide": RejectForm, "respond": ResponseForm, "decide": OutcomeForm}


@require_POST
def petition_act(request, pk: int, name: str):
    """One move from a page button or form, through the engine's transition path."""
    petition = _petition_or_404(pk, request.user)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("petitions:detail", args=[pk]))
    form = ACT_FORMS.get(name, ReasonForm)(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect_next(request, "petitions:detail", pk)
    payload = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in form.cleaned_data.items() if k != "reason"}
    reason = form.cleaned_data.get("reason", "")
    try:
        services.petition_act(
            petition=petition, name=name, actor=request.user, reason=reason, payload=payload, confirm=confirmed(request.POST)
        )
    except ConfirmationRequired as exc:
        return refused(request, exc, reverse("petitions:detail", args=[pk]))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Done: %(title)s") % {"title": petition.title})
    return redirect_next(request, "petitions:detail", pk)


def moderation_queue(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not staff_organisations(request.user):
        return render(request, "403.html", status=403)
    now = timezone.now()
    queue = []
    for petition in selectors.moderation_queue(request.user):
        due = petition.moderation_due_at()
        queue.append({"petition": petition, "due": due, "overdue": bool(due and due <= now)})
    context = {"queue": queue, "work": selectors.staff_worklist(request.user), "reject_form": RejectForm()}
    reviewable = selectors.review_organisations(request.user)
    if reviewable:
        context["open_flags"] = AddressFlag.objects.filter(
            petition__organisation_id__in=reviewable, state=AddressFlag.State.OPEN
        ).count()
    return render(request, "petitions/moderation.html", context)


def signature_review(request, pk: int):
    """Staff: the signature picture of one petition and bulk invalidation by filter."""
    petition = _petition_or_404(pk, request.user)
    if not rules.can_review_signatures(petition, request.user):
        return render(request, "403.html", status=403)
    form = InvalidateForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = services.signatures_invalidate(petition=petition, actor=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
            status = 400 if exc.code == ConfirmationRequired.code else status
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _("%(n)d signatures invalidated (%(c)d of them confirmed).")
                % {"n": result["invalidated"], "c": result["confirmed"]},
            )
            return redirect("petitions:signatures", pk)
    from django.db.models import Count

    by_state = dict(Signature.objects.filter(petition=petition).values_list("state").annotate(n=Count("id")).order_by())
    top_ips = list(
        Signature.objects.filter(petition=petition, state__in=["pending", "confirmed"])
        .exclude(ip_hash="")
        .values_list("ip_hash")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    )
    context = {
        "petition": petition,
        "form": form,
        "by_state": [(label, by_state.get(value, 0)) for value, label in SignatureState.choices],
        "top_ips": top_ips,
        "flags": selectors.address_flags(request.user, state="", petition_id=petition.pk),
        "default_reason": DEFAULT_INVALIDATE_REASON,
        "here": request.path,
    }
    return render(request, "petitions/signatures.html", context, status=status)


# What the one-click invalidation records as its reason unless staff write their own.
DEFAULT_INVALIDATE_REASON = gettext_lazy("Many signatures from one address; reviewed by staff and invalidated.")
FLAG_TABS = {"open": AddressFlag.State.OPEN, "cleared": AddressFlag.State.CLEARED, "invalidated": AddressFlag.State.INVALIDATED}


def address_queue(request):
    """Staff: busy addresses flagged for review, per petition, with the pattern of their signatures;
    one click clears a flag or invalidates the address's signatures (both audited)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not selectors.review_organisations(request.user):
        return render(request, "403.html", status=403)
    tab = request.GET.get("state", "open")
    if tab not in FLAG_TABS:
        tab = "open"
    petition_id = request.GET.get("petition", "")
    petition_id = int(petition_id) if petition_id.isdigit() and len(petition_id) <= 18 else None
    flags = selectors.address_flags(request.user, state=FLAG_TABS[tab], petition_id=petition_id)
    by_petition: dict[int, dict] = {}
    for pattern in flags:
        group = by_petition.setdefault(pattern.flag.petition_id, {"petition": pattern.flag.petition, "flags": []})
        group["flags"].append(pattern)
    context = {
        "groups": list(by_petition.values()),
        "tab": tab,
        "tabs": FLAG_TABS,
        "petition_id": petition_id,
        "default_reason": DEFAULT_INVALIDATE_REASON,
        "here": request.get_full_path(),
    }
    return render(request, "petitions/addresses.html", context)


@require_POST
def address_flag_review(request, pk: int, action: str):
    if action not in ("invalidate", "clear"):
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("petitions:addresses"))
    reason = str(request.POST.get("reason", ""))[:4000]
    try:
        if action == "invalidate":
            result = services.address_flag_invalidate(flag_id=pk, actor=request.user, reason=reason)
            messages.success(
                request,
                _("%(n)d signatures invalidated (%(c)d of them confirmed); the count went from %(before)d to %(after)d.")
                % {"n": result["invalidated"], "c": result["confirmed"], "before": result["count_before"],
                   "after": result["count_after"]},
            )  # fmt: skip
        else:
            services.address_flag_clear(flag_id=pk, actor=request.user, reason=reason)
            messages.success(request, _("Flag cleared: the signatures from this address stand."))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    target = str(request.POST.get("next", ""))
    return redirect(target if target.startswith("/petitions/") else reverse("petitions:addresses"))
