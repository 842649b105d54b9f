"""Verification levels: how sure we are who an account is, and what an action needs.

    none < email (address confirmed) < in_person (staff saw the ID card) < thaid (government digital ID)

An organisation's policy names the level an action needs (petitions.PetitionPolicy: signing a
petition, signing an ordinance initiative); `level_required` refuses with a message that tells the
resident how to reach it. A signer without an account proves their email with the confirmation
mail, so that path reaches "email" and no more. Paper signatures are verified by their sheet.

The writes (identity_verify_in_person, identity_verify_thaid) are in accounts/services.py; the
OpenID Connect flow for ThaID in accounts/oidc.py.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflows.errors import PermissionDenied

from .models import VerificationLevel
from .oidc import Provider

RANK = {VerificationLevel.NONE: 0, VerificationLevel.EMAIL: 1, VerificationLevel.IN_PERSON: 2, VerificationLevel.THAID: 3}
VERIFY_PATH = "/accounts/verification/"

# What a policy may ask for (a higher level always meets a lower requirement).
REQUIREMENTS = [
    (VerificationLevel.EMAIL.value, gettext_lazy("email confirmed")),
    (VerificationLevel.IN_PERSON.value, gettext_lazy("identity verified: in person at the office, or with ThaID")),
    (VerificationLevel.THAID.value, gettext_lazy("verified with ThaID")),
]


def rank(level: str) -> int:
    return RANK.get(level, 0)


def level_of(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return VerificationLevel.NONE
    return user.verification_level


def meets(level: str, required: str) -> bool:
    return rank(level) >= rank(required or VerificationLevel.EMAIL)


def how_to_reach(required: str) -> str:
    """The sentence that tells a resident how to get to `required`."""
    if required == VerificationLevel.THAID:
        return _(
            "This needs an account verified with ThaID (the government digital ID). Sign in and open "
            "“Verify your identity” (%(url)s) to verify with the ThaID app."
        ) % {"url": VERIFY_PATH}
    if required == VerificationLevel.IN_PERSON:
        return _(
            "This needs an account whose identity is verified: with ThaID, or in person at the municipal office "
            "with your ID card. Sign in and open “Verify your identity” (%(url)s)."
        ) % {"url": VERIFY_PATH}
    return _("Confirm your email address first: open the link we mailed you.")


def level_required(*, level: str, required: str) -> None:
    """Raise PermissionDenied(code="verification_required") unless `level` meets `required`."""
    if meets(level, required):
        return
    raise PermissionDenied(
        how_to_reach(required),
        code="verification_required",
        details={"required": required, "level": level, "verify_url": VERIFY_PATH},
    )


def thaid_provider() -> Provider:
    """ThaID as configured (docs/OPERATIONS.md#thaid); .configured is False without an issuer."""
    return Provider(
        issuer=settings.THAID_ISSUER,
        client_id=settings.THAID_CLIENT_ID,
        client_secret=settings.THAID_CLIENT_SECRET,
        scopes=tuple(settings.THAID_SCOPES.split()),
    )


def thaid_redirect_uri() -> str:
    from django.urls import reverse

    return settings.THAID_REDIRECT_URI or settings.SITE_URL + reverse("accounts:thaid-callback")
