"""A person approving the refund the lifecycle computed: their amount is bounded by what the
shopper paid for the units that came back, and logged beside the computed one."""

from __future__ import annotations

from typing import Any

from tests.lifecycle_support import (
    ITEM_RECEIPT,
    REFUND_APPROVAL,
    action_log,
    admin_action,
    no_execution_outlives_its_test,  # noqa: F401 (autouse fixture)
    receive,
    submit_return,
    waiting_in,
)
from tests.support import body


def test_a_refund_set_by_a_person_is_at_most_what_the_received_units_cost(
    api: Any, lifecycle: str
) -> None:
    # Given a 25.00 return received and waiting for a person to approve its refund
    rma = submit_return(api)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], "BRAND_NEW_WITH_LABEL").status_code == 200
    waiting_in(rma["id"], REFUND_APPROVAL)
    # When the merchant sets 2000.00
    response = admin_action(api, rma["id"], "refund", {"amount": "2000.00"})
    # Then it is refused, naming the amount and its ceiling, and nothing is paid
    assert response.status_code == 400, response.body
    error = body(response)["error"]
    assert (error["details"]["field"], error["details"]["maximum"]) == ("amount", "25.00")
    assert waiting_in(rma["id"], REFUND_APPROVAL).financial_status == "PENDING"


def test_the_log_sets_a_persons_amount_beside_the_computed_one_and_its_breakdown(
    api: Any, lifecycle: str
) -> None:
    # Given a 25.00 return received worn (20% kept back) and waiting for approval
    rma = submit_return(api)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], "WORE").status_code == 200
    waiting_in(rma["id"], REFUND_APPROVAL)
    # When the merchant overrides the amount to 22.00
    assert admin_action(api, rma["id"], "refund", {"amount": "22.00"}).status_code == 200
    # Then the log says both, with the arithmetic of the computed one
    [approval] = [e for e in action_log(api, rma["id"]) if e["action"] == "approve_refund"]
    assert approval["note"] == (
        "Refund of 22.00 EUR set by a person; computed 20.00 EUR (lines 25.00, deductions "
        "5.00, return fee 0.00, retained for shipping 0.00)"
    )
