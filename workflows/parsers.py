"""What clients send, read in one place: JSON with a depth limit, and one check for text that no
person types and nothing downstream can hold.

Every JSON body is parsed by `parse_json_object`: the DRF views through `JSONParser` (the only JSON
parser in REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]), the plain hot-path views and the WSGI lane of
workflows.jsonviews directly. Form bodies to the API go through `FormParser`/`MultiPartParser`,
query strings and page form bodies through `TextInputMiddleware`. Each refuses, with a 400 in the
project's error shape:

- JSON that is not UTF-8, not valid, uses NaN/Infinity (which no JSON renderer writes back), is not an
  object, or is nested deeper than JSON_MAX_DEPTH (a deep document costs the parser its stack:
  Python's raises RecursionError, a 500, at about a thousand levels);
- text with a NUL (PostgreSQL refuses it in a text column: a 500) or a lone surrogate (JSON's
  "\\ud800" decodes to one, and no UTF-8 encoder writes it back: the response itself fails).

The messages never repeat the value, so an error can always be rendered. Choice fields of DRF and
of Django forms say "not one of the allowed choices" instead of echoing what was sent
(`quiet_choice_errors`, called when the workflows app is ready).
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import parsers, serializers

from .errors import ValidationFailed, error_body

MAX_JSON_DEPTH: int = getattr(settings, "JSON_MAX_DEPTH", 32)
_UNWRITABLE = re.compile("[\x00\ud800-\udfff]")  # NUL, and surrogates (a valid pair decodes to one character)
CHOICE_MESSAGE = gettext_lazy("This is not one of the allowed choices.")


def text_is_clean(value: str) -> bool:
    """False for text holding a NUL or a lone surrogate."""
    return _UNWRITABLE.search(value) is None


def bad_text_message() -> str:
    return _("This text contains a character that cannot be stored (a NUL or a broken Unicode character).")


def _refuse_constant(name: str):
    raise ValueError(name)


def parse_json_object(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> dict:
    """The JSON object in `raw` (an empty body is {}); ValidationFailed (400) for anything else."""
    if not raw:
        return {}
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except RecursionError:
        data = None  # deeper than Python's own stack: too deep by any limit
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(_("The request body is not valid JSON."), code="malformed_request") from None
    else:
        if not isinstance(data, dict):
            raise ValidationFailed(_("Send a JSON object."), code="malformed_request")
    if data is None or _check(data, max_depth):
        raise ValidationFailed(
            _("The JSON is nested too deeply (at most %(depth)d levels).") % {"depth": max_depth},
            code="malformed_request",
            details={"max_depth": max_depth},
        )
    return data


def _check(document: dict, max_depth: int) -> bool:
    """True when `document` is nested deeper than max_depth; ValidationFailed for bad text, naming
    the top-level field it is in. Iterative: the document may be as deep as the parser allowed."""
    stack = [(document, 1, None)]
    while stack:
        value, depth, field = stack.pop()
        if depth > max_depth:
            return True
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            name = field
            if isinstance(key, str):
                if not text_is_clean(key):
                    _refuse_text(field or "non_field_errors")
                name = field or key
            if isinstance(item, str):
                if not text_is_clean(item):
                    _refuse_text(name)
            elif isinstance(item, dict | list):
                stack.append((item, depth + 1, name))
    return False


def _refuse_text(field: str):
    raise ValidationFailed(details={field: [bad_text_message()]})


def check_form_data(data) -> None:
    """ValidationFailed for a NUL in any key or value of form data or a query string (a QueryDict)."""
    for key, values in data.lists():
        if not text_is_clean(key):
            _refuse_text("non_field_errors")
        for value in values:
            if isinstance(value, str) and not text_is_clean(value):
                _refuse_text(key)


# --- DRF --------------------------------------------------------------------------------------------


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the checks above (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"])."""

    def parse(self, stream, media_type=None, parser_context=None):
        return parse_json_object(stream.read() if stream is not None else b"")


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_form_data(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_form_data(result.data)
        return result


# --- every request ------------------------------------------------------------------------------------


class TextInputMiddleware:
    """A NUL in the query string, or in a page's form body, answers 400 before the view passes it
    to the database. (API bodies are checked by the parsers above, which answer in the error shape.)
    After CsrfViewMiddleware: for every view that is not csrf_exempt it has parsed the form body
    already, so the check costs no parsing."""

    _FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        api = request.path.startswith("/api/")
        try:
            if "%00" in request.META.get("QUERY_STRING", ""):
                check_form_data(request.GET)
            if not api and request.method == "POST" and request.content_type in self._FORMS:
                check_form_data(request.POST)
        except ValidationFailed as exc:
            if api:
                body = error_body(exc.code, exc.message, exc.details)
                return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
            return render(request, "400.html", status=400)
        return None


def quiet_choice_errors() -> None:
    """Choice fields (DRF's and Django's) refuse a value without repeating it: what was sent may be
    markup, or text that cannot be encoded in the answer."""
    from django import forms
    from rest_framework import fields

    for cls in (fields.ChoiceField, fields.MultipleChoiceField, forms.ChoiceField, forms.MultipleChoiceField):
        cls.default_error_messages = {**cls.default_error_messages, "invalid_choice": CHOICE_MESSAGE}


_WHOLE = re.compile(r"\s*-?[0-9]+\s*")


def whole_number(value) -> int | None:
    """An integer as people and clients send one: a JSON number without fraction or exponent, or a
    string of ASCII digits. None for anything else: 3.5, 3.0 and 1e0 (JSON gives floats for all
    three), "3.5", "1e0", true."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and len(value) <= 20 and _WHOLE.fullmatch(value):
        return int(value)
    return None


class WholeNumberField(serializers.IntegerField):
    """DRF's IntegerField takes 3.0, "3.0" and 1e0 for 3 and 1; this one refuses every value with a
    fraction or an exponent (village numbers, ids), with the usual min/max checks."""

    default_error_messages = {"invalid": gettext_lazy("Enter a whole number, like 3.")}

    def to_internal_value(self, data):
        if whole_number(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)
