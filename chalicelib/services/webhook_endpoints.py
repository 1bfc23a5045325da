"""The merchant's outgoing webhook endpoints: adding, changing and removing them, their signing
secrets, a test delivery, and the log of deliveries with a person's retry.

A URL is checked (integrations/webhook_targets.py) whenever it is saved: no endpoint may name
returns-desk's own network. The sender checks it again before each attempt, as DNS changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from chalicelib.clock import utc_now
from chalicelib.domain.rma import revised
from chalicelib.domain.webhooks import (
    EVENT_TYPES,
    WEBHOOK_TEST,
    SigningSecret,
    WebhookDelivery,
    WebhookEndpoint,
    delivery_id,
    is_delivery_id,
    is_endpoint_id,
    new_endpoint_id,
    new_secret,
    webhook_payload,
)
from chalicelib.errors import (
    DependencyUnavailableError,
    InvalidRequestError,
    WebhookDeliveryNotFoundError,
    WebhookEndpointChangedError,
    WebhookEndpointDisabledError,
    WebhookEndpointLimitError,
    WebhookEndpointNotFoundError,
)
from chalicelib.integrations.webhook_queue import QueuedDelivery
from chalicelib.repositories.webhook_endpoints import MAX_ENDPOINTS

# Checks a URL as a webhook target (raising InvalidRequestError when it is not one):
# integrations/webhook_targets.check_target, given its resolver.
TargetCheck = Callable[..., object]
# What a PATCH may change.
EDITABLE = frozenset({"url", "events", "description", "enabled"})
DISABLED_BY_MERCHANT = "Disabled by the merchant."
TEST_MESSAGE = "A test delivery from returns-desk: this endpoint receives its webhooks."
# An endpoint's failure streak forgotten.
_NOT_FAILING = {"failing_since": None, "last_failed_at": None}


class EndpointStore(Protocol):
    def add(self, endpoint: WebhookEndpoint) -> None: ...

    def get(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    def list(self) -> list[WebhookEndpoint]: ...

    def save(self, endpoint: WebhookEndpoint, *, expected_version: int) -> WebhookEndpoint: ...

    def delete(self, endpoint_id: str) -> bool: ...


class DeliveryLog(Protocol):
    def add(self, delivery: WebhookDelivery) -> bool: ...

    def get(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery | None: ...

    def mark_pending(self, delivery: WebhookDelivery) -> WebhookDelivery: ...

    def page(
        self, endpoint_id: str, *, limit: int, cursor: str | None = None
    ) -> tuple[list[WebhookDelivery], str | None]: ...


class DeliveryQueue(Protocol):
    def send(self, delivery: QueuedDelivery, *, delay_seconds: int = 0) -> None: ...


class WebhookEndpointService:
    def __init__(
        self,
        endpoints: EndpointStore,
        deliveries: DeliveryLog,
        queue: DeliveryQueue | None,
        *,
        check_target: TargetCheck,
        allow_local: bool,
        clock: Callable[[], datetime] = utc_now,
        max_endpoints: int = MAX_ENDPOINTS,
    ) -> None:
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._queue = queue
        self._check_target = check_target
        self._allow_local = allow_local
        self._clock = clock
        self._max_endpoints = max_endpoints

    def create(
        self, url: str, events: Sequence[str], description: str | None = None
    ) -> WebhookEndpoint:
        """A new endpoint, with its first signing secret (shown to the merchant once)."""
        self._check_url(url)
        subscribed = _known_events(events)
        if len(self._endpoints.list()) >= self._max_endpoints:
            raise WebhookEndpointLimitError(self._max_endpoints)
        now = self._clock()
        endpoint = WebhookEndpoint(
            id=new_endpoint_id(),
            url=url,
            events=subscribed,
            description=description,
            secrets=[SigningSecret(value=new_secret(), created_at=now)],
            created_at=now,
            updated_at=now,
        )
        self._endpoints.add(endpoint)
        return endpoint

    def list(self) -> list[WebhookEndpoint]:
        """Every endpoint, the oldest first."""
        return sorted(self._endpoints.list(), key=lambda endpoint: endpoint.created_at)

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        """The endpoint, as every path naming one reads it first (WebhookEndpointNotFoundError
        for an id that cannot be one, without a look-up)."""
        endpoint = self._endpoints.get(endpoint_id) if is_endpoint_id(endpoint_id) else None
        if endpoint is None:
            raise WebhookEndpointNotFoundError(endpoint_id)
        return endpoint

    def update(
        self, endpoint_id: str, changes: Mapping[str, Any], *, version: int | None = None
    ) -> WebhookEndpoint:
        """The endpoint with `changes` (of EDITABLE fields; a None description removes it),
        saved over the version read, or over `version` when the caller says which one it saw.
        Enabling a disabled endpoint forgets why it was disabled and its failures; so does a
        new URL its failures (the old URL's failures say nothing of the new one)."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise InvalidRequestError(
                f"These fields cannot be changed: {', '.join(sorted(unknown))}.",
                {"fields": sorted(unknown)},
            )
        endpoint = self.get(endpoint_id)
        if version is not None and version != endpoint.version:
            # Refused as the save would be: the caller saw another version.
            raise WebhookEndpointChangedError(endpoint_id)
        now = self._clock()
        fields: dict[str, Any] = {}
        if "url" in changes:
            self._check_url(changes["url"])
            fields["url"] = changes["url"]
            if changes["url"] != endpoint.url:
                fields |= _NOT_FAILING
        if "events" in changes:
            fields["events"] = _known_events(changes["events"])
        if "description" in changes:
            fields["description"] = changes["description"]
        if changes.get("enabled") is True and not endpoint.enabled:
            fields |= {"enabled": True, "disabled_at": None, "disabled_reason": None}
            fields |= _NOT_FAILING
        elif changes.get("enabled") is False and endpoint.enabled:
            fields |= {
                "enabled": False,
                "disabled_at": now,
                "disabled_reason": DISABLED_BY_MERCHANT,
            }
        if not fields:
            return endpoint
        return self._endpoints.save(
            revised(endpoint, **fields, updated_at=now), expected_version=endpoint.version
        )

    def delete(self, endpoint_id: str) -> None:
        """Forget the endpoint: nothing more is delivered to it; its deliveries expire."""
        if not is_endpoint_id(endpoint_id) or not self._endpoints.delete(endpoint_id):
            raise WebhookEndpointNotFoundError(endpoint_id)

    def rotate_secret(self, endpoint_id: str) -> tuple[WebhookEndpoint, str]:
        """The endpoint signing with a new secret (returned: shown once), and with the one it
        replaces for ROTATION_GRACE more, while the receiver switches."""
        endpoint = self.get(endpoint_id)
        secret = new_secret()
        rotated = endpoint.rotated(secret, self._clock())
        return self._endpoints.save(rotated, expected_version=endpoint.version), secret

    def send_test(self, endpoint_id: str) -> WebhookDelivery:
        """A `webhook.test` delivery to the endpoint, whatever it subscribes to, queued now."""
        endpoint = self._enabled(endpoint_id)
        queue = self._delivery_queue()
        now = self._clock()
        delivery = WebhookDelivery(
            id=delivery_id(f"test:{uuid.uuid4()}", endpoint.id, now),
            endpoint_id=endpoint.id,
            event_type=WEBHOOK_TEST,
            payload=webhook_payload(
                WEBHOOK_TEST, now, {"endpoint_id": endpoint.id, "message": TEST_MESSAGE}
            ),
            created_at=now,
        )
        self._deliveries.add(delivery)
        queue.send(QueuedDelivery(endpoint.id, delivery.id))
        return delivery

    def deliveries(
        self, endpoint_id: str, *, limit: int, cursor: str | None = None
    ) -> tuple[list[WebhookDelivery], str | None]:
        """The endpoint's deliveries, newest first, and the next page's cursor."""
        self.get(endpoint_id)
        return self._deliveries.page(endpoint_id, limit=limit, cursor=cursor)

    def overview(self, deliveries_each: int) -> list[tuple[WebhookEndpoint, list[WebhookDelivery]]]:
        """Every endpoint, the oldest first, with its latest deliveries (the console's page):
        one Query of the endpoints, and one of each endpoint's log."""
        return [
            (endpoint, self._deliveries.page(endpoint.id, limit=deliveries_each)[0])
            for endpoint in self.list()
        ]

    def retry(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery:
        """Try the delivery again now, whatever became of it (a person's replay)."""
        endpoint = self._enabled(endpoint_id)
        queue = self._delivery_queue()
        delivery = (
            self._deliveries.get(endpoint.id, delivery_id) if is_delivery_id(delivery_id) else None
        )
        if delivery is None:
            raise WebhookDeliveryNotFoundError(endpoint_id, delivery_id)
        pending = self._deliveries.mark_pending(delivery)
        queue.send(QueuedDelivery(endpoint.id, delivery.id))
        return pending

    def _enabled(self, endpoint_id: str) -> WebhookEndpoint:
        endpoint = self.get(endpoint_id)
        if not endpoint.enabled:
            raise WebhookEndpointDisabledError(endpoint_id)
        return endpoint

    def _delivery_queue(self) -> DeliveryQueue:
        if self._queue is None:
            raise DependencyUnavailableError(
                "Webhook deliveries are not configured (WEBHOOK_DELIVERIES_QUEUE_URL): "
                "nothing can be sent."
            )
        return self._queue

    def _check_url(self, url: str) -> None:
        self._check_target(url, allow_local=self._allow_local)


def _known_events(events: Sequence[str]) -> list[str]:
    """`events` without repeats, each one a type an endpoint may subscribe to."""
    unknown = [event for event in events if event not in EVENT_TYPES]
    if unknown:
        raise InvalidRequestError(
            f"Unknown event types: {', '.join(unknown)}. Allowed: {', '.join(EVENT_TYPES)}.",
            {"field": "events", "unknown": unknown, "allowed": list(EVENT_TYPES)},
        )
    if not events:
        raise InvalidRequestError(
            "Subscribe to at least one event type.",
            {"field": "events", "allowed": list(EVENT_TYPES)},
        )
    return list(dict.fromkeys(events))
