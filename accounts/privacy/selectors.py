"""Reads for the erasure pages: who reviews requests, and which."""

from ..models import ErasureRequest, Membership, Role


def reviewed_organisations(user) -> list[int] | None:
    """Organisation ids whose requests `user` decides; None means every one (a superuser)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return None
    return list(Membership.objects.filter(user=user, role=Role.ADMIN).values_list("organisation_id", flat=True))


def reviews_erasures(user) -> bool:
    return reviewed_organisations(user) != []


def erasure_requests_for(user, *, limit: int = 500) -> list[ErasureRequest]:
    """Requests `user` may decide, open ones first, newest first."""
    orgs = reviewed_organisations(user)
    qs = ErasureRequest.objects.select_related("user", "user__village", "organisation", "decided_by")
    if orgs is not None:
        qs = qs.filter(organisation_id__in=orgs)
    return sorted(qs.order_by("-requested_at")[:limit], key=lambda r: r.state != ErasureRequest.State.OPEN)
