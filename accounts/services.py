"""Writes about people: registration, email confirmation and password reset.

Staff roles are not granted here: workflows.services.membership_grant does that, audited.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import override

from workflows.errors import Conflict, NotFound, PermissionDenied, RateLimited, ValidationFailed
from workflows.models import AuditEntry
from workflows.services import actor_pseudonym, audit_append

from . import limits
from .models import IdentityVerification, Membership, Organisation, Role, User, VerificationLevel, Village, normalise_email
from .selectors import default_organisation, has_role
from .thai import national_id_hash
from .verification import rank

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
    so the form does not reveal who has an account). The links count towards the address's
    mail limit (limits.MAIL_RECIPIENT), so registering again and again mails no one more than
    the resend page would. Returns the new user or None.
    """
    email = normalise_email(email)
    organisation = organisation or default_organisation()
    with transaction.atomic():
        existing = User.objects.filter(email=email).first()
        if existing is not None:
            if not existing.email_confirmed and not limits.MAIL_RECIPIENT.wait(email):
                limits.MAIL_RECIPIENT.hit(email)
                _send_confirmation(existing)
            return None
        user = User(email=email, full_name=full_name.strip(), language=language, village=village)
        validate_password(password, user)
        user.set_password(password)
        user.save()
        if organisation is not None:
            Membership.objects.create(user=user, organisation=organisation, role=Role.RESIDENT)
        limits.MAIL_RECIPIENT.hit(email)
        _send_confirmation(user)
    return user


def _send_confirmation(user: User) -> None:
    with override(user.language or "th"):
        title = _("Confirm your email address")
    _mail(user, event="account.confirm_email", title=title, url=email_confirm_path(user))


def email_confirmation_resend(*, email: str) -> bool:
    """Send a fresh confirmation link if `email` names an active account not yet confirmed.
    Returns whether a mail went out (the page says the same either way)."""
    user = User.objects.filter(email=normalise_email(email), is_active=True, email_confirmed_at__isnull=True).first()
    if user is None:
        return False
    _send_confirmation(user)
    return True


def email_confirmation_resend_own(*, user: User, address: str = "") -> None:
    """A signed-in person asks for a fresh confirmation link to their own address (the API's
    POST /api/v1/me/confirmation/; the page is accounts.views.confirm_resend). Limited like every
    account mail (limits.mail_wait, per address and per client address)."""
    if user.email_confirmed:
        raise Conflict(_("This address is already confirmed."), code="already_confirmed")
    wait = limits.mail_wait(email=user.email, address=address)
    if wait:
        raise RateLimited(limits.wait_message(wait, what="mail"), details={"retry_after_seconds": wait})
    email_confirmation_resend(email=user.email)


def _mail(user: User, *, event: str, title: str, url: str, **data) -> None:
    """A mail to one person about their account, in their language, through the outbox (the one
    seam to email; see DESIGN.md). Addressed by email, not by user: no inbox entry and no
    unsubscribe link, as the link inside is a secret they asked for."""
    from notifications.services import outbox_write

    outbox_write(
        event=event,
        data={"title": title, "url": url, "name": user.full_name or user.email, **data},
        audience={"emails": [{"email": user.email, "name": user.full_name, "language": user.language}]},
        record_type="accounts.user",
        record_id=user.pk,
    )


class ResetTokens(PasswordResetTokenGenerator):
    """Django's password-reset tokens: they expire after PASSWORD_RESET_TIMEOUT and work once (the
    hash covers the password and the last sign-in). This one can also tell a link that is ours but
    too old from one that is forged, mangled or used, so the page can say which."""

    def expired(self, user: User | None, token: str) -> bool:
        try:
            timestamp = base36_to_int(str(token).split("-")[0])
        except ValueError:
            return False
        if user is None or self.check_token(user, token):
            return False
        ours = any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )
        return ours and self._num_seconds(self._now()) - timestamp > settings.PASSWORD_RESET_TIMEOUT


reset_tokens = ResetTokens()


def password_reset_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": reset_tokens.make_token(user)})


