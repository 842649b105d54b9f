"""Local fake servers that speak the HTTP APIs of the outside world, for the LINE and SMS channels.

FakeLine answers like the LINE Messaging API push endpoint: POST /v2/bot/message/push with a
Bearer channel access token, JSON {"to": "U…", "messages": [{"type": "text", "text": …}]} (1 to 5
messages, text at most 5000 characters), an optional X-Line-Retry-Key that must be a UUID; a
retry key it has accepted before answers 409 and sends nothing. FakeSms is a generic JSON SMS
gateway with an auth header. Both keep what they accepted; `answers` queues status codes to give
instead (e.g. [500] for one failure)."""

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeServer:
    path = "/"

    def __init__(self):
        self.accepted: list[dict] = []
        self.requests = 0
        self.answers: list[int] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake.lock:
                    fake.requests += 1
                    status, reply = fake.answers.pop(0) if fake.answers else None, None
                    if status is None:
                        status, reply = fake.handle(self.path, self.headers, body)
                self.answer(status, reply)

            def do_GET(self):  # noqa: N802
                status, reply, headers = fake.handle_get(self.path, self.headers)
                self.answer(status, reply, headers)

            def answer(self, status, reply, headers=None):
                self.send_response(status)
                payload = json.dumps(reply or {}).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def handle_get(self, path, headers) -> tuple[int, dict, dict]:
        """(status, JSON reply, extra headers) for a GET; these APIs have none."""
        return 405, {"message": "Method not allowed"}, {}

    def texts_to(self, to: str) -> list[str]:
        with self.lock:
            return [m["text"] for m in self.accepted if m["to"] == to]

    def count(self) -> int:
        with self.lock:
            return len(self.accepted)


class FakeLine(FakeServer):
    TOKEN = "test-channel-access-token"

    def __init__(self):
        self.retry_keys: set[str] = set()
        super().__init__()

    def handle(self, path, headers, body):
        if path != "/v2/bot/message/push":
            return 404, {"message": "Not found"}
        if headers.get("Authorization") != f"Bearer {self.TOKEN}":
            return 401, {"message": "Authentication failed. Confirm that the access token in the authorization field is valid."}
        key = headers.get("X-Line-Retry-Key")
        if key is not None:
            try:
                uuid.UUID(key)
            except ValueError:
                return 400, {"message": "The value for the 'X-Line-Retry-Key' header is invalid"}
            if key in self.retry_keys:
                return 409, {"message": "The retry key is already accepted", "sentMessages": []}
        try:
            data = json.loads(body)
        except ValueError:
            return 400, {"message": "The request body has 1 error(s)"}
        to, messages = data.get("to"), data.get("messages")
        if not isinstance(to, str) or not re.fullmatch(r"U[0-9a-f]{32}", to):
            return 400, {"message": "The property, 'to', in the request body is invalid"}
        if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
            return 400, {"message": "The request body has 1 error(s)"}
        for message in messages:
            if message.get("type") != "text" or not 0 < len(message.get("text") or "") <= 5000:
                return 400, {"message": "The request body has 1 error(s)"}
        if key is not None:
            self.retry_keys.add(key)
        for message in messages:
            self.accepted.append({"to": to, "text": message["text"], "retry_key": key})
        return 200, {"sentMessages": [{"id": str(len(self.accepted)), "quoteToken": "q"}]}


class FakeSms(FakeServer):
    """A JSON gateway: POST /api/sms with `Authorization: Basic …`, body {"sender", "msisdn", "message"}."""

    AUTH = "Basic dGVzdDpzZWNyZXQ="

    def handle(self, path, headers, body):
        if path != "/api/sms":
            return 404, {"error": "not found"}
        if headers.get("Authorization") != self.AUTH:
            return 401, {"error": "unauthorised"}
        try:
            data = json.loads(body)
        except ValueError:
            return 400, {"error": "bad json"}
        to, text = data.get("msisdn"), data.get("message")
        if not isinstance(to, str) or not re.fullmatch(r"0[0-9]{8,9}", to) or not text:
            return 422, {"error": "invalid msisdn or message"}
        self.accepted.append({"to": to, "text": text, "sender": data.get("sender"), "reference": data.get("ref")})
        return 201, {"status": "queued", "credit_used": 1}

    @property
    def url(self) -> str:
        return self.base_url + "/api/sms"

    BODY = '{"sender": "{sender}", "msisdn": "{to_local}", "message": "{text}", "ref": "{reference}"}'
