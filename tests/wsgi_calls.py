"""One request through a WSGI application, as the lane tests send them (tests/petitions/test_hot_lane.py,
tests/consultations/test_ballot_lane.py)."""

import json

from django.test import RequestFactory


def call(app, path, body=b"", *, content_type="application/json", method="POST", **meta):
    """(status line, sorted lower-cased headers, body) of `app`'s answer to one request."""
    if isinstance(body, dict | list):
        body = json.dumps(body, ensure_ascii=False).encode()
    environ = RequestFactory().generic(method, path, body, content_type=content_type, **meta).environ
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    result = app(environ, start_response)
    try:
        content = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    headers = sorted((name.lower(), value) for name, value in seen["headers"])
    return seen["status"], headers, content
