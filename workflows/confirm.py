"""Destructive steps need an explicit confirmation (issue 14): cancelling a consultation, publishing
it, rejecting or hiding a petition, invalidating signatures in bulk. A person confirms with a
ticked checkbox on the page (`confirm=1`) or `"confirm": true` in the API body; without it the
server answers 400 `confirmation_required` and changes nothing.

Which moves are destructive is declared with the machine (`registry.register(..., confirm=...)`);
acts that are not moves (bulk invalidation) call `require(...)` with their own name. The check is
made where a person's request comes in (the page view and the API), before the service runs:
the deadline job and other services moving a record for the system are not people confirming.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import registry
from .errors import ValidationFailed

TRUE = {True, "1", "true", "True", "on", "yes"}


class ConfirmationRequired(ValidationFailed):
    status = 400
    code = "confirmation_required"


def needs_confirmation(record, name: str) -> bool:
    """Is move `name` of `record`'s machine one a person must confirm?"""
    try:
        return name in registry.machine_for(record).confirm
    except LookupError:
        return False


def confirmed(data) -> bool:
    """Did the request tick the confirmation (a form's checkbox or the API's `confirm`)?"""
    value = data.get("confirm") if hasattr(data, "get") else None
    if isinstance(value, list):
        value = value[-1] if value else None
    return value in TRUE


def require(data, *, action: str) -> None:
    """Refuse a destructive act (`action`: its name, for the reader) the request did not confirm."""
    if not confirmed(data):
        raise ConfirmationRequired(
            _("This cannot be undone: tick “I understand” to confirm it."),
            details={"confirm": [str(_("Tick this box to confirm."))]},
        )


def refused(request, error: ConfirmationRequired, back: str):
    """The page's answer to an unconfirmed destructive act: 400, what to do, the way back."""
    from django.shortcuts import render

    return render(request, "400.html", {"message": error.message, "back": back, "code": error.code}, status=400)


def require_for_move(record, name: str, data) -> None:
    """Refuse move `name` on `record` when it is destructive and the request did not confirm it."""
    if needs_confirmation(record, name):
        require(data, action=name)
