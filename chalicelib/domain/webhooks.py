"""Outgoing webhooks: the merchant's endpoints, the deliveries made to them, and the rules of
retrying (Standard Webhooks, https://www.standardwebhooks.com).

An endpoint subscribes to event types: the return events' (`return.approved`, ...), the
cancellation requests' and claims' (`cancellation.accepted`, `claim.approved`, ...) and
`webhook.test`. Each event an endpoint wants is one delivery, whose id is the `webhook-id` of
every attempt: derived from the event's and the endpoint's ids, so that an event the stream
hands over twice is still one delivery. Pure: no AWS, no HTTP here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from chalicelib.domain.events import ReturnEventType
from chalicelib.domain.order_requests import OrderRequestEventType
from chalicelib.domain.rma import DomainModel, LongText, ShortText, revised

WEBHOOK_TEST = "webhook.test"
# Every type an endpoint may subscribe to, in the order the documentation lists them: the
# returns', then the cancellations' and the claims' (each kind's together), then the test.
EVENT_TYPES: tuple[str, ...] = (
    *(t.value for t in ReturnEventType),
    *sorted((t.value for t in OrderRequestEventType), key=lambda value: value.split(".")[0]),
    WEBHOOK_TEST,
)

# The Standard Webhooks schedule, shortened to about a day: after the first attempt, each
# failure waits the next delay (give or take a fifth, so that endpoints coming back up are not
# hit by every retry at once). 5 s + 1 min + 5 min + 30 min + 1 h + 2 h + 4 h + 8 h + 8 h ≈ 23.6 h.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=8),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
# A `Retry-After` is honoured up to the longest delay of the schedule.
MAX_RETRY_AFTER = max(RETRY_DELAYS)
# An endpoint that has failed every delivery for this long is disabled, and the merchant told.
DISABLE_AFTER = timedelta(days=3)
# Failing "for three days" means without a break: a failure this long after the one before it
# starts the count again. While a delivery is pending its attempts come much closer together
# (the schedule's longest delay apart); a longer gap is a time with nothing to deliver, in which
# the endpoint may well have come back.
MAX_FAILURE_GAP = sum(RETRY_DELAYS, timedelta())
# How long the secret replaced by a rotation still signs, beside the new one.
ROTATION_GRACE = timedelta(hours=24)
# Attempts a delivery keeps on record (its count goes on beyond them).
MAX_KEPT_ATTEMPTS = 20
# 32 random bytes: the specification asks for 24 to 64.
SECRET_BYTES = 32
SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

# The ids as they are made (new_endpoint_id, delivery_id; the local stack's endpoint is
# `ep_local`). A path naming anything else names nothing, and is not looked up: DynamoDB would
# refuse a key over 1 KB with an error, where the answer is that no such thing exists.
_ENDPOINT_ID = re.compile(r"ep_[A-Za-z0-9_-]{1,64}")
_DELIVERY_ID = re.compile(r"msg_[A-Za-z0-9_-]{1,64}")


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    # Every attempt of the schedule failed, or the endpoint was disabled or deleted meanwhile.
    FAILED = "FAILED"


def new_secret() -> str:
    """A signing secret as receivers configure it: `whsec_` and base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_endpoint_id() -> str:
    return "ep_" + secrets.token_hex(10)


def is_endpoint_id(value: str) -> bool:
    return _ENDPOINT_ID.fullmatch(value) is not None


def is_delivery_id(value: str) -> bool:
    return _DELIVERY_ID.fullmatch(value) is not None


class SigningSecret(DomainModel):
    value: Annotated[str, StringConstraints(pattern=r"^whsec_[A-Za-z0-9+/=]{32,100}$")]
    created_at: datetime
    # Set on the secret a rotation replaced: it signs beside the new one until then.
    expires_at: datetime | None = None


