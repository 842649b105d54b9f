"""Pages of verification levels: a resident's "Verify your identity" page and the ThaID sign-in
(OpenID Connect, accounts/oidc.py), and the office page where staff verify a person in person."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from workflows.errors import ApplicationError

from . import oidc
from .models import IdentityVerification, Organisation, Role, User, VerificationLevel, normalise_email
from .services import identity_verify_in_person, identity_verify_thaid
from .verification import REQUIREMENTS, thaid_provider, thaid_redirect_uri

log = logging.getLogger(__name__)
PENDING_KEY = "thaid_pending"


@require_GET
def verification(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = request.user
    offices = Organisation.objects.filter(memberships__user=user, memberships__role=Role.RESIDENT).distinct()
    context = {
        "level": user.verification_level,
        "level_label": VerificationLevel(user.verification_level).label,
        "levels": REQUIREMENTS,
        "thaid": thaid_provider().configured,
        "offices": offices,
        "history": IdentityVerification.objects.filter(user=user).select_related("organisation")[:10],
    }
    return render(request, "accounts/verification.html", context)


@require_POST
def thaid_start(request):
    """Send the person to ThaID with a fresh state, nonce and PKCE challenge (kept in the session)."""
    if not request.user.is_authenticated:
        return redirect_to_login("/accounts/verification/")
    provider = thaid_provider()
    if not provider.configured:
        raise Http404
    try:
        start = oidc.begin(provider, thaid_redirect_uri())
    except oidc.OIDCError as exc:
        log.warning("ThaID: could not start: %s", exc)
        messages.error(request, _("ThaID cannot be reached just now. Please try again later."))
        return redirect("accounts:verification")
    request.session[PENDING_KEY] = start.pending
    return redirect(start.url)


OIDC_MESSAGES = {
    "denied": lambda: _("You cancelled at ThaID, or ThaID did not confirm your identity. Nothing was changed."),
    "provider_error": lambda: _("ThaID cannot be reached just now. Please try again later."),
}


@require_GET
def thaid_callback(request):
    """ThaID sends the person back here with a code: check the state, swap the code for an ID
    token, check the token (signature, issuer, audience, expiry, nonce), keep the national ID's keyed
    hash and the level. The tokens themselves are not kept anywhere."""
    if not request.user.is_authenticated:
        return redirect_to_login("/accounts/verification/")
    pending = request.session.pop(PENDING_KEY, None)  # one use, whatever happens next
    try:
        claims = oidc.finish(thaid_provider(), pending, request.GET)
    except oidc.OIDCError as exc:
        log.warning("ThaID: sign-in refused: %s", exc.reason)
        message = OIDC_MESSAGES.get(exc.reason, lambda: _("The answer from ThaID could not be checked. Please start again."))
        messages.error(request, message())
        return redirect("accounts:verification")
    national_id = claims.get(settings.THAID_ID_CLAIM)
    try:
        identity_verify_thaid(user=request.user, national_id=national_id if isinstance(national_id, str) else "")
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Thank you: your identity is verified with ThaID."))
    return redirect("accounts:verification")


def _office_organisations(user) -> list[Organisation]:
    if user.is_superuser:
        return list(Organisation.objects.order_by("name"))
    return list(Organisation.objects.filter(memberships__user=user, memberships__role__in=[Role.CLERK, Role.ADMIN]).distinct())


@require_http_methods(["GET", "POST"])
def office(request):
    """Staff: verify a person who came to the office with their ID card."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    organisations = _office_organisations(request.user)
    if not organisations:
        return render(request, "403.html", status=403)
    errors: dict = {}
    if request.method == "POST":
        chosen = next((o for o in organisations if str(o.pk) == request.POST.get("organisation")), organisations[0])
        person = User.objects.filter(email=normalise_email(request.POST.get("email", "")), erased_at__isnull=True).first()
        if person is None:
            errors["email"] = [_("No account has this email address. Ask the person to register first.")]
        else:
            try:
                identity_verify_in_person(
                    actor=request.user, user=person, organisation=chosen, national_id=request.POST.get("national_id", ""),
                    id_card_seen=request.POST.get("id_card_seen", ""),
                )  # fmt: skip
            except ApplicationError as exc:
                errors = exc.details if isinstance(exc.details, dict) and exc.details else {"__all__": [str(exc.message)]}
            else:
                messages.success(request, _("%(email)s is verified in person.") % {"email": person.email})
                return redirect("accounts:verification-office")
    recent = IdentityVerification.objects.filter(
        method=VerificationLevel.IN_PERSON, organisation__in=organisations
    ).select_related("user", "verified_by", "organisation")[:50]
    context = {"organisations": organisations, "errors": errors, "recent": recent, "values": request.POST}
    return render(request, "accounts/verification_office.html", context, status=400 if errors else 200)
