"""Specification of orders: their storage (DynamoDB, under moto), the service the portal reads
them through, Shopify's webhooks (`POST /webhooks/shopify`) and the admin API's
`PUT /orders/{number}`.

Webhooks are the sample payloads under tests/events, signed as Shopify signs them.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.order_tracking import Milestone, TrackingEvent
from chalicelib.errors import NotFoundError
from chalicelib.integrations.shopify import (
    MAX_BODY_BYTES,
    MAX_NESTING_DEPTH,
    ShopifyOrder,
    sign,
)
from chalicelib.repositories.order_repository import OrderRepository
from chalicelib.services import container
from chalicelib.services.order_service import OrderService
from tests.support import ADMIN_AUTH, JSON, WIDGET_AUTH, body, reconfigure

EVENTS = Path(__file__).parents[1] / "events"
SECRET = "shopify-secret"  # SHOPIFY_WEBHOOK_SECRET in conftest
WEBHOOK = "/webhooks/shopify"
JANE = "jane.doe@example.com"


@pytest.fixture
def repository(aws: None) -> OrderRepository:
    return OrderRepository(os.environ["TABLE_NAME"])


@pytest.fixture
def service(aws: None) -> OrderService:
    return container.order_service()


def event_bytes(name: str) -> bytes:
    return (EVENTS / f"shopify_{name}.json").read_bytes()


def event(name: str) -> dict[str, Any]:
    return json.loads(event_bytes(name))


def deliver(
    api: Any,
    topic: str,
    payload: bytes | dict[str, Any],
    *,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST a webhook as Shopify does: raw JSON bytes, signed with the secret unless told."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return api.http.post(
        WEBHOOK,
        headers={
            **JSON,
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(SECRET, raw) if signature is None else signature,
            "X-Shopify-Shop-Domain": "maison-laine.myshopify.com",
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": "2025-10",
            **(headers or {}),
        },
        body=raw,
    )


def received(response: Any, status: str) -> dict[str, Any]:
    assert response.status_code == 200, response.body
    receipt = body(response)
    assert receipt["status"] == status, receipt
    return receipt


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the error envelope with `status` and `code`; returns its details."""
    assert response.status_code == status, response.body
    assert set(body(response)) == {"error"}
    assert body(response)["error"]["code"] == code
    details: dict[str, Any] = body(response)["error"]["details"]
    return details


def shopify_order(name: str = "orders_create", **changes: Any) -> Order:
    return ShopifyOrder.model_validate({**event(name), **changes}).to_order()


def delivery(parcel: str, day: int) -> TrackingEvent:
    """A parcel's delivery, as its fulfillment tells it."""
    return TrackingEvent(
        milestone=Milestone.DELIVERED,
        at=datetime(2026, 11, day, 10, tzinfo=UTC),
        fulfillment=parcel,
    )


def admin_order(
    number: str,
    email: str = JANE,
    ordered_at: date = date(2026, 11, 1),
    updated_at: datetime = datetime(2026, 11, 1, 9, tzinfo=UTC),
) -> Order:
    return Order(
        number=number,
        customer_email=email,
        ordered_at=ordered_at,
        lines=[OrderLine(sku="MUG-1", name="Mug", quantity=1, unit_price="12.50")],
        source="admin",
        source_updated_at=updated_at,
    )


# --- Storage ------------------------------------------------------------------------------------


def test_an_order_reads_back_exactly_as_stored(repository: OrderRepository) -> None:
    # Given a fulfilled Shopify order
    order = shopify_order("orders_fulfilled")
    # When it is stored and read back by its number
    stored = repository.upsert(order)
    # Then it is the same order
    assert stored is True
    assert repository.get("#1001") == order
    assert repository.get(" #1001 ") == order


def test_an_order_never_stored_is_none(repository: OrderRepository) -> None:
    assert repository.get("#1001") is None


def test_the_same_version_twice_is_stored_once(repository: OrderRepository) -> None:
    # Given a stored order
    order = shopify_order()
    repository.upsert(order)
    # When the same version comes again
    # Then nothing is written, and that is no error
    assert repository.upsert(order) is False
    assert repository.get("#1001") == order


