"""Thai for Django's own messages that Django's Thai catalogue leaves empty: the password
validators (their errors and help texts) and the set-password form.

Nothing imports this module. makemessages reads these calls into accounts/locale, and since every
app's catalogue merges into one, Django's code asking for the same msgid gets our Thai. The
msgids must match Django's exactly (curly apostrophes included); tests/accounts/test_password_thai.py
checks that each message Django produces is translated.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

MESSAGES = [
    # django.contrib.auth.password_validation
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        8,
    ),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        8,
    ),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("Your password can’t be entirely numeric."),
    # django.contrib.auth.forms.SetPasswordForm (password reset)
    gettext_noop("The two password fields didn’t match."),
    gettext_noop("Enter the same password as before, for verification."),
]
