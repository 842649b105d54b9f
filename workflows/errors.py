"""The one family of domain errors. The API maps each to one JSON error shape
(config.api.exception_handler); pages show `message` as a flash message.
"""

from django.utils.translation import gettext_lazy as _


def error_body(code: str, message, details=None) -> dict:
    """The API's one error shape: {"error": {"code": …, "message": …, "details": {…}}}."""
    return {"error": {"code": code, "message": str(message), "details": details or {}}}


class ApplicationError(Exception):
    status = 400
    code = "invalid"
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, code: str | None = None, details: dict | list | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.details = details or {}
        super().__init__(str(self.message))


class ValidationFailed(ApplicationError):
    status = 400
    code = "invalid"
    default_message = _("Some fields are missing or not valid.")


class TransitionNotAllowed(ApplicationError):
    status = 409
    code = "transition_not_allowed"
    default_message = _("This step is not possible in the record's current state.")


class PermissionDenied(ApplicationError):
    status = 403
    code = "forbidden"
    default_message = _("You are not allowed to do this.")


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    default_message = _("The record was changed by someone else; reload and try again.")


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class RateLimited(ApplicationError):
    status = 429
    code = "rate_limited"
    default_message = _("Too many requests; please wait a moment and try again.")


class UnsupportedMediaType(ApplicationError):
    status = 415
    code = "unsupported_media_type"
    default_message = _("Send the body as JSON (application/json) or as a form.")


class PayloadTooLarge(ApplicationError):
    status = 413
    code = "payload_too_large"
    default_message = _("The request is too large.")


def error_text(exc: ApplicationError) -> str:
    """The error as one line for a page's flash message: the message and what each field says."""
    text = str(exc.message)
    details = exc.details if isinstance(exc.details, dict) else {}
    extra = []
    for key, value in details.items():
        if key in ("action", "state", "level", "transition", "conditions") or not isinstance(value, list):
            continue
        said = "; ".join(str(v) for v in value)
        if said != text:
            extra.append(said)
    return f"{text} {' '.join(extra)}".strip()
