"""Who may do what with complaints. Permissions take (complaint, user); payload cleaners take
(complaint, payload) and raise ValidationFailed. No side effects.

Staff of the organisation (moderator, clerk, admin) handle complaints; the filer sees their own;
everyone else sees only the tracking page (with the code) and the anonymised statistics.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.selectors import is_staff_of
from workflows.errors import ValidationFailed


def is_staff(complaint, user) -> bool:
    return is_staff_of(user, complaint.organisation_id)


def is_filer(complaint, user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and complaint.filer_id == user.pk


def can_see(complaint, user) -> bool:
    """The full record (details, photo, contact): staff of its organisation, and its filer."""
    return is_staff(complaint, user) or is_filer(complaint, user)


def clean_nothing(complaint, payload: dict) -> dict:
    # Only the engine's own key (a deadline id) may ride along; anything else is dropped.
    return {k: v for k, v in (payload or {}).items() if k == "deadline"}


def clean_assignment(complaint, payload: dict) -> dict:
    from .models import Division

    raw = (payload or {}).get("division")
    division = None
    if str(raw or "").isdigit():
        division = Division.objects.filter(pk=int(raw), organisation_id=complaint.organisation_id, active=True).first()
    if division is None:
        raise ValidationFailed(_("Choose the division that will handle it."), details={"division": [_("Choose a division.")]})
    if division.pk == complaint.division_id:
        raise ValidationFailed(
            _("It is already assigned to this division."), details={"division": [_("Choose another division.")]}
        )
    return {"division": division.pk}
