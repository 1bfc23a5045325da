"""A claim's settlement is paid through Shopify by the code that pays a return's refund: the
claimed units as the refund's lines (never restocked), the note naming the claim, and the
payment found again on a retry. The real httpx client, respx standing in for the shop
(tests/shopify_refunds_support.py, answering the documented shapes)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import respx

from chalicelib.domain.order_requests import (
    ClaimIssue,
    ClaimLine,
    OrderRequest,
    OrderRequestKind,
    Settlement,
)
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import claim_settlement
from chalicelib.domain.rma import Customer, OrderRef
from chalicelib.domain.statuses import ExpectedResolution
from chalicelib.errors import TransientError
from chalicelib.integrations.payments import ManualPayments, PaymentDeclinedError
from chalicelib.integrations.shopify_payments import ShopifyPayments
from tests.shopify_refunds_support import TOKEN, RefundingShop, admin_client, mocked_shop

ORDER = "gid://shopify/Order/734509473"
T_SHIRTS = "gid://shopify/LineItem/25746870"
NO_SKU_LINE = "gid://shopify/LineItem/25746871"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
KEY = "C-000003:settlement"


def a_claim(
    *lines: ClaimLine,
    resolution: ExpectedResolution = ExpectedResolution.REFUND,
    external_id: str | None = ORDER,
) -> OrderRequest:
    return OrderRequest(
        reference="C-000003",
        kind=OrderRequestKind.CLAIM,
        order=OrderRef(number="#1001", external_id=external_id),
        customer=Customer(email="jane.doe@example.com"),
        issue=ClaimIssue.DAMAGED,
        lines=list(lines)
        or [ClaimLine(sku="TSHIRT-BLUE-M", name="Blue T-shirt (M)", quantity=1, unit_price=25)],
        resolution=resolution,
        created_at=NOW,
        updated_at=NOW,
    )


def settled(claim: OrderRequest, policy: ReturnPolicy | None = None) -> Settlement:
    return claim_settlement(claim, policy or ReturnPolicy())


def payments(policy: ReturnPolicy | None = None) -> ShopifyPayments:
    return ShopifyPayments(
        admin_client(), lambda: policy or ReturnPolicy(), gift_card_secret=TOKEN.encode()
    )


@pytest.fixture
def shop(respx_mock: respx.MockRouter) -> RefundingShop:
    return mocked_shop(respx_mock)


def test_a_claims_refund_names_the_claimed_units_unrestocked_and_the_claim(
    shop: RefundingShop,
) -> None:
    # Given one damaged T-shirt claimed for a refund of 25.00
    claim = a_claim()

    # When its settlement is paid
    receipt = payments().refund(claim, settled(claim), idempotency_key=KEY)

    # Then one refund of the order is asked: the claimed unit, not restocked, 25.00, the claim
    # named in the note with the payment's marker
    asked = shop.of("ReturnsDeskRefund")[0].variables["input"]
    assert asked["note"] == f"Claim C-000003 (payment {KEY})"
    assert asked["refundLineItems"] == [
        {"lineItemId": T_SHIRTS, "quantity": 1, "restockType": "NO_RESTOCK"}
    ]
    assert [t["amount"] for t in asked["transactions"]] == ["25.00"]
    assert receipt.reference == "gid://shopify/Refund/929361464"
    assert receipt.note == (
        "Refunded 25.00 EUR through Shopify (refund gid://shopify/Refund/929361464)"
    )


def test_a_claimed_line_is_matched_by_the_order_line_it_kept(shop: RefundingShop) -> None:
    # Given a claimed line with no SKU the shop knows, but the order line's id kept
    claim = a_claim(
        ClaimLine(
            sku="CANDLE",
            name="Candle",
            quantity=1,
            unit_price=Decimal("12.50"),
            line_item_id=NO_SKU_LINE,
        )
    )

    # When it is paid
    payments().refund(claim, settled(claim), idempotency_key=KEY)

    # Then the refund names that order line
    assert shop.of("ReturnsDeskRefund")[0].variables["input"]["refundLineItems"] == [
        {"lineItemId": NO_SKU_LINE, "quantity": 1, "restockType": "NO_RESTOCK"}
    ]


def test_a_claims_refund_asked_again_after_a_lost_answer_is_found_not_made_twice(
    shop: RefundingShop,
) -> None:
    # Given a refund whose answer was lost on the way back
    claim = a_claim()
    shop.lose_answer_of.add("ReturnsDeskRefund")
    with pytest.raises(TransientError):
        payments().refund(claim, settled(claim), idempotency_key=KEY)

    # When the payment is tried again
    receipt = payments().refund(claim, settled(claim), idempotency_key=KEY)

    # Then the refund the order shows with this claim's marker is the payment
    assert len(shop.refunds) == 1
    assert len(shop.of("ReturnsDeskRefund")) == 1
    assert receipt.reference == "gid://shopify/Refund/929361464"


def test_a_claims_store_credit_is_a_gift_card_of_the_value_and_the_bonus(
    shop: RefundingShop,
) -> None:
    # Given a claim of 25.00 in store credit under a 10 % bonus
    claim = a_claim(resolution=ExpectedResolution.VOUCHER)
    policy = ReturnPolicy(store_credit_bonus_percent=Decimal("10"))

    # When it is paid, twice
    first = payments(policy).refund(claim, settled(claim, policy), idempotency_key=KEY)
    again = payments(policy).refund(claim, settled(claim, policy), idempotency_key=KEY)

    # Then one gift card of 27.50 names the claim, and the second try finds it
    card_input = shop.of("ReturnsDeskStoreCredit")[0].variables["input"]
    assert card_input["initialValue"] == "27.50"
    assert card_input["note"] == "Store credit for claim C-000003 (order #1001)"
    assert len(shop.gift_cards) == 1
    assert again.reference == first.reference
    assert again.voucher_code == first.voucher_code


def test_a_claim_shopify_declines_says_it_is_a_claim(shop: RefundingShop) -> None:
    # Given a claim worth more than the order's payments still hold (62.50)
    claim = a_claim(ClaimLine(sku="TSHIRT-BLUE-M", name="Blue T-shirt", quantity=3, unit_price=25))

    # When it is paid, then it is declined naming the claim, and nothing is refunded
    with pytest.raises(PaymentDeclinedError, match=r"^Claim C-000003 is to refund 75.00 EUR"):
        payments().refund(claim, settled(claim), idempotency_key=KEY)
    assert shop.of("ReturnsDeskRefund") == []


def test_a_claim_on_an_order_not_from_shopify_is_left_to_the_back_office(
    shop: RefundingShop,
) -> None:
    # Given a claim on an order the merchant's own system opened
    claim = a_claim(external_id="ERP-4950")

    # When it is paid, then nothing is asked of Shopify and the back office pays it
    receipt = payments().refund(claim, settled(claim), idempotency_key=KEY)
    assert shop.calls == []
    assert receipt.reference == f"manual-{KEY}"
    assert receipt.note.startswith("Order #1001 is not a Shopify order")


def test_without_a_shop_a_claims_settlement_is_recorded_for_the_back_office() -> None:
    claim = a_claim()
    receipt = ManualPayments().refund(claim, settled(claim), idempotency_key=KEY)
    assert receipt.reference == f"manual-{KEY}"
    assert receipt.note == (
        "REFUND of 25.00 EUR recorded as executed manually in the store's back office"
    )
