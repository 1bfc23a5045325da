"""One attempt at delivering a webhook: a signed POST to the merchant's endpoint, its outcome
as the delivery worker needs it (Standard Webhooks, https://www.standardwebhooks.com).

The target is checked again right before the attempt (webhook_targets: DNS may have changed
since the endpoint was saved), and the connection goes to the address that check approved:
the URL's host is replaced by that address, while the Host header and TLS (the name sent as
SNI and the name the certificate must match) keep the URL's host name. A redirect is never
followed (it could lead anywhere; the specification counts it a failure), and the receiver's
answer is never handed back: its status says all the worker needs.

An attempt is over by its deadline, `timeout_seconds` after it starts, whatever the receiver
does: looking the name up and connecting may take CONNECT_TIMEOUT_SECONDS at most, and every
read and write of the connection waits no later than the deadline (DeadlineBackend), so a
receiver that stalls or trickles bytes costs the consumer one timeout, not one per read. The
answer's status counts once its headers are in; reading its body stops at the deadline.

An attempt never raises for what the network or the receiver does, a refused target included;
it returns an AttemptResult saying what happened. Only a mistake of the caller raises.
"""

from __future__ import annotations

import email.utils
import math
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpcore
import httpx
from standardwebhooks import Webhook

from chalicelib.integrations.webhook_targets import (
    ResolvedTarget,
    Resolver,
    UnsafeTargetError,
    check_target,
)

USER_AGENT = "returns-desk-webhooks/1"
# Looking the name up, and connecting (TLS handshake included), may each take this long at most,
# within the attempt's deadline: a receiver that cannot be reached soon will not be reached.
CONNECT_TIMEOUT_SECONDS = 5.0
# Enough of an answer for the receiver to finish writing it; the rest is not read at all.
MAX_RESPONSE_BYTES = 4096
# The statuses whose `Retry-After` asks the schedule to wait (throttled, or down for a while).
_THROTTLING_STATUSES = frozenset({429, 502, 503, 504})
_DELTA_SECONDS = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt came to. `status_code` is None when no answer came (refused target,
    connection failure, timeout); `error` is a short reason, never the receiver's own words."""

    status_code: int | None
    error: str | None
    retry_after: timedelta | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """The receiver answered 410 Gone: it asks for its endpoint to be disabled."""
        return self.status_code == 410


