"""Lists of the API: cursor pagination, and what a list answers in the OpenAPI schema.

A DRF generic list view pages and documents itself. An APIView that builds its list by hand pages
with `paged_response` and declares `responses=paged("Name", SerializerOut)`: a `many=True`
serializer there would tell the schema "an array" for what is an object (next, previous,
results), which is what the schemathesis run (tests/config/test_schemathesis.py) found on four of
them. A list that is not paged answers {"results": [...]} and declares `listed(...)`.
"""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import pagination, serializers


class CursorPagination(pagination.CursorPagination):
    """REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]: stable under inserts, cheap at any depth."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


def paginate(request, view, queryset, ordering: tuple[str, ...] | None = None):
    """(paginator, page) of `queryset` in `ordering` (a list's chosen sort, workflows.filters; the
    first field is the cursor's position and must never be NULL, the last should be unique)."""
    paginator = CursorPagination()
    if ordering:
        paginator.ordering = ordering
    return paginator, paginator.paginate_queryset(queryset, request, view=view)


def paged_response(request, view, queryset, serializer_class, *, ordering=None, **serializer_kwargs):
    """One page of `queryset` as {"next", "previous", "results"}."""
    paginator, page = paginate(request, view, queryset, ordering)
    return paginator.get_paginated_response(serializer_class(page, many=True, **serializer_kwargs).data)


def paged(name: str, serializer_class) -> serializers.Serializer:
    """The schema of a `paged_response` answer."""
    return inline_serializer(
        f"Paginated{name}List",
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


def listed(name: str, serializer_class) -> serializers.Serializer:
    """The schema of a `{"results": [...]}` answer (a list that is not paged)."""
    return inline_serializer(f"{name}Results", {"results": serializer_class(many=True)})