def test_a_newer_version_replaces_the_stored_one_and_an_older_one_does_not(
    repository: OrderRepository,
) -> None:
    # Given the order as updated (a line added)
    updated = shopify_order("orders_updated")
    repository.upsert(updated)
    # When the version from before the update arrives late
    # Then it is not stored
    assert repository.upsert(shopify_order("orders_create")) is False
    assert repository.get("#1001") == updated
    # And a newer version is
    fulfilled = shopify_order("orders_fulfilled")
    assert repository.upsert(fulfilled) is True
    assert repository.get("#1001") == fulfilled


def test_versions_compare_as_instants_whatever_their_offset_or_precision(
    repository: OrderRepository,
) -> None:
    # Given a version at 10:00:00.5 UTC, written in Paris time with microseconds
    repository.upsert(shopify_order(updated_at="2026-11-01T11:00:00.500000+01:00"))
    # When versions at 10:00:00 UTC (earlier, though "Z" sorts after ".") and 10:00:01 come
    # Then the earlier one is refused and the later one stored
    assert repository.upsert(shopify_order(updated_at="2026-11-01T10:00:00Z")) is False
    assert repository.upsert(shopify_order(updated_at="2026-11-01T05:00:01-05:00")) is True


def test_a_customer_s_orders_come_newest_first_whatever_the_case_of_the_email(
    repository: OrderRepository,
) -> None:
    # Given three orders of Jane's, stored out of order, and one of someone else's
    for number, day in (("#1002", 3), ("#1001", 1), ("#1003", 7)):
        repository.upsert(admin_order(number, "Jane.Doe@Example.com", date(2026, 11, day)))
    repository.upsert(admin_order("#1004", "marcus.webb@example.com"))
    # When Jane's orders are listed, with her email typed another way
    found = repository.for_customer("  JANE.DOE@example.com ")
    # Then they are hers, newest first
    assert [order.number for order in found] == ["#1003", "#1002", "#1001"]
    assert [order.number for order in repository.for_customer(JANE, limit=2)] == [
        "#1003",
        "#1002",
    ]


def test_an_order_whose_email_changed_moves_to_its_new_customer(
    repository: OrderRepository,
) -> None:
    # Given an order stored for Jane
    repository.upsert(shopify_order())
    # When a newer version names another email
    repository.upsert(shopify_order("orders_updated", email="j.doe@example.org"))
    # Then it is listed for the new email only
    assert repository.for_customer(JANE) == []
    assert [o.number for o in repository.for_customer("j.doe@example.org")] == ["#1001"]


def test_a_customer_s_orders_never_include_their_returns(
    repository: OrderRepository, open_rma: Callable[..., Any]
) -> None:
    # Given a customer with a return and an order
    open_rma(JANE)
    repository.upsert(shopify_order())
    # When their orders are listed
    # Then only the order is there
    assert [order.number for order in repository.for_customer(JANE)] == ["#1001"]


# --- The service ------------------------------------------------------------------------------


def test_finding_an_unknown_order_is_not_found(service: OrderService) -> None:
    with pytest.raises(NotFoundError, match="#1001"):
        service.find("#1001")


def test_a_customer_finds_their_own_order_whatever_the_case_of_their_email(
    service: OrderService,
) -> None:
    # Given Jane's order, placed as Jane.Doe@example.com
    order = shopify_order()
    service.record(order)
    # When she looks it up with her email in lower case
    # Then it is hers
    assert service.find_for_customer("#1001", JANE) == order
    assert service.for_customer(" Jane.Doe@EXAMPLE.com") == [order]


def test_someone_else_s_order_looks_exactly_like_one_that_does_not_exist(
    service: OrderService,
) -> None:
    # Given Jane's order #1001
    service.record(shopify_order())
    # When Marcus asks for #1001, and for #9999 which does not exist
    with pytest.raises(NotFoundError) as someone_elses:
        service.find_for_customer("#1001", "marcus.webb@example.com")
    with pytest.raises(NotFoundError) as missing:
        service.find_for_customer("#9999", "marcus.webb@example.com")
    # Then both answers are the same but for the number he typed
    assert someone_elses.value.code == missing.value.code
    assert someone_elses.value.message == missing.value.message.replace("#9999", "#1001")
    assert someone_elses.value.details == {"order": "#1001"}


