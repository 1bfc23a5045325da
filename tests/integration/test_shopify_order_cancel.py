"""An accepted cancellation request cancels the order in Shopify (`orderCancel`), once however
often it is asked; without a shop, or for an order not from Shopify, it is left to the back
office. The real httpx client, respx standing in for the shop with the documented shapes of
tests/events/shopify_graphql/."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from chalicelib.domain.order_requests import OrderRequest, OrderRequestKind
from chalicelib.domain.rma import Customer, OrderRef
from chalicelib.errors import TransientError
from chalicelib.integrations.cancellations import (
    CancellationDeclinedError,
    ManualCancellation,
    OrderCanceller,
)
from chalicelib.integrations.shopify_orders import ShopifyOrders
from tests.shopify_refunds_support import GRAPHQL_URL, Call, admin_client, fixture

ORDER = "gid://shopify/Order/734509473"
JOB = "gid://shopify/Job/4f6c3a4e-7d1b-4c5e-9a57-2f3f4f2d7a10"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class CancelingShop:
    """The shop's order and its cancellation: an order canceled once stays canceled, and a
    second `orderCancel` is refused as Shopify refuses it."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.cancelled_at: str | None = None
        self.refusal: dict[str, Any] | None = None
        self.lose_cancel_answer = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        call = Call(request)
        self.calls.append(call)
        return httpx.Response(200, json=getattr(self, f"_{call.operation}")(call))

    def of(self, operation: str) -> list[dict[str, Any]]:
        return [call.variables for call in self.calls if call.operation == operation]

    def _ReturnsDeskOrderState(self, call: Call) -> dict[str, Any]:
        answer = fixture("order_state")
        answer["data"]["order"]["cancelledAt"] = self.cancelled_at
        return answer

    def _ReturnsDeskOrderCancel(self, call: Call) -> dict[str, Any]:
        if self.refusal is not None:
            return copy.deepcopy(self.refusal)
        if self.cancelled_at is not None:
            answer = fixture("order_cancel_user_error")
            answer["data"]["orderCancel"]["orderCancelUserErrors"][0]["message"] = (
                "Order has already been cancelled"
            )
            return answer
        self.cancelled_at = "2026-12-01T09:00:05Z"
        if self.lose_cancel_answer:
            self.lose_cancel_answer = False
            raise httpx.ReadTimeout("the answer was lost", request=call.request)
        return fixture("order_cancel")


@pytest.fixture
def shop(respx_mock: respx.MockRouter) -> CancelingShop:
    stand_in = CancelingShop()
    respx_mock.post(GRAPHQL_URL).mock(side_effect=stand_in)
    return stand_in


def a_cancellation(external_id: str | None = ORDER) -> OrderRequest:
    return OrderRequest(
        reference="X-000042",
        kind=OrderRequestKind.CANCELLATION,
        order=OrderRef(number="#4950", external_id=external_id),
        customer=Customer(email="jane.doe@example.com"),
        created_at=NOW,
        updated_at=NOW,
    )


def orders() -> OrderCanceller:
    return ShopifyOrders(admin_client())


def test_an_accepted_request_cancels_the_order_as_the_shopper_asked(shop: CancelingShop) -> None:
    # Given an order the shop has not canceled
    request = a_cancellation()

    # When it is canceled, refunded, restocked and the shopper notified
    done = orders().cancel(request, refund=True, restock=True, notify=True)

    # Then the order is read, then canceled with exactly the documented arguments
    assert [call.operation for call in shop.calls] == [
        "ReturnsDeskOrderState",
        "ReturnsDeskOrderCancel",
    ]
    assert shop.of("ReturnsDeskOrderCancel") == [
        {
            "orderId": ORDER,
            "reason": "CUSTOMER",
            "refundMethod": {"originalPaymentMethodsRefund": True},
            "restock": True,
            "notifyCustomer": True,
            "staffNote": "Cancellation request X-000042 accepted in returns-desk",
        }
    ]
    # And the shop's job is kept
    assert done.in_shop is True
    assert done.job_id == JOB
    assert (done.refund, done.restock) == (True, True)
    assert done.note == f"Order #4950 canceled in Shopify, refunded and restocked (job {JOB})"


def test_the_mutation_sent_is_2026_04s_with_refund_method_not_the_deprecated_refund(
    shop: CancelingShop,
) -> None:
    orders().cancel(a_cancellation(), refund=False, restock=False, notify=False)
    query = next(call.query for call in shop.calls if call.operation == "ReturnsDeskOrderCancel")
    assert "refundMethod: $refundMethod" in query
    assert "refund:" not in query
    assert "orderCancelUserErrors { field message code }" in query
    assert shop.of("ReturnsDeskOrderCancel")[0]["refundMethod"] == {
        "originalPaymentMethodsRefund": False
    }


