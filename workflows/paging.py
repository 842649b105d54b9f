"""Lists of the API: cursor pagination, and what a list answers in the OpenAPI schema.

A DRF generic list view pages and documents itself. An APIView that builds its list by hand pages
with `paged_response` and declares `responses=paged("Name", SerializerOut)`: a `many=True`
serializer there would tell the schema "an array" for what is an object (next, previous,
results), which is what the schemathesis run (tests/config/test_schemathesis.py) found on four of
them. A list that is not paged answers {"results": [...]} and declares `listed(...)`.

Paging values are refused, never ignored or bent (docs/API.md#pagination): an API list answers 400
`invalid` for `?page_size=` that is not a whole number from 1 to 200, for a `?cursor=` it did not
give, and for `?page=` (it pages by cursor: follow `next`). A list page (`page_of`) pages by number,
`?page=N&page_size=M` (at most PAGE_MAX); `?page=0`, `?page=abc`, a page past the last or too large
a size is a 400 whose message says what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import inline_serializer
from rest_framework import pagination, serializers
from rest_framework.exceptions import NotFound

from .errors import ValidationFailed

API_PAGE_MAX = 200
PAGE_SIZE = 25  # a list page's default
PAGE_MAX = 100  # a list page's largest


def whole_number(params, name: str, *, default: int, high: int, low: int = 1, message=None) -> int:
    """`params[name]` as a whole number from `low` to `high` written in digits ("2", not "2.0",
    "-1", " 2" nor "๒"), or `default` when absent or empty; otherwise ValidationFailed naming the range."""
    raw = params.get(name, "")
    if raw in ("", None):
        return default
    raw = str(raw)
    if not (re.fullmatch(r"[0-9]{1,12}", raw) and low <= int(raw) <= high):
        message = message or _("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        raise ValidationFailed(details={name: [message]})
    return int(raw)


class CursorPagination(pagination.CursorPagination):
    """REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]: stable under inserts, cheap at any depth."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = API_PAGE_MAX
    ordering = "-id"

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get("page") is not None:
            raise ValidationFailed(details={"page": [_("This list pages by cursor: follow the “next” link.")]})
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        return whole_number(request.query_params, self.page_size_query_param, default=self.page_size, high=self.max_page_size)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:  # DRF's 404: the list exists, the value sent is what is wrong
            raise ValidationFailed(
                details={"cursor": [_("Not a cursor of this list: follow the “next” or “previous” link.")]}
            ) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


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


# --- list pages: numbered pages -------------------------------------------------------------------


@dataclass
class Pager:
    """What includes/pager.html shows: where this page is and links to its neighbours."""

    number: int
    pages: int
    count: int
    previous_url: str = ""
    next_url: str = ""


def page_of(params, queryset, *, per_page: int = PAGE_SIZE, high: int = PAGE_MAX) -> tuple[list, Pager]:
    """One numbered page of `queryset` for a list page (`?page=N&page_size=M`; the other query
    parameters are kept in the links). ValidationFailed for a page or size out of range, or past
    the last page (page 1 of an empty list is a page)."""
    details, values = {}, {}
    page_message = _("Give a page number: 1, 2, 3 …")
    for name, default, most, message in (("page", 1, 10**6, page_message), ("page_size", per_page, high, None)):
        try:
            values[name] = whole_number(params, name, default=default, high=most, message=message)
        except ValidationFailed as exc:
            details |= exc.details
    if details:
        raise ValidationFailed(details=details)
    number, size = values["page"], values["page_size"]
    paginator = Paginator(queryset, size)
    if number > paginator.num_pages:
        message = _("There is no page %(page)d: the last page is %(pages)d.") % {"page": number, "pages": paginator.num_pages}
        raise ValidationFailed(details={"page": [message]})
    page = paginator.page(number)
    kept = [(k, v) for k, sent in params.lists() for v in sent if k != "page"] if hasattr(params, "lists") else []

    def link(n: int) -> str:
        return "?" + urlencode([*kept, ("page", n)])

    pager = Pager(number=number, pages=paginator.num_pages, count=paginator.count)
    pager.previous_url = link(number - 1) if page.has_previous() else ""
    pager.next_url = link(number + 1) if page.has_next() else ""
    return list(page.object_list), pager


LABELS = {"page": _("Page"), "page_size": _("Per page")}


def page_for(params, queryset, **kwargs) -> tuple[list, Pager | None, list[str]]:
    """`page_of` for a page: (items, pager, messages). A refused value does not fail the page: it
    shows why above an empty list, with status 400 (the view's)."""
    try:
        items, pager = page_of(params, queryset, **kwargs)
    except ValidationFailed as exc:
        return [], None, [f"{LABELS.get(k, k)}: {' '.join(str(m) for m in v)}" for k, v in exc.details.items()]
    return items, pager, []
