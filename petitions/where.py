"""What a resident reads about each state of a petition (workflows.where, {% where %})."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import State

HELP = {
    State.DRAFT: _("The author is writing the petition; only they can see it."),
    State.COLLECTING_SPONSORS: _("The petition needs sponsors from residents before the municipality checks it."),
    State.AWAITING_MODERATION: _("The municipality is checking the petition before it opens for signatures."),
    State.OPEN: _("Residents can sign until signing closes."),
    State.CLOSED: _("Signing has closed. The petition goes to the council if it has enough signatures."),
    State.SUBMITTED: _("The petition has been submitted to the council."),
    State.UNDER_CONSIDERATION: _("The council is considering the petition."),
    State.DECIDED: _("The council has decided; its decision is below."),
    State.REJECTED: _("The municipality rejected the petition; its reason is below."),
    State.WITHDRAWN: _("The author withdrew the petition."),
    State.HIDDEN: _("The municipality hid this petition."),
}


def step_help(petition) -> dict[str, str]:
    return HELP