def test_the_portal_login_learns_whose_an_order_is_and_in_which_language(
    service: OrderService,
) -> None:
    # Given Jane's order, placed in French
    service.record(shopify_order())
    # When the portal login checks it
    # Then it is Jane's only, and its emails go out in her language
    assert service.belongs_to("#1001", "jane.doe@EXAMPLE.com")
    assert not service.belongs_to("#1001", "marcus.webb@example.com")
    assert not service.belongs_to("#9999", JANE)
    assert service.customer_locale("#1001") == "fr-FR"
    assert service.customer_locale("#9999") is None


def test_an_earlier_parcel_reported_late_does_not_move_the_delivery_date_back(
    service: OrderService,
) -> None:
    # Given an order whose last parcel was delivered on Nov 6
    service.record(shopify_order("orders_fulfilled"))
    reported = datetime(2026, 11, 7, tzinfo=UTC)
    assert service.record_fulfillment("#1001", [delivery("#1001.2", 6)], reported_at=reported)
    # When the first parcel's delivery, on Nov 4, is reported afterwards
    late = service.record_fulfillment(
        "#1001", [delivery("#1001.1", 4)], reported_at=reported + timedelta(hours=1)
    )
    # Then it joins the order's timeline, but the delivery date stays: the return window runs
    # from the last parcel
    assert late is True
    assert len(service.timeline("#1001")) == 2
    assert service.find("#1001").delivered_at == date(2026, 11, 6)


def test_a_delivery_told_again_later_does_not_move_the_delivery_date(
    service: OrderService,
) -> None:
    # Given an order whose parcel was delivered on Nov 4
    service.record(shopify_order("orders_fulfilled"))
    reported = datetime(2026, 11, 7, tzinfo=UTC)
    service.record_fulfillment("#1001", [delivery("#1001.1", 4)], reported_at=reported)
    # When the same parcel's delivery is told again, dated Nov 6
    again = service.record_fulfillment(
        "#1001", [delivery("#1001.1", 6)], reported_at=reported + timedelta(hours=1)
    )
    # Then nothing changes: the delivery counts as first told
    assert again is False
    assert service.find("#1001").delivered_at == date(2026, 11, 4)


def test_an_admin_put_older_than_the_stored_version_answers_the_stored_order(
    repository: OrderRepository,
) -> None:
    # Given a Shopify order whose updated_at is ahead of the admin API's clock
    shopify = shopify_order(updated_at="2026-11-02T10:00:00+01:00")
    repository.upsert(shopify)
    lagging = OrderService(repository, clock=lambda: datetime(2026, 11, 2, 8, tzinfo=UTC))
    # When the admin API puts the same number
    details = admin_order("#1001")
    answer = lagging.put("#1001", details)
    # Then the newer, stored, order is kept and answered
    assert answer == shopify
    assert repository.get("#1001") == shopify


# --- Shopify webhooks ---------------------------------------------------------------------------


def test_a_new_shopify_order_is_recorded(api: Any, service: OrderService) -> None:
    # Given / When Shopify sends orders/create
    response = deliver(api, "orders/create", event_bytes("orders_create"))
    # Then it is recorded as mapped from the payload
    assert received(response, "recorded")["order"] == "#1001"
    assert service.find("#1001") == shopify_order("orders_create")


def test_an_updated_order_replaces_its_lines(api: Any, service: OrderService) -> None:
    # Given a recorded order of two lines
    deliver(api, "orders/create", event_bytes("orders_create"))
    # When Shopify sends orders/updated after a line was added
    response = deliver(api, "orders/updated", event_bytes("orders_updated"))
    # Then the stored order has the three lines
    received(response, "recorded")
    assert service.find("#1001") == shopify_order("orders_updated")
    assert len(service.find("#1001").lines) == 3


