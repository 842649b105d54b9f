"""The staff desk: one page per role a person holds (moderator, clerk, admin) with what waits for
them in every app, oldest first, with its due date. `config` is the one place that knows every
app; each contributes through `<app>.selectors.desk_items(user)` (found by name, like the home
page's summaries):

    [{"roles": ["moderator", "admin"],   # whose desk it is on
      "organisation_id": 1, "what": "Petition to moderate", "title": "…", "url": "/petitions/4/",
      "since": datetime,                  # when it started waiting
      "due": datetime | None}, …]         # a deadline (legal, service level, policy)

Staff hear when something lands on it through the outbox (petition.awaiting_moderation,
consultation.contribution_reported, consultation.decision_due, …), in the inbox and by mail as
their notification preferences say.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Role

from .views import app_selector

DESK_APPS = ("petitions", "consultations", "complaints")
ROLES = {Role.MODERATOR: _("Moderator"), Role.CLERK: _("Clerk"), Role.ADMIN: _("Administrator")}
LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


def desk_roles(user) -> dict[int, set[str]]:
    """organisation id → the staff roles `user` holds there."""
    held: dict[int, set[str]] = {}
    for org_id, role in Membership.objects.filter(user=user, role__in=list(ROLES)).values_list("organisation_id", "role"):
        held.setdefault(org_id, set()).add(role)
    return held


def desk_items(user, held: dict[int, set[str]]) -> dict[str, list[dict]]:
    """role → its items, oldest first (the longest waiting at the top)."""
    by_role: dict[str, list[dict]] = {role: [] for role in ROLES if any(role in roles for roles in held.values())}
    now = timezone.now()
    for app in DESK_APPS:
        items = app_selector(app, "desk_items")
        for item in items(user) if items is not None else []:
            item["overdue"] = bool(item.get("due") and item["due"] <= now)
            for role in item["roles"]:
                if role in by_role and role in held.get(item["organisation_id"], ()):
                    by_role[role].append(item)
    for items in by_role.values():
        items.sort(key=lambda i: (i["since"] or LATEST, i["title"]))
    return by_role


@login_required
def desk(request, role: str = ""):
    held = desk_roles(request.user)
    if not held:
        return render(request, "403.html", status=403)
    by_role = desk_items(request.user, held)
    if not role:
        return redirect("desk-role", next(iter(by_role)))
    if role not in by_role:
        raise Http404
    tabs = [{"role": r, "label": ROLES[r], "count": len(items), "current": r == role} for r, items in by_role.items()]
    return render(request, "desk.html", {"role": role, "role_label": ROLES[role], "tabs": tabs, "items": by_role[role]})
