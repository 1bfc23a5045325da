"""Specification of one webhook attempt, as the receiver sees it: a POST signed per Standard
Webhooks that its own library verifies, sent to the address the target check approved (the
receiver's name kept for Host and TLS), never redirected, and its outcome for the schedule.

respx plays the receivers over the real httpx stack; the last tests run real local servers
(plain HTTP, and HTTPS with a certificate made for the test) to show the pinned connection
really reaches the receiver and really verifies its certificate against its name."""

from __future__ import annotations

import datetime as dt
import http.server
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook, WebhookVerificationError

from chalicelib.domain.webhooks import new_secret, webhook_payload
from chalicelib.integrations.webhook_sender import (
    CONNECT_TIMEOUT_SECONDS,
    MAX_RESPONSE_BYTES,
    USER_AGENT,
    AttemptResult,
    WebhookSender,
)
from tests.webhook_support import PUBLIC_V4, PUBLIC_V6, FakeResolver

URL = "https://hooks.example.com/returns?shop=acme"
# Where the connection really goes: the address the check approved, not a fresh lookup.
PINNED = f"https://{PUBLIC_V4}/returns?shop=acme"
MESSAGE_ID = "msg_018f3a2b4c5dabcdefghijklmnopqrst"
BODY = webhook_payload(
    "return.approved", datetime(2026, 12, 1, 14, 0, tzinfo=UTC), {"reference": "R-1001"}
)
SECRET = new_secret()


def sender(*addresses: str, **options: Any) -> WebhookSender:
    resolver = FakeResolver({"hooks.example.com": addresses or (PUBLIC_V4,)})
    return WebhookSender(allow_local=False, resolver=resolver, **options)


def send(
    webhook_sender: WebhookSender,
    *,
    secrets: list[str] | None = None,
    at: datetime | None = None,
    url: str = URL,
) -> AttemptResult:
    return webhook_sender.send(
        url,
        message_id=MESSAGE_ID,
        body=BODY,
        secrets=secrets or [SECRET],
        at=at or datetime.now(UTC),
    )


@pytest.fixture
def receiver() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


# --- what the receiver gets -------------------------------------------------------------------


def test_the_receiver_verifies_the_attempt_with_the_standard_webhooks_library(
    receiver: respx.MockRouter,
) -> None:
    # Given a receiver answering 204
    route = receiver.post(PINNED).mock(return_value=httpx.Response(204))
    at = datetime.now(UTC)
    # When an attempt is sent
    result = send(sender(), at=at)
    # Then it is delivered
    assert result == AttemptResult(204, None, None, result.duration_ms)
    assert result.delivered
    assert not result.gone
    # And the receiver gets the body as it is, with the Standard Webhooks headers
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.content.decode() == BODY
    assert request.headers["webhook-id"] == MESSAGE_ID
    assert request.headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == USER_AGENT == "returns-desk-webhooks/1"
    # And its library, given its secret, accepts it and reads the payload
    assert Webhook(SECRET).verify(request.content, dict(request.headers)) == {
        "type": "return.approved",
        "timestamp": "2026-12-01T14:00:00+00:00",
        "data": {"reference": "R-1001"},
    }
    # But not with another secret
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(request.content, dict(request.headers))


def test_the_connection_goes_to_the_checked_address_keeping_the_name_for_host_and_tls(
    receiver: respx.MockRouter,
) -> None:
    # Given a name that resolves to a public address now, and to loopback on any later lookup
    resolver = FakeResolver(
        {"hooks.example.com": [PUBLIC_V4]}, later={"hooks.example.com": ["127.0.0.1"]}
    )
    webhook_sender = WebhookSender(allow_local=False, resolver=resolver)
    route = receiver.post(PINNED).mock(return_value=httpx.Response(200))
    # When an attempt is sent
    assert send(webhook_sender).delivered
    # Then the name was looked up once, and the request went to that address
    assert resolver.asked == ["hooks.example.com"]
    request = route.calls.last.request
    assert request.url.host == PUBLIC_V4
    # With the receiver's name in Host, and as the TLS server name (SNI and certificate)
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    # And the next attempt, the name now resolving to loopback, is refused before any request
    assert send(webhook_sender).error == (
        "refused: hooks.example.com resolves to 127.0.0.1, a loopback address"
    )
    assert route.call_count == 1


def test_an_ipv6_receiver_is_reached_at_its_bracketed_address(
    receiver: respx.MockRouter,
) -> None:
    route = receiver.post(f"https://[{PUBLIC_V6}]/returns?shop=acme").mock(
        return_value=httpx.Response(200)
    )
    assert send(sender(PUBLIC_V6)).delivered
    assert route.calls.last.request.headers["host"] == "hooks.example.com"


