"""Specification of Track and the order summary: Shopify's webhooks (`POST /webhooks/shopify`,
signed as Shopify signs them) build each order's timeline in DynamoDB (moto), whatever order
and however often they arrive, and the portal shows a shopper her order's timeline and summary
(`GET /portal/orders/{number}`), the card by its brand and last four digits only."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from chalicelib.domain.order_tracking import Milestone
from chalicelib.errors import NotFoundError
from chalicelib.repositories.aws import client
from chalicelib.services import container
from chalicelib.services.order_service import OrderService
from tests.integration.test_orders import JANE, deliver, event, event_bytes, received
from tests.integration.test_portal import call
from tests.support import body

COLISSIMO = "https://www.laposte.fr/outils/suivre-vos-envois?code=6A23456789012"


@pytest.fixture
def service(aws: None) -> OrderService:
    return container.order_service()


def delivered() -> dict[str, Any]:
    """fulfillments/update as Colissimo delivers parcel #1001.1 (Nov 4, 11:32)."""
    return event("fulfillments_update")


def in_transit() -> dict[str, Any]:
    """fulfillments/update as the same parcel left the sorting centre, the day before."""
    return {
        **delivered(),
        "shipment_status": "in_transit",
        "updated_at": "2026-11-03T08:12:40+01:00",
    }


def milestones(service: OrderService, number: str = "#1001") -> list[tuple[str | None, str]]:
    return [(e.fulfillment, e.milestone) for e in service.timeline(number)]


def stored_items() -> list[dict[str, Any]]:
    return client("dynamodb").scan(TableName=os.environ["TABLE_NAME"])["Items"]


# --- The timeline, from the webhooks -----------------------------------------------------------


def test_a_timeline_is_built_from_webhooks_arriving_out_of_order_and_twice(
    api: Any, service: OrderService
) -> None:
    # Given order #1001 placed and paid (orders/create)
    received(deliver(api, "orders/create", event_bytes("orders_create")), "recorded")
    # When its parcel's delivery is told before its transit, then each told again
    received(deliver(api, "fulfillments/update", delivered()), "recorded")
    received(deliver(api, "fulfillments/update", in_transit()), "recorded")
    received(deliver(api, "fulfillments/update", delivered()), "unchanged")
    received(deliver(api, "fulfillments/update", in_transit()), "unchanged")
    received(deliver(api, "orders/create", event_bytes("orders_create")), "unchanged")
    # Then the timeline has each milestone once, in the order the parcel went through them
    timeline = service.timeline("#1001")
    assert [(e.fulfillment, e.milestone, e.at.isoformat()) for e in timeline] == [
        (None, Milestone.ORDERED, "2026-11-01T00:15:32+01:00"),
        (None, Milestone.PAID, "2026-11-01T00:15:31+01:00"),
        ("#1001.1", Milestone.SHIPPED, "2026-11-02T14:05:49+01:00"),
        ("#1001.1", Milestone.IN_TRANSIT, "2026-11-03T08:12:40+01:00"),
        ("#1001.1", Milestone.DELIVERED, "2026-11-04T11:32:09+01:00"),
    ]
    # And each parcel milestone carries the carrier's tracking
    assert {(e.carrier, e.tracking_number, e.tracking_url) for e in timeline[2:]} == {
        ("Colissimo", "6A23456789012", COLISSIMO)
    }
    # And the late transit did not move the delivery back
    assert service.find("#1001").delivered_at == date(2026, 11, 4)


def test_a_milestone_told_again_differently_stays_as_first_told(
    api: Any, service: OrderService
) -> None:
    # Given a delivered parcel
    deliver(api, "orders/create", event_bytes("orders_create"))
    deliver(api, "fulfillments/update", delivered())
    # When its delivery is told again later, with another tracking number
    again = {**delivered(), "updated_at": "2026-11-06T10:00:00+01:00", "tracking_number": "X1"}
    received(deliver(api, "fulfillments/update", again), "unchanged")
    # Then the delivery shown is the first told
    [delivery] = [e for e in service.timeline("#1001") if e.milestone is Milestone.DELIVERED]
    assert (delivery.at.isoformat(), delivery.tracking_number) == (
        "2026-11-04T11:32:09+01:00",
        "6A23456789012",
    )


