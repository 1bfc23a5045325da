"""Subscriber of the return events and of the order requests' (cancellations' and claims'): one
webhook delivery per endpoint that wants the event, stored with the body every attempt sends,
and queued for its first attempt. Both kinds of events are delivered alike; only what their
body shows (the return, or the request) and what their delivery names differ.

Idempotent on the event: a delivery's id comes from the event's and the endpoint's, and is
added only if it is not there yet. An event handed over again adds nothing, and queues again
only the deliveries never attempted (the previous handover may have stopped between storing
them and queueing them); a delivery already attempted is the queue's, which holds it until its
next try. A message queued twice is harmless: the consumer skips a delivery no longer PENDING.
"""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.events import ReturnEvent
from chalicelib.domain.order_requests import OrderRequestEvent
from chalicelib.domain.webhooks import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    delivery_id,
    webhook_payload,
)
from chalicelib.integrations.webhook_queue import QueuedDelivery

WebhookEvent = ReturnEvent | OrderRequestEvent


class EndpointList(Protocol):
    def list(self) -> list[WebhookEndpoint]: ...


class DeliveryStore(Protocol):
    def add(self, delivery: WebhookDelivery) -> bool: ...

    def get(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery | None: ...


class DeliveryQueue(Protocol):
    def send_all(self, deliveries: list[QueuedDelivery]) -> None: ...


class WebhooksDue:
    name = "webhooks"

    def __init__(
        self, endpoints: EndpointList, deliveries: DeliveryStore, queue: DeliveryQueue
    ) -> None:
        self._endpoints = endpoints
        self._deliveries = deliveries
        self._queue = queue

    def __call__(self, event: WebhookEvent) -> None:
        event_type = str(event.type)
        wanting = [endpoint for endpoint in self._endpoints.list() if endpoint.wants(event_type)]
        if not wanting:
            return
        payload = event_payload(event)
        rma_reference, request_reference = _subject(event)
        due = [
            self._stored(
                WebhookDelivery(
                    id=delivery_id(event.id, endpoint.id, event.occurred_at),
                    endpoint_id=endpoint.id,
                    event_type=event_type,
                    event_id=event.id,
                    rma_reference=rma_reference,
                    request_reference=request_reference,
                    payload=payload,
                    created_at=event.occurred_at,
                )
            )
            for endpoint in wanting
        ]
        queued = [QueuedDelivery(d.endpoint_id, d.id) for d in due if d is not None]
        if queued:
            self._queue.send_all(queued)

    def _stored(self, delivery: WebhookDelivery) -> WebhookDelivery | None:
        """The delivery to queue: the new one, or the stored one never attempted yet."""
        if self._deliveries.add(delivery):
            return delivery
        stored = self._deliveries.get(delivery.endpoint_id, delivery.id)
        if stored is None or stored.status is not DeliveryStatus.PENDING or stored.attempt_count:
            return None
        return stored


def event_payload(event: WebhookEvent) -> str:
    """The body of the event's deliveries: `{"type", "timestamp", "data"}`, whose data is the
    return or the request as the admin API shows it (its `version` orders its deliveries)."""
    return webhook_payload(str(event.type), event.occurred_at, _shown(event))


def _shown(event: WebhookEvent) -> dict[str, Any]:
    """A return without its photos' links: they are signed for minutes, and a delivery may be
    retried for a day. A request as the merchant's side reads it: a store credit's code by its
    last four characters only (the shopper's to spend)."""
    from chalicelib.api.models.admin import RmaResource
    from chalicelib.api.models.order_requests import OrderRequestView

    if isinstance(event, OrderRequestEvent):
        request = OrderRequestView.of(event.request, for_shopper=False)
        return {"request": request.model_dump(mode="json")}
    rma = RmaResource.from_rma(event.rma).model_dump(mode="json", exclude={"photo_urls"})
    return {"rma": rma}


def _subject(event: WebhookEvent) -> tuple[str | None, str | None]:
    """The references the delivery's record names: its return's, or its request's."""
    if isinstance(event, OrderRequestEvent):
        return None, event.reference
    return event.rma.return_reference, None