def test_a_fulfilled_order_records_what_was_shipped(api: Any, service: OrderService) -> None:
    deliver(api, "orders/create", event_bytes("orders_create"))
    received(deliver(api, "orders/fulfilled", event_bytes("orders_fulfilled")), "recorded")
    order = service.find("#1001")
    assert [line.fulfilled_quantity for line in order.lines] == [1, 2, 1]
    assert order.delivered_at is None


def test_a_delivered_fulfillment_records_the_delivery_date_on_its_order(
    api: Any, service: OrderService
) -> None:
    # Given a fulfilled order
    deliver(api, "orders/fulfilled", event_bytes("orders_fulfilled"))
    # When Shopify sends fulfillments/update as the carrier delivers the parcel
    response = deliver(api, "fulfillments/update", event_bytes("fulfillments_update"))
    # Then the order is delivered that day, and nothing else about it changed
    assert received(response, "recorded")["order"] == "#1001"
    order = service.find("#1001")
    assert order.delivered_at == date(2026, 11, 4)
    assert order.model_copy(update={"delivered_at": None}) == shopify_order(
        "orders_fulfilled", updated_at="2026-11-04T11:32:09+01:00"
    )
    # And the same delivery sent again changes nothing
    again = deliver(api, "fulfillments/update", event_bytes("fulfillments_update"))
    received(again, "unchanged")


def test_an_order_version_from_before_a_delivery_does_not_undo_it(
    api: Any, service: OrderService
) -> None:
    # Given a delivered order
    deliver(api, "orders/fulfilled", event_bytes("orders_fulfilled"))
    deliver(api, "fulfillments/update", event_bytes("fulfillments_update"))
    # When the orders/fulfilled webhook is retried
    response = deliver(api, "orders/fulfilled", event_bytes("orders_fulfilled"))
    # Then the order is still delivered
    received(response, "unchanged")
    assert service.find("#1001").delivered_at == date(2026, 11, 4)


def test_a_fulfillment_not_yet_delivered_changes_only_the_timeline(
    api: Any, service: OrderService
) -> None:
    deliver(api, "orders/fulfilled", event_bytes("orders_fulfilled"))
    in_transit = {**event("fulfillments_update"), "shipment_status": "in_transit"}
    response = deliver(api, "fulfillments/update", in_transit)
    # The parcel's transit is a milestone of its timeline (test_order_tracking.py); the order
    # itself is as it was
    received(response, "recorded")
    assert service.find("#1001") == shopify_order("orders_fulfilled")
    received(deliver(api, "fulfillments/update", in_transit), "unchanged")


def test_a_fulfillment_of_an_order_returns_desk_does_not_know_is_ignored(
    api: Any, service: OrderService
) -> None:
    # Given no order #1001 (placed before the webhooks were set up)
    # When its delivery is reported
    response = deliver(api, "fulfillments/update", event_bytes("fulfillments_update"))
    # Then it is acknowledged and ignored, and no order appears
    assert "not known" in received(response, "ignored")["reason"]
    with pytest.raises(NotFoundError):
        service.find("#1001")


def test_a_fulfillment_of_another_shop_order_with_the_same_number_is_ignored(
    api: Any, service: OrderService
) -> None:
    # Given order #1001 recorded from another Shopify order id
    service.record(shopify_order(id=1))
    # When a delivery of order id 6104551735358 named "#1001.1" comes
    response = deliver(api, "fulfillments/update", event_bytes("fulfillments_update"))
    # Then it is not applied to the wrong order
    received(response, "ignored")
    assert service.find("#1001").delivered_at is None


@pytest.mark.parametrize("name", [None, "", "5617023385918"])
def test_a_fulfillment_that_does_not_name_its_order_is_ignored(
    api: Any, service: OrderService, name: str | None
) -> None:
    # Given a recorded order
    deliver(api, "orders/fulfilled", event_bytes("orders_fulfilled"))
    # When its fulfillment comes without an "<order name>.<n>" name
    response = deliver(api, "fulfillments/update", {**event("fulfillments_update"), "name": name})
    # Then it is acknowledged as ignored (it has no number to find the order by)
    assert "does not name its order" in received(response, "ignored")["reason"]
    assert service.find("#1001").delivered_at is None