def signature_headers(
    message_id: str, body: str, secrets: list[str], at: datetime
) -> dict[str, str]:
    """The Standard Webhooks headers of an attempt made `at`: one signature per secret, so that
    a receiver still configured with the secret a rotation replaced accepts it too."""
    if not secrets:
        raise ValueError("an attempt is signed with at least one secret")
    if "." in message_id:
        raise ValueError("a webhook id may not contain '.': the signed content is id.time.body")
    if at.tzinfo is None:
        raise ValueError("the attempt's time must be timezone-aware")
    # In UTC before signing: the library replaces the time zone rather than converting it.
    at_utc = at.astimezone(UTC)
    signatures = " ".join(Webhook(secret).sign(message_id, at_utc, body) for secret in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(at_utc.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class WebhookSender:
    """Sends signed attempts; one per call, each on a new connection (see `_post`)."""

    def __init__(
        self,
        *,
        allow_local: bool,
        timeout_seconds: float = 10.0,
        resolver: Resolver = socket.getaddrinfo,
        transport: httpx.BaseTransport | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._allow_local = allow_local
        self._timeout_seconds = timeout_seconds
        self._connect_timeout = min(CONNECT_TIMEOUT_SECONDS, timeout_seconds)
        self._resolver = resolver
        self._transport = transport
        # Built once (reading the CA bundle takes a while) and shared by every connection.
        # No proxy or CA bundle from the environment: where webhooks go is decided here only.
        # (Tests give a context trusting their own certificate.)
        self._ssl_context = ssl_context or httpx.create_ssl_context(trust_env=False)

    def send(
        self, url: str, *, message_id: str, body: str, secrets: list[str], at: datetime
    ) -> AttemptResult:
        """POST `body` to `url`, signed with each of `secrets` as of `at`."""
        headers = signature_headers(message_id, body, secrets, at)
        started = time.monotonic()
        deadline = started + self._timeout_seconds

        def result(
            status_code: int | None, error: str | None, retry_after: timedelta | None = None
        ) -> AttemptResult:
            return AttemptResult(
                status_code, error, retry_after, int((time.monotonic() - started) * 1000)
            )

        resolver = bounded_resolver(self._resolver, self._connect_timeout)
        try:
            target = check_target(url, allow_local=self._allow_local, resolver=resolver)
        except UnsafeTargetError as refused:
            return result(None, f"refused: {refused.reason}")
        except ResolutionTimeoutError:
            return result(None, "timed out resolving the host name")
        try:
            response = self._post(target, headers, body, deadline=deadline)
        except httpx.TimeoutException as timeout:
            return result(None, _timeout_error(timeout))
        except httpx.TransportError as failure:
            return result(None, _network_error(failure, target.host))
        status = response.status_code
        if 200 <= status < 300:
            return result(status, None)
        if 300 <= status < 400:
            return result(status, "redirect not followed")
        retry_after = None
        if status in _THROTTLING_STATUSES:
            answered_at = at + timedelta(seconds=time.monotonic() - started)
            retry_after = parse_retry_after(response.headers.get("retry-after"), answered_at)
        return result(status, _status_error(status), retry_after)

    def _post(
        self, target: ResolvedTarget, headers: dict[str, str], body: str, *, deadline: float
    ) -> httpx.Response:
        # A connection pool reuses connections by address: a kept connection, verified for one
        # host name, could carry the next request for another name at the same address. So each
        # attempt has a client and connection of its own.
        transport = self._transport or self._transport_until(deadline)
        client = httpx.Client(
            transport=transport,
            # Per operation; DeadlineBackend ends each of them by the deadline besides.
            timeout=httpx.Timeout(self._timeout_seconds, connect=self._connect_timeout),
            follow_redirects=False,
            trust_env=False,
        )
        pinned = target.url.copy_with(host=str(target.connect_address))
        try:
            with client.stream(
                "POST",
                pinned,
                content=body.encode(),
                headers={**headers, "host": target.host_header},
                # httpcore sends this name as SNI and verifies the certificate against it.
                extensions={"sni_hostname": target.host},
            ) as response:
                _read_some(response, deadline)
                return response
        finally:
            if self._transport is None:
                client.close()

    def _transport_until(self, deadline: float) -> httpx.HTTPTransport:
        """httpx's transport, over sockets whose every wait ends by `deadline`."""
        transport = httpx.HTTPTransport(verify=self._ssl_context, trust_env=False)
        # httpx takes no network backend of its own: its pool is replaced by the same pool over
        # DeadlineBackend (the test of a stalling receiver fails should httpx change this).
        transport._pool = httpcore.ConnectionPool(
            ssl_context=self._ssl_context, network_backend=DeadlineBackend(deadline)
        )
        return transport


class ResolutionTimeoutError(Exception):
    """The receiver's name was not resolved in time. (Not an OSError: the target check reads
    those as a name that does not resolve.)"""


def bounded_resolver(resolver: Resolver, timeout_seconds: float) -> Resolver:
    """`resolver`, given `timeout_seconds` to answer, else ResolutionTimeoutError. getaddrinfo
    takes no timeout, so each lookup runs in a thread of its own; one that takes too long is
    left to finish alone (a daemon thread: it ends with the system resolver's own timeouts)."""

    def resolve(*args: Any, **kwargs: Any) -> Sequence[tuple[Any, ...]]:
        answer: Future[Sequence[tuple[Any, ...]]] = Future()

        def look_up() -> None:
            try:
                answer.set_result(resolver(*args, **kwargs))
            except Exception as error:  # handed over as it is: the target check reads it
                answer.set_exception(error)

        threading.Thread(target=look_up, name="webhook-dns", daemon=True).start()
        done, _ = wait([answer], timeout=timeout_seconds)
        if not done:
            raise ResolutionTimeoutError
        return answer.result()

    return resolve


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sockets, each of whose waits (connecting, the TLS handshake, every read and
    write) ends by `deadline` (a time.monotonic() value). httpx's timeouts are per operation:
    without this a receiver sending a byte now and then would hold an attempt indefinitely."""

    def __init__(self, deadline: float, backend: httpcore.NetworkBackend | None = None) -> None:
        self._deadline = deadline
        self._backend = backend or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host,
            port,
            self.within(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream, self)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)

    def within(self, timeout: float | None, expired: type[httpcore.TimeoutException]) -> float:
        """`timeout`, shortened to what is left before the deadline; `expired` once past it."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise expired("the attempt's deadline has passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, backend: DeadlineBackend) -> None:
        self._stream = stream
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._backend.within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._backend.within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        secured = self._stream.start_tls(
            ssl_context, server_hostname, self._backend.within(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(secured, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A `Retry-After` header (delay in seconds, or an HTTP date) as a wait from `now`."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


def _read_some(response: httpx.Response, deadline: float) -> None:
    """Read at most MAX_RESPONSE_BYTES of the answer, undecoded, and no later than `deadline`.
    The status is in already and stands: a body cut short, or not finished by the deadline,
    changes nothing the worker needs."""
    received = 0
    try:
        for chunk in response.iter_raw(1024):
            received += len(chunk)
            if received >= MAX_RESPONSE_BYTES or time.monotonic() >= deadline:
                return
    except httpx.TransportError:
        return


def _status_error(status: int) -> str:
    # The standard phrase, not the receiver's: its reason text is its own words.
    phrase = httpx.codes.get_reason_phrase(status)
    return f"HTTP {status} {phrase}".rstrip()


def _timeout_error(timeout: httpx.TimeoutException) -> str:
    if isinstance(timeout, httpx.ConnectTimeout | httpx.PoolTimeout):
        return "timed out connecting"
    if isinstance(timeout, httpx.WriteTimeout):
        return "timed out sending"
    return "timed out waiting for the answer"


def _network_error(failure: httpx.TransportError, host: str) -> str:
    cause = _ssl_cause(failure)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS certificate not valid for {host}"
    if cause is not None:
        return "TLS handshake failed"
    if isinstance(failure, httpx.ConnectError):
        return "connection failed"
    if isinstance(failure, httpx.RemoteProtocolError):
        return "the answer was not valid HTTP"
    return "network error"


def _ssl_cause(failure: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = failure
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
