"""A receiver of returns-desk's outgoing webhooks on the laptop (`make run`).

The local stack subscribes it to every event type, as the merchant's endpoint `ep_local`, with a
signing secret known in advance (LOCAL_SECRET, printed in the banner). It checks each delivery
as a merchant's receiver should, with the Standard Webhooks library, and prints it as one line:

    [webhook] return.approved R-001042 v5 verified (msg_…)
    [webhook] claim.approved C-000004 v2 verified (msg_…)

Endpoints a developer adds with its URL verify too: the local stack gives it the secrets of every
endpoint that delivers to it (`accept_secrets_of`). A delivery that does not verify is answered
400 (and retried by the schedule, as deployed).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from chalicelib.domain.webhooks import EVENT_TYPES, SigningSecret, WebhookEndpoint
from local.background_server import BackgroundServer

# Not a secret: the local stack's own, so that the banner can say it before the stack starts.
LOCAL_SECRET = "whsec_cmV0dXJucy1kZXNrIGxvY2FsIHdlYmhvb2tzIGtleSE="
LOCAL_ENDPOINT_ID = "ep_local"
_PATH = "/webhooks"


class WebhookReceiver:
    """The server, and the lines it printed (`log`, for the tests)."""

    def __init__(self, port: int = 0, *, secret: str = LOCAL_SECRET, echo: bool = True) -> None:
        self.log: list[str] = []
        self._webhook = Webhook(secret)
        self._other_secrets: Callable[[], Iterable[str]] = tuple
        self._echo = echo
        self._lock = threading.Lock()
        self._server = BackgroundServer(_handler(self), port, "webhook-receiver")

    @property
    def url(self) -> str:
        return f"{self._server.origin}{_PATH}"

    def start(self) -> WebhookReceiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def accept_secrets_of(self, secrets: Callable[[], Iterable[str]]) -> None:
        """Verify deliveries with `secrets()` too: those of the other endpoints delivering here."""
        self._other_secrets = secrets

    def endpoint(self, now: datetime | None = None) -> WebhookEndpoint:
        """The endpoint returns-desk delivers to it as: every event type, its secret."""
        at = now or datetime.now(UTC)
        return WebhookEndpoint(
            id=LOCAL_ENDPOINT_ID,
            url=self.url,
            events=list(EVENT_TYPES),
            description="make run's receiver (local/webhook_receiver.py)",
            secrets=[SigningSecret(value=LOCAL_SECRET, created_at=at)],
            created_at=at,
            updated_at=at,
        )

    def receive(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """The status answered to one delivery; its line printed on the way."""
        if path != _PATH:
            return 404
        message_id = headers.get("webhook-id", "no webhook-id")
        verifiers = [self._webhook, *(Webhook(secret) for secret in self._other_secrets())]
        refusal: Exception | None = None
        for webhook in verifiers:
            try:
                payload: Any = webhook.verify(body, headers)
            except (WebhookVerificationError, ValueError) as error:
                refusal = error
                continue
            self._emit(f"{_described(payload)} verified ({message_id})")
            return 200
        self._emit(f"NOT verified: {refusal} ({message_id})")
        return 400

    def _emit(self, line: str) -> None:
        line = f"[webhook] {line}"
        with self._lock:
            self.log.append(line)
        if self._echo:
            print(line, flush=True)


def _described(payload: Any) -> str:
    """`return.approved R-001042 v5`, `claim.approved C-000004 v2`, or the type alone
    (webhook.test)."""
    if not isinstance(payload, dict):
        return "?"
    kind = payload.get("type", "?")
    data = payload.get("data")
    if not isinstance(data, dict):
        return str(kind)
    rma, request = data.get("rma"), data.get("request")
    if isinstance(rma, dict):
        return f"{kind} {rma.get('return_reference')} v{rma.get('version')}"
    if isinstance(request, dict):
        return f"{kind} {request.get('reference')} v{request.get('version')}"
    return str(kind)


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver.receive(self.path.split("?")[0], body, headers)
            data = json.dumps({"received": status == 200}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            # Each delivery is printed once, by the receiver, in its own words.
            return

    return Handler
