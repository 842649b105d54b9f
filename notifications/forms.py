"""The notification settings form: how each channel reaches a person (the page posts one choice per channel)."""

from django import forms

from .models import Channel, Mode


class PreferencesForm(forms.Form):
    email = forms.ChoiceField(choices=Mode.choices, required=False)
    inapp = forms.ChoiceField(
        choices=[(Mode.IMMEDIATE.value, Mode.IMMEDIATE.label), (Mode.OFF.value, Mode.OFF.label)], required=False
    )

    def changes(self) -> dict[str, str]:
        """{channel: mode} for the channels the form set."""
        return {channel: self.cleaned_data[channel] for channel in (Channel.EMAIL, Channel.INAPP) if self.cleaned_data[channel]}
