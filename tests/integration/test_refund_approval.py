"""A person approving the refund the lifecycle computed: their amount is bounded by what the
shopper paid for the units that came back, and logged beside the computed one."""

from __future__ import annotations

from typing import Any

from tests.lifecycle_support import (
    REFUND_APPROVAL,
    action_log,
    admin_action,
    awaiting_refund_approval,
    no_execution_outlives_its_test,  # noqa: F401 (autouse fixture)
    waiting_in,
)
from tests.support import body


def test_a_refund_set_by_a_person_is_at_most_what_the_received_units_cost(
    api: Any, lifecycle: str
) -> None:
    # Given a 25.00 return received and waiting for a person to approve its refund
    rma = awaiting_refund_approval(api, "BRAND_NEW_WITH_LABEL")
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
    rma = awaiting_refund_approval(api, "WORE")
    # When the merchant overrides the amount to 22.00
    assert admin_action(api, rma["id"], "refund", {"amount": "22.00"}).status_code == 200
    # Then the log says both, with the arithmetic of the computed one
    [approval] = [e for e in action_log(api, rma["id"]) if e["action"] == "approve_refund"]
    assert approval["note"] == (
        "Refund of 22.00 EUR set by a person; computed 20.00 EUR (lines 25.00, deductions "
        "5.00, return fee 0.00, retained for shipping 0.00)"
    )
