"""Where a page may send a person next: the one check every `next=` goes through.

A `next` (or a Referer we fall back on) comes from the request, so an attacker can craft a link
to our login or language switch that lands the person on a look-alike site afterwards. Only a
path or URL on this site is followed; anything else (`//evil`, `https:evil`, `/\\evil`, `\\\\evil`,
`javascript:`, control characters a browser would strip) gives the page's own default.

Built on django.utils.http.url_has_allowed_host_and_scheme, the check Django's LoginView and
set_language use. Lives in accounts, the lowest app, so every app's views can use it.
"""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

MAX_LENGTH = 2000


def is_safe(request, target: str | None) -> bool:
    """May we send this person to `target`? Only this site's host (and HTTPS when we are on it)."""
    if not target or not isinstance(target, str) or len(target) > MAX_LENGTH:
        return False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False  # browsers drop tabs and newlines: "/\t/evil" would become "//evil"
    return url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())


def safe_next(request, target: str | None, default: str = "home", *args, **kwargs) -> str:
    """`target` when it is safe, else `default` (a URL name, with *args/**kwargs for reverse, or a path)."""
    return target if is_safe(request, target) else resolve_url(default, *args, **kwargs)


def next_from(request, *, field: str = "next", referer: bool = False) -> str | None:
    """The first safe candidate of the POST field, the query string field and (if asked) the Referer."""
    candidates = [request.POST.get(field), request.GET.get(field)]
    if referer:
        candidates.append(request.headers.get("referer"))
    return next((c for c in candidates if is_safe(request, c)), None)


def redirect_next(request, default: str = "home", *args, field: str = "next", referer: bool = False, **kwargs):
    """Redirect to the request's safe `next` (see next_from), else to `default`."""
    return HttpResponseRedirect(safe_next(request, next_from(request, field=field, referer=referer), default, *args, **kwargs))
