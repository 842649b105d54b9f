"""API foundation: one JSON error shape and the errors every operation documents (pagination: workflows/paging.py).

Every error the API returns looks like
    {"error": {"code": "conflict", "message": "…", "details": {…}}}
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workflows.errors import ApplicationError, error_body
from workflows.errors import PermissionDenied as DomainPermissionDenied

log = logging.getLogger(__name__)


_DRF_CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


def _anonymous(context) -> bool:
    request = context.get("request")
    return request is not None and not getattr(request.user, "is_authenticated", False)


def _sign_in_needed(exc, context) -> bool:
    """A refusal of an anonymous caller by who they are (not by a rule such as "results are
    hidden while voting", code results_hidden, which signing in does not change)."""
    if isinstance(exc, DomainPermissionDenied):
        return exc.code in ("forbidden", "not_authenticated") and _anonymous(context)
    return isinstance(exc, DjangoPermissionDenied) and _anonymous(context)


def exception_handler(exc, context):
    if _sign_in_needed(exc, context):
        # Signing in is what an anonymous caller needs: 401 with the challenge DRF gives for its own
        # NotAuthenticated, from every view and rule; 403 stays for a signed-in person without the right.
        message = exc.message if getattr(exc, "code", "") == "not_authenticated" else _("Sign in to do this.")
        details = getattr(exc, "details", None)
        response = Response(error_body("not_authenticated", message, details), status=status.HTTP_401_UNAUTHORIZED)
        response["WWW-Authenticate"] = "Token"
        return response
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        details = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(error_body("invalid", _("Some fields are missing or not valid."), details), status=400)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(error_body("payload_too_large", _("The request is too large."), {"max_bytes": limit}), status=413)
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body("bad_request", _("The request was not valid.")), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("unhandled API error", exc_info=exc)
        return Response(
            error_body("server_error", _("Something went wrong on our side; nothing was changed.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        code = "csrf_failed"  # DRF's SessionAuthentication; the same code as config.views.csrf_failure
    if isinstance(exc, exceptions.ValidationError):
        message = _("Some fields are missing or not valid.")
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    else:
        message = exc.detail if isinstance(exc.detail, str) else _("The request could not be processed.")
        details = {} if isinstance(exc.detail, str) else exc.detail
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details = {"retry_after_seconds": int(exc.wait)}
    response.data = error_body(code, message, details)
    return response


def json_404(request, exception=None):
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def json_500(request):
    return JsonResponse(error_body("server_error", _("Something went wrong on our side; nothing was changed.")), status=500)


def document_plain_views(endpoints):
    """drf-spectacular preprocessing hook: the hot-path endpoints are plain Django views
    (workflows.jsonviews), which the schema generator skips; each names the DRF class that
    documents it (`view.documented_by`), and this adds that class's operations at the view's URL."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from drf_spectacular.generators import EndpointEnumerator

    enumerator = EndpointEnumerator()
    extra = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            regex = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, regex)
            elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "documented_by", None):
                view = pattern.callback.documented_by.as_view()
                for method in enumerator.get_allowed_methods(view):
                    extra.append((enumerator.get_path_from_regex(regex), regex, method, view))

    walk(get_resolver().url_patterns, "")
    return [*endpoints, *extra]


# --- OpenAPI: the errors every operation can answer ----------------------------------------------------

ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error shape (docs/API.md#one-error-shape).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "stable, for programs (docs/API.md lists them)"},
                "message": {"type": "string", "description": "for people, in the request's language"},
                "details": {"type": "object", "additionalProperties": True},
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}
# status → what it means; every operation can answer the first group, a write also the second.
ERRORS_ANY = {
    "400": "invalid or malformed_request: a field, the body or the query string is not valid",
    "401": "not_authenticated (sign in) or authentication_failed (a wrong or revoked token)",
    "403": "forbidden, csrf_failed or a rule of the record (e.g. results_hidden)",
    "404": "not_found: no such path or record, or one you may not see",
    "429": "rate_limited: wait details.retry_after_seconds",
}
ERRORS_WRITE = {
    "409": "transition_not_allowed, conflict or a service's own code (e.g. already_signed)",
    "413": "payload_too_large",
    "415": "unsupported_media_type: send JSON or a form",
}


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the errors it can answer, in
    the one error shape (the `Error` component). Codes an operation describes itself keep their
    description and get the shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            errors = ERRORS_ANY if method in ("get", "head") else {**ERRORS_ANY, **ERRORS_WRITE}
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                response = responses.setdefault(code, {"description": description})
                response.setdefault("content", content)
    return result