class WebhookEndpoint(DomainModel):
    id: ShortText
    url: Url
    events: Annotated[list[ShortText], Field(min_length=1, max_length=len(EVENT_TYPES))]
    description: LongText | None = None
    # The newest first.
    secrets: Annotated[list[SigningSecret], Field(min_length=1, max_length=2)]
    enabled: bool = True
    disabled_at: datetime | None = None
    disabled_reason: LongText | None = None
    # The first and the latest failed attempts of the current failure streak (a delivered
    # attempt ends it, as does a gap of MAX_FAILURE_GAP): None while deliveries succeed.
    failing_since: datetime | None = None
    last_failed_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in self.events

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets each attempt is signed with: the current one, and the one a rotation
        replaced while its grace lasts (receivers accept either)."""
        return [s.value for s in self.secrets if s.expires_at is None or s.expires_at > now]

    def rotated(self, secret: str, now: datetime) -> WebhookEndpoint:
        """This endpoint signing with `secret` from now on, and with its current secret for
        ROTATION_GRACE more (a secret replaced earlier is forgotten)."""
        current = revised(self.secrets[0], expires_at=now + ROTATION_GRACE)
        return revised(
            self, secrets=[SigningSecret(value=secret, created_at=now), current], updated_at=now
        )

    def failed(self, at: datetime) -> WebhookEndpoint:
        """This endpoint once an attempt failed `at`: failing since then, unless that failure
        continues a streak (then only its latest failure moves, and never backwards)."""
        last = self.last_failed_at
        if self.failing_since is None or last is None or at - last > MAX_FAILURE_GAP:
            return revised(self, failing_since=at, last_failed_at=at)
        if at <= last:
            return self
        return revised(self, last_failed_at=at)

    def failing_for_too_long(self, now: datetime) -> bool:
        return self.failing_since is not None and now - self.failing_since >= DISABLE_AFTER


class DeliveryAttempt(DomainModel):
    at: datetime
    # None when no answer came: the connection failed or timed out, or the target was refused.
    status_code: int | None = None
    error: LongText | None = None
    duration_ms: Annotated[int, Field(ge=0)] = 0

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookDelivery(DomainModel):
    # The `webhook-id` of every attempt.
    id: ShortText
    endpoint_id: ShortText
    event_type: ShortText
    # The event delivered (None for `webhook.test`), and its return or its order request.
    event_id: ShortText | None = None
    rma_reference: ShortText | None = None
    request_reference: ShortText | None = None
    # The body exactly as every attempt sends it (the signature covers these bytes).
    payload: str
    status: DeliveryStatus = DeliveryStatus.PENDING
    # The latest attempts, oldest first: the store keeps the last MAX_KEPT_ATTEMPTS of them
    # (manual retries may go on past the schedule), and counts every one in `attempt_count`.
    attempts: list[DeliveryAttempt] = []
    attempt_count: Annotated[int, Field(ge=0)] = 0
    created_at: datetime
    next_attempt_at: datetime | None = None


def delivery_id(event_id: str, endpoint_id: str, occurred_at: datetime) -> str:
    """The delivery of one event to one endpoint: the same for every handover of the event.
    It starts with the event's time in milliseconds (hex, fixed width), so that ids sort as the
    events happened: the delivery log lists the newest first by its key alone. (No `.` in it:
    the signed content is `id.timestamp.body`.)"""
    digest = hashlib.sha256(f"{event_id}|{endpoint_id}".encode()).digest()
    millis = int(occurred_at.timestamp() * 1000)
    return f"msg_{millis:012x}{base64.b32encode(digest).decode().rstrip('=').lower()[:20]}"


def webhook_payload(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The body receivers get: `{"type", "timestamp", "data"}`, minified JSON."""
    return json.dumps(
        {"type": event_type, "timestamp": occurred_at.isoformat(), "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def next_retry_delay(
    attempts_made: int,
    *,
    retry_after: timedelta | None = None,
    jitter: Callable[[float, float], float] | None = None,
) -> timedelta | None:
    """How long to wait before the next attempt, after `attempts_made` failed ones; None when
    the schedule is over. A receiver's `Retry-After` is honoured when it asks for longer."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS[attempts_made - 1]
    spread = jitter or _uniform
    delay = base * spread(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def _uniform(low: float, high: float) -> float:
    return low + (high - low) * secrets.randbelow(1_000_001) / 1_000_000
