"""The shoppers' return portal: their orders, their returns, nothing else."""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import Request

from chalicelib.api.models.order_requests import OrderActions
from chalicelib.api.models.portal import (
    CreatePortalReturn,
    PhotoRequest,
    PhotoUploadAnswer,
    PortalExchangeOptions,
    PortalOrder,
    PortalOrders,
    PortalReturn,
    PortalReturns,
    PortalTerms,
)
from chalicelib.api.portal_auth import portal_session_guard, shopper_email
from chalicelib.api.routing import Router
from chalicelib.services import container
from chalicelib.settings import get_settings

portal = Blueprint(__name__)
# The shop's own pages may call it too (api/cors.py).
routes = Router(portal, guard=portal_session_guard, security="portal", tags=("portal",), cors=True)


def _shopper() -> str:
    return shopper_email(portal.current_request)


def portal_idempotency_scope(request: Request) -> str:
    # A shopper's keys are theirs: the same key from two shoppers names two requests.
    return f"portal:{shopper_email(request)}"


@routes.get("/portal/orders", summary="The shopper's orders, and what can be returned")
def list_orders() -> PortalOrders:
    service = container.portal_service()
    policy = service.policy()
    return PortalOrders(
        orders=[
            PortalOrder.of(order, lines, policy) for order, lines in service.orders(_shopper())
        ],
        terms=PortalTerms.of(policy, get_settings().photo_max_bytes),
    )


@routes.get(
    "/portal/orders/{number}",
    summary="One of the shopper's orders, line by line, with its summary and where it is",
    errors=[404],
)
def get_order(number: str) -> PortalOrder:
    service = container.portal_service()
    shopper, policy = _shopper(), service.policy()
    order, lines, timeline = service.order(shopper, number)
    requests = container.order_request_service()
    options = requests.options_for(order, timeline, requests.for_shopper(shopper))
    actions = OrderActions.of(options, rules=policy.claims, locale=order.locale)
    return PortalOrder.of(order, lines, policy, timeline, actions)


@routes.get(
    "/portal/orders/{number}/lines/{sku}/exchange-options",
    summary="The variants an item of the shopper's order may be exchanged for",
    errors=[404],
)
def get_exchange_options(number: str, sku: str) -> PortalExchangeOptions:
    options = container.portal_service().exchange_options(_shopper(), number, sku)
    return PortalExchangeOptions.of(sku, options)


@routes.post(
    "/portal/returns",
    summary="Open a return",
    status=201,
    errors=[404, 422],
    idempotency_scope=portal_idempotency_scope,
)
def create_return(body: CreatePortalReturn) -> PortalReturn:
    rma = container.portal_service().open_return(
        _shopper(),
        body.order_number,
        body.requested_lines(),
        expected_resolution=body.expected_resolution,
        comment=body.comment,
    )
    return PortalReturn.of(rma)


@routes.get("/portal/returns", summary="The shopper's returns")
def list_returns() -> PortalReturns:
    rmas = container.portal_service().returns(_shopper())
    return PortalReturns(returns=[PortalReturn.of(rma) for rma in rmas])


@routes.get("/portal/returns/{reference}", summary="Follow a return", errors=[404])
def get_return(reference: str) -> PortalReturn:
    rma, events, breakdown = container.portal_service().follow(_shopper(), reference)
    return PortalReturn.of(rma, events, breakdown)


@routes.post(
    "/portal/returns/{reference}/photos",
    summary="Get a presigned upload for a photo of an item",
    status=201,
    errors=[404, 409],
)
def add_photo(reference: str, body: PhotoRequest) -> PhotoUploadAnswer:
    upload = container.portal_service().add_photo(
        _shopper(), reference, body.sku, body.content_type
    )
    return PhotoUploadAnswer.of(upload)


@routes.post("/portal/returns/{reference}/cancel", summary="Cancel a return", errors=[404, 409])
def cancel_return(reference: str) -> PortalReturn:
    return PortalReturn.of(container.portal_service().cancel(_shopper(), reference))


@routes.post(
    "/portal/returns/{reference}/submit",
    summary="Submit a return once its photos are in",
    errors=[400, 404, 409],
)
def submit_return(reference: str) -> PortalReturn:
    return PortalReturn.of(container.portal_service().submit(_shopper(), reference))
