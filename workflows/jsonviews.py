"""JSON endpoints for the hot paths (the two requests of a petition signature), and the WSGI lane
that serves them without Django's request cycle.

Everything else under /api/v1/ is DRF. A signing request does little work (one Redis call, one SQL
statement), so the framework around it is most of its cost: DRF's request cycle took about a third
of it, and Django's handler and middleware stack (request and response objects, ten middlewares,
request signals, URL resolving) most of the rest (docs/PERFORMANCE.md). Under a spike that is what
caps the site. So a hot endpoint is a plain function, `handler(data, caller, **url_kwargs) ->
(payload, status)`, that raises the domain errors (workflows.errors), and it is reachable two ways:

- through Django, as `endpoint.view` in the URLconf: every request the lane does not take (form
  bodies, bad hosts, plain-HTTP requests that must be redirected, the test client);
- through `HotLane`, in front of Django in config/wsgi.py: a JSON POST to one of its routes, with
  the answer Django would give: the same body, status and headers (tests/petitions/test_hot_lane.py
  sends the same requests both ways and compares them).

What the lane does instead of the middleware: validates the Host header and the HTTPS redirect
with Django's own request methods (or hands the request to Django), picks the language as the
locale middleware does for the API (cookie, then Accept-Language), adds the security headers of
SecurityMiddleware and XFrameOptionsMiddleware, logs 4xx/5xx like django.request, and closes
obsolete database connections before and after, as the request signals would. It sends no
request_started/request_finished signals: nothing in this project listens to them but Django's
database and cache handlers, which the lane calls itself.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections
from django.http import HttpRequest, JsonResponse, parse_cookie
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .errors import ApplicationError, UnsupportedMediaType, error_body
from .parsers import check_form_data, parse_json_object

log = logging.getLogger("django.request")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Caller:
    """Who sent the request, as far as a hot endpoint needs to know."""

    ip: str
    language: str


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def _error(exc: ApplicationError) -> tuple[dict, int, list[tuple[str, str]]]:
    retry = exc.details.get("retry_after_seconds") if isinstance(exc.details, dict) else None
    return error_body(exc.code, exc.message, exc.details), exc.status, [("Retry-After", str(retry))] if retry else []


def _too_large() -> tuple[dict, int, list]:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_body("payload_too_large", _("The request is too large."), {"max_bytes": limit}), 413, []


def _dumps(payload: dict) -> bytes:
    # As JsonResponse writes it, with Thai as readable UTF-8 (as DRF's renderer does).
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


class JsonEndpoint:
    """A POST endpoint taking and giving a JSON object; `view` is its Django view."""

    def __init__(self, handler, *, documented_by=None):
        self.handler = handler
        self.view = csrf_exempt(self._django_view)
        self.view.documented_by = documented_by  # the DRF class that describes it in the OpenAPI schema
        self.view.endpoint = self

    def answer(self, data_or_error, caller: Caller, kwargs: dict) -> tuple[dict, int, list[tuple[str, str]]]:
        """(payload, status, extra headers) for parsed body data (or the error parsing raised)."""
        try:
            if isinstance(data_or_error, ApplicationError):
                raise data_or_error
            payload, status = self.handler(data_or_error, caller, **kwargs)
        except ApplicationError as exc:
            return _error(exc)
        return payload, status, []

    def _django_view(self, request, **kwargs):
        if request.method != "POST":
            message = _('Method "%(method)s" not allowed.') % {"method": request.method}
            response = JsonResponse(
                error_body("method_not_allowed", message), status=405, json_dumps_params={"ensure_ascii": False}
            )
            response["Allow"] = "POST"
            return response
        caller = Caller(ip=request.META.get("REMOTE_ADDR", "") or "", language=getattr(request, "LANGUAGE_CODE", "th"))
        try:
            payload, status, headers = self.answer(self._django_data(request), caller, kwargs)
        except RequestDataTooBig:
            payload, status, headers = _too_large()
        response = JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})
        for name, value in headers:
            response[name] = value
        return response

    @staticmethod
    def _django_data(request):
        content_type = request.content_type or ""
        try:
            if _is_json(content_type):
                return parse_json_object(request.body)
            if content_type in _FORMS:
                check_form_data(request.POST)
                return request.POST.dict()
            if not content_type and not request.body:
                return {}
            raise UnsupportedMediaType()
        except ApplicationError as exc:
            return exc


class _LaneRequest(HttpRequest):
    """Just enough of Django's WSGIRequest for its host, HTTPS and language rules."""

    def __init__(self, environ):
        super().__init__()
        self.META = environ
        self.path = self.path_info = environ.get("PATH_INFO", "")
        self.COOKIES = parse_cookie(environ.get("HTTP_COOKIE", ""))

    def _get_scheme(self):
        return self.META.get("wsgi.url_scheme", "http")


