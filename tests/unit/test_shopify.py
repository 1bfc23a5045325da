"""Specification of what returns-desk reads from Shopify: webhook signatures, and how an order or
a fulfillment of Shopify's REST payloads becomes an `Order` (no AWS, no HTTP)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.domain.order import Order, OrderLine, PaymentSummary
from chalicelib.domain.rma import Contact
from chalicelib.integrations.shopify import (
    MAX_BODY_BYTES,
    MAX_NESTING_DEPTH,
    ShopifyFulfillment,
    ShopifyLineItem,
    ShopifyOrder,
    nesting_depth,
    sign,
    signature_is_valid,
)

EVENTS = Path(__file__).parents[1] / "events"
SECRET = "shopify-secret"
JANE_S_ADDRESS = Contact(
    name="Jane Doe",
    address_lines=["18 rue des Martyrs", "3e étage", "75009 Paris", "France"],
    city="Paris",
    postal_code="75009",
    country="FR",
)


def event_bytes(name: str) -> bytes:
    return (EVENTS / f"shopify_{name}.json").read_bytes()


def event(name: str) -> dict[str, Any]:
    return json.loads(event_bytes(name))


def mapped(payload: dict[str, Any]) -> Order:
    return ShopifyOrder.model_validate(payload).to_order()


def shipment(
    updated_at: str,
    shipment_status: str | None,
    *,
    status: str = "success",
    line_items: list[dict[str, Any]] | None = None,
    name: str | None = "#1001.1",
) -> dict[str, Any]:
    """A fulfillment as Shopify nests it in an order, or sends it on fulfillments/update."""
    return {
        "id": 5617023385918,
        "order_id": 6104551735358,
        "name": name,
        "status": status,
        "shipment_status": shipment_status,
        "created_at": "2026-11-02T14:05:49+01:00",
        "updated_at": updated_at,
        "line_items": line_items or [],
    }


# --- Signatures -----------------------------------------------------------------------------


def test_the_signature_is_the_base64_hmac_sha256_of_the_raw_body_with_the_secret() -> None:
    # Given a body as Shopify sends it
    body = event_bytes("orders_create")
    # When it is signed
    signature = sign(SECRET, body)
    # Then it is what Shopify's documentation computes: base64, not hex
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert signature == expected
    assert signature_is_valid(SECRET, body, signature)


def test_a_signature_of_another_body_is_refused() -> None:
    # Given a signed body, and the same JSON re-serialised (as a parsing framework would)
    body = event_bytes("orders_create")
    signature = sign(SECRET, body)
    reserialised = json.dumps(json.loads(body)).encode()
    # When the signature is checked against the other bytes
    # Then it does not match: the signature is over the raw bytes, not the document
    assert not signature_is_valid(SECRET, reserialised, signature)
    assert not signature_is_valid(SECRET, body + b" ", signature)


def test_a_signature_made_with_another_secret_is_refused() -> None:
    body = event_bytes("orders_create")
    assert not signature_is_valid(SECRET, body, sign("someone-else", body))


@pytest.mark.parametrize("signature", [None, "", "not base64 at all", "é"])
def test_a_missing_or_garbled_signature_is_refused(signature: str | None) -> None:
    assert not signature_is_valid(SECRET, event_bytes("orders_create"), signature)


@pytest.mark.parametrize("secret", [None, ""])
def test_without_a_secret_configured_no_signature_is_valid(secret: str | None) -> None:
    # Given no webhook secret, and a body "signed" with the empty key
    body = event_bytes("orders_create")
    # When it is checked
    # Then it is refused: an unconfigured secret must not mean "anyone may write orders"
    assert not signature_is_valid(secret, body, sign("", body))


# --- Orders -----------------------------------------------------------------------------------


def test_a_new_shopify_order_maps_to_an_order_with_its_customer_lines_and_dates() -> None:
    # Given the orders/create webhook of a late-night order (00:15 in Paris, still Oct 31 in UTC)
    # When it is mapped
    order = mapped(event("orders_create"))
    # Then every field comes from its Shopify counterpart
    assert order == Order(
        number="#1001",
        external_id="gid://shopify/Order/6104551735358",
        customer_email="Jane.Doe@example.com",
        customer_name="Jane Doe",
        locale="fr-FR",
        currency="EUR",
        ordered_at=date(2026, 11, 1),
        delivered_at=None,
        lines=[
            OrderLine(
                sku="MER-CREW-NVY-M",
                name="Merino crew sweater - Navy / M",
                quantity=1,
                unit_price=Decimal("89.00"),
                line_item_id="gid://shopify/LineItem/15820446482750",
                variant_id="gid://shopify/ProductVariant/46318001733950",
            ),
            OrderLine(
                sku="WOOL-BEANIE-GRY",
                name="Wool beanie - Grey",
                quantity=2,
                unit_price=Decimal("25.00"),
                final_sale=True,
                line_item_id="gid://shopify/LineItem/15820446515518",
                variant_id="gid://shopify/ProductVariant/46318002127166",
            ),
        ],
        total=Decimal("143.90"),
        shipping_address=JANE_S_ADDRESS,
        billing_address=JANE_S_ADDRESS,
        payment=PaymentSummary(gateway="shopify_payments"),
        source="shopify",
        source_updated_at=datetime(2026, 10, 31, 23, 15, 34, tzinfo=UTC),
    )
    # And the order is the customer's whatever the case of the email they typed
    assert order.customer_key == "jane.doe@example.com"


def test_an_updated_order_carries_its_lines_as_they_now_are() -> None:
    # Given the orders/updated webhook after a leather belt was added to the order
    # When it is mapped
    order = mapped(event("orders_updated"))
    # Then the new line is there, and the version is the order's new updated_at
    assert [line.sku for line in order.lines] == [
        "MER-CREW-NVY-M",
        "WOOL-BEANIE-GRY",
        "LEATHER-BELT-BRN-90",
    ]
    assert order.source_updated_at == datetime(2026, 11, 1, 8, 41, 7, tzinfo=UTC)


def test_a_fulfilled_order_counts_what_its_fulfillments_shipped_but_is_not_yet_delivered() -> None:
    # Given the orders/fulfilled webhook: one parcel shipped, no carrier update yet
    # When it is mapped
    order = mapped(event("orders_fulfilled"))
    # Then each line is fulfilled in full, and the order is not delivered
    assert [(line.sku, line.fulfilled_quantity) for line in order.lines] == [
        ("MER-CREW-NVY-M", 1),
        ("WOOL-BEANIE-GRY", 2),
        ("LEATHER-BELT-BRN-90", 1),
    ]
    assert order.delivered_at is None


def test_the_delivery_date_is_the_day_the_last_parcel_was_delivered() -> None:
    # Given an order in two parcels, both delivered (the second two days after the first),
    # and a third, cancelled, parcel that the carrier still reports as delivered
    payload = event("orders_fulfilled")
    payload["fulfillments"] = [
        shipment("2026-11-04T11:32:09+01:00", "delivered"),
        shipment("2026-11-06T23:40:00+01:00", "delivered"),
        shipment("2026-11-09T10:00:00+01:00", "delivered", status="cancelled"),
    ]
    # When it is mapped
    # Then it was delivered on the second parcel's day, in the shop's offset
    assert mapped(payload).delivered_at == date(2026, 11, 6)


@pytest.mark.parametrize(
    "shipment_status", [None, "label_printed", "confirmed", "in_transit", "out_for_delivery"]
)
def test_an_order_whose_parcel_is_on_its_way_is_not_delivered(shipment_status: str | None) -> None:
    payload = event("orders_fulfilled")
    payload["fulfillments"] = [shipment("2026-11-03T08:00:00+01:00", shipment_status)]
    assert mapped(payload).delivered_at is None


def test_only_successful_fulfillments_count_as_shipped_and_never_more_than_ordered() -> None:
    # Given a cancelled fulfillment of the sweater, and two parcels of one beanie each plus a
    # duplicate beanie line the shop reported by mistake
    payload = event("orders_updated")
    sweater, beanie, _ = (item["id"] for item in payload["line_items"])
    payload["fulfillments"] = [
        shipment(
            "2026-11-02T10:00:00+01:00",
            None,
            status="cancelled",
            line_items=[
                {"id": sweater, "quantity": 1},
            ],
        ),
        shipment("2026-11-02T11:00:00+01:00", None, line_items=[{"id": beanie, "quantity": 1}]),
        shipment(
            "2026-11-03T11:00:00+01:00",
            None,
            line_items=[
                {"id": beanie, "quantity": 1},
                {"id": beanie, "quantity": 1},
            ],
        ),
    ]
    # When it is mapped
    order = mapped(payload)
    # Then the sweater is unfulfilled and the beanies are at most the two ordered
    assert [line.fulfilled_quantity for line in order.lines] == [0, 2, 0]


@pytest.mark.parametrize(
    ("properties", "final_sale"),
    [
        ([{"name": "_final_sale", "value": "true"}], True),
        ([{"name": "final_sale", "value": "Yes"}], True),
        ([{"name": "Final_Sale", "value": "1"}], True),
        ([{"name": "final_sale", "value": "false"}], False),
        ([{"name": "final_sale", "value": None}], False),
        ([{"name": "Engraving", "value": "J.D."}], False),
        ([], False),
        (None, False),
    ],
)
def test_a_line_is_final_sale_when_it_carries_the_final_sale_property(
    properties: list[dict[str, Any]] | None, final_sale: bool
) -> None:
    # Given the sweater line with some line item properties
    payload = event("orders_create")
    payload["line_items"][0]["properties"] = properties
    # When the order is mapped
    # Then the sweater is final sale only with a true final_sale property
    assert mapped(payload).lines[0].final_sale is final_sale


def test_a_line_without_a_sku_is_known_by_its_shopify_line_id() -> None:
    # Given a custom item, which Shopify sends without a SKU
    payload = event("orders_create")
    payload["line_items"][0]["sku"] = None
    # When it is mapped
    # Then its SKU is stable and unique within the order
    assert mapped(payload).lines[0].sku == "SHOPIFY-LINE-15820446482750"


def test_each_line_keeps_the_graphql_ids_of_its_line_item_and_variant() -> None:
    # Given an order whose lines carry their REST ids, the second a custom item (no variant)
    payload = event("orders_create")
    payload["line_items"][1]["variant_id"] = None
    # When it is mapped
    lines = mapped(payload).lines
    # Then each line is known by its GraphQL ids, which an exchange orders the replacement by
    assert (lines[0].line_item_id, lines[0].variant_id) == (
        "gid://shopify/LineItem/15820446482750",
        "gid://shopify/ProductVariant/46318001733950",
    )
    # And a line without a variant has none
    assert (lines[1].line_item_id, lines[1].variant_id) == (
        "gid://shopify/LineItem/15820446515518",
        None,
    )


def test_the_email_comes_from_the_order_then_its_contact_then_its_customer() -> None:
    payload = event("orders_create")
    payload["email"] = ""
    assert mapped(payload).customer_email == "Jane.Doe@example.com"  # contact_email
    payload["contact_email"] = None
    assert mapped(payload).customer_email == "jane.doe@example.com"  # customer.email


def test_an_order_with_no_email_at_all_cannot_be_kept() -> None:
    # Given a point-of-sale order without any email
    payload = event("orders_create")
    payload.update(email=None, contact_email=None, customer=None)
    # When it is mapped
    # Then it is refused: returns-desk ties every order to a customer's email
    with pytest.raises(ValidationError) as refused:
        mapped(payload)
    assert [problem["loc"] for problem in refused.value.errors()] == [("customer_email",)]


@pytest.mark.parametrize(
    ("customer_locale", "locale"),
    [("fr", "fr"), ("pt-BR", "pt-BR"), ("es-419", "es"), ("zh-Hant-TW", "zh"), (None, "en")],
)
def test_the_customer_locale_becomes_a_language_returns_desk_speaks_in(
    customer_locale: str | None, locale: str
) -> None:
    payload = event("orders_create")
    payload["customer_locale"] = customer_locale
    assert mapped(payload).locale == locale


def test_a_customer_without_a_name_has_none() -> None:
    payload = event("orders_create")
    payload["customer"].update(first_name=None, last_name=" ")
    assert mapped(payload).customer_name is None


# --- Fulfillments -----------------------------------------------------------------------------


def test_a_delivered_fulfillment_names_its_order_and_the_day_it_arrived() -> None:
    # Given the fulfillments/update webhook when the carrier delivered the parcel
    fulfillment = ShopifyFulfillment.model_validate(event("fulfillments_update"))
    # Then it belongs to order #1001, delivered on Nov 4
    assert fulfillment.order_number == "#1001"
    assert fulfillment.order_external_id == "gid://shopify/Order/6104551735358"
    assert fulfillment.delivered_on == date(2026, 11, 4)


@pytest.mark.parametrize(
    ("name", "order_number"),
    [
        ("#1001.1", "#1001"),
        ("#1001.12", "#1001"),
        ("SO.2045.2", "SO.2045"),
        (None, None),
        ("#1001", None),
        ("", None),
        (".1", None),
    ],
)
def test_a_fulfillment_s_order_number_is_its_name_without_the_fulfillment_sequence(
    name: str | None, order_number: str | None
) -> None:
    fulfillment = ShopifyFulfillment.model_validate(
        shipment("2026-11-04T11:32:09+01:00", "delivered", name=name)
    )
    assert fulfillment.order_number == order_number


# --- How much of a payload returns-desk reads -----------------------------------------------


@pytest.mark.parametrize(
    ("body", "depth"),
    [
        (b"42", 0),
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b"[[], [[]], []]", 3),
        (b'{"name": "[[[{{{", "note": "\\"]]}}"}', 1),
        (b'{"escaped": "\\\\", "then": [[]]}', 3),
    ],
    ids=["scalar", "empty-object", "mixed", "siblings", "brackets-in-strings", "escaped-backslash"],
)
def test_the_nesting_depth_counts_arrays_and_objects_but_not_brackets_in_strings(
    body: bytes, depth: int
) -> None:
    assert nesting_depth(body) == depth


@pytest.mark.parametrize(
    "name",
    ["orders_create", "orders_updated", "orders_paid", "orders_fulfilled", "orders_cancelled"],
)
def test_shopify_s_own_payloads_are_well_within_the_limits(name: str) -> None:
    # Given / When a sample payload of each order topic is measured
    raw = event_bytes(name)
    # Then it is far from both limits
    assert nesting_depth(raw) * 3 <= MAX_NESTING_DEPTH
    assert len(raw) * 100 <= MAX_BODY_BYTES


def test_measuring_a_body_at_the_size_limit_is_quick() -> None:
    # Given a body of the largest size accepted, of deeply nested brackets and long strings
    chunk = b'[{"a": "' + b"x" * 1000 + b'", "b": ' + b"[" * 40 + b"]" * 40 + b"}]"
    body = b"[" + b",".join([chunk] * ((MAX_BODY_BYTES - 2) // (len(chunk) + 1))) + b"]"
    assert len(body) <= MAX_BODY_BYTES
    # When its depth is measured
    started = time.perf_counter()
    depth = nesting_depth(body)
    # Then the answer comes at once
    assert depth == 43
    assert time.perf_counter() - started < 1.0


# --- what was paid, discounts included --------------------------------------------------------


def a_line(price: str, quantity: int, *discounts: str) -> ShopifyLineItem:
    return ShopifyLineItem.model_validate(
        {
            "id": 1,
            "quantity": quantity,
            "price": price,
            "discount_allocations": [{"amount": amount} for amount in discounts],
        }
    )


def test_a_discounted_line_is_kept_at_the_price_paid_not_the_list_price() -> None:
    # 2 mugs at 18.00 with 30 % off the line (10.80) and 1.20 of the order's discount
    assert a_line("18.00", 2, "10.80", "1.20").as_order_line(2)["unit_price"] == Decimal("12.00")


def test_a_line_without_discounts_is_kept_at_its_price() -> None:
    assert a_line("25.00", 1).as_order_line(1)["unit_price"] == Decimal("25.00")


@given(
    price=st.decimals(min_value=0, max_value=10_000, places=2),
    quantity=st.integers(min_value=1, max_value=50),
    share=st.decimals(min_value=0, max_value=1, places=4),
)
def test_every_unit_given_back_at_the_paid_price_never_exceeds_what_the_line_cost(
    price: Decimal, quantity: int, share: Decimal
) -> None:
    cost = price * quantity
    discount = (cost * share).quantize(Decimal("0.01"))
    paid = a_line(str(price), quantity, str(discount)).paid_unit_price
    assert paid >= 0
    assert paid * quantity <= cost - discount
    assert paid.as_tuple().exponent == -2
