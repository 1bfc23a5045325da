"""Webhooks the shop sends: Shopify's order and fulfillment topics keep the orders current
(services/shopify_webhooks.py says what each one does).

No bearer token here: Shopify signs each webhook (an HMAC of the raw body), and the signature is
checked before anything is parsed. A body over the size limit is refused (413) before even that:
no more than the limit is ever hashed.
"""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import Request

from chalicelib.api.models.webhooks import WebhookReceipt
from chalicelib.api.routing import Router
from chalicelib.errors import AuthenticationError, PayloadTooLargeError
from chalicelib.services import container
from chalicelib.settings import get_settings

webhooks = Blueprint(__name__)


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


routes = Router(
    webhooks, guard=verify_shopify_signature, security="shopify_hmac", tags=("webhooks",)
)


@routes.post("/webhooks/shopify", summary="Receive a Shopify webhook", errors=[400, 413])
def shopify_webhook() -> WebhookReceipt:
    """Topics orders/create, orders/updated and orders/fulfilled record the order;
    fulfillments/update records its delivery. Any other topic is acknowledged and ignored, as
    is a payload returns-desk cannot use (Shopify would retry anything but a 2xx for 48 hours);
    a body that is not JSON, or nests too deep, is a 400."""
    from chalicelib.integrations import shopify

    request = webhooks.current_request
    outcome = container.shopify_webhooks().receive(
        (request.headers.get(shopify.TOPIC_HEADER) or "").strip(),
        _raw_body(request),
        webhook_id=request.headers.get(shopify.WEBHOOK_ID_HEADER),
    )
    return WebhookReceipt.of(outcome)


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
