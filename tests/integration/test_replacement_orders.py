"""Specification of an exchange's replacement order: when the shop is asked for it, what it is
asked (GraphQL at the HTTP level, against the documented shapes), and that it is asked once
however often the stream delivers the event."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import respx

from chalicelib.domain.events import ReturnEvent, return_event
from chalicelib.domain.handling import ReceivedLine
from chalicelib.domain.policy import ExchangePriceDifference, ExchangeShipping, ReturnPolicy
from chalicelib.domain.rma import (
    Actor,
    Contact,
    ExchangeChoice,
    ReplacementStatus,
    Rma,
    revised,
)
from chalicelib.domain.statuses import Channel, ProductState
from chalicelib.domain.transitions import Action
from chalicelib.integrations.shopify_exchanges import ShopifyDraftOrders
from chalicelib.services.replacement_orders import ReplacementOrders
from tests.shopify_graphql_support import ShopStandIn, admin_client, fixture, mocked_shop

ADMIN = Actor(channel=Channel.ADMIN, name="Merchant")
ORDERED_VARIANT = "gid://shopify/ProductVariant/46318001733950"
NAVY_L = "gid://shopify/ProductVariant/46318001766718"
NAVY_XL = "gid://shopify/ProductVariant/46318001799486"
GREY_M = "gid://shopify/ProductVariant/46318001832254"


@pytest.fixture
def shop() -> Iterator[ShopStandIn]:
    with respx.mock(assert_all_called=False) as router:
        yield mocked_shop(router)


@pytest.fixture
def exchange(open_rma: Callable[..., Any], rma_service: Any) -> Callable[..., Rma]:
    """Opens a submitted exchange of one "Merino crew sweater - Navy / M" (89.00), for
    `exchange` (an ExchangeChoice) or the same variant."""

    def open_exchange(exchange: ExchangeChoice | None = None, **overrides: Any) -> Rma:
        line = {
            "sku": "MER-CREW-NVY-M",
            "name": "Merino crew sweater - Navy / M",
            "quantity": 1,
            "unit_price": "89.00",
            "reason": "SIZE_PROBLEM",
        }
        rma = open_rma(lines=[line], expected_resolution="REPLACE", **overrides)
        lines = [
            revised(rma.lines[0], variant_id=ORDERED_VARIANT, exchange=exchange),
        ]
        # The intake copies the variant from the order; here it is set as the intake leaves it.
        rma_service.save(revised(rma, lines=lines, version=rma.version + 1), before=rma)
        return rma_service.find(rma.id)

    return open_exchange


def subscriber(policy: ReturnPolicy | None = None, *, connected: bool = True) -> ReplacementOrders:
    from chalicelib.services import container

    drafts = ShopifyDraftOrders(admin_client()) if connected else None
    return ReplacementOrders(container.rma_service(), lambda: policy or ReturnPolicy(), drafts)


def approved(rma_service: Any, rma: Rma) -> ReturnEvent:
    return _event_of(rma_service, rma, rma_service.act(rma.id, Action.ACCEPT, actor=ADMIN))


def received(rma_service: Any, rma: Rma) -> ReturnEvent:
    from chalicelib.services.handling_service import HandlingService

    handling = HandlingService(rma_service, ReturnPolicy, None)  # type: ignore[arg-type]
    before = rma_service.find(rma.id)
    after = handling.receive(
        rma.id,
        [
            ReceivedLine(line.sku, line.quantity, ProductState.BRAND_NEW_WITH_LABEL)
            for line in rma.lines
        ],
        actor=Actor(channel=Channel.WAREHOUSE),
    )
    return _event_of(rma_service, before, after)


def _event_of(rma_service: Any, before: Rma, after: Rma) -> ReturnEvent:
    """The event the change from `before` to `after` published, as the stream carries it."""
    _, entries = rma_service.history(after.id)
    return return_event(before, after, entries[-1])


# --- When the replacement is ordered ---------------------------------------------------------


def test_a_received_exchange_is_ordered_once_with_a_full_discount_even_when_delivered_twice(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    # Given an approved exchange of Navy / M for Navy / L, under the default policy (ON_RECEIPT)
    rma = exchange(ExchangeChoice(variant_id=NAVY_L, title="Navy / L", unit_price=Decimal("89.00")))
    approved_event = approved(rma_service, rma)
    orders = subscriber()
    # When its approval arrives, nothing is ordered yet
    orders(approved_event)
    assert shop.calls == []
    # When its parcel arrives and the stream delivers that event twice
    event = received(rma_service, rma_service.find(rma.id))
    orders(event)
    orders(event)
    # Then the shop was asked for one draft order, of the chosen variant, for free
    [created] = shop.operations("draftOrderCreate")
    draft = created["input"]
    assert draft["lineItems"] == [{"variantId": NAVY_L, "quantity": 1}]
    assert draft["appliedDiscount"] == {
        "valueType": "PERCENTAGE",
        "value": 100,
        "title": f"Exchange for {rma.return_reference}",
    }
    assert draft["tags"] == ["returns-desk", rma.return_reference]
    assert draft["email"] == "jane.doe@example.com"
    # And it was completed once
    assert shop.operations("draftOrderComplete") == [{"id": "gid://shopify/DraftOrder/1069920478"}]
    # And the return records the order, with the log saying so
    stored, entries = rma_service.history(rma.id)
    assert stored.replacement_order is not None
    assert (stored.replacement_order.status, stored.replacement_order.name) == (
        ReplacementStatus.ORDERED,
        "#1002",
    )
    assert stored.replacement_order.order_id == "gid://shopify/Order/6104551768126"
    assert [e.note for e in entries if e.action == "order_replacement"] == [
        "Replacement order #1002 created"
    ]


def test_a_replacement_ordered_before_a_failed_write_is_found_by_its_tag_not_ordered_again(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    # Given an exchange whose draft order the shop already holds (the write after it failed)
    rma = exchange()
    approved(rma_service, rma)
    shop.drafts[rma.return_reference] = fixture("draft_order_search_tagged")["data"]["draftOrders"][
        "nodes"
    ][0]
    # When its receipt is delivered again
    subscriber()(received(rma_service, rma_service.find(rma.id)))
    # Then the shop is asked for the tagged draft, which is completed, and nothing is created
    assert shop.operations("draftOrders") == [{"query": f"tag:'{rma.return_reference}'"}]
    assert shop.operations("draftOrderCreate") == []
    assert len(shop.operations("draftOrderComplete")) == 1
    assert rma_service.find(rma.id).replacement_order.name == "#1002"


def test_without_a_chosen_variant_the_replacement_is_the_variant_ordered(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    rma = exchange(
        sender=Contact(
            name="Jane Doe",
            address_lines=["18 rue des Martyrs"],
            city="Paris",
            postal_code="75009",
            country="FR",
        )
    )
    approved(rma_service, rma)
    subscriber()(received(rma_service, rma_service.find(rma.id)))
    [created] = shop.operations("draftOrderCreate")
    assert created["input"]["lineItems"] == [{"variantId": ORDERED_VARIANT, "quantity": 1}]
    # And it ships to the shopper's address
    assert created["input"]["shippingAddress"] == {
        "firstName": "Jane",
        "lastName": "Doe",
        "address1": "18 rue des Martyrs",
        "city": "Paris",
        "zip": "75009",
        "countryCode": "FR",
    }


def test_on_approval_the_replacement_ships_before_the_parcel_comes_back(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    # Given a policy that ships exchanges on approval
    policy = ReturnPolicy(exchange_ships=ExchangeShipping.ON_APPROVAL)
    rma = exchange()
    orders = subscriber(policy)
    # When the exchange is approved
    orders(approved(rma_service, rma))
    # Then its replacement is ordered at once
    assert len(shop.operations("draftOrderCreate")) == 1
    assert rma_service.find(rma.id).replacement_order.status is ReplacementStatus.ORDERED
    # And its receipt later orders nothing more
    orders(received(rma_service, rma_service.find(rma.id)))
    assert len(shop.operations("draftOrderCreate")) == 1


def test_a_refund_return_orders_no_replacement(
    open_rma: Callable[..., Any], rma_service: Any, shop: ShopStandIn
) -> None:
    rma = open_rma()
    subscriber()(received(rma_service, rma_service.find(approved(rma_service, rma).rma_id)))
    assert shop.calls == []
    assert rma_service.find(rma.id).replacement_order is None


# --- A difference in price -------------------------------------------------------------------


def test_a_dearer_replacement_is_invoiced_for_the_difference_instead_of_completed(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    # Given a SETTLE policy and an exchange of the 89.00 Navy / M for the 99.00 Navy / XL
    policy = ReturnPolicy(exchange_price_difference=ExchangePriceDifference.SETTLE)
    rma = exchange(
        ExchangeChoice(variant_id=NAVY_XL, title="Navy / XL", unit_price=Decimal("99.00"))
    )
    approved(rma_service, rma)
    # When the parcel is received
    subscriber(policy)(received(rma_service, rma_service.find(rma.id)))
    # Then the draft takes off what the shopper paid for the returned sweater, no more
    [created] = shop.operations("draftOrderCreate")
    assert created["input"]["appliedDiscount"]["valueType"] == "FIXED_AMOUNT"
    assert Decimal(str(created["input"]["appliedDiscount"]["value"])) == Decimal("89.00")
    # And the shopper is sent its invoice for the rest, not a completed order
    assert len(shop.operations("draftOrderInvoiceSend")) == 1
    assert shop.operations("draftOrderComplete") == []
    stored, entries = rma_service.history(rma.id)
    assert stored.replacement_order.status is ReplacementStatus.INVOICE_SENT
    [note] = [e.note for e in entries if e.action == "order_replacement"]
    assert "invoice for the remaining 10.00 EUR was sent to the shopper" in note


def test_a_cheaper_replacement_is_ordered_for_free_and_the_log_names_the_difference_to_refund(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    policy = ReturnPolicy(exchange_price_difference=ExchangePriceDifference.SETTLE)
    rma = exchange(ExchangeChoice(variant_id=GREY_M, title="Grey / M", unit_price=Decimal("79.00")))
    approved(rma_service, rma)
    subscriber(policy)(received(rma_service, rma_service.find(rma.id)))
    assert len(shop.operations("draftOrderComplete")) == 1
    [note] = [e.note for e in rma_service.history(rma.id)[1] if e.action == "order_replacement"]
    assert (
        note
        == "Replacement order #1002 created; 10.00 EUR cheaper than the items returned, to refund"
    )


# --- When the shop cannot order it -----------------------------------------------------------


def test_a_refusal_of_the_shop_is_told_to_a_person_once_and_never_retried(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    # Given a shop that refuses the draft order
    shop.answers["draftOrderCreate"] = fixture("draft_order_create_user_error")
    rma = exchange()
    approved(rma_service, rma)
    event = received(rma_service, rma_service.find(rma.id))
    # When the receipt is delivered, twice
    subscriber()(event)
    subscriber()(event)
    # Then the shop was asked once, and the log tells a person why, once
    assert len(shop.operations("draftOrderCreate")) == 1
    stored, entries = rma_service.history(rma.id)
    [note] = [e.note for e in entries if e.action == "order_replacement"]
    assert "The shop refused the replacement (Product variant does not exist)" in note
    assert stored.replacement_order.status is ReplacementStatus.MERCHANT_TO_CREATE


def test_without_a_shop_the_replacement_is_left_to_the_merchant_and_nothing_is_faked(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    rma = exchange()
    approved(rma_service, rma)
    subscriber(connected=False)(received(rma_service, rma_service.find(rma.id)))
    assert shop.calls == []
    stored, entries = rma_service.history(rma.id)
    assert stored.replacement_order.status is ReplacementStatus.MERCHANT_TO_CREATE
    assert stored.replacement_order.order_id is None
    [note] = [e.note for e in entries if e.action == "order_replacement"]
    assert note.startswith("Replacement to be created by the merchant in the shop")


def test_a_request_the_shop_refuses_outright_is_told_to_a_person_and_never_retried(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    # Given an app token without the draft orders' scope
    shop.answers["draftOrderCreate"] = {
        "errors": [
            {
                "message": "Access denied for draftOrderCreate field.",
                "extensions": {"code": "ACCESS_DENIED"},
            }
        ]
    }
    rma = exchange()
    approved(rma_service, rma)
    subscriber()(received(rma_service, rma_service.find(rma.id)))
    # Then the return says why a person must order it, and keeps no order it does not have
    stored, entries = rma_service.history(rma.id)
    [note] = [e.note for e in entries if e.action == "order_replacement"]
    assert note.startswith("The shop refused the replacement (")
    assert stored.replacement_order.status is ReplacementStatus.MERCHANT_TO_CREATE


def test_a_shop_that_is_down_fails_the_event_for_the_stream_to_retry_and_records_nothing(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    import httpx

    from chalicelib.errors import TransientError

    shop.answers["draftOrderCreate"] = httpx.Response(503)
    rma = exchange()
    approved(rma_service, rma)
    event = received(rma_service, rma_service.find(rma.id))
    # When the shop cannot answer
    with pytest.raises(TransientError):
        subscriber()(event)
    assert rma_service.find(rma.id).replacement_order is None
    # When the stream delivers the event again and the shop is back
    del shop.answers["draftOrderCreate"]
    subscriber()(event)
    # Then the replacement is ordered
    assert rma_service.find(rma.id).replacement_order.name == "#1002"


def test_a_draft_whose_completion_failed_is_finished_by_its_id_not_ordered_again(
    exchange: Callable[..., Rma], rma_service: Any, shop: ShopStandIn
) -> None:
    import httpx

    from chalicelib.errors import TransientError

    # Given a shop whose search does not list a draft created a moment ago, and whose
    # completion fails once
    shop.search_lags = True
    shop.answers["draftOrderComplete"] = httpx.Response(503)
    rma = exchange()
    approved(rma_service, rma)
    event = received(rma_service, rma_service.find(rma.id))
    with pytest.raises(TransientError):
        subscriber()(event)
    # Then the return keeps the draft the shop made
    kept = rma_service.find(rma.id).replacement_order
    assert (kept.status, kept.draft_order_id) == (
        ReplacementStatus.DRAFTED,
        "gid://shopify/DraftOrder/1069920478",
    )
    # When the stream delivers the event again
    del shop.answers["draftOrderComplete"]
    subscriber()(event)
    # Then that draft is read by its id and completed, and no second one is created
    assert len(shop.operations("draftOrderCreate")) == 1
    assert shop.operations("draftOrder") == [{"id": "gid://shopify/DraftOrder/1069920478"}]
    stored, entries = rma_service.history(rma.id)
    assert stored.replacement_order.status is ReplacementStatus.ORDERED
    assert [e.note for e in entries if e.action == "order_replacement"] == [
        "Replacement order #1002 created"
    ]
