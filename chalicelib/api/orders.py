"""Orders through the admin API: how shops on platforms other than Shopify tell returns-desk
about their orders."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.auth import admin_token_guard
from chalicelib.api.routing import Router
from chalicelib.domain.order import Order, OrderDetails
from chalicelib.services import container

orders = Blueprint(__name__)
routes = Router(orders, guard=admin_token_guard, security="admin", tags=("admin",))


@routes.put("/orders/{number}", summary="Create or replace an order")
def put_order(number: str, body: OrderDetails) -> Order:
    """Create or replace order `number` (e.g. `/orders/%231001` for "#1001")."""
    return container.order_service().put(number, body)