def password_reset_send(*, user: User) -> None:
    """Mail `user` a link to choose a new password (Django's token, PASSWORD_RESET_TIMEOUT)."""
    with override(user.language or "th"):
        title = _("Choose a new password")
    _mail(
        user, event="account.password_reset", title=title, url=password_reset_path(user),
        valid_minutes=max(1, settings.PASSWORD_RESET_TIMEOUT // 60),
    )  # fmt: skip


def user_confirm_email(*, user: User) -> bool:
    """Mark the address confirmed. Idempotent: returns False if it already was."""
    updated = User.objects.filter(pk=user.pk, email_confirmed_at__isnull=True).update(email_confirmed_at=timezone.now())
    user.refresh_from_db(fields=["email_confirmed_at"])
    return bool(updated)


# --- identity (accounts/verification.py) ----------------------------------------------------------


def may_verify_in_person(actor, organisation) -> bool:
    return getattr(actor, "is_superuser", False) or has_role(actor, organisation, Role.CLERK, Role.ADMIN)


def identity_verify_in_person(*, actor, user: User, organisation: Organisation, national_id, id_card_seen):
    """Office staff (a clerk or admin of `organisation`) saw the person's ID card and typed its
    number: the account is verified in person. Audited (who, when, where)."""
    if not may_verify_in_person(actor, organisation):
        raise PermissionDenied(_("Only office staff (a clerk or an administrator) of this organisation can verify identities."))
    errors = {}
    if id_card_seen is not True and str(id_card_seen).lower() not in {"on", "true", "1", "yes"}:
        errors["id_card_seen"] = [_("Verify only after you have seen the person's ID card: tick the box.")]
    nid_hash = national_id_hash(national_id if isinstance(national_id, str) else "")
    if nid_hash is None:
        errors["national_id"] = [_("This is not a valid 13-digit national ID number (check digit).")]
    if errors:
        raise ValidationFailed(details=errors)
    return _identity_set(user, method=VerificationLevel.IN_PERSON, nid_hash=nid_hash, actor=actor, organisation=organisation)


def identity_verify_thaid(*, user: User, national_id: str) -> IdentityVerification:
    """ThaID vouched for the signed-in person (accounts/views.py:thaid_callback checked the ID
    token): keep the ID's keyed hash and the level, nothing else. Audited, the person as actor."""
    nid_hash = national_id_hash(national_id if isinstance(national_id, str) else "")
    if nid_hash is None:
        raise ValidationFailed(_("ThaID did not give a valid national ID number."), code="thaid_no_id")
    membership = Membership.objects.filter(user=user, role=Role.RESIDENT).order_by("id").first()
    organisation = membership.organisation if membership else None
    return _identity_set(user, method=VerificationLevel.THAID, nid_hash=nid_hash, actor=user, organisation=organisation)


def _identity_set(user: User, *, method: str, nid_hash: str, actor, organisation) -> IdentityVerification:
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=user.pk, is_active=True, erased_at__isnull=True).first()
        if locked is None:
            raise NotFound(_("There is no such account."))
        if locked.national_id_hash and locked.national_id_hash != nid_hash:
            raise Conflict(
                _("This account was verified with another national ID number. Ask the office to check."),
                code="national_id_mismatch",
            )
        if User.objects.filter(national_id_hash=nid_hash).exclude(pk=locked.pk).exists():
            raise Conflict(
                _("This national ID number is already verified on another account. One person has one account."),
                code="national_id_taken",
            )
        before = locked.verification_level
        now = timezone.now()
        level = method if rank(method) >= rank(locked.identity_level) else locked.identity_level
        User.objects.filter(pk=locked.pk).update(identity_level=level, identity_verified_at=now, national_id_hash=nid_hash)
        record = IdentityVerification.objects.create(
            user=locked, method=method, organisation=organisation, verified_by=actor, verified_at=now
        )
        audit_append(
            action=AuditEntry.Action.MODERATION if actor != locked else AuditEntry.Action.TRANSITION,
            name="identity_verified", actor=actor, record=record,
            organisation_id=organisation.pk if organisation else None, from_state=before, to_state=level,
            payload={"user": actor_pseudonym(locked), "method": method},
        )  # fmt: skip
    user.identity_level, user.identity_verified_at, user.national_id_hash = level, now, nid_hash
    return record