class HotLane:
    """WSGI middleware in front of Django: JSON POSTs to `routes` ((regex of PATH_INFO, JsonEndpoint)
    pairs) are answered here; every other request goes to `app` untouched."""

    def __init__(self, app, routes: list[tuple[str, JsonEndpoint]]):
        self.app = app
        self.routes = [(re.compile(pattern), endpoint) for pattern, endpoint in routes]

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST":
            path = environ.get("PATH_INFO", "")
            for pattern, endpoint in self.routes:
                match = pattern.fullmatch(path)
                if match is not None:
                    served = self._serve(endpoint, match.groupdict(), environ, start_response)
                    if served is not None:
                        return served
                    break
        return self.app(environ, start_response)

    def _serve(self, endpoint: JsonEndpoint, raw_kwargs: dict, environ, start_response):
        content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        length = environ.get("CONTENT_LENGTH", "")
        if not _is_json(content_type) or not length.isdigit():
            return None  # forms, other types, chunked bodies: Django answers
        request = _LaneRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return None  # Django answers 400 and logs it as it does for every path
        secure = request.is_secure()
        if settings.SECURE_SSL_REDIRECT and not secure:
            return None  # Django redirects
        close_old_connections()
        try:
            language = translation.get_language_from_request(request)
            translation.activate(language)
            caller = Caller(ip=environ.get("REMOTE_ADDR", "") or "", language=translation.get_language())
            if int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                payload, status, headers = _too_large()
            else:
                try:
                    data = parse_json_object(environ["wsgi.input"].read(int(length)))
                except ApplicationError as exc:
                    data = exc
                kwargs = {name: int(value) if value.isdigit() else value for name, value in raw_kwargs.items()}
                payload, status, headers = endpoint.answer(data, caller, kwargs)
            body = _dumps(payload)
        except Exception:
            log.exception("Internal Server Error: %s", request.path)
            body, status, headers = (
                _dumps(error_body("server_error", _("Something went wrong on our side; nothing was changed."))),
                500,
                [],
            )
        finally:
            close_old_connections()
        if status >= 400:
            (log.error if status >= 500 else log.warning)("%s: %s", HTTPStatus(status).phrase, request.path)
        start_response(f"{status} {HTTPStatus(status).phrase}", self._headers(body, headers, secure))
        return [body]

    @staticmethod
    def _headers(body: bytes, extra: list, secure: bool, vary: str = "Accept-Language") -> list[tuple[str, str]]:
        """What Django's response and middleware stack put on such an answer."""
        headers = [("Content-Type", "application/json"), *extra]
        if settings.X_FRAME_OPTIONS:
            headers.append(("X-Frame-Options", settings.X_FRAME_OPTIONS.upper()))
        headers += [
            ("Content-Length", str(len(body))),
            ("Vary", vary),
            ("Content-Language", translation.get_language()),
        ]
        if settings.SECURE_HSTS_SECONDS and secure:
            value = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                value += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                value += "; preload"
            headers.append(("Strict-Transport-Security", value))
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            headers.append(("X-Content-Type-Options", "nosniff"))
        if settings.SECURE_REFERRER_POLICY:
            policy = settings.SECURE_REFERRER_POLICY
            headers.append(("Referrer-Policy", policy if isinstance(policy, str) else ",".join(policy)))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
        return headers


# --- the lane for token-authenticated API writes -----------------------------------------------------

# Set in the environ by TokenLane once it has checked (and counted) the request against the view's
# throttles, for a request it then hands to Django: the view (LaneThrottled) does not count it
# again. Only the server puts keys without an HTTP_ prefix into the environ, so a client cannot.
THROTTLED = "ruamkid.lane.throttled"
_TOKEN_SQL = None


class LaneThrottled:
    """Mixin for a DRF view that TokenLane serves: throttles already checked by the lane are skipped."""

    def get_throttles(self):
        if self.request.META.get(THROTTLED):
            return []
        return super().get_throttles()


@dataclass(frozen=True)
class TokenRoute:
    """A token-authenticated JSON write of a DRF view served by TokenLane. `handler(data, user_id,
    caller, **url_kwargs)` gives the payload of the plain success, or None to let the view answer."""

    pattern: str
    method: str
    view: type
    handler: object


@dataclass(frozen=True)
class _Route:
    pattern: re.Pattern
    method: str
    view: type
    handler: object
    allow: str


def _token_key(header: str) -> str | None:
    """The key of an `Authorization: Token <key>` header as DRF's TokenAuthentication reads it, or
    None for anything else (no header, another scheme, a malformed one: DRF answers those)."""
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "token" or not parts[1].isascii():
        return None
    return parts[1]


