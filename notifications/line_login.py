"""LINE Login: how a resident links their LINE account so the Official Account can push to them.

LINE Login v2.1 is OpenID Connect (accounts/oidc.py): the authorization code flow with PKCE, state
and nonce; its web login ID token is signed HS256 with the channel secret, and its `sub` is the
person's LINE user id for our LINE provider, the same id the Messaging API pushes to (both
channels must sit under one provider: docs/OPERATIONS.md#line-official-account-and-line-login).
The endpoints are settings (LINE_LOGIN_AUTHORIZE_URL, LINE_LOGIN_TOKEN_URL) so the tests point
them at a local fake; LINE wants the client secret in the token request's form.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accounts.oidc import Provider

from . import conf


def provider() -> Provider:
    extra = {"bot_prompt": settings.LINE_LOGIN_BOT_PROMPT} if settings.LINE_LOGIN_BOT_PROMPT else {}
    return Provider(
        issuer=settings.LINE_LOGIN_ISSUER,
        client_id=settings.LINE_LOGIN_CHANNEL_ID,
        client_secret=settings.LINE_LOGIN_CHANNEL_SECRET,
        scopes=("openid",),  # the user id (sub) is all we keep; no profile, no email
        extra=extra,
        algorithms=("HS256",),
        authorization_endpoint=settings.LINE_LOGIN_AUTHORIZE_URL,
        token_endpoint=settings.LINE_LOGIN_TOKEN_URL,
        token_auth="client_secret_post",
    )


def available() -> bool:
    """Offered to residents: LINE Login configured and the Official Account able to push."""
    return bool(settings.LINE_LOGIN_CHANNEL_ID and settings.LINE_LOGIN_CHANNEL_SECRET) and conf.line_enabled()


def redirect_uri() -> str:
    """The callback URL registered in the LINE Login channel (LINE compares it exactly)."""
    return settings.LINE_LOGIN_REDIRECT_URI or settings.SITE_URL + reverse("notifications:line-callback")


def masked(line_user_id: str) -> str:
    """What a page or the API may show of a LINE user id: never the whole id."""
    return f"U…{line_user_id[-4:]}" if line_user_id else ""
