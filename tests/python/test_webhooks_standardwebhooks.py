"""Webhooks as a merchant's receiver sees them, checked by the Standard Webhooks reference
library (PyPI `standardwebhooks`), not by code of ours: an endpoint registered through the REST
API gets a signed POST for a checkout's completed order, which `Webhook(secret).verify` accepts,
and the delivery log says it was delivered."""

import http.server
import threading
import time
import uuid

import requests
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        Receiver.received.append(({key.lower(): value for key, value in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def check_out(shop):
    token = shop.new_shopper()
    headers = {"authorization": f"Bearer {token}"}
    sku = requests.get(f"{shop.base_url}/api/v1/products?page_size=1", timeout=10).json()["products"][0]["sku"]
    added = requests.post(f"{shop.base_url}/api/v1/cart/items", json={"sku": sku, "quantity": 1}, headers=headers, timeout=10)
    assert added.ok, added.text
    body = {
        "address": {"name": "Py Thon", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"},
    }
    placed = requests.post(
        f"{shop.base_url}/api/v1/checkout",
        json=body,
        headers={**headers, "idempotency-key": f"py-{uuid.uuid4().hex}"},
        timeout=30,
    )
    assert placed.status_code == 201, placed.text
    return placed.json()["id"]


def test_a_completed_order_reaches_the_receiver_signed_as_standard_webhooks_describes(shop):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    token = shop.admin_token("webhooks.admin")
    headers = {"authorization": f"Bearer {token}"}
    made = requests.post(
        f"{shop.base_url}/api/v1/admin/webhooks",
        json={"url": url, "event_types": ["emporium.orders.order_completed.v1"], "description": "py"},
        headers=headers,
        timeout=10,
    )
    assert made.status_code == 201, made.text
    endpoint = made.json()
    assert endpoint["secret"].startswith("whsec_")

    order_id = check_out(shop)
    deadline = time.time() + 20
    while not Receiver.received and time.time() < deadline:
        time.sleep(0.1)
    assert Receiver.received, "no webhook arrived"
    received_headers, body = Receiver.received[0]
    payload = Webhook(endpoint["secret"]).verify(body, received_headers)
    assert payload["type"] == "emporium.orders.order_completed.v1"
    assert payload["data"]["order_id"] == order_id
    assert payload["data"]["confirmed"] is True
    # The library refuses what was not signed with that secret, or was changed on the way.
    other = Webhook("whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    try:
        other.verify(body, received_headers)
        raise AssertionError("another secret verified the webhook")
    except WebhookVerificationError:
        pass
    try:
        Webhook(endpoint["secret"]).verify(body + b" ", received_headers)
        raise AssertionError("a changed body verified")
    except WebhookVerificationError:
        pass

    time.sleep(0.5)
    log = requests.get(f"{shop.base_url}/api/v1/admin/webhooks/{endpoint['id']}/deliveries", headers=headers, timeout=10)
    assert log.ok, log.text
    delivered = [d for d in log.json()["deliveries"] if d["event_id"] == received_headers["webhook-id"]]
    assert delivered and delivered[0]["state"] == "delivered", log.text
    server.shutdown()