def token_user(key: str) -> int | None:
    """The id of the active user holding the API token `key` (DRF's TokenAuthentication), in one query."""
    global _TOKEN_SQL
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.authtoken.models import Token

    if _TOKEN_SQL is None:
        users = get_user_model()._meta.db_table
        _TOKEN_SQL = (
            f"SELECT t.user_id FROM {Token._meta.db_table} t JOIN {users} u ON u.id = t.user_id "  # noqa: S608 (table names)
            "WHERE t.key = %s AND u.is_active"
        )
    connection.health_check_done = True  # one query: a dead connection fails it, and Django answers after
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_SQL, [key])
        row = cursor.fetchone()
    return row[0] if row else None


class _ThrottleRequest:
    """What DRF's throttles read of a request: the user and the META."""

    class _User:
        is_authenticated = True

        def __init__(self, pk: int):
            self.pk = self.id = pk

    def __init__(self, user_id: int, environ: dict):
        self.user = self._User(user_id)
        self.META = environ


class TokenLane:
    """WSGI middleware in front of Django for the plain case of token-authenticated JSON writes
    (a ballot: consultations.api.BALLOT_ROUTES). It takes a request only when DRF would answer it
    with JSON and token authentication: the route's method, a JSON body with a length, no query
    string (no ?format=), an Accept that picks the JSON renderer, `Authorization: Token <key>` of
    an active user, a valid host and no HTTPS redirect. It then checks the view's throttles as DRF
    does and runs the handler; when the handler gives no payload (a refusal, anything unusual) the
    request goes on to Django with its body, marked as throttled already (THROTTLED), and the view
    gives its own answer. A success is answered here as DRF and the middleware would: DRF's JSON
    rendering, its Allow and Vary headers, the security headers (tests/consultations/test_ballot_lane.py
    compares both answers). Session-authenticated requests (with their CSRF check) go to Django."""

    ACCEPT = frozenset({"", "*/*", "application/json"})

    def __init__(self, app, routes: list[TokenRoute]):
        self.app = app
        self.routes = [_Route(re.compile(r.pattern), r.method, r.view, r.handler, self._allow(r.view)) for r in routes]
        self.renderer = None

    @staticmethod
    def _allow(view_class) -> str:
        """The Allow header DRF puts on the view's answers (as_view adds HEAD where there is GET)."""
        view = view_class()
        view.setup(None)
        return ", ".join(view.allowed_methods)

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        for route in self.routes:
            if route.method == method:
                match = route.pattern.fullmatch(path)
                if match is not None:
                    served = self._serve(route, match.groupdict(), environ, start_response)
                    if served is not None:
                        return served
                    break
        return self.app(environ, start_response)

    def _serve(self, route: _Route, raw_kwargs: dict, environ, start_response):
        import io

        from rest_framework.renderers import JSONRenderer

        content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        length = environ.get("CONTENT_LENGTH", "")
        if not _is_json(content_type) or not length.isdigit() or environ.get("QUERY_STRING"):
            return None
        if environ.get("HTTP_ACCEPT", "").strip().lower() not in self.ACCEPT or THROTTLED in environ:
            return None
        key = _token_key(environ.get("HTTP_AUTHORIZATION", ""))
        if key is None or int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return None
        request = _LaneRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return None
        secure = request.is_secure()
        if settings.SECURE_SSL_REDIRECT and not secure:
            return None
        close_old_connections()
        try:
            user_id = token_user(key)
            if user_id is None:
                return None  # DRF: 401 authentication_failed
            throttle_request = _ThrottleRequest(user_id, environ)
            view = route.view()
            throttles = [throttle() for throttle in route.view.throttle_classes]
            if not all(throttle.allow_request(throttle_request, view) for throttle in throttles):
                return None  # DRF: 429, from the same history (a refusal records nothing)
            environ[THROTTLED] = True
            raw = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["CONTENT_LENGTH"] = str(len(raw))
            try:
                data = parse_json_object(raw)
            except ApplicationError:
                return None
            translation.activate(translation.get_language_from_request(request))
            caller = Caller(ip=environ.get("REMOTE_ADDR", "") or "", language=translation.get_language())
            kwargs = {name: int(value) if value.isdigit() else value for name, value in raw_kwargs.items()}
            payload = route.handler(data, user_id, caller, **kwargs)
            if payload is None:
                return None
            if self.renderer is None:
                self.renderer = JSONRenderer()
            body = self.renderer.render(payload, "application/json", {})
            status = 200
        except Exception:
            log.exception("Internal Server Error: %s", request.path)
            body = _dumps(error_body("server_error", _("Something went wrong on our side; nothing was changed.")))
            status = 500
        finally:
            close_old_connections()
        if status >= 500:
            log.error("%s: %s", HTTPStatus(status).phrase, request.path)
        headers = HotLane._headers(body, [("Allow", route.allow)], secure, vary="Accept, Accept-Language")
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]
