"""Project middleware: the client's address behind a proxy, JSON 404s under /api/ even with
DEBUG=1, and Thai-first page language."""

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
