"""What Shopify's webhooks tell returns-desk, once their signature is checked: order topics
record the order (its cancellation too) and the milestones of its timeline; fulfillment topics
a parcel's milestones (shipped, in transit... delivered) and the day it was delivered.

A webhook that cannot be used is acknowledged and ignored, with why: Shopify retries anything
but a 2xx for 48 hours, and a topic or a payload returns-desk cannot use now would not become
usable by being sent again. Only a body that is not JSON, or nests too deep to be read, is
refused (InvalidRequestError): that one is broken on the way, not unusable. What is ignored is
logged and counted (`ShopifyWebhooksIgnored`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from chalicelib.errors import InvalidRequestError
from chalicelib.integrations import shopify
from chalicelib.observability import logger, metrics

if TYPE_CHECKING:
    from chalicelib.services.order_service import OrderService


@dataclass(frozen=True)
class WebhookOutcome:
    """What became of a webhook: `recorded` (the order, or a milestone of its timeline, was
    new), `unchanged` (a duplicate, or older than what is stored) or `ignored` (with the
    reason)."""

    status: Literal["recorded", "unchanged", "ignored"]
    order: str | None = None
    reason: str | None = None


class ShopifyWebhooks:
    def __init__(self, orders: OrderService) -> None:
        self._orders = orders

    def receive(self, topic: str, body: bytes, webhook_id: str | None = None) -> WebhookOutcome:
        """Record what webhook `topic` with `body` (the bytes Shopify signed) says."""
        outcome = self._outcome(topic, body)
        ignored = outcome.status == "ignored"
        if ignored:
            metrics.add_metric(name="ShopifyWebhooksIgnored", unit=MetricUnit.Count, value=1)
        (logger.warning if ignored else logger.info)(
            "Shopify webhook received",
            extra={
                "topic": topic,
                "webhook_id": webhook_id,
                **{name: value for name, value in asdict(outcome).items() if value is not None},
            },
        )
        return outcome

    def _outcome(self, topic: str, body: bytes) -> WebhookOutcome:
        # The body is read only for the topics used: another topic may come in any format.
        if topic in shopify.ORDER_TOPICS:
            return self._record_order(_json(body), paid=topic == shopify.PAID_TOPIC)
        if topic in shopify.FULFILLMENT_TOPICS:
            return self._record_fulfillment(_json(body))
        return _ignored(f"Topic '{topic}' is not one returns-desk uses.")

    def _record_order(self, payload: Any, *, paid: bool) -> WebhookOutcome:
        try:
            shop_order = shopify.ShopifyOrder.model_validate(payload)
            order = shop_order.to_order()
        except ValidationError as error:
            return _ignored(f"Not an order returns-desk can keep: {_summary(error)}")
        stored = self._orders.record(order)
        # Whether or not this version of the order was newer, what it tells of the timeline
        # is kept: a stale version may still be the first to tell a milestone.
        milestones = shop_order.tracking_events(paid=paid)
        tracked = self._orders.record_milestones(order.number, milestones)
        return _stored(stored or tracked, order.number)

    def _record_fulfillment(self, payload: Any) -> WebhookOutcome:
        """A fulfillment names its order only through its own name ("#1001.1"), and carries no
        customer nor lines: what it adds to the stored order is the parcel's milestones and
        its delivery."""
        try:
            fulfillment = shopify.ShopifyFulfillment.model_validate(payload)
        except ValidationError as error:
            return _ignored(f"Not a fulfillment returns-desk can read: {_summary(error)}")
        number = fulfillment.order_number
        if number is None:
            return _ignored("The fulfillment does not name its order ('<order name>.<n>').")
        recorded = self._orders.record_fulfillment(
            number,
            fulfillment.tracking_events(),
            reported_at=fulfillment.updated_at,
            external_id=fulfillment.order_external_id,
        )
        if recorded is None:
            return _ignored(f"Order {number} is not known to returns-desk.", number)
        return _stored(recorded, number)


def _stored(recorded: bool, number: str) -> WebhookOutcome:
    return WebhookOutcome(status="recorded" if recorded else "unchanged", order=number)


def _ignored(reason: str, number: str | None = None) -> WebhookOutcome:
    return WebhookOutcome(status="ignored", order=number, reason=reason)


def _json(body: bytes) -> Any:
    # Measured first: the JSON parser recurses once per level, and a thousand levels exhaust it.
    if shopify.nesting_depth(body) > shopify.MAX_NESTING_DEPTH:
        raise InvalidRequestError(
            f"The request body nests deeper than {shopify.MAX_NESTING_DEPTH} levels.",
            {"field": "body", "max_depth": shopify.MAX_NESTING_DEPTH},
        )
    try:
        return json.loads(body)
    except ValueError as error:
        raise InvalidRequestError(
            "The request body is not valid JSON.", {"field": "body"}
        ) from error


def _summary(error: ValidationError) -> str:
    """Which fields were wrong, without their values (they may hold personal data)."""
    problems = error.errors(include_url=False, include_input=False)
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
        for problem in problems[:3]
    )
