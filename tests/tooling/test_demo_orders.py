"""Specification of the portal's demo orders (local/demo_orders.py): Jane's orders come with
their summary and a timeline as the shop's webhooks would have told it, one still to ship (she
may cancel it) and one delivered days ago (she may report it damaged)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chalicelib.domain.order_tracking import Milestone, delivered_on
from chalicelib.services import container
from chalicelib.services.order_service import OrderService
from local.demo_orders import (
    DEMO_ORDER_NUMBER,
    RECENTLY_DELIVERED_ORDER_NUMBER,
    UNFULFILLED_ORDER_NUMBER,
    seed_demo_orders,
)
from local.seed import DEMO_CUSTOMER_EMAIL

TODAY = date(2026, 12, 1)
DELIVERED_ALL_THE_WAY = [
    Milestone.ORDERED,
    Milestone.PAID,
    Milestone.SHIPPED,
    Milestone.IN_TRANSIT,
    Milestone.DELIVERED,
]


@pytest.fixture
def orders(aws: None) -> OrderService:
    service = container.order_service()
    seed_demo_orders(service, TODAY)
    return service


@pytest.mark.parametrize("number", [DEMO_ORDER_NUMBER, "#4601", RECENTLY_DELIVERED_ORDER_NUMBER])
def test_jane_s_delivered_orders_went_all_the_way_with_colissimo(
    orders: OrderService, number: str
) -> None:
    order, timeline = orders.order_with_timeline(number, DEMO_CUSTOMER_EMAIL)
    assert [event.milestone for event in timeline] == DELIVERED_ALL_THE_WAY
    assert {event.carrier for event in timeline[2:]} == {"Colissimo"}
    assert all(event.tracking_number and event.tracking_url for event in timeline[2:])
    assert delivered_on(timeline) == order.delivered_at
    assert order.fully_fulfilled


@pytest.mark.parametrize(
    "number",
    [DEMO_ORDER_NUMBER, "#4601", RECENTLY_DELIVERED_ORDER_NUMBER, UNFULFILLED_ORDER_NUMBER],
)
def test_each_demo_order_has_its_summary_and_a_shopify_id(
    orders: OrderService, number: str
) -> None:
    order = orders.find_for_customer(number, DEMO_CUSTOMER_EMAIL)
    assert order.external_id == f"gid://shopify/Order/{number[1:]}"
    assert order.shipping_address
    assert order.billing_address
    assert order.payment
    assert (order.payment.card_brand, order.payment.card_last4) == (
        "Visa",
        "4242",
    )
    assert order.total == sum(line.unit_price * line.quantity for line in order.lines)


def test_one_order_is_still_to_ship_and_may_be_canceled(orders: OrderService) -> None:
    order, timeline = orders.order_with_timeline(UNFULFILLED_ORDER_NUMBER, DEMO_CUSTOMER_EMAIL)
    assert order.ordered_at == TODAY - timedelta(days=2)
    assert order.unfulfilled
    assert order.delivered_at is None
    assert [event.milestone for event in timeline] == [Milestone.ORDERED, Milestone.PAID]


def test_one_order_of_mugs_was_delivered_three_days_ago(orders: OrderService) -> None:
    order = orders.find(RECENTLY_DELIVERED_ORDER_NUMBER)
    assert order.delivered_at == TODAY - timedelta(days=3)
    [mugs] = order.lines
    assert (mugs.sku, mugs.name, mugs.unit_price, mugs.quantity) == (
        "MUG-001",
        "Ceramic mug",
        18,
        2,
    )


def test_seeding_twice_tells_each_milestone_once(orders: OrderService) -> None:
    before = orders.timeline(DEMO_ORDER_NUMBER)
    seed_demo_orders(orders, TODAY)
    assert orders.timeline(DEMO_ORDER_NUMBER) == before
