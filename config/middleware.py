"""Keep the API's promise of JSON errors when DEBUG=1 (`make run`), where Django answers an
unknown URL with its HTML debug page instead of calling config.views.handler404."""

from . import api


class ApiJsonNotFound:
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
