"""Webhooks the shop sends: Shopify's order and fulfillment topics keep the orders current.

No bearer token here: Shopify signs each webhook (an HMAC of the raw body), and the signature is
checked before anything is parsed. A body over the size limit is refused (413) before even that:
no more than the limit is ever hashed. Once authentic, a webhook is answered 2xx unless its body
is not JSON or nests too deep (400): Shopify retries anything else for 48 hours, and a topic or a
payload returns-desk cannot use now would not become usable by being sent again. What is ignored
is logged, with why.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import ValidationError

from chalicelib.api.http import json_response, route
from chalicelib.api.representations import ResponseModel
from chalicelib.errors import AuthenticationError, InvalidRequestError, PayloadTooLargeError
from chalicelib.observability import logger, metrics
from chalicelib.services import container
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from chalicelib.services.order_service import OrderService

webhooks = Blueprint(__name__)


class WebhookReceipt(ResponseModel):
    """What became of a webhook: `recorded`, `unchanged` (a duplicate, or older than what is
    stored) or `ignored` (with the reason)."""

    status: Literal["recorded", "unchanged", "ignored"]
    order: str | None = None
    reason: str | None = None


def verify_shopify_signature(request: Request) -> None:
    # Imported here: only webhook requests need Shopify's payload models.
    from chalicelib.integrations import shopify

    _refuse_oversized(request, shopify.MAX_BODY_BYTES)
    secret = get_settings().shopify_webhook_secret
    if not shopify.signature_is_valid(
        secret.get_secret_value() if secret else None,
        _raw_body(request),
        request.headers.get(shopify.SIGNATURE_HEADER),
    ):
        raise AuthenticationError("A valid Shopify webhook signature is required.")


@route(
    webhooks,
    "/webhooks/shopify",
    methods=["POST"],
    guard=verify_shopify_signature,
    security="shopify_hmac",
    summary="Receive a Shopify webhook",
    tags=("webhooks",),
    responses={200: WebhookReceipt},
    errors=[400, 413],
)
def shopify_webhook() -> Response:
    """Topics orders/create, orders/updated and orders/fulfilled record the order;
    fulfillments/update records its delivery. Any other topic is acknowledged and ignored."""
    from chalicelib.integrations import shopify

    request = webhooks.current_request
    topic = (request.headers.get(shopify.TOPIC_HEADER) or "").strip()
    receipt = _receive(topic, _raw_body(request), container.order_service())
    log = logger.warning if receipt.status == "ignored" else logger.info
    log(
        "Shopify webhook received",
        extra={
            "topic": topic,
            "webhook_id": request.headers.get(shopify.WEBHOOK_ID_HEADER),
            **receipt.model_dump(exclude_none=True),
        },
    )
    return json_response(receipt)


def _receive(topic: str, body: bytes, orders: OrderService) -> WebhookReceipt:
    from chalicelib.integrations import shopify

    if topic in shopify.ORDER_TOPICS:
        return _record_order(_json(body), orders)
    if topic == shopify.FULFILLMENT_TOPIC:
        return _record_delivery(_json(body), orders)
    return _ignored(f"Topic '{topic}' is not one returns-desk uses.")


def _record_order(payload: Any, orders: OrderService) -> WebhookReceipt:
    from chalicelib.integrations import shopify

    try:
        order = shopify.ShopifyOrder.model_validate(payload).to_order()
    except ValidationError as error:
        return _ignored(f"Not an order returns-desk can keep: {_summary(error)}")
    return _outcome(orders.record(order), order.number)


def _record_delivery(payload: Any, orders: OrderService) -> WebhookReceipt:
    """A fulfillment names its order only through its own name ("#1001.1"), and carries no
    customer nor lines: what it adds to the stored order is the parcel's delivery."""
    from chalicelib.integrations import shopify

    try:
        fulfillment = shopify.ShopifyFulfillment.model_validate(payload)
    except ValidationError as error:
        return _ignored(f"Not a fulfillment returns-desk can read: {_summary(error)}")
    number = fulfillment.order_number
    if number is None:
        return _ignored("The fulfillment does not name its order ('<order name>.<n>').")
    delivered_on = fulfillment.delivered_on
    if delivered_on is None:
        return WebhookReceipt(status="unchanged", order=number, reason="Not delivered yet.")
    recorded = orders.record_delivery(
        number, delivered_on, fulfillment.updated_at, fulfillment.order_external_id
    )
    if recorded is None:
        return _ignored(f"Order {number} is not known to returns-desk.", number)
    return _outcome(recorded, number)


def _outcome(recorded: bool, number: str) -> WebhookReceipt:
    return WebhookReceipt(status="recorded" if recorded else "unchanged", order=number)


def _ignored(reason: str, number: str | None = None) -> WebhookReceipt:
    metrics.add_metric(name="ShopifyWebhooksIgnored", unit=MetricUnit.Count, value=1)
    return WebhookReceipt(status="ignored", order=number, reason=reason)


def _refuse_oversized(request: Request, max_bytes: int) -> None:
    """PayloadTooLargeError when the body is over `max_bytes`: by the length the request declares
    when it says one, before the body is decoded, and by the body's own length otherwise."""
    declared = (request.headers.get("content-length") or "").strip()
    size = int(declared) if declared.isdigit() else len(_raw_body(request))
    if size > max_bytes:
        raise PayloadTooLargeError(max_bytes, size)


def _raw_body(request: Request) -> bytes:
    # The signature is over the bytes Shopify sent: never over a re-serialised body.
    body = request.raw_body or b""
    return body.encode() if isinstance(body, str) else body


def _json(body: bytes) -> Any:
    from chalicelib.integrations import shopify

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