def test_during_a_rotation_each_secret_alone_verifies_the_attempt(
    receiver: respx.MockRouter,
) -> None:
    # Given an endpoint whose secret was just rotated: the new one and the old one sign
    new, old = new_secret(), new_secret()
    route = receiver.post(PINNED).mock(return_value=httpx.Response(200))
    send(sender(), secrets=[new, old])
    request = route.calls.last.request
    # Then two signatures are sent, space-separated
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert all(s.startswith("v1,") for s in request.headers["webhook-signature"].split(" "))
    # And a receiver that knows either secret alone accepts the attempt
    for secret in (new, old):
        assert Webhook(secret).verify(request.content, dict(request.headers))


def test_an_attempt_made_in_another_time_zone_is_signed_for_the_same_instant(
    receiver: respx.MockRouter,
) -> None:
    # The library replaces the time's zone instead of converting it: the sender converts first
    route = receiver.post(PINNED).mock(return_value=httpx.Response(200))
    at = datetime.now(ZoneInfo("America/Los_Angeles"))
    send(sender(), at=at)
    request = route.calls.last.request
    assert request.headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert Webhook(SECRET).verify(request.content, dict(request.headers))


# --- what the attempt comes to ----------------------------------------------------------------


def test_a_redirect_is_not_followed(receiver: respx.MockRouter) -> None:
    # Given a receiver that redirects elsewhere (here, the metadata service)
    route = receiver.post(PINNED).mock(
        return_value=httpx.Response(302, headers={"location": "http://169.254.169.254/"})
    )
    elsewhere = receiver.route(host="169.254.169.254").mock(return_value=httpx.Response(200))
    # When an attempt is sent
    result = send(sender())
    # Then the attempt failed, and only the receiver was asked
    assert (result.status_code, result.error, result.delivered) == (
        302,
        "redirect not followed",
        False,
    )
    assert route.call_count == 1
    assert elsewhere.call_count == 0


def test_a_410_says_the_receiver_is_gone(receiver: respx.MockRouter) -> None:
    receiver.post(PINNED).mock(return_value=httpx.Response(410))
    result = send(sender())
    assert result.gone
    assert not result.delivered
    assert result.error == "HTTP 410 Gone"


def test_the_receivers_answer_is_never_handed_back(receiver: respx.MockRouter) -> None:
    # Given a receiver failing with its own reason phrase and a body full of its internals
    receiver.post(PINNED).mock(
        return_value=httpx.Response(
            500,
            text="Traceback: db password=hunter2",
            extensions={"reason_phrase": b"Password hunter2 rejected"},
        )
    )
    # Then the error is the status and its standard phrase only
    assert send(sender()).error == "HTTP 500 Internal Server Error"


class CountingStream(httpx.SyncByteStream):
    """An endless answer, counting how much of it was read."""

    def __init__(self) -> None:
        self.chunks_read = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.chunks_read += 1
            yield b"x" * 1024


def test_at_most_4_kib_of_the_answer_is_read(receiver: respx.MockRouter) -> None:
    answer = CountingStream()
    receiver.post(PINNED).mock(return_value=httpx.Response(200, stream=answer))
    assert send(sender()).delivered
    assert answer.chunks_read * 1024 <= MAX_RESPONSE_BYTES


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, "120", timedelta(seconds=120)),
        (503, "0", timedelta(0)),
        (502, "30", timedelta(seconds=30)),
        (504, "30", timedelta(seconds=30)),
        (429, "soon", None),
        (429, "-5", None),
        (429, "", None),
        # Only throttling statuses ask the schedule to wait
        (500, "120", None),
        (404, "120", None),
    ],
)
def test_retry_after_in_seconds_is_read_from_a_throttling_answer(
    receiver: respx.MockRouter, status: int, retry_after: str, expected: timedelta | None
) -> None:
    receiver.post(PINNED).mock(
        return_value=httpx.Response(status, headers={"retry-after": retry_after})
    )
    result = send(sender())
    assert (result.status_code, result.retry_after) == (status, expected)


def test_retry_after_as_an_http_date_is_the_wait_from_the_attempt(
    receiver: respx.MockRouter,
) -> None:
    # Given an attempt at 15:00:00 answered 503, to come back at 15:10:00
    at = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    receiver.post(PINNED).mock(
        return_value=httpx.Response(503, headers={"retry-after": "Tue, 01 Dec 2026 15:10:00 GMT"})
    )
    result = send(sender(), at=at)
    # Then the wait is ten minutes, less the time the answer took
    assert result.retry_after is not None
    assert timedelta(minutes=9, seconds=55) < result.retry_after <= timedelta(minutes=10)
    assert result.error == "HTTP 503 Service Unavailable"


