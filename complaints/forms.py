"""Page forms. They shape the input; the services hold the rules and their messages."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ComplaintForm(forms.Form):
    category = forms.TypedChoiceField(label=_("What is it about?"), coerce=int, choices=())
    village = forms.TypedChoiceField(label=_("Village (หมู่ที่)"), coerce=int, choices=(), required=False, empty_value=None)
    title = forms.CharField(label=_("Subject"), max_length=200, help_text=_("e.g. Street light broken in front of the school"))
    body = forms.CharField(label=_("Details"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    location_text = forms.CharField(label=_("Place (optional)"), max_length=200, required=False)
    latitude = forms.CharField(label=_("Latitude"), max_length=30, required=False)
    longitude = forms.CharField(label=_("Longitude"), max_length=30, required=False)
    photo = forms.FileField(
        label=_("Photo (optional)"), required=False, help_text=_("JPEG, PNG or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )  # fmt: skip
    name = forms.CharField(label=_("Your name (optional)"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Email (optional)"), required=False,
        help_text=_("We tell you at each step. Never published. Leave empty to stay anonymous."),
    )  # fmt: skip
    phone = forms.CharField(label=_("Phone (optional)"), max_length=30, required=False)

    def __init__(self, *args, categories=(), villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Choose"))] + list(categories)
        self.fields["village"].choices = [("", _("Not given"))] + list(villages)

    def apply(self, error) -> None:
        """Put a service's ValidationFailed back on the fields it names."""
        details = error.details if isinstance(error.details, dict) else {}
        for field, problems in details.items() or [(None, [error.message])]:
            for problem in problems if isinstance(problems, list | tuple) else [problems]:
                self.add_error(field if field in self.fields else None, str(problem))
        if not details:
            self.add_error(None, str(error.message))


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"}))
