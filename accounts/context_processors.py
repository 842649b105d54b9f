from django.utils.http import urlencode

from .redirects import next_from
from .selectors import staff_organisations


def roles(request):
    user = getattr(request, "user", None)
    return {"staff_orgs": staff_organisations(user) if user is not None else [], "return_query": return_query(request)}


def return_query(request) -> str:
    """`?next=…` for the header's sign-in and register links: a person who signs in or registers
    from a petition or consultation comes back to it. On the account pages themselves (sign in,
    register, confirm, reset) the page's own safe `next` is passed on instead, if it has one."""
    path = request.path or "/"
    if path.startswith("/accounts/"):
        return _query(next_from(request))
    return _query(request.get_full_path() if path != "/" else None)


def _query(target: str | None) -> str:
    return "?" + urlencode({"next": target}) if target else ""
