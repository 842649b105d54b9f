"""Pages of the signing controls (petitions.controls): an organisation's block list and signing
limits (its administrators), finding and acting on one signature (moderators). Thin: the rules
are in the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflows.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed, error_text

from . import controls, rules, selectors, services
from .forms import SigningBlockForm, SigningLimitsForm
from .models import PetitionPolicy
from .views import apply_errors


def _admin_organisation(request, slug: str):
    """The organisation for its administrator; a response (sign-in, 403, 404) otherwise."""
    if not request.user.is_authenticated:
        return None, redirect_to_login(request.get_full_path())
    try:
        return controls.organisation_for_admin(slug, request.user), None
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        return None, render(request, "403.html", status=403)


def signing_blocks(request, slug: str):
    """The organisation's block list: add an address or a domain, lift one (each audited)."""
    organisation, refused = _admin_organisation(request, slug)
    if refused is not None:
        return refused
    form = SigningBlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            block = controls.signing_block_add(organisation=organisation, actor=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Blocked from signing: %(value)s") % {"value": block.value})
            return redirect("petitions:signing-blocks", organisation.slug)
    context = {"organisation": organisation, "form": form, "blocks": controls.blocks_of(organisation)}
    return render(request, "petitions/signing_blocks.html", context, status=400 if form.errors else 200)


@require_POST
def signing_block_remove(request, slug: str, pk: int):
    organisation, refused = _admin_organisation(request, slug)
    if refused is not None:
        return refused
    try:
        controls.signing_block_remove(
            organisation=organisation, actor=request.user, block_id=pk, reason=str(request.POST.get("reason", ""))[:2000]
        )
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The block is lifted."))
    return redirect("petitions:signing-blocks", organisation.slug)


def signing_limits(request, slug: str):
    """The organisation's signing limits, each refusing one with its floor (a village meeting gets
    through); a change is audited with the values before and after."""
    organisation, refused = _admin_organisation(request, slug)
    if refused is not None:
        return refused
    shown = controls.signing_limits(PetitionPolicy.for_organisation(organisation.pk))
    form = SigningLimitsForm(request.POST or None, initial=shown["limits"])
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in controls.SIGNING_LIMIT_FIELDS}
        try:
            services.signing_limits_set(
                organisation=organisation, actor=request.user, values=values, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The signing limits are saved; signing uses them within a few seconds."))
            return redirect("petitions:signing-limits", organisation.slug)
    floors = [(form[limit], shown["floors"][limit], window) for limit, (window, _lo, _hi) in controls.REFUSING_LIMITS.items()]
    context = {
        "organisation": organisation, "form": form, "floors": floors, "windows": shown["windows"],
        "meeting": {"people": controls.MEETING_PEOPLE, "peak": controls.MEETING_PEAK_PER_SECOND, "crowd": controls.MEETING_CROWD},
    }  # fmt: skip
    return render(request, "petitions/signing_limits.html", context, status=400 if form.errors else 200)


# --- one signature: find it, act on it (moderators and admins of the petition's organisation) ------
def _reviewable_petition(request, pk: int):
    from .views import _petition_or_404

    if not request.user.is_authenticated:
        return None, redirect_to_login(request.get_full_path())
    petition = _petition_or_404(pk, request.user)
    if not rules.can_review_signatures(petition, request.user):
        return None, render(request, "403.html", status=403)
    return petition, None


def signature_find(request, pk: int):
    """Search one petition's signatures by email or name (results masked); invalidate or restore
    one with a reason (both audited, the signer told by mail)."""
    petition, refused = _reviewable_petition(request, pk)
    if refused is not None:
        return refused
    q = str(request.GET.get("q", ""))[:254]
    asked = bool(q.strip())
    short = asked and len(" ".join(q.split())) < selectors.FIND_MIN
    results = selectors.signatures_find(petition.pk, q) if asked and not short else []
    context = {
        "petition": petition, "q": q, "asked": asked, "short": short, "results": results,
        "limited": len(results) == selectors.FIND_LIMIT, "here": request.get_full_path(),
    }  # fmt: skip
    return render(request, "petitions/signature_find.html", context, status=400 if short else 200)


@require_POST
def signature_act(request, pk: int, signature: int, action: str):
    if action not in ("invalidate", "restore"):
        raise Http404
    petition, refused = _reviewable_petition(request, pk)
    if refused is not None:
        return refused
    act = services.signature_invalidate_one if action == "invalidate" else services.signature_restore_one
    try:
        result = act(petition=petition, signature_id=signature, actor=request.user, reason=str(request.POST.get("reason", "")))
    except ValidationFailed as exc:
        messages.error(request, error_text(exc))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        done = _("Signature invalidated") if action == "invalidate" else _("Signature restored")
        messages.success(
            request,
            _("%(done)s; the count went from %(before)d to %(after)d.")
            % {"done": done, "before": result["count_before"], "after": result["count_after"]},
        )
    target = str(request.POST.get("next", ""))
    default = reverse("petitions:signature-find", args=[petition.pk])
    return redirect(target if target.startswith(default) else default)
