"""Forms of the survey pages that take ids: an id is a number in the database's range, or the post is refused."""

from django import forms


class ModerationForm(forms.Form):
    answer = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    publish = forms.ChoiceField(choices=[("1", "1"), ("0", "0")], required=False)
