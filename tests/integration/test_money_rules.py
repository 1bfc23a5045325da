"""What a return pays back, through the admin API: one line per SKU, units received per state,
a person's refund bounded by what the shopper paid, and returns no lifecycle finishes completed
by hand, all with no lifecycle configured. A person's amount in the lifecycle:
test_refund_approval.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.integrations.payments import ManualPayments
from chalicelib.services import container
from tests.lifecycle_support import (
    DecliningPayments,
    action_log,
    admin_action,
    line,
    order_placed,
)
from tests.support import ADMIN_AUTH, JSON, WIDGET_AUTH, body, rma_payload

TEE = "TSHIRT-BLUE-M"


def create(api: Any, **overrides: Any) -> Any:
    payload = rma_payload(**{"order": order_placed(days_ago=3), **overrides})
    return api.http.post("/rmas", headers={**ADMIN_AUTH, **JSON}, body=json.dumps(payload))


def approved_without_lifecycle(api: Any, **overrides: Any) -> dict[str, Any]:
    """A return opened, submitted and accepted through the admin API, no lifecycle configured."""
    created = create(api, **overrides)
    assert created.status_code == 201, created.body
    rma: dict[str, Any] = body(created)
    for action in ("submit", "accept"):
        assert admin_action(api, rma["id"], action).status_code == 200
    return rma


def receive_lines(api: Any, rma_id: str, *received: tuple[str, int, str]) -> Any:
    lines = [{"sku": s, "quantity": q, "product_state": state} for s, q, state in received]
    return admin_action(api, rma_id, "receive", {"lines": lines})


# --- one line per SKU --------------------------------------------------------------------------


def test_a_return_naming_a_sku_on_two_lines_is_refused_naming_lines(api: Any) -> None:
    # Given an order of one T-shirt
    # When a return asks for it on three lines of one unit each
    response = create(api, lines=[line(), line(), line()])
    # Then it is refused as invalid, naming the lines, and nothing is opened
    assert response.status_code == 400, response.body
    error = body(response)["error"]
    assert error["code"] == "validation_error"
    assert [problem["field"] for problem in error["details"]["errors"]] == ["lines"]
    assert TEE in error["message"]
    assert api.http.get("/rmas/R-001001", headers=ADMIN_AUTH).status_code == 404


def test_a_receipt_may_name_a_sku_twice_and_counts_its_units_once(api: Any) -> None:
    # Given an accepted return of two T-shirts on one line
    rma = approved_without_lifecycle(api, lines=[line(quantity=2)])
    # When the warehouse reports them as two entries of one unit
    response = receive_lines(api, rma["id"], (TEE, 1, "WORE"), (TEE, 1, "WORE"))
    # Then both are in, once each
    assert response.status_code == 200, response.body
    [received] = body(response)["lines"]
    assert received["received_quantity"] == 2


def test_a_receipt_never_credits_more_units_than_the_return_holds(api: Any) -> None:
    # Given an accepted return of two T-shirts, one already received
    rma = approved_without_lifecycle(api, lines=[line(quantity=2)])
    assert receive_lines(api, rma["id"], (TEE, 1, "WORE")).status_code == 200
    # When two more are reported
    response = receive_lines(api, rma["id"], (TEE, 1, "WORE"), (TEE, 1, "WORE"))
    # Then nothing is recorded: three would be more than the two being returned
    assert response.status_code == 400, response.body
    assert "only 2 are being returned" in body(response)["error"]["message"]


# --- units in mixed states ---------------------------------------------------------------------


def test_units_of_one_line_back_in_different_states_are_each_refunded_for_their_state(
    api: Any,
) -> None:
    # Given an accepted return of two 50.00 T-shirts, under the default deductions (worn: 20%)
    rma = approved_without_lifecycle(api, lines=[line(quantity=2, unit_price="50.00")])
    # When one comes back new with its label and one worn
    response = receive_lines(api, rma["id"], (TEE, 1, "BRAND_NEW_WITH_LABEL"), (TEE, 1, "WORE"))
    assert response.status_code == 200, response.body
    # Then the line keeps both states, and the refund deducts 20% of the worn one only
    [received] = body(response)["lines"]
    assert received["received_states"] == {"BRAND_NEW_WITH_LABEL": 1, "WORE": 1}
    # And agents see it state by state in the widget
    widget = api.http.get("/gorgias/widget?email=jane.doe@example.com", headers=WIDGET_AUTH)
    [item] = body(widget)["returns"][0]["items"]
    assert item["received_label"] == "1 x New, with tags, 1 x Worn"
    refunded = admin_action(api, rma["id"], "refund")
    assert refunded.status_code == 200, refunded.body
    [resolution] = body(refunded)["financial_resolutions"]
    assert resolution["amount"] == "90.00"


# --- returns no lifecycle finishes -------------------------------------------------------------


def test_a_return_with_no_lifecycle_is_refunded_and_completed_by_a_person(api: Any) -> None:
    # Given no lifecycle, a 25.00 return accepted and received in full
    rma = approved_without_lifecycle(api)
    assert receive_lines(api, rma["id"], (TEE, 1, "BRAND_NEW_WITH_LABEL")).status_code == 200
    # When the merchant approves its refund
    response = admin_action(api, rma["id"], "refund")
    # Then it is paid at the computed amount and complete
    assert response.status_code == 200, response.body
    done = body(response)
    assert (done["processing_status"], done["financial_status"]) == ("COMPLETE", "REFUNDED")
    assert [r["amount"] for r in done["financial_resolutions"]] == ["25.00"]
    actions = [e["action"] for e in action_log(api, rma["id"])]
    assert actions[-4:] == ["resolve_financial", "approve_refund", "execute_refund", "complete"]


def test_a_refund_the_shop_declines_is_an_execution_error_a_person_can_approve_again(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no lifecycle, a 25.00 return received in full, and a shop that declines refunds
    rma = approved_without_lifecycle(api)
    assert receive_lines(api, rma["id"], (TEE, 1, "BRAND_NEW_WITH_LABEL")).status_code == 200
    monkeypatch.setattr(container, "payment_provider", lambda: DecliningPayments())
    container.reset()
    # When the merchant approves its refund
    response = admin_action(api, rma["id"], "refund")
    # Then they are told why, and the return says so: an execution error, still to be paid
    assert response.status_code == 422, response.body
    error = body(response)["error"]
    assert error["code"] == "refund_declined"
    assert "The card issuer refused the refund (code 05)" in error["message"]
    declined = body(api.http.get(f"/rmas/{rma['id']}", headers=ADMIN_AUTH))
    assert (declined["processing_status"], declined["financial_status"]) == (
        "PROCESSING",
        "EXECUTION_ERROR",
    )
    assert action_log(api, rma["id"])[-1]["action"] == "refund_declined"
    # And once the cause is settled, approving it again pays it once and completes it
    monkeypatch.setattr(container, "payment_provider", lambda: ManualPayments())
    container.reset()
    paid = admin_action(api, rma["id"], "refund")
    assert paid.status_code == 200, paid.body
    done = body(paid)
    assert (done["processing_status"], done["financial_status"]) == ("COMPLETE", "REFUNDED")
    assert [r["amount"] for r in done["financial_resolutions"]] == ["25.00"]


def test_a_replacement_with_no_lifecycle_is_completed_by_a_person(api: Any) -> None:
    # Given no lifecycle, a replacement accepted and received in full
    rma = approved_without_lifecycle(api, expected_resolution="REPLACE")
    assert receive_lines(api, rma["id"], (TEE, 1, "DEFECTIVE")).status_code == 200
    # When the merchant completes it
    response = admin_action(api, rma["id"], "complete")
    # Then it is complete, with nothing owed in money
    assert response.status_code == 200, response.body
    done = body(response)
    assert (done["processing_status"], done["financial_status"]) == ("COMPLETE", "NONE")


@pytest.mark.parametrize(
    ("received", "why"),
    [
        pytest.param((), "not every line has been received", id="nothing received"),
        pytest.param(((TEE, 1, "WORE"),), "before its refund is paid", id="a refund still owed"),
    ],
)
def test_a_return_is_not_completed_by_hand_too_early(
    api: Any, received: tuple[tuple[str, int, str], ...], why: str
) -> None:
    # Given no lifecycle and an accepted return
    rma = approved_without_lifecycle(api)
    if received:
        assert receive_lines(api, rma["id"], *received).status_code == 200
    # When the merchant completes it
    response = admin_action(api, rma["id"], "complete")
    # Then it is a conflict saying why
    assert response.status_code == 409, response.body
    assert why in body(response)["error"]["message"]


# --- what a request may say ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"lines": [line(quantity=True)]}, "lines.0.quantity", id="quantity true"),
        pytest.param({"lines": [line(unit_price="١٢")]}, "lines.0.unit_price", id="Arabic digits"),
        pytest.param({"lines": [line(sku="\u0000")]}, "lines.0.sku", id="NUL-only SKU"),
        pytest.param({"lines": [line(name="\u0000\u0000")]}, "lines.0.name", id="NUL-only name"),
        pytest.param(
            {"order": {"number": "1001", "ordered_at": "2026-11-10", "delivered_at": "2026-11-01"}},
            "order",
            id="delivered before ordered",
        ),
    ],
)
def test_a_request_no_one_could_read_back_is_refused_naming_its_field(
    api: Any, overrides: dict[str, Any], field: str
) -> None:
    response = api.http.post(
        "/rmas", headers={**ADMIN_AUTH, **JSON}, body=json.dumps(rma_payload(**overrides))
    )
    assert response.status_code == 400, response.body
    assert [p["field"] for p in body(response)["error"]["details"]["errors"]] == [field]
