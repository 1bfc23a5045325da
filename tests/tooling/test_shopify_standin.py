"""The local stack's stand-in for a Shopify shop answers the real Admin API client as Shopify
would: a refund, a gift card, a replacement order and an order's cancellation each made once,
even when asked twice with the same key (or the same code, the same tag, the same order), and
each printed as a [shopify] line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chalicelib.domain.order_requests import ClaimIssue, ClaimLine, OrderRequest, OrderRequestKind
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import claim_settlement
from chalicelib.domain.rma import (
    Customer,
    FinancialResolution,
    OrderRef,
    ReplacementStatus,
    Rma,
    RmaLine,
)
from chalicelib.domain.statuses import (
    ExpectedResolution,
    FinancialMethod,
    ProductState,
    ReturnReason,
)
from chalicelib.integrations.shopify_admin import ShopifyAdmin
from chalicelib.integrations.shopify_exchanges import ShopifyCatalog, ShopifyDraftOrders
from chalicelib.integrations.shopify_orders import ShopifyOrders
from chalicelib.integrations.shopify_payments import ORDER_QUERY, ShopifyPayments
from chalicelib.services.replacement_orders import ClaimReplacements
from local.shopify_standin import SHOP_DOMAIN, ShopifyStandIn, ShopLine

ORDER = "gid://shopify/Order/4910"
TEE = "gid://shopify/ProductVariant/491001"
TEE_LARGE = "gid://shopify/ProductVariant/491002"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def shop() -> Iterator[ShopifyStandIn]:
    standin = ShopifyStandIn(echo=False).start()
    standin.add_order(
        ORDER,
        "#4910",
        [
            ShopLine("TEE-ORGANIC-M", 2, Decimal("25.00"), "gid://shopify/LineItem/1", TEE),
            ShopLine("MUG-STONE", 1, Decimal("14.00"), "gid://shopify/LineItem/2"),
        ],
    )
    standin.add_variants(
        "gid://shopify/Product/4910",
        [
            (TEE, "Organic T-shirt / M", Decimal("25.00")),
            (TEE_LARGE, "Organic T-shirt / L", Decimal("25.00")),
        ],
    )
    yield standin
    standin.stop()


def admin(shop: ShopifyStandIn) -> ShopifyAdmin:
    return ShopifyAdmin(
        shop_domain=SHOP_DOMAIN,
        access_token="local-token",
        api_version="2026-04",
        timeout_seconds=5,
        base_url=shop.api_url,
    )


def a_return(resolution: ExpectedResolution = ExpectedResolution.REFUND) -> Rma:
    return Rma(
        id="01JD8Z5K3W9X4Y7Q2R6T0V1B3N",
        return_number=1234,
        return_reference="R-001234",
        order=OrderRef(number="#4910", external_id=ORDER),
        customer=Customer(email="jane.doe@example.com"),
        lines=[
            RmaLine(
                sku="TEE-ORGANIC-M",
                name="Organic T-shirt (M)",
                quantity=1,
                unit_price=Decimal("25.00"),
                reason=ReturnReason.SIZE_PROBLEM,
                product_state=ProductState.BRAND_NEW_WITH_LABEL,
                received_quantity=1,
                variant_id=TEE,
            )
        ],
        expected_resolution=resolution,
        created_at=NOW,
        updated_at=NOW,
    )


def payments(shop: ShopifyStandIn) -> ShopifyPayments:
    return ShopifyPayments(admin(shop), ReturnPolicy, gift_card_secret=b"local-secret")


def refund_of(amount: str) -> FinancialResolution:
    return FinancialResolution(amount=Decimal(amount), method=FinancialMethod.REFUND)


def test_a_refund_asked_twice_with_its_key_is_made_once(shop: ShopifyStandIn) -> None:
    first = payments(shop).refund(a_return(), refund_of("25.00"), idempotency_key="R-001234:0")
    again = payments(shop).refund(a_return(), refund_of("25.00"), idempotency_key="R-001234:0")
    assert first.reference == again.reference
    refunds = [t for t in shop.orders[ORDER].transactions if t["kind"] == "REFUND"]
    assert [t["amountSet"]["shopMoney"]["amount"] for t in refunds] == ["25.00"]
    assert shop.log == [f"[shopify] refundCreate on #4910: 25.00 EUR ({first.reference})"]


def test_the_order_shows_its_refunds_with_their_note_and_total(shop: ShopifyStandIn) -> None:
    # Given a refund made of the order
    receipt = payments(shop).refund(a_return(), refund_of("25.00"), idempotency_key="R-001234:0")
    # Then the order, read as returns-desk reads it, lists it as Shopify's `refunds` does
    order = admin(shop).execute(ORDER_QUERY, {"id": ORDER})["order"]
    assert order["refunds"] == [
        {
            "id": receipt.reference,
            "note": "Return R-001234 (payment R-001234:0)",
            "totalRefundedSet": {"shopMoney": {"amount": "25.00", "currencyCode": "EUR"}},
        }
    ]


def test_a_full_refund_asked_again_after_its_answer_was_lost_is_found_not_declined(
    shop: ShopifyStandIn,
) -> None:
    # Given the whole order (64.00) refunded, its answer then lost to returns-desk
    first = payments(shop).refund(a_return(), refund_of("64.00"), idempotency_key="R-001234:0")
    # When the same payment is made again, then the refund on the order is its receipt
    again = payments(shop).refund(a_return(), refund_of("64.00"), idempotency_key="R-001234:0")
    assert again == first
    assert len(shop.orders[ORDER].refunds) == 1


def test_store_credit_asked_twice_is_one_gift_card(shop: ShopifyStandIn) -> None:
    owed = FinancialResolution(amount=Decimal("27.50"), method=FinancialMethod.VOUCHER)
    credit = a_return(ExpectedResolution.VOUCHER)
    first = payments(shop).refund(credit, owed, idempotency_key="R-001234:0")
    again = payments(shop).refund(credit, owed, idempotency_key="R-001234:0")
    assert (first.reference, first.voucher_code) == (again.reference, again.voucher_code)
    assert len(shop.gift_cards) == 1
    [line] = shop.log
    assert line.startswith("[shopify] giftCardCreate: 27.50 EUR, code ending ")


def test_a_replacement_is_a_completed_draft_order_found_again_by_its_tag(
    shop: ShopifyStandIn,
) -> None:
    catalog = ShopifyCatalog(admin(shop))
    assert [option.title for option in catalog.exchange_options(TEE)] == [
        "Organic T-shirt / M",
        "Organic T-shirt / L",
    ]
    drafts = ShopifyDraftOrders(admin(shop))
    assert drafts.find_tagged("R-001234") is None
    draft = drafts.create(
        {
            "lineItems": [{"variantId": TEE_LARGE, "quantity": 1}],
            "tags": ["returns-desk", "R-001234"],
        },
        idempotency_key="replacement:R-001234",
    )
    completed = drafts.complete(draft.id)
    assert completed.completed
    assert completed.order_name
    assert drafts.find_tagged("R-001234") == completed
    assert drafts.get(draft.id) == completed
    assert shop.log[0].startswith("[shopify] draftOrderCreate #D")
    assert "1 x Organic T-shirt / L" in shop.log[0]


def a_claim_or_cancellation(kind: OrderRequestKind, **fields: object) -> OrderRequest:
    return OrderRequest(
        reference="C-000003" if kind is OrderRequestKind.CLAIM else "X-000042",
        kind=kind,
        order=OrderRef(number="#4910", external_id=ORDER),
        customer=Customer(email="jane.doe@example.com"),
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )


def test_an_order_is_canceled_once_and_a_second_try_finds_it_canceled(
    shop: ShopifyStandIn,
) -> None:
    request = a_claim_or_cancellation(OrderRequestKind.CANCELLATION)
    first = ShopifyOrders(admin(shop)).cancel(request, refund=True, restock=True, notify=True)
    again = ShopifyOrders(admin(shop)).cancel(request, refund=True, restock=True, notify=True)
    assert first.in_shop
    assert first.job_id is not None
    assert first.job_id.startswith("gid://shopify/Job/")
    assert again.in_shop
    assert again.note is not None
    assert "already canceled" in again.note
    assert shop.orders[ORDER].cancelled_at is not None
    assert [line for line in shop.log if "orderCancel" in line] == [
        f"[shopify] orderCancel #4910 (CUSTOMER): refunded, restocked, customer notified "
        f"({first.job_id})"
    ]


def test_a_claim_is_refunded_with_its_marker_and_its_replacement_ships_where_the_order_went(
    shop: ShopifyStandIn,
) -> None:
    shop.orders[ORDER].shipping_address = {
        "firstName": "Jane",
        "lastName": "Doe",
        "address1": "12 rue des Lilas",
        "city": "Lyon",
        "zip": "69003",
        "countryCodeV2": "FR",
    }
    claim = a_claim_or_cancellation(
        OrderRequestKind.CLAIM,
        issue=ClaimIssue.DAMAGED,
        lines=[
            ClaimLine(
                sku="TEE-ORGANIC-M",
                name="Organic T-shirt / M",
                quantity=1,
                unit_price=Decimal("25.00"),
                line_item_id="gid://shopify/LineItem/1",
                variant_id=TEE,
            )
        ],
        resolution=ExpectedResolution.REFUND,
    )
    settlement = claim_settlement(claim, ReturnPolicy())
    first = payments(shop).refund(claim, settlement, idempotency_key="C-000003:settlement")
    again = payments(shop).refund(claim, settlement, idempotency_key="C-000003:settlement")
    assert again.reference == first.reference
    assert shop.orders[ORDER].refunds[0]["note"] == "Claim C-000003 (payment C-000003:settlement)"

    replacement = ClaimReplacements(ShopifyDraftOrders(admin(shop))).order_replacement(claim)
    assert replacement.status is ReplacementStatus.ORDERED
    draft = next(iter(shop.draft_orders.values()))
    assert draft["_tags"] == ["returns-desk", "C-000003"]
    assert replacement.order_id == draft["order"]["id"]
