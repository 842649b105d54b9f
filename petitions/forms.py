"""Page forms. They shape the input; the services hold the rules and their messages, which
views.apply_errors puts back on the form in the page's language."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.fields import BuddhistDateField, BuddhistDateTimeField

from .models import CouncilDecision, Kind, RejectionCode


class PetitionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Kind.choices, widget=forms.RadioSelect, initial=Kind.GENERAL,
        help_text=_("A local ordinance initiative asks the council to pass a local law; signers give their national ID."),
    )  # fmt: skip
    title = forms.CharField(label=_("Title"), max_length=200, help_text=_("What do you want the municipality to do?"))
    body = forms.CharField(label=_("What we ask for"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    background = forms.CharField(
        label=_("Background (optional)"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class PetitionEditForm(forms.Form):
    """The author's edit (until the petition is sponsored) or a moderator's correction (with a reason)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("What we ask for"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    background = forms.CharField(
        label=_("Background (optional)"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    reason = forms.CharField(
        label=_("Why the municipality corrects the text (shown publicly)"), max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip

    def __init__(self, *args, municipal=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not municipal:
            del self.fields["reason"]


class SignForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(
        label=_("Email"), max_length=254, help_text=_("We send you a link to confirm. It is never published.")
    )
    village = forms.TypedChoiceField(label=_("Village (หมู่ที่)"), coerce=int, choices=())
    national_id = forms.CharField(
        label=_("National ID number"), max_length=17, required=False,
        help_text=_("13 digits. We keep only a protected fingerprint and the last 4 digits."),
    )  # fmt: skip
    consent = forms.BooleanField(
        label=_("I agree that the municipality keeps my name, village and email to count and verify my signature."),
    )
    notify_outcome = forms.BooleanField(
        label=_("Email me what becomes of this petition: the municipality's response and the council's decision."),
        required=False, initial=True,
    )  # fmt: skip

    def __init__(self, *args, villages=(), ordinance=False, member=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", _("Choose your village"))] + list(villages)
        if ordinance:
            self.fields["national_id"].required = True
        else:
            del self.fields["national_id"]
        if member:  # signed in with a confirmed email: the account says who they are
            del self.fields["name"], self.fields["email"]


class ReasonForm(forms.Form):
    """A move with nothing to fill in but an optional reason (open, close, submit …)."""

    reason = forms.CharField(label=_("Reason"), max_length=4000, required=False)


class RejectForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason code"), choices=RejectionCode.choices)
    reason = forms.CharField(label=_("Reason shown to the author"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class ResponseForm(forms.Form):
    text = forms.CharField(label=_("The municipality's response"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))


class OutcomeForm(forms.Form):
    decision = forms.ChoiceField(label=_("Council decision"), choices=CouncilDecision.choices)
    summary = forms.CharField(label=_("Summary of the decision"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))
    meeting = forms.CharField(label=_("Council meeting"), max_length=200, required=False)
    decided_on = BuddhistDateField(label=_("Date of the decision"))


class InvalidateForm(forms.Form):
    email_domain = forms.CharField(label=_("Email domain"), max_length=253, required=False)
    ip_hash = forms.CharField(label=_("IP hash"), max_length=64, required=False)
    created_from = BuddhistDateTimeField(label=_("Signed from"), required=False, time_required=False)
    created_to = BuddhistDateTimeField(label=_("Signed before"), required=False, time_required=False)
    reason = forms.CharField(label=_("Reason (kept in the audit trail)"), max_length=4000)
    confirm = forms.BooleanField(
        label=_("I understand: the matching signatures stop counting"), required=False,
        widget=forms.CheckboxInput(attrs={"required": True, "data-testid": "confirm-invalidate"}),
    )  # fmt: skip


# --- paper signatures and the ordinance filing (views_paper) ------------------------------------------
class PaperLineForm(forms.Form):
    sheet_number = forms.IntegerField(label=_("Sheet number"), min_value=1)
    scan = forms.FileField(label=_("Scanned sheet (when the sheet is new)"), required=False)
    line = forms.IntegerField(label=_("Line on the sheet"), min_value=1, max_value=1000)
    name = forms.CharField(label=_("Full name"), max_length=200)
    village = forms.TypedChoiceField(label=_("Village (หมู่ที่)"), coerce=int, choices=())
    national_id = forms.CharField(label=_("National ID number"), max_length=17, required=False)
    email = forms.CharField(label=_("Email (if written on the sheet)"), max_length=254, required=False)
    signed_on = forms.CharField(label=_("Date signed (YYYY-MM-DD, Buddhist or Common Era)"), max_length=10)

    def __init__(self, *args, villages=(), ordinance=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = list(villages)
        if not ordinance:
            del self.fields["national_id"]


class PaperImportForm(forms.Form):
    sheet_number = forms.IntegerField(label=_("Sheet number"), min_value=1)
    scan = forms.FileField(label=_("Scanned sheet (when the sheet is new)"), required=False)
    file = forms.FileField(label=_("CSV file: line, name, village, national_id, email, signed_on"))


class DraftForm(forms.Form):
    draft_ordinance = forms.CharField(label=_("Draft ordinance"), max_length=50000, widget=forms.Textarea(attrs={"rows": 10}))
    collection_regulation = forms.CharField(
        label=_("Council regulation on collecting signatures"), max_length=300, required=False
    )


class RepresentativeForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    village_number = forms.TypedChoiceField(label=_("Village (หมู่ที่)"), coerce=int, choices=())
    address = forms.CharField(label=_("Address (not published)"), max_length=300, required=False)
    declaration = forms.CharField(label=_("Declaration"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    declared_on = BuddhistDateField(label=_("Declared on"))

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village_number"].choices = list(villages)


class ObjectionForm(forms.Form):
    entry = forms.IntegerField(label=_("Entry number"), min_value=1)
    objector_name = forms.CharField(label=_("Your name"), max_length=200)
    contact = forms.CharField(label=_("How staff can reach you (not published)"), max_length=200, required=False)
    reason = forms.CharField(
        label=_("Why this entry should not count"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(forms.Form):
    uphold = forms.TypedChoiceField(
        label=_("Decision"), coerce=lambda v: v == "1",
        choices=[("1", _("Uphold: remove the entry")), ("0", _("Dismiss: the entry stands"))],
    )  # fmt: skip
    reason = forms.CharField(label=_("Reason (public, in the audit trail)"), max_length=5000)


# --- signing controls (views_controls) ------------------------------------------------------------
class SigningBlockForm(forms.Form):
    value = forms.CharField(label=_("Email address or domain"), max_length=300)
    note = forms.CharField(label=_("Note (why; kept in the audit trail)"), max_length=500, required=False)


class SigningLimitsForm(forms.Form):
    burst_limit = forms.IntegerField(label=_("Sign requests per address in a short burst"), min_value=0)
    burst_window_seconds = forms.IntegerField(label=_("Burst window (seconds)"), min_value=0)
    ip_limit = forms.IntegerField(label=_("Sign requests per address and window (refused above)"), min_value=0)
    ip_window_seconds = forms.IntegerField(label=_("Address window (seconds)"), min_value=0)
    ip_review_limit = forms.IntegerField(label=_("Signatures per address and window before staff review them"), min_value=0)
    petition_limit = forms.IntegerField(label=_("Sign requests per petition and window"), min_value=0)
    petition_window_seconds = forms.IntegerField(label=_("Petition window (seconds)"), min_value=0)
    reason = forms.CharField(label=_("Reason (kept in the audit trail)"), max_length=2000, required=False)
