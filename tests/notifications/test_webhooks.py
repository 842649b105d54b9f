"""Signed webhooks, tested against a real HTTP receiver on 127.0.0.1 that checks the signature."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.channels import TransientDeliveryError, send_webhooks
from notifications.models import Channel, Delivery, WebhookEndpoint
from notifications.relay import fan_out

from .conftest import write_event


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/ruamkid"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verify(self, request: dict, secret: str) -> bool:
        """What an integrator does: recompute HMAC-SHA256 over "<timestamp>.<body>"."""
        timestamp = request["headers"]["X-Ruamkid-Timestamp"]
        expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, request["headers"]["X-Ruamkid-Signature"])


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


def _deliveries(event):
    return list(Delivery.objects.filter(event=event, channel=Channel.WEBHOOK).values_list("id", flat=True))


def test_it_posts_signed_events_to_the_organisations_endpoint(org, other_org, receiver):
    endpoint = WebhookEndpoint.objects.create(organisation=org, url=receiver.url)
    WebhookEndpoint.objects.create(organisation=other_org, url=receiver.url + "/other")
    event = write_event(event="petition.opened", organisation_id=org.pk, audience={})
    fan_out(event)
    assert send_webhooks(_deliveries(event)) == {"sent": 1, "failed": 0, "retry": 0}
    (request,) = receiver.requests
    assert receiver.verify(request, endpoint.secret)
    assert not receiver.verify(request, "someone-elses-secret")
    payload = json.loads(request["body"])
    assert payload["event"] == "petition.opened" and payload["data"]["title"] == "ซ่อมถนนหมู่ 3"
    assert payload["data"]["url"].endswith("/petitions/12/") and payload["data"]["url"].startswith("http")
    assert request["headers"]["X-Ruamkid-Event"] == "petition.opened"
    assert send_webhooks(_deliveries(event))["sent"] == 0  # never twice
    assert len(receiver.requests) == 1


def test_it_keeps_private_events_away_from_integrators(org, receiver):
    WebhookEndpoint.objects.create(organisation=org, url=receiver.url)
    event = write_event(
        event="signature.confirm_requested",
        organisation_id=org.pk,
        audience={"emails": [{"email": "a@example.com"}]},
        data={"title": "x", "url": "/confirm/secret/"},
    )
    fan_out(event)
    assert _deliveries(event) == []


def test_it_retries_when_the_receiver_fails_and_gives_up_on_a_4xx(org, receiver):
    WebhookEndpoint.objects.create(organisation=org, url=receiver.url)
    event = write_event(event="petition.opened", organisation_id=org.pk, audience={})
    fan_out(event)
    receiver.status = 503
    with pytest.raises(TransientDeliveryError):
        send_webhooks(_deliveries(event))
    assert Delivery.objects.get(event=event, channel=Channel.WEBHOOK).status == Delivery.Status.PENDING
    receiver.status = 410
    assert send_webhooks(_deliveries(event))["failed"] == 1
    delivery = Delivery.objects.get(event=event, channel=Channel.WEBHOOK)
    assert delivery.status == Delivery.Status.FAILED and "410" in delivery.last_error


def test_it_retries_when_nobody_listens(org):
    WebhookEndpoint.objects.create(organisation=org, url="http://127.0.0.1:9/nothing-here")
    event = write_event(event="petition.opened", organisation_id=org.pk, audience={})
    fan_out(event)
    with pytest.raises(TransientDeliveryError):
        send_webhooks(_deliveries(event))