def test_a_parcel_shipped_before_its_tracking_learns_it_from_a_later_update(
    api: Any, service: OrderService
) -> None:
    # Given a parcel whose shipping was told before its carrier gave a number
    deliver(api, "orders/create", event_bytes("orders_create"))
    untracked = {
        **delivered(),
        "shipment_status": None,
        "tracking_company": None,
        "tracking_number": None,
        "tracking_numbers": [],
        "tracking_url": None,
        "tracking_urls": [],
        "updated_at": "2026-11-02T14:05:49+01:00",
    }
    deliver(api, "fulfillments/create", untracked)
    # When an update tells its tracking
    deliver(api, "fulfillments/update", {**delivered(), "shipment_status": "confirmed"})
    # Then its shipping shows the tracking, still at the time first told
    [shipped] = [e for e in service.timeline("#1001") if e.milestone is Milestone.SHIPPED]
    assert (shipped.tracking_number, shipped.tracking_url) == ("6A23456789012", COLISSIMO)


def test_a_fulfillment_of_an_unknown_order_is_still_ignored_and_leaves_no_milestone(
    api: Any, service: OrderService
) -> None:
    # Given no order #1001
    # When its parcel's transit is told
    response = deliver(api, "fulfillments/update", in_transit())
    # Then it is ignored, and nothing is stored for it
    assert "not known" in received(response, "ignored")["reason"]
    assert stored_items() == []
    with pytest.raises(NotFoundError):
        service.timeline("#1001")


def test_fulfillments_create_tells_the_parcel_shipped(api: Any, service: OrderService) -> None:
    deliver(api, "orders/create", event_bytes("orders_create"))
    created = {**delivered(), "shipment_status": None, "updated_at": "2026-11-02T14:05:49+01:00"}
    received(deliver(api, "fulfillments/create", created), "recorded")
    assert milestones(service)[-1] == ("#1001.1", Milestone.SHIPPED)


def test_orders_fulfilled_tells_its_parcels_shipped(api: Any, service: OrderService) -> None:
    received(deliver(api, "orders/fulfilled", event_bytes("orders_fulfilled")), "recorded")
    assert milestones(service) == [
        (None, Milestone.ORDERED),
        (None, Milestone.PAID),
        ("#1001.1", Milestone.SHIPPED),
    ]


def test_orders_paid_tells_the_payment_of_an_order_created_unpaid(
    api: Any, service: OrderService
) -> None:
    # Given an order created while its payment was pending
    pending = {**event("orders_create"), "financial_status": "pending"}
    deliver(api, "orders/create", pending)
    assert milestones(service) == [(None, Milestone.ORDERED)]
    # When orders/paid comes
    received(deliver(api, "orders/paid", event_bytes("orders_paid")), "recorded")
    # Then it was paid, and the card it was paid with is known by brand and last four only
    assert milestones(service) == [(None, Milestone.ORDERED), (None, Milestone.PAID)]
    payment = service.find("#1001").payment
    assert payment is not None
    assert (payment.card_brand, payment.card_last4) == ("Visa", "4242")
    stored = json.dumps(stored_items(), ensure_ascii=False)
    assert "424242" not in stored
    assert "•" not in stored


def test_orders_cancelled_records_when_the_order_was_canceled(
    api: Any, service: OrderService
) -> None:
    deliver(api, "orders/create", event_bytes("orders_create"))
    received(deliver(api, "orders/cancelled", event_bytes("orders_cancelled")), "recorded")
    canceled_at = service.find("#1001").canceled_at
    assert canceled_at is not None
    assert canceled_at.isoformat() == "2026-11-01T09:02:44+01:00"


def test_a_newer_version_of_the_order_leaves_its_timeline_as_it_was(
    api: Any, service: OrderService
) -> None:
    # Given an order with its parcel delivered
    deliver(api, "orders/create", event_bytes("orders_create"))
    deliver(api, "fulfillments/update", delivered())
    before = service.timeline("#1001")
    # When a newer version of the order is stored
    newer = {**event("orders_updated"), "updated_at": "2026-11-10T10:00:00+01:00"}
    received(deliver(api, "orders/updated", newer), "recorded")
    # Then the timeline is untouched, and the customer still has one order
    assert service.timeline("#1001") == before
    assert [order.number for order in service.for_customer(JANE)] == ["#1001"]


