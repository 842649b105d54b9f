"""Project middleware: the client's address behind a proxy, JSON 404s under /api/ even with
DEBUG=1, Thai-first page language, and the Content-Security-Policy / Permissions-Policy headers."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware

from workflows import clientip

from . import api


class ClientAddressMiddleware:
    """REMOTE_ADDR becomes the client's address (workflows/clientip.py). config.wsgi does the same
    before the signing lane; this covers runserver and the test client, and is a no-op after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        clientip.resolve(request.META)
        return self.get_response(request)


class ApiJsonNotFound:
    """Keep the API's promise of JSON errors when DEBUG=1 (`make run`), where Django answers an
    unknown URL with its HTML debug page instead of calling config.views.handler404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return api.json_404(request)
        return response


class ThaiFirstLocaleMiddleware(LocaleMiddleware):
    """Pages are in Thai unless the person chose English with the switch (the language cookie);
    a browser's Accept-Language does not override that choice. The API still honours
    Accept-Language, so integrators get English errors by asking for them."""

    def process_request(self, request):
        if not request.path.startswith("/api/") and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every page (settings: CONTENT_SECURITY_POLICY,
    CONTENT_SECURITY_POLICY_PATHS, CONTENT_SECURITY_POLICY_REPORT_ONLY, PERMISSIONS_POLICY; an empty
    value sends no header). Pages carry no inline script or style, so the policy can forbid them:
    an injected <script> or onclick= does not run. Only HTML documents get the headers: a browser
    applies them to documents, and the signing lane's JSON answers must stay byte-for-byte Django's."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp_header = (
            "Content-Security-Policy-Report-Only" if settings.CONTENT_SECURITY_POLICY_REPORT_ONLY else "Content-Security-Policy"
        )
        # Longest prefix first, so /api/docs/ wins over a policy for /api/.
        self.csp_paths = sorted(settings.CONTENT_SECURITY_POLICY_PATHS.items(), key=lambda item: -len(item[0]))

    def __call__(self, request):
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        policy = next((p for prefix, p in self.csp_paths if request.path.startswith(prefix)), settings.CONTENT_SECURITY_POLICY)
        if policy and self.csp_header not in response:
            response[self.csp_header] = policy
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        return response
