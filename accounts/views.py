"""Pages: register, confirm the email (a GET shows a button, only the POST confirms), sign in/out,
the language switch."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .forms import LoginForm, RegistrationForm
from .redirects import next_from, redirect_next
from .services import TokenExpired, TokenInvalid, user_confirm_email, user_for_confirm_token, user_register


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user_register(
            email=data["email"],
            password=data["password1"],
            full_name=data["full_name"],
            organisation=data["organisation"],
            village=data.get("village"),
            language=data["language"],
        )
        request.session["registered_email"] = data["email"]
        return redirect("accounts:register_sent")
    return render(request, "accounts/register.html", {"form": form})


def register_sent(request):
    return render(request, "accounts/register_sent.html", {"email": request.session.get("registered_email", "")})


@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows what will be confirmed and a button; mail scanners that follow links confirm nothing."""
    try:
        user = user_for_confirm_token(token)
    except TokenExpired:
        return render(request, "accounts/confirm_invalid.html", {"expired": True}, status=400)
    except TokenInvalid:
        return render(request, "accounts/confirm_invalid.html", {"expired": False}, status=400)
    if request.method == "POST":
        user_confirm_email(user=user)
        messages.success(request, _("Thank you: your email address is confirmed."))
        if request.user.is_authenticated:
            return redirect("home")
        return redirect(reverse("accounts:login"))
    return render(request, "accounts/confirm.html", {"confirm_user": user, "already": user.email_confirmed})


class SafeNextMixin:
    """Django's sign-in/out views read `next` themselves; route it through accounts.redirects."""

    def get_redirect_url(self):
        return next_from(self.request, field=self.redirect_field_name) or ""


class LoginView(SafeNextMixin, auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    form_class = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.wait:  # paused against guessing (accounts/limits.py)
            response.status_code = 429
            response["Retry-After"] = str(form.wait)
        return response


class LogoutView(SafeNextMixin, auth_views.LogoutView):
    pass


@require_POST
def set_language(request):
    """The language switch (Django's set_language, with its `next` through accounts.redirects):
    back to the page it was pressed on, in the chosen language."""
    response = redirect_next(request, "home", referer=True)
    code = request.POST.get("language")
    if code and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
