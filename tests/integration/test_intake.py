"""One intake opens every return: the policy's money terms apply whatever the channel, units of
an order line are claimed atomically, and a creating POST honours `Idempotency-Key`."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.statuses import ExpectedResolution, ReturnReason
from chalicelib.errors import LinesNotReturnableError
from chalicelib.services import container
from chalicelib.services.portal_service import RequestedReturnLine
from tests.integration.test_portal import JANE, call, open_return, store_order
from tests.support import ADMIN_AUTH, JSON, body, rma_payload

MUG = [{"sku": "MUG", "quantity": 1, "reason": "SIZE_PROBLEM"}]


@pytest.fixture
def jane_ordered(api: Any) -> None:
    store_order("#1001", JANE)


def admin(api: Any, path: str, payload: Any = None, **headers: str) -> Any:
    return api.http.post(
        path, headers={**ADMIN_AUTH, **JSON, **headers}, body=json.dumps(payload or {})
    )


# --- the policy's terms, whatever the channel --------------------------------------------------


def test_a_portal_return_is_charged_the_policys_return_fee(api: Any, jane_ordered: None) -> None:
    # Given a policy charging a 5.00 return fee
    container.policy_service().replace(ReturnPolicy(return_fee=Decimal("5.00")), 0)
    # When Jane returns her 12.00 mug through the portal, and it comes back as new
    created = open_return(api, lines=MUG)
    assert created.status_code == 201, created.body
    reference = body(created)["reference"]
    assert admin(api, f"/rmas/{reference}/accept").status_code == 200
    received = {"sku": "MUG", "quantity": 1, "product_state": "BRAND_NEW_WITH_LABEL"}
    assert admin(api, f"/rmas/{reference}/receive", {"lines": [received]}).status_code == 200
    # Then the return carries the policy's terms, and its refund is 12.00 less the fee
    refunded = admin(api, f"/rmas/{reference}/refund")
    assert refunded.status_code == 200, refunded.body
    rma = body(refunded)
    assert rma["apply_return_fee"] is True
    assert [r["amount"] for r in rma["financial_resolutions"]] == ["7.00"]


def test_a_portal_request_naming_a_sku_twice_is_refused_naming_lines(
    api: Any, jane_ordered: None
) -> None:
    response = open_return(api, lines=[MUG[0], MUG[0]])
    assert response.status_code == 400, response.body
    error = body(response)["error"]
    assert error["code"] == "validation_error"
    assert [problem["field"] for problem in error["details"]["errors"]] == ["lines"]


# --- units claimed atomically ------------------------------------------------------------------


def test_of_twenty_simultaneous_requests_for_the_last_unit_exactly_one_opens_a_return(
    api: Any, jane_ordered: None
) -> None:
    # Given Jane's order of one mug
    portal = container.portal_service()
    opened: list[str] = []
    refused: list[LinesNotReturnableError] = []
    unexpected: list[Exception] = []
    start = threading.Barrier(20)

    def request() -> None:
        start.wait()
        try:
            rma = portal.open_return(
                JANE,
                "#1001",
                [RequestedReturnLine("MUG", 1, ReturnReason.SIZE_PROBLEM)],
                expected_resolution=ExpectedResolution.REFUND,
                comment=None,
            )
            opened.append(rma.return_reference)
        except LinesNotReturnableError as error:
            refused.append(error)
        except Exception as error:  # reported below, whatever it is
            unexpected.append(error)

    # When twenty requests for it arrive at once
    threads = [threading.Thread(target=request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one return is opened, and the nineteen others are refused as not returnable
    assert unexpected == []
    assert len(opened) == 1
    assert len(refused) == 19
    # And the one return is the only one the shopper has
    assert [r["reference"] for r in body(call(api, "GET", "/portal/returns", JANE))["returns"]] == (
        opened
    )


def test_units_a_canceled_return_held_may_be_returned_again(api: Any, jane_ordered: None) -> None:
    # Given Jane's return of her one mug
    first = body(open_return(api, lines=MUG))["reference"]
    again = open_return(api, lines=MUG)
    assert again.status_code == 422, again.body
    assert body(again)["error"]["code"] == "lines_not_returnable"
    # When she cancels it
    assert call(api, "POST", f"/portal/returns/{first}/cancel", JANE, {}).status_code == 200
    # Then the mug may be returned again
    assert open_return(api, lines=MUG).status_code == 201


# --- Idempotency-Key ---------------------------------------------------------------------------


def test_a_portal_request_repeated_with_its_key_gets_the_first_answer_and_opens_nothing(
    api: Any, jane_ordered: None
) -> None:
    # Given a return opened with an Idempotency-Key
    payload = {"order_number": "#1001", "lines": MUG}
    key = {"Idempotency-Key": "9c1d7a52-2f53-4d6f-a8a8-3f0d2a1e5b11"}
    first = portal_post(api, payload, key)
    assert first.status_code == 201, first.body
    # When the same request is sent again with the same key (a double click)
    second = portal_post(api, payload, key)
    # Then it gets the same answer, and Jane still has one return
    assert (second.status_code, body(second)) == (201, body(first))
    assert len(body(call(api, "GET", "/portal/returns", JANE))["returns"]) == 1


def test_a_key_used_again_with_another_body_is_a_conflict(api: Any, jane_ordered: None) -> None:
    key = {"Idempotency-Key": "order-1001-attempt-1"}
    assert portal_post(api, {"order_number": "#1001", "lines": MUG}, key).status_code == 201
    tee = [{"sku": "TEE-M", "quantity": 1, "reason": "SIZE_PROBLEM"}]
    response = portal_post(api, {"order_number": "#1001", "lines": tee}, key)
    assert response.status_code == 409, response.body
    assert body(response)["error"]["code"] == "idempotency_key_reused"


def test_a_refused_request_keeps_no_answer_for_its_key(api: Any, jane_ordered: None) -> None:
    # Given a request refused for a SKU the order lacks
    key = {"Idempotency-Key": "retry-me"}
    bad = {"order_number": "#1001", "lines": [{**MUG[0], "sku": "NOPE"}]}
    assert portal_post(api, bad, key).status_code == 400
    # When the same request is sent again, then it is refused again, not answered from memory
    assert portal_post(api, bad, key).status_code == 400


def test_an_admin_creation_repeated_with_its_key_opens_one_return(api: Any) -> None:
    key = {"Idempotency-Key": "erp-return-77"}
    first = admin(api, "/rmas", rma_payload(), **key)
    second = admin(api, "/rmas", rma_payload(), **key)
    assert first.status_code == second.status_code == 201
    assert body(second)["return_reference"] == body(first)["return_reference"] == "R-001001"
    assert second.headers["Location"] == first.headers["Location"]
    other = admin(api, "/rmas", rma_payload(), **{"Idempotency-Key": "erp-return-78"})
    assert body(other)["return_reference"] == "R-001002"


def test_a_return_opened_by_order_number_is_tied_to_the_shops_order_it_names(api: Any) -> None:
    # Given an order the shop reported (its Shopify id kept), returned by the merchant's system
    # by number and SKU only
    order = store_order("#1001", JANE)
    container.order_service().record(
        order.model_copy(
            update={
                "external_id": "gid://shopify/Order/1001",
                "source_updated_at": order.source_updated_at + timedelta(minutes=1),
            }
        )
    )
    payload = rma_payload(
        order={"number": "#1001"},
        customer={"email": JANE},
        lines=[
            {
                "sku": "MUG",
                "name": "Mug",
                "quantity": 1,
                "unit_price": "12.00",
                "reason": "SIZE_PROBLEM",
            }
        ],
    )
    # When it opens the return
    created = admin(api, "/rmas", payload)
    # Then the return names the shop's order, on which its refund will be made
    assert created.status_code == 201, created.body
    assert body(created)["order"]["external_id"] == "gid://shopify/Order/1001"


def test_an_unusable_key_is_refused(api: Any) -> None:
    response = admin(api, "/rmas", rma_payload(), **{"Idempotency-Key": "é" * 3})
    assert response.status_code == 400, response.body
    assert body(response)["error"]["details"]["field"] == "Idempotency-Key"


def portal_post(api: Any, payload: dict[str, Any], headers: dict[str, str]) -> Any:
    from tests.integration.test_portal import signed_in

    return api.http.post(
        "/portal/returns",
        headers={**signed_in(JANE), **JSON, **headers},
        body=json.dumps(payload),
    )