def test_a_date_already_past_asks_for_no_wait(receiver: respx.MockRouter) -> None:
    receiver.post(PINNED).mock(
        return_value=httpx.Response(429, headers={"retry-after": "Tue, 01 Dec 2026 14:00:00 GMT"})
    )
    result = send(sender(), at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    assert result.retry_after == timedelta(0)


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (httpx.ConnectTimeout("timed out"), "timed out connecting"),
        (httpx.ReadTimeout("timed out"), "timed out waiting for the answer"),
        (httpx.WriteTimeout("timed out"), "timed out sending"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection failed"),
        (httpx.RemoteProtocolError("illegal header"), "the answer was not valid HTTP"),
        (httpx.ReadError("reset by peer"), "network error"),
    ],
)
def test_a_network_failure_is_a_failed_attempt_not_an_exception(
    receiver: respx.MockRouter, failure: Exception, error: str
) -> None:
    receiver.post(PINNED).mock(side_effect=failure)
    result = send(sender())
    assert (result.status_code, result.error, result.retry_after) == (None, error, None)
    assert not result.delivered


def test_connecting_may_take_five_seconds_of_the_attempts_timeout(
    receiver: respx.MockRouter,
) -> None:
    route = receiver.post(PINNED).mock(return_value=httpx.Response(200))
    send(sender(timeout_seconds=10))
    assert route.calls.last.request.extensions["timeout"] == {
        "connect": CONNECT_TIMEOUT_SECONDS,
        "read": 10,
        "write": 10,
        "pool": 10,
    }


def test_a_timeout_shorter_than_five_seconds_bounds_connecting_too(
    receiver: respx.MockRouter,
) -> None:
    route = receiver.post(PINNED).mock(return_value=httpx.Response(200))
    send(sender(timeout_seconds=2.5))
    assert route.calls.last.request.extensions["timeout"]["connect"] == 2.5


# --- targets refused at send time -------------------------------------------------------------


def test_a_target_that_now_resolves_to_a_private_address_is_refused_without_a_request(
    receiver: respx.MockRouter,
) -> None:
    # Given an endpoint saved when its name was public, which now resolves to a private address
    route = receiver.route().mock(return_value=httpx.Response(200))
    # When an attempt is sent
    result = send(sender(PUBLIC_V4, "10.0.0.5"))
    # Then it is refused, saying why, and nothing was sent
    assert result == AttemptResult(
        None,
        "refused: hooks.example.com resolves to 10.0.0.5, a private address",
        None,
        result.duration_ms,
    )
    assert route.call_count == 0


def test_a_name_that_no_longer_resolves_is_refused() -> None:
    webhook_sender = WebhookSender(allow_local=False, resolver=FakeResolver({}))
    assert send(webhook_sender).error == "refused: hooks.example.com does not resolve"


def test_plain_http_is_refused_outside_the_local_stack() -> None:
    result = send(sender(), url="http://hooks.example.com/returns")
    assert result.error == "refused: its scheme must be https"


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"secrets": []}, "at least one secret"),
        ({"at": datetime(2026, 12, 1, 15, 0)}, "timezone-aware"),
    ],
)
def test_a_callers_mistake_raises(options: dict[str, Any], problem: str) -> None:
    arguments: dict[str, Any] = {
        "message_id": MESSAGE_ID,
        "body": BODY,
        "secrets": [SECRET],
        "at": datetime.now(UTC),
        **options,
    }
    with pytest.raises(ValueError, match=problem):
        sender().send(URL, **arguments)


