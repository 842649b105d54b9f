"""Reads about people and roles, shared by every app's rules."""

from .models import STAFF_ROLES, Membership, Organisation, Role


def roles_for(user, organisation: Organisation | int | None) -> frozenset[str]:
    """The roles `user` holds in `organisation`, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or organisation is None:
        return frozenset()
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    cache = user.__dict__.setdefault("_ruamkid_roles", {})
    if org_id not in cache:
        cache[org_id] = frozenset(Membership.objects.filter(user=user, organisation_id=org_id).values_list("role", flat=True))
    return cache[org_id]


def forget_roles(user) -> None:
    user.__dict__.pop("_ruamkid_roles", None)


def has_role(user, organisation, *roles: str) -> bool:
    held = roles_for(user, organisation)
    return any(role in held for role in roles)


def is_staff_of(user, organisation) -> bool:
    return bool(roles_for(user, organisation) & STAFF_ROLES)


def is_resident_of(user, organisation) -> bool:
    """A confirmed account with a resident membership in the organisation."""
    return bool(getattr(user, "email_confirmed_at", None)) and has_role(user, organisation, Role.RESIDENT)


def principal_role(user, organisation) -> str:
    """The one role named in the audit trail: the most senior the actor holds."""
    held = roles_for(user, organisation)
    for role in (Role.ADMIN, Role.CLERK, Role.MODERATOR, Role.INTEGRITY, Role.RESIDENT):
        if role in held:
            return role
    if user is None:
        return "system"
    return "public" if not getattr(user, "is_authenticated", False) else "user"


def staff_organisations(user) -> list[Organisation]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Organisation.objects.filter(memberships__user=user, memberships__role__in=STAFF_ROLES).distinct())


def default_organisation() -> Organisation | None:
    return Organisation.objects.order_by("pk").first()