# --- The portal ---------------------------------------------------------------------------------


@pytest.fixture
def tracked_order(api: Any) -> None:
    """Jane's order #1001, paid by Visa, its parcel in transit then delivered."""
    deliver(api, "orders/paid", event_bytes("orders_paid"))
    deliver(api, "fulfillments/update", in_transit())
    deliver(api, "fulfillments/update", delivered())


@pytest.fixture
def order_partition_reads() -> Iterator[list[str]]:
    """The DynamoDB operations that read order #1001's partition, as they are made."""
    reads: list[str] = []

    def on_call(model: Any, params: dict[str, Any], **_: Any) -> None:
        if "ORDER#1001" in json.dumps(params.get("Key") or params.get("ExpressionAttributeValues")):
            reads.append(model.name)

    events = client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb.*", on_call, unique_id="order-reads")
    yield reads
    events.unregister("before-parameter-build.dynamodb.*", unique_id="order-reads")


def test_the_shopper_sees_her_order_s_timeline_and_summary_in_her_language(
    api: Any, tracked_order: None, order_partition_reads: list[str]
) -> None:
    # When Jane (who orders in French) opens her order
    response = call(api, "GET", "/portal/orders/%231001", JANE)
    # Then she sees where it is, each milestone worded in French, the parcel's tracking with it
    assert response.status_code == 200, response.body
    order = body(response)
    assert [(e["milestone"], e["label"]) for e in order["timeline"]] == [
        ("ORDERED", "Commande passée"),
        ("PAID", "Paiement reçu"),
        ("SHIPPED", "Expédié"),
        ("IN_TRANSIT", "En transit"),
        ("DELIVERED", "Livré"),
    ]
    assert order["timeline"][-1] == {
        "milestone": "DELIVERED",
        "label": "Livré",
        "at": "2026-11-04T11:32:09+01:00",
        "fulfillment": "#1001.1",
        "carrier": "Colissimo",
        "tracking_number": "6A23456789012",
        "tracking_url": COLISSIMO,
        "estimated_delivery_at": None,
    }
    # And the summary: total, both addresses, the card by its brand and last four only
    address = {
        "name": "Jane Doe",
        "lines": ["18 rue des Martyrs", "3e étage", "75009 Paris", "France"],
    }
    assert order["summary"] == {
        "total": "143.90",
        "currency": "EUR",
        "shipping_address": address,
        "billing_address": address,
        "payment": {"gateway": "shopify_payments", "card_brand": "Visa", "card_last4": "4242"},
    }
    assert "424242" not in response.body.decode()
    # And the order and its timeline were one read of the order's partition
    assert order_partition_reads == ["Query"]


def test_the_list_of_orders_has_their_summaries_but_leaves_timelines_to_each_order(
    api: Any, tracked_order: None
) -> None:
    response = call(api, "GET", "/portal/orders", JANE)
    assert response.status_code == 200, response.body
    [order] = body(response)["orders"]
    assert order["timeline"] == []
    assert order["summary"]["payment"]["card_last4"] == "4242"


def test_someone_else_s_order_shows_no_timeline_it_is_not_found(
    api: Any, tracked_order: None
) -> None:
    response = call(api, "GET", "/portal/orders/%231001", "bob.martin@example.com")
    assert response.status_code == 404
    with pytest.raises(NotFoundError):
        container.order_service().order_with_timeline("#1001", "bob.martin@example.com")


def test_an_order_recorded_before_tracking_shows_an_empty_timeline(api: Any) -> None:
    # Given an order the admin API put, which no webhook ever told about
    from tests.integration.test_portal import store_order

    store_order("#1001", JANE)
    # When Jane opens it
    order = body(call(api, "GET", "/portal/orders/%231001", JANE))
    # Then it has no milestone and an empty summary, and is otherwise as before
    assert order["timeline"] == []
    assert order["summary"] == {
        "total": None,
        "currency": "EUR",
        "shipping_address": None,
        "billing_address": None,
        "payment": None,
    }
    assert [line["sku"] for line in order["lines"]] == ["TEE-M", "MUG", "SALE-SCARF"]
