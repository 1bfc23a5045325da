"""The return lifecycle paying through Shopify: the state machine's definition run under moto,
its tasks in this process, the app configured with a shop, and respx standing in for the shop
(tests/shopify_refunds_support.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

import app
from chalicelib.integrations.payments import ManualPayments
from chalicelib.integrations.shopify_payments import ShopifyPayments
from chalicelib.services import container
from tests.lifecycle_support import (
    AUTO_APPROVED,
    ITEM_RECEIPT,
    REFUNDED_AUTOMATICALLY,
    by_workflow,
    current,
    ended,
    no_execution_outlives_its_test,  # noqa: F401 (autouse fixture)
    order_placed,
    receive,
    statuses,
    submit_return,
    waiting_in,
)
from tests.shopify_refunds_support import SHOP, TOKEN, RefundingShop, mocked_shop
from tests.support import reconfigure

T_SHIRTS = "gid://shopify/LineItem/25746870"
PAID = ("COMPLETE", "DELIVERED", "REFUNDED", "COMPLETE")


@pytest.fixture
def shop(
    lifecycle: str, respx_mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> RefundingShop:
    """A shop the app pays through: its domain and Admin API token set."""
    reconfigure(monkeypatch, SHOPIFY_SHOP_DOMAIN=SHOP, SHOPIFY_ADMIN_TOKEN=TOKEN)
    return mocked_shop(respx_mock)


def refunded_on_receipt(api: Any, lifecycle: str, **terms: Any) -> dict[str, Any]:
    """A return the lifecycle pays without a person, once its T-shirt is received new."""
    rma = submit_return(api, auto_execute_financial_resolution=True, **terms)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], "BRAND_NEW_WITH_LABEL").status_code == 200
    return rma


def test_the_lifecycle_refunds_through_shopify_once_and_keeps_shopifys_refund(
    api: Any, lifecycle: str, shop: RefundingShop
) -> None:
    # Given a 25.00 T-shirt return of a Shopify order, paid back when received
    rma = refunded_on_receipt(api, lifecycle)

    # Then the lifecycle completes it, REFUNDED, with Shopify's refund on its resolution
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    done = current(rma["id"])
    assert statuses(done) == PAID
    [paid] = done.financial_resolutions
    assert (paid.amount, paid.reference) == (Decimal("25.00"), "gid://shopify/Refund/929361464")
    # And Shopify was asked for one refund: the T-shirt, 25.00 from the card payment
    [asked] = shop.of("ReturnsDeskRefund")
    refund_input = asked.variables["input"]
    assert refund_input["orderId"] == "gid://shopify/Order/1"
    assert refund_input["refundLineItems"] == [
        {"lineItemId": T_SHIRTS, "quantity": 1, "restockType": "NO_RESTOCK"}
    ]
    assert [t["amount"] for t in refund_input["transactions"]] == ["25.00"]
    assert by_workflow(api, rma["id"])[-2][2] == (
        "Refunded 25.00 EUR through Shopify (refund gid://shopify/Refund/929361464)"
    )

    # When Step Functions runs ExecuteRefund once more, as a retry would
    app.execute_refund({"rma_id": rma["id"]}, None)

    # Then Shopify is not asked again, and the return is as it was
    assert len(shop.of("ReturnsDeskRefund")) == 1
    assert current(rma["id"]) == done


def refunded_once_after_a_lost_answer(lifecycle: str, shop: RefundingShop, rma_id: str) -> None:
    """ExecuteRefund ran twice (the first failure is retried): the second found the refund the
    first made on the order, Shopify made that one only, and the return is REFUNDED with it."""
    ended(lifecycle, rma_id, "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    assert len(shop.of("ReturnsDeskOrder")) == 2
    assert len(shop.of("ReturnsDeskRefund")) == 1
    assert len(shop.refunds) == 1
    done = current(rma_id)
    assert statuses(done) == PAID
    assert done.financial_resolutions[0].reference == "gid://shopify/Refund/929361464"


def test_a_partial_refund_asked_again_after_its_answer_was_lost_is_found_not_made_twice(
    api: Any, lifecycle: str, shop: RefundingShop
) -> None:
    # Given Shopify makes the refund (25.00 of the order's 62.50) but its answer never reaches
    # returns-desk
    shop.lose_answer_of.add("ReturnsDeskRefund")

    # When the lifecycle pays a received return
    rma = refunded_on_receipt(api, lifecycle)

    # Then the retry finds the refund made, and asks for no other
    refunded_once_after_a_lost_answer(lifecycle, shop, rma["id"])


def test_a_full_refund_asked_again_after_its_answer_was_lost_is_found_not_declined(
    api: Any, lifecycle: str, shop: RefundingShop
) -> None:
    # Given an order paid 25.00 in all, whose whole refund Shopify makes but whose answer never
    # reaches returns-desk
    shop.order["data"]["order"]["transactions"][0]["amountSet"]["shopMoney"]["amount"] = "25.0"
    shop.lose_answer_of.add("ReturnsDeskRefund")

    # When the lifecycle pays a received return
    rma = refunded_on_receipt(api, lifecycle)

    # Then the retry finds the refund made instead of declining a refund the order no longer
    # holds: the return is not an execution error, and the shopper is paid once
    refunded_once_after_a_lost_answer(lifecycle, shop, rma["id"])


def test_store_credit_is_a_shopify_gift_card_whose_code_stays_on_the_resolution(
    api: Any, lifecycle: str, shop: RefundingShop
) -> None:
    # Given a return paid back in store credit
    rma = refunded_on_receipt(api, lifecycle, expected_resolution="VOUCHER")

    # Then one gift card of 25.00 was made, and the resolution keeps its id and code, the log
    # its last four characters only
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    [card] = shop.gift_cards.values()
    [paid] = current(rma["id"]).financial_resolutions
    assert (paid.reference, paid.voucher_code) == (card["id"], next(iter(shop.gift_cards)))
    assert card["initialValue"]["amount"] == "25.00"
    notes = " ".join(note or "" for _, _, note in by_workflow(api, rma["id"]))
    assert paid.voucher_code
    assert paid.voucher_code not in notes
    assert f"ending {paid.voucher_code[-4:]}" in notes


def test_a_return_of_an_order_not_from_shopify_is_recorded_for_the_back_office(
    api: Any, lifecycle: str, shop: RefundingShop
) -> None:
    # Given a return of an order typed in by hand (no Shopify order id)
    order = {**order_placed(days_ago=3), "external_id": None}
    rma = refunded_on_receipt(api, lifecycle, order=order)

    # Then nothing is asked of Shopify: the refund is recorded for the back office to pay, as
    # without a shop, and the return completes saying so
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    assert statuses(current(rma["id"])) == PAID
    assert shop.calls == []
    note = by_workflow(api, rma["id"])[-2][2] or ""
    assert note.startswith("Order #")
    assert "is not a Shopify order" in note


def test_an_app_made_in_the_dev_dashboard_pays_with_the_tokens_its_credentials_get(
    api: Any, lifecycle: str, respx_mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a shop whose app has client credentials instead of a fixed token
    reconfigure(
        monkeypatch,
        SHOPIFY_SHOP_DOMAIN=SHOP,
        SHOPIFY_CLIENT_ID="client-id-1",
        SHOPIFY_CLIENT_SECRET="client-secret-1",
    )
    granted = {"access_token": "shpat_of_the_day", "scope": "write_orders", "expires_in": 86399}
    tokens = respx_mock.post(f"https://{SHOP}/admin/oauth/access_token").mock(
        return_value=httpx.Response(200, json=granted)
    )
    shop = mocked_shop(respx_mock)

    # When the lifecycle pays a received return
    rma = refunded_on_receipt(api, lifecycle)

    # Then it is refunded through Shopify with the token the credentials got
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    assert statuses(current(rma["id"])) == PAID
    assert tokens.call_count == 1
    used = {call.request.headers["X-Shopify-Access-Token"] for call in shop.calls}
    assert used == {"shpat_of_the_day"}


def test_without_the_shop_or_its_app_refunds_are_recorded_for_the_back_office(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    reconfigure(monkeypatch, SHOPIFY_SHOP_DOMAIN=SHOP)
    assert isinstance(container.payment_provider(), ManualPayments)
    reconfigure(monkeypatch, SHOPIFY_SHOP_DOMAIN=None, SHOPIFY_ADMIN_TOKEN=TOKEN)
    assert isinstance(container.payment_provider(), ManualPayments)
    reconfigure(monkeypatch, SHOPIFY_SHOP_DOMAIN=SHOP)
    assert isinstance(container.payment_provider(), ShopifyPayments)
