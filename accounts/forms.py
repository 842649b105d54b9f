from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import limits
from .models import Organisation, User, Village, normalise_email
from .selectors import default_organisation
from .services import password_reset_send


class VillageChoice(forms.ModelChoiceField):
    def label_from_instance(self, village):
        return f"{village.organisation.name}: {village}"


class RegistrationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False), strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput(render_value=False), strip=False)
    organisation = forms.ModelChoiceField(label=_("Your local government"), queryset=Organisation.objects.all(), empty_label=None)
    village = VillageChoice(
        label=_("Your village (หมู่ที่), if you want"),
        queryset=Village.objects.select_related("organisation"),
        required=False,
    )
    language = forms.ChoiceField(label=_("Language for emails"), choices=User._meta.get_field("language").choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = default_organisation()
        if default is not None:
            self.fields["organisation"].initial = default.pk
        self.fields["language"].initial = "en" if (get_language() or "th").startswith("en") else "th"
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["full_name"].widget.attrs.update({"autocomplete": "name"})
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs.update({"autocomplete": "new-password"})
        self.fields["password1"].help_text = " ".join(password_validators_help_texts())  # in the page's language

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                validate_password(p1, User(email=data.get("email") or "", full_name=data.get("full_name") or ""))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        village, organisation = data.get("village"), data.get("organisation")
        if village is not None and organisation is not None and village.organisation_id != organisation.pk:
            self.add_error("village", _("This village is not in the local government you chose."))
        return data


class ThrottledLogin:
    """Sign-in paused after too many wrong passwords for one account (LOGIN_LIMIT_ACCOUNT) or from
    one client address (LOGIN_LIMIT_ADDRESS), with the time to wait. A correct password clears the
    account's count, never the address's. `wait` tells the view to answer 429."""

    wait = 0

    def clean(self):
        email = normalise_email(self.cleaned_data.get("username") or "")
        address = self.request.META.get("REMOTE_ADDR", "") if self.request is not None else ""
        checks = [(limits.LOGIN_ADDRESS, address, "address"), (limits.LOGIN_ACCOUNT, email, "account")]
        for limit, who, what in checks:
            self._refuse_if(limit.wait(who), what)
        try:
            data = super().clean()
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                waits = [(limit.hit(who), what) for limit, who, what in checks]  # count both, then say
                for wait, what in waits:
                    self._refuse_if(wait, what)
            raise
        limits.LOGIN_ACCOUNT.clear(email)
        return data

    def _refuse_if(self, wait: int, what: str) -> None:
        if wait:
            self.wait = wait
            raise forms.ValidationError(limits.wait_message(wait, what=what), code="throttled")


class LoginForm(ThrottledLogin, AuthenticationForm):
    pass


class ResetRequestForm(PasswordResetForm):
    """Django's form; the mail goes through the outbox in each person's language instead of
    Django's own mail (services.password_reset_send). Unknown addresses get nothing, silently."""

    def save(self, **_django_mail_options):
        for user in self.get_users(self.cleaned_data["email"]):
            password_reset_send(user=user)


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])