def test_the_same_webhook_twice_is_harmless(api: Any, service: OrderService) -> None:
    # Given a recorded order
    first = deliver(api, "orders/create", event_bytes("orders_create"))
    received(first, "recorded")
    # When Shopify delivers the same webhook again, as orders/updated too (same updated_at)
    # Then both are acknowledged as unchanged, and the order is as it was
    received(deliver(api, "orders/create", event_bytes("orders_create")), "unchanged")
    received(deliver(api, "orders/updated", event_bytes("orders_create")), "unchanged")
    assert service.find("#1001") == shopify_order("orders_create")


def test_an_update_arriving_after_a_newer_one_is_unchanged(api: Any, service: OrderService) -> None:
    # Given the order as updated (three lines)
    received(deliver(api, "orders/updated", event_bytes("orders_updated")), "recorded")
    # When orders/create, older, arrives late
    response = deliver(api, "orders/create", event_bytes("orders_create"))
    # Then the order keeps its newer lines
    assert body(response) == {"status": "unchanged", "order": "#1001", "reason": None}
    assert len(service.find("#1001").lines) == 3


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(sign("someone-else", event_bytes("orders_create")), id="other-secret"),
        pytest.param(sign(SECRET, event_bytes("orders_updated")), id="other-body"),
        pytest.param("", id="empty"),
        pytest.param("bm90IGEgc2lnbmF0dXJl", id="garbage"),
    ],
)
def test_a_webhook_with_a_bad_signature_is_refused_and_stores_nothing(
    api: Any, service: OrderService, signature: str
) -> None:
    # Given / When a webhook comes with a signature that is not Shopify's for its body
    response = deliver(api, "orders/create", event_bytes("orders_create"), signature=signature)
    # Then it is a 401 in the error envelope
    assert_error(response, 401, "unauthorized")
    # And no order was stored
    with pytest.raises(NotFoundError):
        service.find("#1001")


def test_a_webhook_without_a_signature_is_refused(api: Any, service: OrderService) -> None:
    raw = event_bytes("orders_create")
    response = api.http.post(
        WEBHOOK, headers={**JSON, "X-Shopify-Topic": "orders/create"}, body=raw
    )
    assert_error(response, 401, "unauthorized")
    assert service.for_customer(JANE) == []


def test_a_bearer_token_is_no_substitute_for_a_signature(api: Any, service: OrderService) -> None:
    response = deliver(
        api, "orders/create", event_bytes("orders_create"), signature="", headers=ADMIN_AUTH
    )
    assert_error(response, 401, "unauthorized")
    assert service.for_customer(JANE) == []


def test_without_a_webhook_secret_configured_every_webhook_is_refused(
    api: Any, service: OrderService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no Shopify webhook secret configured
    reconfigure(monkeypatch, SHOPIFY_WEBHOOK_SECRET=None)
    # When a webhook comes "signed" with the empty key
    raw = event_bytes("orders_create")
    response = deliver(api, "orders/create", raw, signature=sign("", raw))
    # Then it is refused and nothing is stored
    assert_error(response, 401, "unauthorized")
    assert service.for_customer(JANE) == []


def test_a_signed_body_that_is_not_json_is_a_400(api: Any, service: OrderService) -> None:
    response = deliver(api, "orders/create", b'{"id": 6104551735358, "name": "#1001"')
    assert_error(response, 400, "invalid_request")
    assert service.for_customer(JANE) == []


def padded_order(size: int) -> bytes:
    """orders/create's payload, padded with a note to `size` bytes: valid JSON, signed as is."""
    opening = event_bytes("orders_create").rstrip().removesuffix(b"}") + b', "note": "'
    return opening + b"x" * (size - len(opening) - len(b'"}')) + b'"}'


def test_a_webhook_at_the_size_limit_is_recorded(api: Any, service: OrderService) -> None:
    # Given an order padded to the largest body accepted
    raw = padded_order(MAX_BODY_BYTES)
    assert len(raw) == MAX_BODY_BYTES
    # When Shopify sends it
    # Then it is recorded
    received(deliver(api, "orders/create", raw), "recorded")


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "badly-signed"])
def test_a_webhook_over_the_size_limit_is_a_413_whatever_its_signature(
    api: Any, service: OrderService, signed: bool
) -> None:
    # Given an order one byte over the limit
    raw = padded_order(MAX_BODY_BYTES + 1)
    # When it comes, signed or not
    response = deliver(api, "orders/create", raw, signature=None if signed else "bm9uZQ==")
    # Then it is refused for its size before its signature is even computed, naming the limit
    details = assert_error(response, 413, "payload_too_large")
    assert details == {"field": "body", "max_bytes": MAX_BODY_BYTES, "received_bytes": len(raw)}
    # And nothing was stored
    assert service.for_customer(JANE) == []


