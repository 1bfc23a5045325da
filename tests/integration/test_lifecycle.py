"""The return lifecycle, run from its definition file under moto, from request to refund: how a
return is approved (by the policy or an agent), rejected, and paid back.

Waiting too long and canceling: test_lifecycle_waiting.py. Failures, retries and races:
test_lifecycle_resilience.py.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.statuses import ProcessingStatus
from tests.lifecycle_support import (
    AGENT_DECIDED,
    AGENT_DECISION,
    AUTO_APPROVED,
    ITEM_RECEIPT,
    LABEL_ISSUED,
    REFUND_APPROVAL,
    REFUND_RESOLVED,
    REFUNDED_AUTOMATICALLY,
    REFUNDED_ONCE_APPROVED,
    REQUEST,
    action_log,
    admin_action,
    agents_decide,
    by_workflow,
    current,
    ended,
    gorgias_decision,
    line,
    no_execution_outlives_its_test,  # noqa: F401 (autouse fixture)
    order_placed,
    receive,
    rma_when,
    statuses,
    still_running,
    submit_return,
    use_policy,
    waiting_in,
)

LABEL_NOTE = ("issue_label", "ACCEPTED", "Return shipment with Shopper's own carrier")


# --- Approval ----------------------------------------------------------------------------------


def test_an_auto_approved_return_gets_its_instructions_and_waits_for_the_parcel(
    api: Any, lifecycle: str
) -> None:
    # Given the default policy, which approves a size problem under 200.00 by itself
    # When a return of one 25.00 T-shirt that doesn't fit is submitted
    rma = submit_return(api)

    # Then it is approved and given return instructions by the lifecycle, which waits for the
    # parcel
    waiting = waiting_in(rma["id"], ITEM_RECEIPT)
    assert statuses(waiting) == ("ACCEPTED", "HANDLED", "PENDING", "PENDING")
    assert rma["return_reference"] in (waiting.return_instructions or "")
    still_running(lifecycle, rma["id"], AUTO_APPROVED)
    assert by_workflow(api, rma["id"]) == [
        ("accept", "ACCEPTED", "Approved automatically"),
        LABEL_NOTE,
    ]


def test_an_agent_approving_from_gorgias_sends_the_waiting_return_on_to_its_instructions(
    api: Any, lifecycle: str
) -> None:
    # Given a policy under which agents decide every return, and a return waiting for them
    agents_decide()
    rma = submit_return(api)
    assert waiting_in(rma["id"], AGENT_DECISION).processing_status is ProcessingStatus.REQUESTED

    # When an agent approves it from the Gorgias sidebar
    response = gorgias_decision(api, "approve", rma["return_reference"])

    # Then the lifecycle goes on: instructions are issued and the parcel is awaited
    assert response.status_code == 200, response.body
    waiting = waiting_in(rma["id"], ITEM_RECEIPT)
    assert statuses(waiting) == ("ACCEPTED", "HANDLED", "PENDING", "PENDING")
    still_running(lifecycle, rma["id"], [*AGENT_DECIDED, *LABEL_ISSUED])
    approval = next(event for event in action_log(api, rma["id"]) if event["action"] == "accept")
    assert approval["actor"] == {
        "channel": "gorgias",
        "id": "17",
        "email": "alex@acme.example",
        "name": "Alex Martin",
        "gorgias_ticket_id": 4242,
    }
    assert by_workflow(api, rma["id"]) == [LABEL_NOTE]


def test_an_agent_rejecting_from_gorgias_closes_the_return_and_ends_its_lifecycle(
    api: Any, lifecycle: str
) -> None:
    # Given a return waiting for an agent's decision
    agents_decide()
    rma = submit_return(api)
    waiting_in(rma["id"], AGENT_DECISION)

    # When the agent rejects it, with a reason
    reason = "Worn and washed: not accepted back"
    response = gorgias_decision(api, "reject", rma["return_reference"], reason=reason)

    # Then the lifecycle ends through ReturnClosed, the RMA rejected with the agent's reason
    assert response.status_code == 200, response.body
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AGENT_DECIDED, "ReturnClosed"])
    assert statuses(current(rma["id"])) == ("REJECTED", "CANCELED", "NONE", "CANCELED")
    rejection = action_log(api, rma["id"])[-1]
    assert (rejection["action"], rejection["actor"]["channel"], rejection["note"]) == (
        "reject",
        "gorgias",
        reason,
    )
    assert by_workflow(api, rma["id"]) == []


@pytest.mark.parametrize(
    ("request_fields", "reason"),
    [
        pytest.param(
            {"lines": [line(final_sale=True)]},
            "This item was sold as final sale and can't be returned.",
            id="final sale",
        ),
        pytest.param(
            {"lines": [line(reason="DAMAGED_PRODUCT")]},
            "A photo is required for the reason",
            id="damaged without a photo",
        ),
        pytest.param(
            {"order": order_placed(days_ago=45)},
            "The 30-day return window closed on",
            id="outside the window",
        ),
    ],
)
def test_an_ineligible_return_is_rejected_by_the_lifecycle_which_says_why(
    api: Any, lifecycle: str, request_fields: dict[str, Any], reason: str
) -> None:
    # Given the default policy: a 30-day window, photos of damage, no returns of final sales
    # When a return the policy does not allow is submitted
    rma = submit_return(api, **request_fields)

    # Then the lifecycle rejects it at once, giving the reason line by line
    ended(lifecycle, rma["id"], "SUCCEEDED", [*REQUEST, "RejectIneligible", "ReturnClosed"])
    assert statuses(current(rma["id"])) == ("REJECTED", "CANCELED", "NONE", "CANCELED")
    [(action, status, note)] = by_workflow(api, rma["id"])
    assert (action, status) == ("reject", "REJECTED")
    assert (note or "").startswith(f"Not eligible: {line()['sku']}: {reason}")


# --- Refund ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("product_state", "financial_status", "refunded"),
    [
        pytest.param("BRAND_NEW_WITH_LABEL", "REFUNDED", "25.00", id="as new, nothing deducted"),
        pytest.param("WORE", "PARTIALLY_REFUNDED", "20.00", id="worn, 20 percent deducted"),
    ],
)
def test_a_received_return_is_refunded_and_completed_without_a_person(
    api: Any, lifecycle: str, product_state: str, financial_status: str, refunded: str
) -> None:
    # Given refunds paid without a person, by the policy and by the return's own terms (the
    # lifecycle reads the return's, which the policy only sets when the request is silent)
    use_policy(auto_execute_financial_resolution=True)
    rma = submit_return(api, auto_execute_financial_resolution=True)
    waiting_in(rma["id"], ITEM_RECEIPT)

    # When the warehouse receives the T-shirt in a given state
    assert receive(api, rma["id"], product_state).status_code == 200

    # Then the refund follows from that state, is paid, and the return completed
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    done = current(rma["id"])
    assert statuses(done) == ("COMPLETE", "DELIVERED", financial_status, "COMPLETE")
    assert [resolution.amount for resolution in done.financial_resolutions] == [Decimal(refunded)]
    assert [action for action, _, _ in by_workflow(api, rma["id"])] == [
        "accept",
        "issue_label",
        "resolve_financial",
        "execute_refund",
        "complete",
    ]


def test_a_return_opened_without_its_own_refund_setting_is_paid_as_the_policy_says(
    api: Any, lifecycle: str
) -> None:
    # Given a policy that pays refunds without a person
    use_policy(auto_execute_financial_resolution=True)

    # When a return opened without saying how its refund is paid is received
    rma = submit_return(api)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], "BRAND_NEW_WITH_LABEL").status_code == 200

    # Then its refund is paid without waiting for a person
    settled = rma_when(
        rma["id"],
        lambda r: r.waiting_for is REFUND_APPROVAL or r.processing_status == "COMPLETE",
        "the refund to be paid or to wait for a person",
    )
    assert statuses(settled) == ("COMPLETE", "DELIVERED", "REFUNDED", "COMPLETE")
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])


def test_a_refund_waits_for_a_person_when_the_return_says_so_whatever_the_policy(
    api: Any, lifecycle: str
) -> None:
    # Given a policy that pays refunds by itself, but a return opened with manual refunds
    use_policy(auto_execute_financial_resolution=True)
    rma = submit_return(api, auto_execute_financial_resolution=False)
    waiting_in(rma["id"], ITEM_RECEIPT)

    # When its worn T-shirt is received
    assert receive(api, rma["id"], "WORE").status_code == 200

    # Then the lifecycle computes the refund and waits for a person to approve it
    waiting = waiting_in(rma["id"], REFUND_APPROVAL)
    assert statuses(waiting) == ("PROCESSING", "DELIVERED", "PENDING", "COMPLETE")
    assert by_workflow(api, rma["id"])[-1] == (
        "resolve_financial",
        "PROCESSING",
        "Computed 20.00 EUR (lines 25.00, deductions 5.00, return fee 0.00, retained for "
        "shipping 0.00)",
    )

    # When the merchant approves the refund
    assert admin_action(api, rma["id"], "refund").status_code == 200

    # Then it is paid and the return completed
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_ONCE_APPROVED])
    assert statuses(current(rma["id"])) == (
        "COMPLETE",
        "DELIVERED",
        "PARTIALLY_REFUNDED",
        "COMPLETE",
    )
    approval = next(e for e in action_log(api, rma["id"]) if e["action"] == "approve_refund")
    assert approval["actor"]["channel"] == "admin"


def test_a_replacement_owes_no_money_and_completes_once_received(api: Any, lifecycle: str) -> None:
    # Given a return whose shopper wants a replacement, approved and waiting for the parcel
    rma = submit_return(api, expected_resolution="REPLACE")
    waiting_in(rma["id"], ITEM_RECEIPT)

    # When the parcel is received
    assert receive(api, rma["id"], "BRAND_NEW_WITH_LABEL").status_code == 200

    # Then nothing waits for a refund approval: the return completes with nothing paid
    nothing_to_pay = [*REFUND_RESOLVED, "CompleteReturn", "ReturnCompleted"]
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *nothing_to_pay])
    assert statuses(current(rma["id"])) == ("COMPLETE", "DELIVERED", "NONE", "COMPLETE")
    assert current(rma["id"]).financial_resolutions == []


def test_a_return_without_an_automatic_resolution_is_paid_the_amount_a_person_sets(
    api: Any, lifecycle: str
) -> None:
    # Given a return that asks for its refund to be set by a person, received
    rma = submit_return(api, auto_generate_financial_resolution=False)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], "WORE").status_code == 200
    waiting_in(rma["id"], REFUND_APPROVAL)
    assert current(rma["id"]).financial_resolutions == []

    # When the refund is approved without an amount, Then it is refused, naming the amount
    refused = admin_action(api, rma["id"], "refund")
    assert refused.status_code == 400
    assert json.loads(refused.body)["error"]["details"]["field"] == "amount"

    # When it is approved with an amount
    assert admin_action(api, rma["id"], "refund", {"amount": "22.50"}).status_code == 200

    # Then that amount is paid and the return completes
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_ONCE_APPROVED])
    done = current(rma["id"])
    assert statuses(done) == ("COMPLETE", "DELIVERED", "PARTIALLY_REFUNDED", "COMPLETE")
    assert [r.amount for r in done.financial_resolutions] == [Decimal("22.50")]


def test_a_person_approving_a_refund_may_correct_the_computed_amount(
    api: Any, lifecycle: str
) -> None:
    # Given a received worn item whose computed refund (20.00) waits for approval
    rma = submit_return(api)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], "WORE").status_code == 200
    assert [r.amount for r in waiting_in(rma["id"], REFUND_APPROVAL).financial_resolutions] == [
        Decimal("20.00")
    ]

    # When the agent approves it at the full price
    assert admin_action(api, rma["id"], "refund", {"amount": "25.00"}).status_code == 200

    # Then the full price is paid: the return is fully refunded
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_ONCE_APPROVED])
    done = current(rma["id"])
    assert statuses(done) == ("COMPLETE", "DELIVERED", "REFUNDED", "COMPLETE")
    assert [r.amount for r in done.financial_resolutions] == [Decimal("25.00")]
