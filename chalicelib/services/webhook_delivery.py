"""One attempt at one webhook delivery, and what its answer decides: delivered, another try
after the schedule's next delay, or given up on; and the endpoint's health with it (an endpoint
that answers 410 Gone, or has failed every delivery for DISABLE_AFTER, is disabled).

The queue's consumer (webhook_delivery_entrypoint.py) calls `attempt` for each message and
hides the message for the delay it returns. Every step tolerates being run twice: a message
can come back after a crash, and a delivery that is no longer PENDING is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.clock import utc_now
from chalicelib.domain.webhooks import (
    DISABLE_AFTER,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    next_retry_delay,
)
from chalicelib.observability import logger, metrics

ENDPOINTS_DISABLED_METRIC = "WebhookEndpointsDisabled"
DELIVERIES_FAILED_METRIC = "WebhookDeliveriesFailed"
GONE_REASON = "the endpoint answered 410 Gone"
FAILING_REASON = f"every delivery failed for {DISABLE_AFTER.days} days"


class AttemptOutcome(Protocol):
    status_code: int | None
    error: str | None
    retry_after: timedelta | None
    duration_ms: int

    @property
    def delivered(self) -> bool: ...

    @property
    def gone(self) -> bool: ...


class Sender(Protocol):
    def send(
        self, url: str, *, message_id: str, body: str, secrets: list[str], at: datetime
    ) -> AttemptOutcome: ...


class Endpoints(Protocol):
    def get(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    def record_failure(self, endpoint_id: str, at: datetime) -> WebhookEndpoint | None: ...

    def record_success(self, endpoint_id: str) -> None: ...

    def disable(self, endpoint_id: str, reason: str, at: datetime) -> bool: ...


class Deliveries(Protocol):
    def get(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery | None: ...

    def record_attempt(
        self,
        delivery: WebhookDelivery,
        attempt: DeliveryAttempt,
        *,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> WebhookDelivery: ...


def count_metric(name: str) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


class WebhookDeliveryService:
    def __init__(
        self,
        endpoints: Endpoints,
        deliveries: Deliveries,
        sender: Sender,
        *,
        clock: Callable[[], datetime] = utc_now,
        count: Callable[[str], None] = count_metric,
    ) -> None:
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._sender = sender
        self._clock = clock
        self._count = count

    def attempt(self, endpoint_id: str, delivery_id: str) -> timedelta | None:
        """Try the delivery once, if it still waits; how long until the next try, or None when
        it is finished (delivered, given up on, or gone)."""
        delivery = self._deliveries.get(endpoint_id, delivery_id)
        if delivery is None or delivery.status is not DeliveryStatus.PENDING:
            return None
        now = self._clock()
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            # A second message of the delivery (an event handed over twice) came before the
            # retry is due: it waits for it too, rather than shorten the receiver's respite.
            return delivery.next_attempt_at - now
        endpoint = self._endpoints.get(endpoint_id)
        if endpoint is None or not endpoint.enabled:
            error = "endpoint deleted" if endpoint is None else "endpoint disabled"
            self._finish(delivery, DeliveryAttempt(at=now, error=error), DeliveryStatus.FAILED)
            return None

        result = self._sender.send(
            endpoint.url,
            message_id=delivery.id,
            body=delivery.payload,
            secrets=endpoint.signing_secrets(now),
            at=now,
        )
        attempt = DeliveryAttempt(
            at=now,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
        if result.delivered:
            self._finish(delivery, attempt, DeliveryStatus.DELIVERED)
            if endpoint.failing_since is not None:
                # A healthy endpoint's success changes nothing: no write is paid for it.
                self._endpoints.record_success(endpoint.id)
            return None
        if result.gone:
            self._finish(delivery, attempt, DeliveryStatus.FAILED)
            self._disable(endpoint, GONE_REASON, now)
            return None

        failing = self._endpoints.record_failure(endpoint.id, now)
        if failing is not None and failing.failing_for_too_long(now):
            self._finish(delivery, attempt, DeliveryStatus.FAILED)
            self._disable(endpoint, FAILING_REASON, now)
            return None
        delay = next_retry_delay(delivery.attempt_count + 1, retry_after=result.retry_after)
        if delay is None:
            self._finish(delivery, attempt, DeliveryStatus.FAILED)
            return None
        self._deliveries.record_attempt(
            delivery, attempt, status=DeliveryStatus.PENDING, next_attempt_at=now + delay
        )
        return delay

    def _finish(
        self, delivery: WebhookDelivery, attempt: DeliveryAttempt, status: DeliveryStatus
    ) -> None:
        self._deliveries.record_attempt(delivery, attempt, status=status, next_attempt_at=None)
        if status is DeliveryStatus.FAILED:
            self._count(DELIVERIES_FAILED_METRIC)
            logger.info(
                "Webhook delivery given up on",
                extra={
                    "delivery": delivery.id,
                    "endpoint": delivery.endpoint_id,
                    "attempts": delivery.attempt_count + 1,
                    "last_error": attempt.error,
                    "last_status": attempt.status_code,
                },
            )

    def _disable(self, endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
        # False when another attempt disabled it first: counted and told once.
        if not self._endpoints.disable(endpoint.id, reason, now):
            return
        self._count(ENDPOINTS_DISABLED_METRIC)
        # Its id and reason only: never its URL's query or its secrets.
        logger.warning(
            "Webhook endpoint disabled", extra={"endpoint": endpoint.id, "reason": reason}
        )