def test_a_webhook_declaring_a_length_over_the_limit_is_refused_unread(api: Any) -> None:
    # Given / When a small body comes with a Content-Length saying it is over the limit
    raw = event_bytes("orders_create")
    declared = str(MAX_BODY_BYTES + 1)
    response = deliver(api, "orders/create", raw, headers={"Content-Length": declared})
    # Then the declared length is enough to refuse it
    details = assert_error(response, 413, "payload_too_large")
    assert details["received_bytes"] == MAX_BODY_BYTES + 1


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-arrays"),
        pytest.param(
            json.dumps(
                {
                    **event("orders_create"),
                    "note_attributes": functools.reduce(
                        lambda inner, _: {"value": inner}, range(MAX_NESTING_DEPTH), {}
                    ),
                }
            ).encode(),
            id="order-with-a-deep-field",
        ),
    ],
)
def test_a_signed_body_nested_too_deep_is_a_400_and_stores_nothing(
    api: Any, service: OrderService, raw: bytes
) -> None:
    # Given / When an authentic body nests arrays or objects deeper than the limit
    response = deliver(api, "orders/create", raw)
    # Then it is a 400 saying how deep a body may nest, never a 500, and nothing is stored
    details = assert_error(response, 400, "invalid_request")
    assert details == {"field": "body", "max_depth": MAX_NESTING_DEPTH}
    assert service.for_customer(JANE) == []


def test_a_body_nested_too_deep_but_unsigned_is_refused_as_unsigned(api: Any) -> None:
    # Given / When a deep body comes without Shopify's signature
    raw = b"[" * 100_000 + b"]" * 100_000
    response = deliver(api, "orders/create", raw, signature="bm9uZQ==")
    # Then it is refused for its signature: nothing of it is parsed
    assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize(
    "topic",
    ["products/update", "orders/edited", "fulfillment_events/create", "customers/redact", ""],
)
def test_a_topic_returns_desk_does_not_use_is_acknowledged_and_ignored(
    api: Any, service: OrderService, topic: str
) -> None:
    # Given / When Shopify sends a webhook of another topic (even an order's)
    response = deliver(api, topic, event_bytes("orders_create"))
    # Then it gets a 200, so that Shopify does not retry it, and nothing is stored
    assert "not one returns-desk uses" in received(response, "ignored")["reason"]
    assert service.for_customer(JANE) == []


def test_an_authentic_order_returns_desk_cannot_keep_is_acknowledged_and_ignored(
    api: Any, service: OrderService
) -> None:
    # Given a point-of-sale order without any email
    payload = {**event("orders_create"), "email": None, "contact_email": None, "customer": None}
    # When Shopify sends it
    response = deliver(api, "orders/create", payload)
    # Then it is ignored with the reason (a retry would not make it usable), nothing stored
    assert "customer_email" in received(response, "ignored")["reason"]
    with pytest.raises(NotFoundError):
        service.find("#1001")


# --- The admin API ------------------------------------------------------------------------------


def order_body(**changes: Any) -> dict[str, Any]:
    """A valid `PUT /orders/{number}` body."""
    return {
        "external_id": "WC-58213",
        "customer_email": "Camille.Laurent@example.fr",
        "customer_name": "Camille Laurent",
        "locale": "fr",
        "currency": "EUR",
        "ordered_at": "2026-11-03",
        "delivered_at": "2026-11-06",
        "lines": [
            {
                "sku": "RAIN-JKT-OLV-S",
                "name": "Packable rain jacket, olive (S)",
                "quantity": 1,
                "unit_price": "119.00",
                "fulfilled_quantity": 1,
            },
            {
                "sku": "GIFT-WRAP",
                "name": "Gift wrap",
                "quantity": 1,
                "unit_price": "5.00",
                "final_sale": True,
            },
        ],
        **changes,
    }


