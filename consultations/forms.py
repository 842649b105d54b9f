"""The forms of the consultation pages. Every page view reads what is posted through one of these
(views.posted), never from request.POST directly: a NUL byte, a number past the database's range
or a word where an id belongs is a form error shown as a message, not a 500 from the database.
The field names are those the templates post; the services still apply the rules."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.fields import BuddhistDateTimeField

from .models import Consultation, Level, ReasonCode, Report, State

MAX_ID = 2**63 - 1  # BigAutoField
MAX_TITLE, MAX_TEXT = 300, 4000


def _id(label, *, required: bool = False) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1, max_value=MAX_ID, required=required)


class IdsField(forms.Field):
    """Several record numbers posted under one name (checkboxes): a list of ints."""

    widget = forms.MultipleHiddenInput  # reads every value posted under the name
    default_error_messages = {"invalid": _("Give record numbers.")}

    def to_python(self, value) -> list[int]:
        ids = []
        for item in value or []:
            text = str(item).strip()
            if not (text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID):
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(text))
        return ids


class ConsultationForm(forms.Form):
    title = forms.CharField(label=_("Topic"), max_length=MAX_TITLE)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    body = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    level = forms.ChoiceField(label=_("Participation level"), choices=Level.choices, initial=Level.CONSULT)
    moderation = forms.ChoiceField(label=_("Moderation"), choices=Consultation.Moderation.choices)
    voting = forms.ChoiceField(label=_("Voting method"), choices=Consultation.Voting.choices)
    show_tallies_during_voting = forms.BooleanField(label=_("Show the running tally while voting is open"), required=False)
    channels = forms.CharField(label=_("Other channels (one a line)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class OrganisationForm(forms.Form):
    organisation = _id(_("Organisation"))


class ScheduleForm(forms.Form):
    """The start of the first stage and the end of each stage the level visits (end_<stage>)."""

    start = BuddhistDateTimeField(label=_("Start"))

    def __init__(self, data, *, stages: list[str]):
        super().__init__(data)
        self.stages = stages
        for name in stages:
            self.fields[f"end_{name}"] = BuddhistDateTimeField(label=State(name).label)

    def schedule(self) -> dict:
        """{stage: (start, end)}, each stage starting where the one before it ends."""
        stages, previous = {}, self.cleaned_data["start"]
        for name in self.stages:
            end = self.cleaned_data[f"end_{name}"]
            stages[name], previous = (previous, end), end
        return stages


class MoveForm(forms.Form):
    name = forms.SlugField(label=_("Step"), max_length=100)
    reason = forms.CharField(label=_("Reason"), max_length=MAX_TEXT, required=False)
    confirm = forms.BooleanField(label=_("I understand"), required=False)


class StageExtendForm(forms.Form):
    ends_at = forms.DateTimeField(label=_("New end"))
    reason = forms.CharField(label=_("Reason"), max_length=MAX_TEXT)


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    url = forms.CharField(label=_("Link"), max_length=500, required=False)
    text = forms.CharField(label=_("Text"), max_length=20000, required=False)


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    body = forms.CharField(label=_("Details"), max_length=MAX_TEXT, required=False)


class SupportForm(forms.Form):
    support = forms.ChoiceField(label=_("Support"), choices=[("1", "1"), ("0", "0")], required=False)


class MergeForm(forms.Form):
    into = _id(_("Merge into"), required=True)
    reason = forms.CharField(label=_("Reason"), max_length=MAX_TEXT, required=False)


class AlternativeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    body = forms.CharField(label=_("Details"), max_length=MAX_TEXT, required=False)
    problem_ids = IdsField(label=_("Problems it answers"), required=False)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=MAX_TEXT)
    parent_id = _id(_("Reply to"))
    problem_id = _id(_("Problem"))
    alternative_id = _id(_("Alternative"))
    official = forms.BooleanField(label=_("Post as the municipality's official answer"), required=False)


class EditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    body = forms.CharField(label=_("Text"), max_length=MAX_TEXT, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("title"):
            data["title"] = None  # a comment has no title; a blank one keeps the old title
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=Report.Kind.choices)
    object_id = _id(_("Number"), required=True)
    reason_code = forms.ChoiceField(label=_("Reason"), choices=ReasonCode.choices)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class BallotForm(forms.Form):
    alternative_ids = IdsField(label=_("Your choice"))


class ProgressForm(forms.Form):
    body = forms.CharField(label=_("Progress"), max_length=MAX_TEXT)
    percent_complete = forms.IntegerField(label=_("Percent complete"), min_value=0, max_value=100, required=False)


class ModerationForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=Report.Kind.choices)
    object_id = _id(_("Number"), required=True)
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=[("publish", _("Publish")), ("remove", _("Remove")), ("dismiss", _("Dismiss the reports"))]
    )
    reason_code = forms.ChoiceField(label=_("Reason"), choices=[("", ""), *ReasonCode.choices], required=False)
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)


_ANSWER = re.compile(r"(alt|prob)_(\d{1,18})")


class DecisionForm(forms.Form):
    """The decision and an answer to each alternative (alt_<id>) and supported problem (prob_<id>)."""

    chosen_ids = IdsField(label=_("Adopted alternatives"), required=False)
    rationale = forms.CharField(label=_("Rationale"), max_length=20000)
    council_resolution = forms.CharField(label=_("Council resolution"), max_length=200)

    def __init__(self, data):
        super().__init__(data)
        for key in data:
            if _ANSWER.fullmatch(key):
                self.fields[key] = forms.CharField(label=_("Answer"), max_length=MAX_TEXT, required=False)

    def clean(self):
        odd = [key for key in self.data if key.startswith(("alt_", "prob_")) and not _ANSWER.fullmatch(key)]
        if odd:
            raise ValidationError(_("An answer names no alternative or problem."), code="invalid")
        return super().clean()

    def answers(self, prefix: str) -> dict[str, str]:
        return {
            match.group(2): value
            for key, value in self.cleaned_data.items()
            if (match := _ANSWER.fullmatch(key)) and match.group(1) == prefix
        }
