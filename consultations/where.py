"""What a resident reads about each stage of a consultation (workflows.where, {% where %}): the
stages its level visits, and one sentence on what happens in each."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import State, path_for_level

HELP = {
    State.DRAFT: _("The municipality is preparing this consultation; it is not public yet."),
    State.INFORMING: _("The municipality shares what it plans: read the documents and follow for updates."),
    State.PROBLEM_IDENTIFICATION: _("Residents raise problems and needs, and support the ones they share."),
    State.ALTERNATIVES: _("Residents and the municipality propose alternatives that answer the problems."),
    State.DELIBERATION: _("Discuss the alternatives and vote for the ones you support."),
    State.DECIDING: _("Voting has closed. The municipality is preparing its decision on the results."),
    State.DECIDED: _("The decision is published with its reasons and its answer to each contribution."),
    State.IMPLEMENTING: _("The municipality is carrying out the decision and publishes its progress."),
    State.CLOSED: _("This consultation has ended. Its record stays public."),
    State.CANCELLED: _("The municipality cancelled this consultation. Its reason is in the audit trail."),
}


def path(consultation) -> list[str]:
    return path_for_level(consultation.level)


def step_help(consultation) -> dict[str, str]:
    return HELP