def put_order(api: Any, number: str, payload: Any, headers: dict[str, str] | None = None) -> Any:
    return api.http.put(
        f"/orders/{number}",
        headers={**(ADMIN_AUTH if headers is None else headers), **JSON},
        body=json.dumps(payload),
    )


def test_the_admin_api_records_an_order_and_answers_it(api: Any, service: OrderService) -> None:
    # Given / When another platform PUTs order WC-58213
    before = datetime.now(UTC)
    response = put_order(api, "WC-58213", order_body())
    # Then the answer is the order as stored, from the admin source, versioned now
    assert response.status_code == 200, response.body
    stored = service.find("WC-58213")
    assert body(response) == json.loads(stored.model_dump_json())
    assert stored.source == "admin"
    assert before <= stored.source_updated_at <= datetime.now(UTC)
    assert stored.lines[1].final_sale is True
    assert [o.number for o in service.for_customer("camille.laurent@example.fr")] == ["WC-58213"]


def test_an_order_number_with_a_hash_is_sent_percent_encoded(
    api: Any, service: OrderService
) -> None:
    response = put_order(api, "%231001", order_body())
    assert response.status_code == 200, response.body
    assert body(response)["number"] == "#1001"
    assert service.find("#1001").source == "admin"


def test_a_put_replaces_the_order_even_one_from_shopify(api: Any, service: OrderService) -> None:
    # Given order #1001 from Shopify
    deliver(api, "orders/create", event_bytes("orders_create"))
    # When the admin API PUTs it with other lines
    response = put_order(api, "%231001", order_body(customer_email=JANE))
    # Then the admin's version is stored
    assert response.status_code == 200, response.body
    assert [line.sku for line in service.find("#1001").lines] == ["RAIN-JKT-OLV-S", "GIFT-WRAP"]
    # And a later Shopify update wins again
    updated = {
        **event("orders_updated"),
        "updated_at": (datetime.now(UTC) + timedelta(1)).isoformat(),
    }
    received(deliver(api, "orders/updated", updated), "recorded")
    assert service.find("#1001").source == "shopify"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param(WIDGET_AUTH, id="widget-token"),
        pytest.param({"Authorization": "Bearer wrong"}, id="wrong-token"),
    ],
)
def test_putting_an_order_needs_the_admin_token(
    api: Any, service: OrderService, headers: dict[str, str]
) -> None:
    response = put_order(api, "WC-58213", order_body(), headers)
    assert_error(response, 401, "unauthorized")
    with pytest.raises(NotFoundError):
        service.find("WC-58213")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"lines": []}, "lines", id="no-lines"),
        pytest.param({"customer_email": "not-an-email"}, "customer_email", id="bad-email"),
        pytest.param({"ordered_at": None}, "ordered_at", id="no-order-date"),
        pytest.param({"currency": "euro"}, "currency", id="bad-currency"),
        pytest.param({"number": "#1"}, "number", id="number-in-body"),
        pytest.param({"source": "shopify"}, "source", id="source-in-body"),
        pytest.param({"delivered_at": "2026-11-02"}, "body", id="delivered-before-ordered"),
        pytest.param(
            {"lines": [{"sku": "A", "name": "A", "quantity": 0, "unit_price": "1.00"}]},
            "lines.0.quantity",
            id="zero-quantity",
        ),
        pytest.param(
            {
                "lines": [
                    {
                        "sku": "A",
                        "name": "A",
                        "quantity": 1,
                        "unit_price": "1.00",
                        "fulfilled_quantity": 2,
                    }
                ]
            },
            "lines.0",
            id="fulfilled-more-than-ordered",
        ),
    ],
)
def test_an_invalid_order_is_a_400_naming_the_field_and_stores_nothing(
    api: Any, service: OrderService, change: dict[str, Any], field: str
) -> None:
    response = put_order(api, "WC-58213", order_body(**change))
    assert_error(response, 400, "validation_error")
    assert field in [problem["field"] for problem in body(response)["error"]["details"]["errors"]]
    with pytest.raises(NotFoundError):
        service.find("WC-58213")