def test_an_order_already_canceled_is_done_without_asking_again(shop: CancelingShop) -> None:
    # Given an order a person already canceled in the admin
    shop.cancelled_at = "2026-12-01T08:00:00Z"

    # When it is canceled
    done = orders().cancel(a_cancellation(), refund=True, restock=True, notify=True)

    # Then nothing more is asked, and the request is done
    assert shop.of("ReturnsDeskOrderCancel") == []
    assert done.in_shop is True
    assert done.note == "Order #4950 was already canceled in Shopify (2026-12-01T08:00:00Z)."


def test_a_cancellation_asked_again_after_a_lost_answer_is_done_not_refused(
    shop: CancelingShop,
) -> None:
    # Given a cancellation whose answer was lost on the way back
    shop.lose_cancel_answer = True
    with pytest.raises(TransientError):
        orders().cancel(a_cancellation(), refund=True, restock=True, notify=True)

    # When it is asked again, then the order shows it canceled: done
    done = orders().cancel(a_cancellation(), refund=True, restock=True, notify=True)
    assert done.in_shop is True
    assert len(shop.of("ReturnsDeskOrderCancel")) == 1


def test_a_refusal_of_an_order_canceled_meanwhile_is_done(respx_mock: respx.MockRouter) -> None:
    # Given an order that reads uncanceled, then is refused as canceled already (a person
    # canceled it between the read and the mutation)
    class CanceledMeanwhile(CancelingShop):
        def _ReturnsDeskOrderCancel(self, call: Call) -> dict[str, Any]:
            self.cancelled_at = "2026-12-01T09:00:01Z"
            return super()._ReturnsDeskOrderCancel(call)

    meanwhile = CanceledMeanwhile()
    respx_mock.post(GRAPHQL_URL).mock(side_effect=meanwhile)

    # When it is canceled, then the order's state decides: done
    done = orders().cancel(a_cancellation(), refund=True, restock=True, notify=True)
    assert done.in_shop is True
    assert done.note is not None
    assert "already canceled" in done.note
    assert [call.operation for call in meanwhile.calls] == [
        "ReturnsDeskOrderState",
        "ReturnsDeskOrderCancel",
        "ReturnsDeskOrderState",
    ]


def test_another_refusal_is_for_a_person_naming_shopifys_reason(shop: CancelingShop) -> None:
    # Given an order Shopify will not cancel (an active return)
    shop.refusal = fixture("order_cancel_user_error")

    # When it is canceled, then it is refused with Shopify's message and code
    with pytest.raises(CancellationDeclinedError) as refused:
        orders().cancel(a_cancellation(), refund=True, restock=True, notify=True)
    assert str(refused.value) == (
        "Shopify refused to cancel order #4950 of X-000042: Cannot cancel an order with an "
        "active return. [INVALID]"
    )


def test_a_query_shopify_will_not_run_is_refused_not_retried(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(GRAPHQL_URL).mock(
        return_value=httpx.Response(200, json=fixture("access_denied"))
    )
    with pytest.raises(CancellationDeclinedError, match="Shopify refused to cancel order #4950"):
        orders().cancel(a_cancellation(), refund=True, restock=True, notify=True)


def test_an_order_not_from_shopify_is_left_to_the_back_office(shop: CancelingShop) -> None:
    done = orders().cancel(
        a_cancellation(external_id="ERP-4950"), refund=True, restock=False, notify=True
    )
    assert shop.calls == []
    assert done.in_shop is False
    assert done.note == (
        "Cancel order #4950 in the shop's back office (refund): it is not a Shopify order "
        "(no Shopify order id)."
    )


def test_without_a_shop_the_cancellation_is_left_to_a_person() -> None:
    done = ManualCancellation().cancel(a_cancellation(), refund=True, restock=True, notify=True)
    assert done.in_shop is False
    assert done.job_id is None
    assert done.note == "Cancel order #4950 in the shop's back office (refund and restock)."


def test_the_fixtures_are_the_documented_payload() -> None:
    # orderCancel answers {job {id done}, orderCancelUserErrors {field message code}}
    payload = fixture("order_cancel")["data"]["orderCancel"]
    assert set(payload) == {"job", "orderCancelUserErrors"}
    assert set(payload["job"]) == {"id", "done"}
    error = fixture("order_cancel_user_error")["data"]["orderCancel"]["orderCancelUserErrors"][0]
    assert set(error) == {"field", "message", "code"}
