"""Specification of what Shopify's REST webhooks tell of an order beyond its lines: its summary
(total, addresses, how it was paid: a card by its brand and last four digits only) and the
milestones of its timeline (ordered, paid, each parcel shipped... delivered). No AWS, no HTTP."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.order import PaymentSummary
from chalicelib.domain.order_tracking import Milestone, TrackingEvent
from chalicelib.domain.rma import Contact
from chalicelib.integrations.shopify import ShopifyFulfillment, ShopifyOrder

EVENTS = Path(__file__).parents[1] / "events"
COLISSIMO = "https://www.laposte.fr/outils/suivre-vos-envois?code=6A23456789012"


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"shopify_{name}.json").read_bytes())


def order(payload: dict[str, Any]) -> ShopifyOrder:
    return ShopifyOrder.model_validate(payload)


def fulfillment(**changes: Any) -> ShopifyFulfillment:
    return ShopifyFulfillment.model_validate({**event("fulfillments_update"), **changes})


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- The order summary --------------------------------------------------------------------------


def test_the_summary_has_the_total_both_addresses_and_the_card_by_brand_and_last_four() -> None:
    # Given the orders/paid webhook of an order paid by Visa card
    # When it is mapped
    mapped = order(event("orders_paid")).to_order()
    # Then the total, the addresses as written on a parcel, and the card's brand and last four
    jane = Contact(
        name="Jane Doe",
        address_lines=["18 rue des Martyrs", "3e étage", "75009 Paris", "France"],
        city="Paris",
        postal_code="75009",
        country="FR",
    )
    assert mapped.total == Decimal("143.90")
    assert mapped.shipping_address == jane
    assert mapped.billing_address == jane
    assert mapped.payment == PaymentSummary(
        gateway="shopify_payments", card_brand="Visa", card_last4="4242"
    )
    assert mapped.canceled_at is None


def test_nothing_of_the_card_but_its_last_four_digits_is_kept() -> None:
    # Given a payment whose number Shopify sent unmasked, beside the card's first six digits
    payload = event("orders_paid")
    payload["payment_details"]["credit_card_number"] = "4242 4242 4242 4242"
    # When it is mapped
    kept = order(payload).to_order().model_dump_json()
    # Then only the last four digits are there, and neither the number nor its first digits
    assert '"card_last4":"4242"' in kept
    assert "424242" not in kept
    assert "4242 4242" not in kept
    assert "•" not in kept


@pytest.mark.parametrize(
    ("details", "gateways", "payment"),
    [
        pytest.param(None, ["paypal"], PaymentSummary(gateway="paypal"), id="no-card"),
        pytest.param(
            {"credit_card_company": "Mastercard", "credit_card_number": "•••• 12"},
            [],
            PaymentSummary(card_brand="Mastercard"),
            id="too-few-digits",
        ),
        pytest.param(None, None, None, id="nothing-known"),
    ],
)
def test_a_payment_shows_what_is_known_of_it(
    details: dict[str, Any] | None, gateways: list[str] | None, payment: PaymentSummary | None
) -> None:
    payload = {**event("orders_create"), "payment_details": details}
    payload["payment_gateway_names"] = gateways
    assert order(payload).to_order().payment == payment


def test_an_order_without_addresses_or_total_is_still_kept() -> None:
    # Given a point-of-sale order: no shipping address, a blank billing one, no total
    payload = {
        **event("orders_create"),
        "shipping_address": None,
        "billing_address": {"name": " ", "address1": None, "country_code": "France"},
        "total_price": None,
    }
    # When it is mapped
    mapped = order(payload).to_order()
    # Then it is an order, with what is known of its summary
    assert mapped.shipping_address is None
    assert mapped.billing_address is None
    assert mapped.total is None


def test_an_address_that_cannot_be_read_is_left_out_not_the_order() -> None:
    payload = {**event("orders_create"), "shipping_address": {"address1": "18 rue\x00 des Martyrs"}}
    mapped = order(payload).to_order()
    assert mapped.shipping_address is None
    assert mapped.billing_address is not None


def test_a_cancelled_order_records_when_it_was_canceled() -> None:
    mapped = order(event("orders_cancelled")).to_order()
    assert mapped.canceled_at == when("2026-11-01T09:02:44+01:00")


# --- The timeline -------------------------------------------------------------------------------


def test_a_new_paid_order_tells_it_was_ordered_and_paid() -> None:
    # Given orders/create of an order whose payment went through (financial_status paid)
    # When its milestones are read
    events = order(event("orders_create")).tracking_events()
    # Then it was ordered when created, paid when processed
    assert events == [
        TrackingEvent(milestone=Milestone.ORDERED, at=when("2026-11-01T00:15:32+01:00")),
        TrackingEvent(milestone=Milestone.PAID, at=when("2026-11-01T00:15:31+01:00")),
    ]


@pytest.mark.parametrize(
    ("status", "paid"),
    [
        ("pending", False),
        ("authorized", False),
        ("voided", False),
        (None, False),
        ("paid", True),
        ("partially_paid", True),
        ("partially_refunded", True),
        ("refunded", True),
    ],
)
def test_an_order_is_paid_once_its_financial_status_says_the_money_was_taken(
    status: str | None, paid: bool
) -> None:
    payload = {**event("orders_create"), "financial_status": status}
    milestones = [e.milestone for e in order(payload).tracking_events()]
    assert (Milestone.PAID in milestones) is paid


def test_the_orders_paid_topic_is_a_payment_whatever_the_status_says() -> None:
    payload = {**event("orders_create"), "financial_status": "pending", "processed_at": None}
    events = order(payload).tracking_events(paid=True)
    assert events[-1] == TrackingEvent(
        milestone=Milestone.PAID, at=when("2026-11-01T00:15:32+01:00")
    )


def test_a_fulfilled_order_tells_its_parcel_shipped_with_the_carrier_and_tracking() -> None:
    # Given orders/fulfilled, its parcel handed to Colissimo (no carrier status yet)
    # When its milestones are read
    events = order(event("orders_fulfilled")).tracking_events()
    # Then the parcel shipped when the fulfillment was created, with its tracking
    assert events[-1] == TrackingEvent(
        milestone=Milestone.SHIPPED,
        at=when("2026-11-02T14:05:49+01:00"),
        fulfillment="#1001.1",
        carrier="Colissimo",
        tracking_number="6A23456789012",
        tracking_url=COLISSIMO,
    )
    assert [e.milestone for e in events] == [Milestone.ORDERED, Milestone.PAID, Milestone.SHIPPED]


@pytest.mark.parametrize(
    ("shipment_status", "milestone"),
    [
        ("in_transit", Milestone.IN_TRANSIT),
        ("out_for_delivery", Milestone.OUT_FOR_DELIVERY),
        ("delivered", Milestone.DELIVERED),
    ],
)
def test_a_fulfillment_update_tells_the_parcel_shipped_and_where_the_carrier_says_it_is(
    shipment_status: str, milestone: Milestone
) -> None:
    # Given fulfillments/update as the carrier reports the parcel
    # When its milestones are read
    shipped, carrier_says = fulfillment(shipment_status=shipment_status).tracking_events()
    # Then it shipped when created, and is where the carrier says since it was updated
    assert (shipped.milestone, shipped.at) == (Milestone.SHIPPED, when("2026-11-02T14:05:49+01:00"))
    assert (carrier_says.milestone, carrier_says.at) == (
        milestone,
        when("2026-11-04T11:32:09+01:00"),
    )
    assert carrier_says.model_dump(include={"fulfillment", "carrier", "tracking_url"}) == {
        "fulfillment": "#1001.1",
        "carrier": "Colissimo",
        "tracking_url": COLISSIMO,
    }


@pytest.mark.parametrize(
    "shipment_status",
    [None, "confirmed", "label_printed", "attempted_delivery", "failure", "ready_for_pickup"],
)
def test_other_carrier_statuses_are_no_milestone(shipment_status: str | None) -> None:
    events = fulfillment(shipment_status=shipment_status).tracking_events()
    assert [e.milestone for e in events] == [Milestone.SHIPPED]


@pytest.mark.parametrize("status", ["pending", "open", "cancelled", "error", "failure", None])
def test_a_fulfillment_that_did_not_ship_tells_nothing(status: str | None) -> None:
    assert fulfillment(status=status).tracking_events() == []


def test_a_fulfillment_without_a_name_tells_nothing_it_could_not_be_told_apart() -> None:
    assert fulfillment(name=None).tracking_events() == []


def test_tracking_comes_from_the_lists_when_the_single_fields_are_missing() -> None:
    # Given a fulfillment with several tracking numbers and no single one
    update = fulfillment(
        tracking_company=None,
        tracking_number=None,
        tracking_numbers=["", "6A11111111111", "6A22222222222"],
        tracking_url=None,
        tracking_urls=None,
    )
    # When its milestones are read
    [shipped, delivered] = update.tracking_events()
    # Then the first number given is the one shown, and what is missing stays missing
    assert (delivered.tracking_number, delivered.tracking_url, delivered.carrier) == (
        "6A11111111111",
        None,
        None,
    )
    assert shipped.tracking_number == "6A11111111111"


def test_the_carrier_s_estimated_delivery_is_kept_when_given() -> None:
    update = fulfillment(shipment_status="in_transit", estimated_delivery_at="2026-11-05T18:00:00Z")
    assert {e.estimated_delivery_at for e in update.tracking_events()} == {
        when("2026-11-05T18:00:00+00:00")
    }


def test_a_fulfillment_created_without_its_creation_time_shipped_when_last_updated() -> None:
    [shipped, _] = fulfillment(created_at=None).tracking_events()
    assert shipped.at == when("2026-11-04T11:32:09+01:00")
