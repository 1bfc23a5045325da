"""Refunds and store credit paid through Shopify: what returns-desk asks of the shop, exactly,
and what it makes of the answers. The real httpx client, with respx standing in for the shop
(tests/shopify_refunds_support.py, answering the documented shapes)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.rma import Customer, FinancialResolution, OrderRef, Rma, RmaLine
from chalicelib.domain.statuses import (
    ExpectedResolution,
    FinancialMethod,
    ProductState,
    ReturnReason,
)
from chalicelib.errors import TransientError
from chalicelib.integrations.payments import PaymentDeclinedError
from chalicelib.integrations.shopify_admin import idempotency_uuid
from chalicelib.integrations.shopify_payments import ShopifyPayments
from chalicelib.observability import logger
from tests.shopify_refunds_support import (
    TOKEN,
    RecordedSleep,
    RefundingShop,
    admin_client,
    fixture,
    mocked_shop,
)

ORDER = "gid://shopify/Order/734509473"
T_SHIRTS = "gid://shopify/LineItem/25746870"
NO_SKU_LINE = "gid://shopify/LineItem/25746871"
CARD_PAYMENT = "gid://shopify/OrderTransaction/723599266"
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
KEY = "01JD8Z5K3W9X4Y7Q2R6T0V1B3N:0"


def line(sku: str = "TSHIRT-BLUE-M", quantity: int = 2, received: int = 2) -> RmaLine:
    return RmaLine(
        sku=sku,
        name="Blue T-shirt (M)",
        quantity=quantity,
        unit_price=Decimal("25.00"),
        reason=ReturnReason.SIZE_PROBLEM,
        product_state=ProductState.BRAND_NEW_WITH_LABEL if received else None,
        received_quantity=received,
    )


def a_return(
    *lines: RmaLine,
    external_id: str | None = ORDER,
    resolution: ExpectedResolution = ExpectedResolution.REFUND,
    currency: str = "EUR",
) -> Rma:
    return Rma(
        id="01JD8Z5K3W9X4Y7Q2R6T0V1B3N",
        return_number=1234,
        return_reference="R-001234",
        order=OrderRef(number="#1001", external_id=external_id),
        customer=Customer(email="jane.doe@example.com"),
        lines=list(lines) or [line()],
        expected_resolution=resolution,
        currency=currency,
        created_at=NOW,
        updated_at=NOW,
    )


def owed(amount: str, method: FinancialMethod = FinancialMethod.REFUND) -> FinancialResolution:
    return FinancialResolution(amount=Decimal(amount), method=method)


def payments(policy: ReturnPolicy | None = None, secret: bytes = TOKEN.encode()) -> ShopifyPayments:
    return ShopifyPayments(
        admin_client(sleep=RecordedSleep(), max_wait_seconds=3.0),
        lambda: policy or ReturnPolicy(),
        gift_card_secret=secret,
    )


@pytest.fixture
def shop(respx_mock: respx.MockRouter) -> RefundingShop:
    return mocked_shop(respx_mock)


@pytest.fixture
def app_logs(caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    caplog.set_level(logging.DEBUG)

    def lines() -> str:
        formatter = logger.registered_formatter
        return "\n".join(formatter.format(record) for record in caplog.records)

    return lines


def refund_input(shop: RefundingShop, index: int = -1) -> dict[str, Any]:
    asked: dict[str, Any] = shop.of("ReturnsDeskRefund")[index].variables["input"]
    return asked


# --- refunds --------------------------------------------------------------------------------


def test_a_refund_sends_the_units_received_and_the_amount_owed_exactly(
    shop: RefundingShop,
) -> None:
    # Given two T-shirts received, 40.00 EUR owed after deductions, and an order paid by card
    rma = a_return(line(quantity=2, received=2))
    # When the refund is paid
    receipt = payments().refund(rma, owed("40.00"), idempotency_key=KEY)
    # Then the order is read, and one refund of it asked for: the two units (not restocked),
    # 40.00 from the card payment, the shopper notified by the shop, the return named
    assert [call.operation for call in shop.calls] == ["ReturnsDeskOrder", "ReturnsDeskRefund"]
    assert shop.of("ReturnsDeskOrder")[0].variables == {"id": ORDER}
    assert refund_input(shop) == {
        "orderId": ORDER,
        "note": f"Return R-001234 (payment {KEY})",
        "notify": True,
        "refundLineItems": [{"lineItemId": T_SHIRTS, "quantity": 2, "restockType": "NO_RESTOCK"}],
        "transactions": [
            {
                "orderId": ORDER,
                "parentId": CARD_PAYMENT,
                "gateway": "shopify_payments",
                "kind": "REFUND",
                "amount": "40.00",
            }
        ],
    }
    # And the receipt is Shopify's refund
    assert receipt.reference == "gid://shopify/Refund/929361464"
    assert (
        receipt.note == "Refunded 40.00 EUR through Shopify (refund gid://shopify/Refund/929361464)"
    )
    assert receipt.voucher_code is None


def test_only_the_units_received_are_refunded_as_lines(shop: RefundingShop) -> None:
    # Given one of two T-shirts received, and nothing yet of a line without a SKU
    rma = a_return(
        line(quantity=2, received=1), line(sku="SHOPIFY-LINE-25746871", quantity=1, received=0)
    )
    payments().refund(rma, owed("25.00"), idempotency_key=KEY)
    # Then only the received T-shirt is a refund line
    assert refund_input(shop)["refundLineItems"] == [
        {"lineItemId": T_SHIRTS, "quantity": 1, "restockType": "NO_RESTOCK"}
    ]


def test_a_line_without_a_sku_is_matched_by_its_shopify_line_id(shop: RefundingShop) -> None:
    rma = a_return(line(sku="SHOPIFY-LINE-25746871", quantity=1, received=1))
    payments().refund(rma, owed("25.00"), idempotency_key=KEY)
    assert refund_input(shop)["refundLineItems"] == [
        {"lineItemId": NO_SKU_LINE, "quantity": 1, "restockType": "NO_RESTOCK"}
    ]


def test_the_shop_notifies_the_shopper_only_when_the_policy_says_so(shop: RefundingShop) -> None:
    payments(ReturnPolicy(shop_notifies_shopper=False)).refund(
        a_return(), owed("50.00"), idempotency_key=KEY
    )
    assert refund_input(shop)["notify"] is False


def test_the_amount_is_taken_from_each_payment_for_what_it_still_holds(
    respx_mock: respx.MockRouter,
) -> None:
    # Given an order paid 20.00 by gift card (5.00 of it refunded already) and 30.00 by card
    # (authorised, then captured), beside a failed attempt
    shop = mocked_shop(respx_mock, "order_two_payments")
    # When 25.00 is refunded
    receipt = payments().refund(a_return(), owed("25.00"), idempotency_key=KEY)
    # Then 15.00 goes back to the gift card and 10.00 to the card's capture
    assert [
        (t["parentId"], t["gateway"], t["amount"]) for t in refund_input(shop)["transactions"]
    ] == [
        ("gid://shopify/OrderTransaction/723599261", "gift_card", "15.00"),
        ("gid://shopify/OrderTransaction/723599263", "shopify_payments", "10.00"),
    ]
    assert receipt.reference == "gid://shopify/Refund/929361464"


def test_more_than_the_order_still_holds_is_declined_with_the_figures_before_any_refund(
    respx_mock: respx.MockRouter,
) -> None:
    # Given an order whose payments hold 45.00 more (15.00 + 30.00)
    shop = mocked_shop(respx_mock, "order_two_payments")
    # When 45.01 is to be refunded, then it is declined, saying both amounts
    with pytest.raises(PaymentDeclinedError) as declined:
        payments().refund(a_return(), owed("45.01"), idempotency_key=KEY)
    assert str(declined.value) == (
        "Return R-001234 is to refund 45.01 EUR, but Shopify can refund at most 45.00 EUR of "
        "order #1001 (what its payments still hold)."
    )
    assert shop.of("ReturnsDeskRefund") == []


def test_a_full_refund_asked_again_after_a_lost_answer_is_found_not_declined_not_made_twice(
    shop: RefundingShop,
) -> None:
    # Given the whole 62.50 the order holds refunded, but Shopify's answer lost on the way
    shop.lose_answer_of.add("ReturnsDeskRefund")
    with pytest.raises(TransientError):
        payments().refund(a_return(), owed("62.50"), idempotency_key=KEY)
    # When the payment is tried again, the order now holding nothing more
    receipt = payments().refund(a_return(), owed("62.50"), idempotency_key=KEY)
    # Then the refund made is found on the order by its note, and is the receipt: no decline
    # for more than the order holds, and no second refund asked
    assert receipt.reference == "gid://shopify/Refund/929361464"
    assert receipt.note == (
        "Refunded 62.50 EUR through Shopify (refund gid://shopify/Refund/929361464)"
    )
    assert len(shop.of("ReturnsDeskRefund")) == 1
    assert len(shop.refunds) == 1


def test_a_partial_refund_asked_again_after_its_answer_was_lost_is_found_not_made_twice(
    shop: RefundingShop,
) -> None:
    # Given 40.00 of the order's 62.50 refunded, but Shopify's answer lost on the way
    shop.lose_answer_of.add("ReturnsDeskRefund")
    with pytest.raises(TransientError):
        payments().refund(a_return(), owed("40.00"), idempotency_key=KEY)
    # When the payment is tried again, the order showing that refund and its lines refunded
    receipt = payments().refund(a_return(), owed("40.00"), idempotency_key=KEY)
    # Then that refund is the receipt, and nothing else is asked under the payment's key
    # (other lines and amounts under the same key are not the same request to Shopify)
    assert receipt.reference == "gid://shopify/Refund/929361464"
    assert [call.operation for call in shop.calls] == [
        "ReturnsDeskOrder",
        "ReturnsDeskRefund",
        "ReturnsDeskOrder",
    ]
    assert len(shop.refunds) == 1


def test_a_payment_answered_and_asked_again_gets_the_same_receipt_from_the_order(
    shop: RefundingShop,
) -> None:
    # Given a refund paid once (its answer kept, then the write of it lost)
    first = payments().refund(a_return(), owed("50.00"), idempotency_key=KEY)
    # When the same resolution is paid again
    again = payments().refund(a_return(), owed("50.00"), idempotency_key=KEY)
    # Then the receipt is the same, and Shopify was asked for one refund
    assert again == first
    assert len(shop.of("ReturnsDeskRefund")) == 1


def test_two_tries_racing_ask_the_same_refund_with_the_same_key_and_shopify_makes_one(
    shop: RefundingShop,
) -> None:
    # Given two tries of the same payment that both read the order before either refunded it
    before = copy.deepcopy(shop.order)
    first = payments().refund(a_return(), owed("50.00"), idempotency_key=KEY)
    shop.answer_once("ReturnsDeskOrder", before)
    again = payments().refund(a_return(), owed("50.00"), idempotency_key=KEY)
    # Then both asked the same refund under the same @idempotent key, and the shop made one
    asked = shop.of("ReturnsDeskRefund")
    assert [call.idempotency_key for call in asked] == [idempotency_uuid(KEY)] * 2
    assert asked[0].variables == asked[1].variables
    assert len(shop.refunds) == 1
    assert again == first


def test_a_refund_of_the_order_not_marked_with_this_payment_is_not_taken_for_it(
    respx_mock: respx.MockRouter,
) -> None:
    # Given an order with a 5.00 refund a person made by hand
    shop = mocked_shop(respx_mock, "order_two_payments")
    # When 5.00 is refunded for the return
    receipt = payments().refund(a_return(), owed("5.00"), idempotency_key=KEY)
    # Then the person's refund is not this payment: a refund is made
    assert len(shop.of("ReturnsDeskRefund")) == 1
    assert receipt.reference == "gid://shopify/Refund/929361464"


def test_another_resolution_of_the_return_is_another_refund(shop: RefundingShop) -> None:
    payments().refund(a_return(), owed("20.00"), idempotency_key=KEY)
    payments().refund(a_return(), owed("5.00"), idempotency_key=KEY.replace(":0", ":1"))
    first, second = (call.idempotency_key for call in shop.of("ReturnsDeskRefund"))
    assert first != second
    assert len(shop.refunds) == 2


def test_a_key_shopify_used_for_another_amount_is_declined_not_recorded(
    shop: RefundingShop,
) -> None:
    # Given 40.00 refunded under the resolution's key, whose answer was lost
    payments().refund(a_return(), owed("40.00"), idempotency_key=KEY)
    # When a person sets 45.00 on that resolution and it is paid under the same key
    with pytest.raises(PaymentDeclinedError) as declined:
        payments().refund(a_return(), owed("45.00"), idempotency_key=KEY)
    # Then Shopify's first refund, found on the order, is not taken for the new amount, and
    # no other refund is asked
    assert str(declined.value) == (
        "Shopify's refund gid://shopify/Refund/929361464 for return R-001234 is of 40.00 EUR, "
        "not the 45.00 EUR owed: check the order in Shopify before paying again."
    )
    assert len(shop.of("ReturnsDeskRefund")) == 1
    assert len(shop.refunds) == 1


def test_user_errors_are_a_decline_naming_shopifys_reasons(shop: RefundingShop) -> None:
    shop.answer_once("ReturnsDeskRefund", fixture("refund_create_user_errors"))
    with pytest.raises(PaymentDeclinedError) as declined:
        payments().refund(a_return(), owed("50.00"), idempotency_key=KEY)
    assert str(declined.value) == (
        "Shopify declined to pay return R-001234: Refund amount exceeds the available amount "
        "(transactions.0.amount)"
    )


def test_a_query_shopify_refuses_is_a_decline(shop: RefundingShop) -> None:
    shop.answer_once("ReturnsDeskRefund", fixture("access_denied"))
    with pytest.raises(PaymentDeclinedError, match="Access denied for refundCreate field"):
        payments().refund(a_return(), owed("50.00"), idempotency_key=KEY)


def test_a_refund_failing_at_the_gateway_is_a_decline(shop: RefundingShop) -> None:
    failed = fixture("refund_create")
    failed["data"]["refundCreate"]["refund"]["transactions"]["nodes"][0]["status"] = "FAILURE"
    shop.answer_once("ReturnsDeskRefund", failed)
    with pytest.raises(PaymentDeclinedError, match="failed at the payment gateway"):
        payments().refund(a_return(), owed("10.00"), idempotency_key=KEY)


def test_an_order_not_from_shopify_is_recorded_as_paid_elsewhere_without_asking_shopify(
    shop: RefundingShop,
) -> None:
    # Given an order the merchant's own system opened (no Shopify order id)
    receipt = payments().refund(a_return(external_id=None), owed("50.00"), idempotency_key=KEY)
    # Then Shopify is not asked, and the receipt says the refund is the back office's to pay
    assert shop.calls == []
    assert receipt.note.startswith("Order #1001 is not a Shopify order (no Shopify order id): ")
    assert "recorded as executed manually in the store's back office" in receipt.note


def test_an_order_shopify_does_not_show_is_declined_naming_the_scope_old_orders_need(
    shop: RefundingShop,
) -> None:
    shop.answer_once("ReturnsDeskOrder", {"data": {"order": None}})
    with pytest.raises(PaymentDeclinedError, match="needs the app's read_all_orders scope"):
        payments().refund(a_return(), owed("50.00"), idempotency_key=KEY)
    assert shop.of("ReturnsDeskRefund") == []


def test_an_order_paid_in_another_currency_than_the_shops_is_declined(
    shop: RefundingShop,
) -> None:
    shop.order["data"]["order"]["presentmentCurrencyCode"] = "USD"
    with pytest.raises(PaymentDeclinedError, match="paid in USD in a shop keeping EUR"):
        payments().refund(a_return(), owed("50.00"), idempotency_key=KEY)
    assert shop.of("ReturnsDeskRefund") == []


def test_shopify_busy_past_the_wait_is_retried_later_not_declined(shop: RefundingShop) -> None:
    for _ in range(3):
        shop.answer_once("ReturnsDeskRefund", fixture("throttled"))
    with pytest.raises(TransientError):
        payments().refund(a_return(), owed("50.00"), idempotency_key=KEY)
    assert shop.refunds == {}


# --- store credit ---------------------------------------------------------------------------


def voucher() -> Rma:
    return a_return(resolution=ExpectedResolution.VOUCHER)


def test_store_credit_is_one_gift_card_of_the_exact_amount_with_a_code_of_its_own(
    shop: RefundingShop,
) -> None:
    # When 27.50 of store credit is paid
    receipt = payments().refund(
        voucher(), owed("27.50", FinancialMethod.VOUCHER), idempotency_key=KEY
    )
    # Then the shop's currency is checked, and one gift card asked for: 27.50, a code made
    # from the payment's key, a note naming the return (no customer: no customers' scope)
    [created] = shop.of("ReturnsDeskStoreCredit")
    code = created.variables["input"]["code"]
    assert created.variables == {
        "input": {
            "initialValue": "27.50",
            "code": code,
            "note": "Store credit for return R-001234 (order #1001)",
        }
    }
    assert len(code) == 20
    assert code.isalnum()
    assert code.isupper()
    assert [call.operation for call in shop.calls] == [
        "ReturnsDeskShopCurrency",
        "ReturnsDeskStoreCredit",
    ]
    # And the receipt holds the card's id and its code; its note shows the last four only
    assert receipt.reference == "gid://shopify/GiftCard/1063936318"
    assert receipt.voucher_code == code
    assert receipt.note == (
        f"Store credit of 27.50 EUR issued as Shopify gift card ending {code[-4:]} "
        "(gid://shopify/GiftCard/1063936318)"
    )
    assert code not in receipt.note


def test_store_credit_paid_again_makes_no_second_gift_card(shop: RefundingShop) -> None:
    # Given store credit paid once
    first = payments().refund(
        voucher(), owed("27.50", FinancialMethod.VOUCHER), idempotency_key=KEY
    )
    # When it is paid again (a retry after a lost answer)
    again = payments().refund(
        voucher(), owed("27.50", FinancialMethod.VOUCHER), idempotency_key=KEY
    )
    # Then the same code was asked for, Shopify said it is taken, and that card is the answer
    codes = [call.variables["input"]["code"] for call in shop.of("ReturnsDeskStoreCredit")]
    assert codes[0] == codes[1]
    assert len(shop.gift_cards) == 1
    assert shop.of("ReturnsDeskStoreCreditByCode")[0].variables == {"query": codes[0]}
    assert again == first


def test_a_taken_code_holding_another_amount_is_declined(shop: RefundingShop) -> None:
    payments().refund(voucher(), owed("27.50", FinancialMethod.VOUCHER), idempotency_key=KEY)
    with pytest.raises(PaymentDeclinedError, match=r"holds 27\.50 EUR, not the 30\.00 EUR owed"):
        payments().refund(voucher(), owed("30.00", FinancialMethod.VOUCHER), idempotency_key=KEY)
    assert len(shop.gift_cards) == 1


def test_store_credit_in_another_currency_than_the_shops_is_declined(
    shop: RefundingShop,
) -> None:
    with pytest.raises(PaymentDeclinedError, match="the shop's gift cards are in EUR"):
        payments().refund(
            a_return(resolution=ExpectedResolution.VOUCHER, currency="USD"),
            owed("27.50", FinancialMethod.VOUCHER),
            idempotency_key=KEY,
        )
    assert shop.gift_cards == {}


def test_a_code_is_the_same_for_a_payment_and_unguessable_without_the_secret() -> None:
    code = payments().gift_card_code(KEY)
    assert payments().gift_card_code(KEY) == code
    assert payments().gift_card_code(KEY.replace(":0", ":1")) != code
    assert payments(secret=b"another shop's token").gift_card_code(KEY) != code


def test_no_full_gift_card_code_is_logged(shop: RefundingShop, app_logs: Callable[[], str]) -> None:
    # Given store credit paid, then paid again, then asked for another amount
    pay = payments()
    resolution = owed("27.50", FinancialMethod.VOUCHER)
    receipt = pay.refund(voucher(), resolution, idempotency_key=KEY)
    pay.refund(voucher(), resolution, idempotency_key=KEY)
    with pytest.raises(PaymentDeclinedError) as declined:
        pay.refund(voucher(), owed("30.00", FinancialMethod.VOUCHER), idempotency_key=KEY)
    code = receipt.voucher_code
    # Then the logs name the card by its last four characters, never by its code
    assert code
    assert code[-4:] in app_logs()
    assert code not in app_logs()
    assert code not in str(declined.value)


def test_the_request_never_logs_the_code_either(
    respx_mock: respx.MockRouter, app_logs: Callable[[], str]
) -> None:
    # Given a shop that is out of reach when the card is asked for
    shop = mocked_shop(respx_mock)
    shop.answers["ReturnsDeskStoreCredit"] = [httpx.Response(503, text="unavailable")]
    with pytest.raises(TransientError):
        payments().refund(voucher(), owed("27.50", FinancialMethod.VOUCHER), idempotency_key=KEY)
    assert payments().gift_card_code(KEY) not in app_logs()
