"""Writes about people: registration and email confirmation.

Staff roles are not granted here: workflows.services.membership_grant does that, audited.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from .models import Membership, Organisation, Role, User, Village, normalise_email
from .selectors import default_organisation

CONFIRM_SALT = "accounts.confirm_email"
CONFIRM_MAX_AGE = 3 * 24 * 3600  # the link in the email works for three days


class TokenInvalid(Exception):
    """The confirmation link is not one we issued (or was changed)."""


class TokenExpired(TokenInvalid):
    """The confirmation link is older than CONFIRM_MAX_AGE."""


def email_confirm_token(user: User) -> str:
    """A signed, timestamped token naming the user and the address being confirmed (so a
    changed address makes older links useless)."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=CONFIRM_SALT, compress=False)


def email_confirm_path(user: User) -> str:
    return reverse("accounts:confirm", kwargs={"token": email_confirm_token(user)})


def user_for_confirm_token(token: str, *, max_age: int = CONFIRM_MAX_AGE) -> User:
    """The user a confirmation token names. Raises TokenExpired or TokenInvalid."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise TokenExpired from exc
    except signing.BadSignature as exc:
        raise TokenInvalid from exc
    if not isinstance(data, dict):
        raise TokenInvalid
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.email != data.get("e"):
        raise TokenInvalid
    return user


def user_register(
    *,
    email: str,
    password: str,
    full_name: str = "",
    organisation: Organisation | None = None,
    village: Village | None = None,
    language: str = "th",
) -> User | None:
    """Create an unconfirmed resident account and send the confirmation email.

    Registering an address that already has an account creates nothing: an unconfirmed
    account gets a fresh link, a confirmed one nothing (the page says the same either way,
    so the form does not reveal who has an account). Returns the new user or None.
    """
    email = normalise_email(email)
    organisation = organisation or default_organisation()
    with transaction.atomic():
        existing = User.objects.filter(email=email).first()
        if existing is not None:
            if not existing.email_confirmed:
                _send_confirmation(existing)
            return None
        user = User(email=email, full_name=full_name.strip(), language=language, village=village)
        validate_password(password, user)
        user.set_password(password)
        user.save()
        if organisation is not None:
            Membership.objects.create(user=user, organisation=organisation, role=Role.RESIDENT)
        _send_confirmation(user)
    return user


def _send_confirmation(user: User) -> None:
    from notifications.services import outbox_write  # the one seam to email; see DESIGN.md

    with override(user.language or "th"):
        title = _("Confirm your email address")
    outbox_write(
        event="account.confirm_email",
        data={"title": title, "url": email_confirm_path(user), "name": user.full_name or user.email},
        audience={"emails": [{"email": user.email, "name": user.full_name, "language": user.language}]},
        record_type="accounts.user",
        record_id=user.pk,
    )


def user_confirm_email(*, user: User) -> bool:
    """Mark the address confirmed. Idempotent: returns False if it already was."""
    updated = User.objects.filter(pk=user.pk, email_confirmed_at__isnull=True).update(email_confirmed_at=timezone.now())
    user.refresh_from_db(fields=["email_confirmed_at"])
    return bool(updated)
