"""The admin API of outgoing webhooks: the merchant's endpoints, their signing secrets, a test
delivery, and each endpoint's log of deliveries with a retry. (The webhooks Shopify sends to
returns-desk are api/webhooks.py's.)"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.auth import admin_token_guard
from chalicelib.api.models.common import EmptyRequest
from chalicelib.api.models.webhook_endpoints import (
    CreatedWebhookEndpointResource,
    CreateWebhookEndpointRequest,
    DeletedWebhookEndpointResponse,
    ListDeliveriesQuery,
    RotatedSecretResponse,
    UpdateWebhookEndpointRequest,
    WebhookDeliveryPageResponse,
    WebhookDeliveryResource,
    WebhookEndpointListResponse,
    WebhookEndpointResource,
)
from chalicelib.api.routing import Created, Router
from chalicelib.domain.webhooks import ROTATION_GRACE
from chalicelib.services import container

webhook_endpoints = Blueprint(__name__)
routes = Router(
    webhook_endpoints, guard=admin_token_guard, security="admin", tags=("webhook endpoints",)
)
_COLLECTION = "/webhooks/endpoints"
_ENDPOINT = "/webhooks/endpoints/{endpoint_id}"
# The endpoint is disabled, or changed meanwhile (409); no deliveries' queue is configured (503).
_SENDING_ERRORS = (404, 409, 503)


@routes.post(
    _COLLECTION,
    summary="Add a webhook endpoint (its signing secret is shown this once)",
    status=201,
    errors=[409],
    idempotency_scope=lambda request: "admin:webhook-endpoints",
)
def create_webhook_endpoint(
    body: CreateWebhookEndpointRequest,
) -> Created[CreatedWebhookEndpointResource]:
    endpoint = container.webhook_endpoint_service().create(body.url, body.events, body.description)
    # The path as the caller sent it, so the stage prefix (`/api`) is kept behind API Gateway.
    collection = (webhook_endpoints.current_request.context or {}).get("path") or _COLLECTION
    return Created(
        CreatedWebhookEndpointResource.from_new_endpoint(endpoint),
        f"{collection.rstrip('/')}/{endpoint.id}",
    )


@routes.get(_COLLECTION, summary="List the webhook endpoints")
def list_webhook_endpoints() -> WebhookEndpointListResponse:
    endpoints = container.webhook_endpoint_service().list()
    return WebhookEndpointListResponse(
        items=[WebhookEndpointResource.from_endpoint(e) for e in endpoints]
    )


@routes.get(_ENDPOINT, summary="Read a webhook endpoint", errors=[404])
def get_webhook_endpoint(endpoint_id: str) -> WebhookEndpointResource:
    endpoint = container.webhook_endpoint_service().get(endpoint_id)
    return WebhookEndpointResource.from_endpoint(endpoint)


@routes.patch(_ENDPOINT, summary="Change, disable or enable a webhook endpoint", errors=[404, 409])
def update_webhook_endpoint(
    endpoint_id: str, body: UpdateWebhookEndpointRequest
) -> WebhookEndpointResource:
    endpoint = container.webhook_endpoint_service().update(
        endpoint_id, body.changes(), version=body.version
    )
    return WebhookEndpointResource.from_endpoint(endpoint)


@routes.route("DELETE", _ENDPOINT, summary="Delete a webhook endpoint", errors=[404])
def delete_webhook_endpoint(endpoint_id: str) -> DeletedWebhookEndpointResponse:
    container.webhook_endpoint_service().delete(endpoint_id)
    return DeletedWebhookEndpointResponse(id=endpoint_id)


@routes.post(
    f"{_ENDPOINT}/rotate-secret",
    summary="Replace an endpoint's signing secret (the old one signs 24 hours more)",
    errors=[404, 409],
)
def rotate_webhook_secret(endpoint_id: str, body: EmptyRequest) -> RotatedSecretResponse:
    endpoint, secret = container.webhook_endpoint_service().rotate_secret(endpoint_id)
    # The rotation's time is the endpoint's last change.
    return RotatedSecretResponse(
        secret=secret, previous_secret_expires_at=endpoint.updated_at + ROTATION_GRACE
    )


@routes.post(
    f"{_ENDPOINT}/test",
    summary="Send a webhook.test delivery to an endpoint",
    status=202,
    errors=_SENDING_ERRORS,
)
def send_test_webhook(endpoint_id: str, body: EmptyRequest) -> WebhookDeliveryResource:
    delivery = container.webhook_endpoint_service().send_test(endpoint_id)
    return WebhookDeliveryResource.from_delivery(delivery)


@routes.get(
    f"{_ENDPOINT}/deliveries", summary="List an endpoint's deliveries, newest first", errors=[404]
)
def list_webhook_deliveries(
    endpoint_id: str, query: ListDeliveriesQuery
) -> WebhookDeliveryPageResponse:
    deliveries, cursor = container.webhook_endpoint_service().deliveries(
        endpoint_id, limit=query.limit, cursor=query.cursor
    )
    return WebhookDeliveryPageResponse(
        items=[WebhookDeliveryResource.from_delivery(d) for d in deliveries], next_cursor=cursor
    )


@routes.post(
    f"{_ENDPOINT}/deliveries/{{delivery_id}}/retry",
    summary="Try a delivery again now",
    status=202,
    errors=_SENDING_ERRORS,
)
def retry_webhook_delivery(
    endpoint_id: str, delivery_id: str, body: EmptyRequest
) -> WebhookDeliveryResource:
    delivery = container.webhook_endpoint_service().retry(endpoint_id, delivery_id)
    return WebhookDeliveryResource.from_delivery(delivery)