# --- real local receivers ---------------------------------------------------------------------


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        self.received.append((self.path, self.headers["host"], self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read what was received, not the server's log."""


# Set when a test's server stops: the receivers that stall stop stalling.
STOPPED = threading.Event()


class StallingHandler(http.server.BaseHTTPRequestHandler):
    """Takes the attempt, then answers nothing."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        STOPPED.wait(10)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class TricklingHandler(StallingHandler):
    """Answers a byte every tenth of a second, never finishing the headers: no single read
    waits long, so only a deadline for the whole attempt ends it."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        for byte in b"HTTP/1.1 200 OK\r\nx-padding: " + b"a" * 1000:
            if STOPPED.wait(0.1):
                return
            self.wfile.write(bytes([byte]))


class HeadersThenStallingHandler(StallingHandler):
    """Answers 200 at once, then never sends the body it announced."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-length", "100")
        self.end_headers()
        STOPPED.wait(10)


@contextmanager
def serving(
    tls: ssl.SSLContext | None = None,
    handler: type[http.server.BaseHTTPRequestHandler] = RecordingHandler,
) -> Iterator[int]:
    """A server on the loopback address (over TLS when given), by its port."""
    RecordingHandler.received = []
    STOPPED.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        STOPPED.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def timed(attempt: Callable[[], AttemptResult]) -> tuple[AttemptResult, float]:
    started = time.monotonic()
    result = attempt()
    return result, time.monotonic() - started


def test_the_pinned_connection_reaches_a_real_local_receiver_with_its_host_and_body() -> None:
    # Given a receiver on the loopback address under a name only our resolver knows
    resolver = FakeResolver({"receiver.test": ["127.0.0.1"]})
    webhook_sender = WebhookSender(allow_local=True, resolver=resolver, timeout_seconds=5)
    # When the local stack sends it an attempt
    with serving() as port:
        result = send(webhook_sender, url=f"http://receiver.test:{port}/hooks?shop=acme")
    # Then it received the body as sent, for its own name
    assert result.delivered, result.error
    assert RecordingHandler.received == [
        ("/hooks?shop=acme", f"receiver.test:{port}", BODY.encode())
    ]


def certificate_for(name: str, directory: Path) -> tuple[ssl.SSLContext, str]:
    """A server TLS context holding a self-signed certificate for `name`, and the certificate
    (PEM) for a client to trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    (directory / "cert.pem").write_text(pem)
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return server, pem


def test_tls_to_the_pinned_address_verifies_the_certificate_against_the_receivers_name(
    tmp_path: Path,
) -> None:
    # Given an HTTPS receiver on the loopback address whose certificate names hooks.example.com
    server_tls, pem = certificate_for("hooks.example.com", tmp_path)
    server_names: list[str | None] = []
    server_tls.sni_callback = lambda _socket, name, _context: server_names.append(name)
    resolver = FakeResolver({"hooks.example.com": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    webhook_sender = WebhookSender(
        allow_local=True,
        resolver=resolver,
        ssl_context=ssl.create_default_context(cadata=pem),
        timeout_seconds=5,
    )
    with serving(server_tls) as port:
        # When an attempt goes to that name (connected to 127.0.0.1)
        result = send(webhook_sender, url=f"https://hooks.example.com:{port}/hooks")
        # But another name at the same address, which the certificate does not name, fails
        refused = send(webhook_sender, url=f"https://other.test:{port}/hooks")
    # Then TLS named the receiver, its certificate passed, and it got the attempt
    assert result.delivered, result.error
    assert server_names[0] == "hooks.example.com"
    assert RecordingHandler.received == [("/hooks", f"hooks.example.com:{port}", BODY.encode())]
    # And the other name's attempt never reached it
    assert refused.error == "TLS certificate not valid for other.test"


# --- every attempt ends by its timeout ----------------------------------------------------------

LOCAL_RECEIVER = FakeResolver({"receiver.test": ["127.0.0.1"]})


@pytest.mark.parametrize(
    "handler",
    [StallingHandler, TricklingHandler],
    ids=["answering nothing", "trickling its headers a byte at a time"],
)
def test_a_receiver_that_stalls_past_the_timeout_ends_the_attempt_at_the_timeout(
    handler: type[http.server.BaseHTTPRequestHandler],
) -> None:
    # Given a receiver that takes the attempt but does not finish its answer
    webhook_sender = WebhookSender(allow_local=True, resolver=LOCAL_RECEIVER, timeout_seconds=0.5)
    with serving(handler=handler) as port:
        # When an attempt with a timeout of half a second is sent to it
        result, took = timed(lambda: send(webhook_sender, url=f"http://receiver.test:{port}/"))
    # Then the attempt failed as timed out, half a second after it started
    assert (result.status_code, result.error) == (None, "timed out waiting for the answer")
    assert 0.45 <= took < 1.0
    assert 450 <= result.duration_ms < 1000


def test_a_receiver_that_answers_2xx_then_stalls_its_body_has_the_delivery() -> None:
    webhook_sender = WebhookSender(allow_local=True, resolver=LOCAL_RECEIVER, timeout_seconds=0.5)
    with serving(handler=HeadersThenStallingHandler) as port:
        result, took = timed(lambda: send(webhook_sender, url=f"http://receiver.test:{port}/"))
    # Then its status counts, and the body is given up at the timeout
    assert result.delivered, result.error
    assert 0.45 <= took < 1.0


def test_a_name_that_takes_too_long_to_resolve_ends_the_attempt_at_the_timeout() -> None:
    # Given a resolver that answers after three seconds
    def slow_resolver(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        time.sleep(3)
        return LOCAL_RECEIVER(host, port)

    webhook_sender = WebhookSender(allow_local=True, resolver=slow_resolver, timeout_seconds=0.5)
    # When an attempt with a timeout of half a second is sent
    result, took = timed(lambda: send(webhook_sender, url="http://receiver.test:8080/"))
    # Then it failed as timed out, without waiting for the name
    assert (result.status_code, result.error) == (None, "timed out resolving the host name")
    assert took < 1.0
