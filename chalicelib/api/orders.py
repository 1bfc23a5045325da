"""Orders through the admin API: how shops on platforms other than Shopify tell returns-desk
about their orders."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.http import bearer_token_guard, json_response, parse_body, route
from chalicelib.domain.order import Order, OrderDetails
from chalicelib.services import container
from chalicelib.settings import get_settings

orders = Blueprint(__name__)
_guard = bearer_token_guard(lambda: get_settings().admin_api_token)


@route(
    orders,
    "/orders/{number}",
    methods=["PUT"],
    guard=_guard,
    security="admin",
    summary="Create or replace an order",
    tags=("admin",),
    body=OrderDetails,
    responses={200: Order},
)
def put_order(number: str) -> Response:
    """Create or replace order `number` (e.g. `/orders/%231001` for "#1001")."""
    details = parse_body(orders.current_request, OrderDetails)
    # API Gateway hands path parameters over still percent-encoded.
    stored = container.order_service().put(number, details)
    return json_response(stored)