# --- Order numbers, however they are typed --------------------------------------------------

# The ways people type Shopify's "#4821": the hash is decoration, and so are the spaces.
TYPED_4821 = ["4821", "#4821", " #4821 ", "# 4821"]


@pytest.mark.parametrize("stored", ["#4821", "4821"], ids=["shopify-name", "plain-number"])
@pytest.mark.parametrize("typed", TYPED_4821)
def test_an_order_is_found_however_its_number_is_typed(
    service: OrderService, stored: str, typed: str
) -> None:
    # Given Jane's order 4821, stored with or without its hash
    order = admin_order(stored)
    service.record(order)
    # When it is looked up with the number typed another way
    # Then it is the same order, for the service and for the portal login's checks
    assert service.find(typed) == order
    assert service.find_for_customer(typed, JANE) == order
    assert service.belongs_to(typed, JANE)
    assert service.customer_locale(typed) == "en"


def test_the_admin_api_replaces_the_shopify_order_its_number_names_without_the_hash(
    api: Any, service: OrderService
) -> None:
    # Given Shopify's order "#1001"
    deliver(api, "orders/create", event_bytes("orders_create"))
    # When the admin API puts order "1001", without the hash
    response = put_order(api, "1001", order_body(customer_email=JANE))
    # Then it replaced that order rather than adding another one
    assert response.status_code == 200, response.body
    [order] = service.for_customer(JANE)
    assert order.source == "admin"
    assert service.find("#1001") == order
    # And a Shopify delivery of "#1001" applies to it
    delivered = delivery("#1001.1", 2).model_copy(update={"at": datetime(2030, 1, 2, tzinfo=UTC)})
    reported = datetime(2030, 1, 2, tzinfo=UTC)
    assert service.record_fulfillment("#1001", [delivered], reported_at=reported) is True
    assert service.find("#1001").delivered_at == date(2030, 1, 2)


@pytest.mark.parametrize("typed", TYPED_4821)
def test_the_portal_shows_and_returns_an_order_however_its_number_is_typed(
    api: Any, typed: str
) -> None:
    from tests.integration.test_portal import signed_in, store_order

    # Given Jane's order "#4821", and Jane signed in to the portal
    store_order("#4821", JANE)
    headers = {**signed_in(JANE), **JSON}
    # When she opens it with its number typed another way
    shown = api.http.get(f"/portal/orders/{quote(typed, safe='')}", headers=headers)
    # Then it is her order
    assert shown.status_code == 200, shown.body
    assert body(shown)["number"] == "#4821"
    # And she can return a line of it with the number typed that way
    opened = api.http.post(
        "/portal/returns",
        headers=headers,
        body=json.dumps(
            {
                "order_number": typed,
                "lines": [{"sku": "TEE-M", "quantity": 1, "reason": "SIZE_PROBLEM"}],
            }
        ),
    )
    assert opened.status_code == 201, opened.body


# --- Orders and the Gorgias widget ------------------------------------------------------------


def test_the_widget_shows_only_the_returns_of_a_customer_who_also_has_orders(
    api: Any, open_rma: Callable[..., Any]
) -> None:
    # Given a customer with two returns and two orders, the orders newer than the returns
    returns = [open_rma(JANE), open_rma(JANE)]
    deliver(api, "orders/create", event_bytes("orders_create"))
    put_order(
        api, "WC-58213", order_body(customer_email=JANE, ordered_at="2030-01-01", delivered_at=None)
    )
    # When the Gorgias widget asks for her returns
    response = api.http.get(f"/gorgias/widget?email={JANE}", headers=WIDGET_AUTH)
    # Then it shows her two returns and nothing else
    assert response.status_code == 200, response.body
    widget = body(response)
    assert [r["reference"] for r in widget["returns"]] == [
        rma.return_reference for rma in reversed(returns)
    ]
    assert widget["total"] == 2
