"""Pages: register, confirm the email (a GET shows a button, only the POST confirms) or ask for the
link again, sign in/out, reset a forgotten password (Django's views, our mail and limits)."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import limits
from .forms import EmailForm, LoginForm, RegistrationForm, ResetRequestForm
from .redirects import is_safe, next_from, redirect_next
from .services import (
    TokenExpired,
    TokenInvalid,
    email_confirmation_resend,
    reset_tokens,
    user_confirm_email,
    user_for_confirm_token,
    user_register,
)


def _paused(response, wait: int):
    """A page refused because someone must wait (accounts/limits.py): 429 with Retry-After."""
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response


def _mail_wait(request, form) -> int:
    """0 if one more account mail may go to the form's address (and counts it), else the wait;
    a wait is also shown on the form."""
    wait = limits.mail_wait(email=form.cleaned_data["email"], address=request.META.get("REMOTE_ADDR", ""))
    if wait:
        form.add_error(None, limits.wait_message(wait, what="mail"))
    return wait


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect_next(request, "home")
    form = RegistrationForm(request.POST or None)
    after = next_from(request) or ""  # the page the person came from: back there once confirmed and signed in
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
        if after:
            request.session["registered_next"] = after
        return redirect("accounts:register_sent")
    return render(request, "accounts/register.html", {"form": form, "next": after})


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
        after = request.session.pop("registered_next", "")
        after = after if is_safe(request, after) else ""
        if request.user.is_authenticated:
            return redirect(after or "home")
        return redirect(reverse("accounts:login") + (f"?next={quote(after)}" if after else ""))
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
        return _paused(response, form.wait) if form.wait else response


class LogoutView(SafeNextMixin, auth_views.LogoutView):
    pass


@require_http_methods(["GET", "POST"])
def set_language(request):
    """The language switch (Django's set_language, with its `next` through accounts.redirects):
    back to the page it was pressed on, in the chosen language. The header's switch is a link (a
    GET), so that an anonymous page needs no CSRF token and the read lane can share one copy of it;
    a language is no secret and choosing one changes nothing anyone else sees."""
    response = redirect_next(request, "home", referer=True)
    code = request.POST.get("language") or request.GET.get("language")
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


@require_http_methods(["GET", "POST"])
def confirm_resend(request):
    """Ask for a fresh confirmation link (limited like every account mail). Signed in, the page
    is one button for your own address. The answer is the same whether or not the address has
    an account waiting, so the page reveals nobody."""
    user = request.user if request.user.is_authenticated else None
    if user is not None and user.email_confirmed:
        messages.info(request, _("This address is already confirmed."))
        return redirect("home")
    asked = {"email": user.email} if user is not None else request.POST
    form = EmailForm(asked if request.method == "POST" else None)
    if form.is_valid():
        wait = _mail_wait(request, form)
        if wait:
            return _paused(render(request, "accounts/confirm_resend.html", {"form": form, "own": user}), wait)
        email_confirmation_resend(email=form.cleaned_data["email"])
        messages.success(
            request,
            _("If this address has an account waiting for confirmation, we have sent it a new link. It works for three days."),
        )
        return redirect("accounts:confirm_resend")
    return render(request, "accounts/confirm_resend.html", {"form": form, "own": user})


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a link by email. Unknown addresses get nothing, and the page does not say so."""

    template_name = "accounts/password_reset_form.html"
    form_class = ResetRequestForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        wait = _mail_wait(self.request, form)
        return _paused(self.form_invalid(form), wait) if wait else super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password from the emailed link. An expired link and a bad or used one get a
    400 page saying which. Setting the password signs the person in and confirms their address
    (the link reached it), and ends a sign-in pause of the account."""

    template_name = "accounts/password_reset_confirm.html"
    token_generator = reset_tokens
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user_confirm_email(user=form.user)
        limits.LOGIN_ACCOUNT.clear(form.user.email)
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not context["validlink"]:
            token = self.kwargs.get("token", "")
            if token == self.reset_url_token:
                token = self.request.session.get(auth_views.INTERNAL_RESET_SESSION_TOKEN, "")
            context["expired"] = reset_tokens.expired(self.user, token)
            context["valid_minutes"] = settings.PASSWORD_RESET_TIMEOUT // 60
        return context

    def render_to_response(self, context, **kwargs):
        if not context.get("validlink"):
            kwargs.setdefault("status", 400)
        return super().render_to_response(context, **kwargs)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
