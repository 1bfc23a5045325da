"""The return lifecycle while it waits on people: decisions and parcels that come too late, and
returns canceled (or not) while it waits. Run from the definition file under moto."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.policy import AutoApprovalRules, DecisionTimeoutAction
from chalicelib.domain.statuses import LifecycleStep, ProcessingStatus
from tests.lifecycle_support import (
    AGENT_DECISION,
    ANOMALY,
    AUTO_APPROVED,
    ITEM_RECEIPT,
    LABEL_ISSUED,
    ONE_SECOND,
    REFUND_APPROVAL,
    REFUND_RESOLVED,
    REFUNDED_ONCE_APPROVED,
    REQUEST,
    action_log,
    admin_action,
    agents_decide,
    awaiting_refund_approval,
    by_workflow,
    current,
    ended,
    eventually,
    execution_of,
    gorgias_decision,
    holding_task,
    line,
    no_execution_outlives_its_test,  # noqa: F401 (autouse fixture)
    receive,
    rma_when,
    statuses,
    still_running,
    submit_return,
    use_policy,
    visited_states,
    waiting_in,
)
from tests.support import body

P = ProcessingStatus
ESCALATED = [*REQUEST, "WaitForAgentDecision", "EscalateDecision", "WaitForAgentDecision"]


# --- Decisions and parcels that come too late --------------------------------------------------


def test_an_overdue_decision_puts_the_return_on_hold_until_a_person_takes_it_up(
    api: Any, lifecycle: str
) -> None:
    # Given agents have one second to decide, after which a return goes on hold
    agents_decide(agent_decision_timeout=ONE_SECOND, on_decision_timeout=DecisionTimeoutAction.HOLD)
    rma = submit_return(api)
    first_wait = waiting_in(rma["id"], AGENT_DECISION)

    # When nobody decides in time
    held = waiting_in(rma["id"], AGENT_DECISION, not_token=first_wait.task_token)

    # Then the return is on hold and the lifecycle, still running, waits for a decision again
    assert held.processing_status is P.ON_HOLD
    assert by_workflow(api, rma["id"]) == [
        ("hold", "ON_HOLD", "No decision within the policy's delay")
    ]
    assert visited_states(lifecycle, rma["id"])[:5] == ESCALATED
    assert execution_of(lifecycle, rma["id"])["status"] == "RUNNING"

    # When, right after the next reminder, an admin takes it off hold and an agent approves it
    waiting_in(rma["id"], AGENT_DECISION, not_token=held.task_token)
    assert admin_action(api, rma["id"], "resume").status_code == 200
    assert gorgias_decision(api, "approve", rma["return_reference"]).status_code == 200

    # Then the lifecycle goes on to the instructions
    assert statuses(waiting_in(rma["id"], ITEM_RECEIPT))[:2] == ("ACCEPTED", "HANDLED")
    visited = visited_states(lifecycle, rma["id"])
    assert (visited[:5], visited[-3:]) == (ESCALATED, ["RouteByDecision", *LABEL_ISSUED])


def test_an_overdue_decision_only_reminds_the_team_when_the_policy_keeps_waiting(
    api: Any, lifecycle: str
) -> None:
    # Given agents have one second to decide, after which the lifecycle just keeps waiting
    agents_decide(
        agent_decision_timeout=ONE_SECOND, on_decision_timeout=DecisionTimeoutAction.KEEP_WAITING
    )
    rma = submit_return(api)
    first_wait = waiting_in(rma["id"], AGENT_DECISION)

    # When nobody decides in time
    again = waiting_in(rma["id"], AGENT_DECISION, not_token=first_wait.task_token)

    # Then the return stays requested, nothing in its log, and the lifecycle waits again
    assert statuses(again) == ("REQUESTED", "PENDING", "PENDING", "PENDING")
    assert by_workflow(api, rma["id"]) == []
    assert visited_states(lifecycle, rma["id"])[:5] == ESCALATED
    assert execution_of(lifecycle, rma["id"])["status"] == "RUNNING"

    # When an agent approves it at last
    assert gorgias_decision(api, "approve", rma["return_reference"]).status_code == 200

    # Then the lifecycle goes on to the instructions
    assert statuses(waiting_in(rma["id"], ITEM_RECEIPT))[:2] == ("ACCEPTED", "HANDLED")
    assert visited_states(lifecycle, rma["id"])[-3:] == ["RouteByDecision", *LABEL_ISSUED]


def test_a_parcel_that_never_arrives_expires_the_return(api: Any, lifecycle: str) -> None:
    # Given parcels must arrive within one second of the instructions
    use_policy(parcel_timeout=ONE_SECOND)

    # When an auto-approved return's parcel never arrives
    rma = submit_return(api)

    # Then the lifecycle cancels the return and ends
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, "ExpireReturn", "ReturnClosed"])
    assert statuses(current(rma["id"])) == ("CANCELED", "CANCELED", "CANCELED", "CANCELED")
    assert by_workflow(api, rma["id"])[-1] == (
        "cancel",
        "CANCELED",
        "No parcel arrived within the policy's delay",
    )


def test_a_refund_no_one_approves_in_time_reminds_the_team_and_still_waits(
    api: Any, lifecycle: str
) -> None:
    # Given a computed refund has one second to be approved
    use_policy(refund_approval_timeout=ONE_SECOND)
    rma = awaiting_refund_approval(api, "BRAND_NEW_WITH_LABEL")
    first_wait = waiting_in(rma["id"], REFUND_APPROVAL)

    # When no one approves it in time
    # Then the log says so, and the lifecycle waits again with a new token
    eventually(
        lambda: (
            "refund_approval_overdue" in [e["action"] for e in action_log(api, rma["id"])] or None
        ),
        "the overdue refund to be logged",
    )
    waiting_in(rma["id"], REFUND_APPROVAL, not_token=first_wait.task_token)
    assert by_workflow(api, rma["id"])[-1][2] == (
        "The refund still waits for approval after the policy's delay"
    )

    # And once approved at last (the wait may have run out again meanwhile), it is paid and the
    # return completes
    assert admin_action(api, rma["id"], "refund").status_code == 200
    done = rma_when(rma["id"], lambda r: r.processing_status is P.COMPLETE, "the return to end")
    assert done.financial_status == "REFUNDED"
    assert "RemindRefundApproval" in visited_states(lifecycle, rma["id"])


# --- Canceling ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auto_approval", "step", "path"),
    [
        pytest.param(False, AGENT_DECISION, [*REQUEST, "WaitForAgentDecision"], id="agent"),
        pytest.param(True, ITEM_RECEIPT, AUTO_APPROVED, id="parcel"),
    ],
)
def test_a_return_canceled_while_the_lifecycle_waits_for_the_agent_or_the_parcel_ends_it(
    api: Any, lifecycle: str, auto_approval: bool, step: LifecycleStep, path: list[str]
) -> None:
    # Given a return the lifecycle waits on, for an agent's decision or for the parcel
    use_policy(auto_approval=AutoApprovalRules(enabled=auto_approval))
    rma = submit_return(api)
    waiting_in(rma["id"], step)

    # When the merchant cancels it
    assert admin_action(api, rma["id"], "cancel").status_code == 200

    # Then the waiting step ends the lifecycle through ReturnClosed
    ended(lifecycle, rma["id"], "SUCCEEDED", [*path, "ReturnClosed"])
    assert statuses(current(rma["id"])) == ("CANCELED", "CANCELED", "CANCELED", "CANCELED")
    cancellation = action_log(api, rma["id"])[-1]
    assert (cancellation["action"], cancellation["actor"]["channel"]) == ("cancel", "admin")


def test_a_return_canceled_before_the_lifecycle_stored_its_token_still_ends_it(
    api: Any, lifecycle: str
) -> None:
    # Given a return whose lifecycle is about to wait for an agent, its token not yet stored
    agents_decide()
    with holding_task("store_task_token", step=AGENT_DECISION) as storing:
        rma = submit_return(api)
        eventually(storing.is_set, "the lifecycle to store its token")

        # When the merchant cancels it at that moment
        assert admin_action(api, rma["id"], "cancel").status_code == 200

    # Then storing the token finds the return closed and ends the lifecycle
    ended(lifecycle, rma["id"], "SUCCEEDED", [*REQUEST, "WaitForAgentDecision", "ReturnClosed"])
    assert current(rma["id"]).processing_status is P.CANCELED


def test_a_return_in_processing_cannot_be_canceled_and_its_lifecycle_goes_on(
    api: Any, lifecycle: str
) -> None:
    # Given a received return whose refund waits for a person's approval
    rma = submit_return(api)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], "WORE").status_code == 200
    before = waiting_in(rma["id"], REFUND_APPROVAL)

    # When the merchant tries to cancel it
    response = admin_action(api, rma["id"], "cancel")

    # Then it is refused, nothing changes, and the lifecycle still waits for the approval
    assert response.status_code == 409
    assert body(response)["error"]["code"] == "invalid_transition"
    assert current(rma["id"]) == before
    still_running(lifecycle, rma["id"], [*AUTO_APPROVED, *REFUND_RESOLVED, "WaitForRefundApproval"])

    # When the refund is approved
    assert admin_action(api, rma["id"], "refund").status_code == 200

    # Then the return completes as if nothing had happened
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_ONCE_APPROVED])
    assert statuses(current(rma["id"])) == (
        "COMPLETE",
        "DELIVERED",
        "PARTIALLY_REFUNDED",
        "COMPLETE",
    )


# --- Known bugs --------------------------------------------------------------------------------


def test_an_approval_that_crosses_the_decision_delay_is_not_put_on_hold(
    api: Any, lifecycle: str
) -> None:
    # Given agents have one second to decide, after which a return goes on hold
    agents_decide(agent_decision_timeout=ONE_SECOND, on_decision_timeout=DecisionTimeoutAction.HOLD)
    with holding_task("escalate_decision") as escalating:
        rma = submit_return(api)
        eventually(escalating.is_set, "the decision delay to run out")

        # When an agent approves it as the lifecycle escalates the delay
        assert gorgias_decision(api, "approve", rma["return_reference"]).status_code == 200

    # Then the approval stands and the lifecycle goes on to the instructions
    after = rma_when(
        rma["id"],
        lambda r: r.processing_status is P.ON_HOLD or r.waiting_for is ITEM_RECEIPT,
        "the escalation to end",
    )
    assert statuses(after)[:2] == ("ACCEPTED", "HANDLED")


@pytest.mark.parametrize(
    ("returned", "meanwhile"),
    [
        pytest.param(2, lambda api, rma_id: receive(api, rma_id, "WORE"), id="partly received"),
        pytest.param(1, lambda api, rma_id: admin_action(api, rma_id, "hold"), id="on hold"),
    ],
)
def test_a_parcel_delay_running_out_on_a_return_it_cannot_cancel_is_recorded(
    api: Any, lifecycle: str, returned: int, meanwhile: Any
) -> None:
    # Given parcels must arrive within one second, and an approved return about to wait for one
    use_policy(parcel_timeout=ONE_SECOND)
    with holding_task("store_task_token", step=ITEM_RECEIPT) as storing:
        rma = submit_return(api, lines=[line(quantity=returned)])
        eventually(storing.is_set, "the lifecycle to wait for the parcel")

        # When, before the delay runs out, one of two items arrives or the merchant holds it
        assert meanwhile(api, rma["id"]).status_code == 200

    # Then the lifecycle does not end as if the return were closed: it fails, and says so in the
    # return's log for a person to settle
    ended(lifecycle, rma["id"], "FAILED", [*AUTO_APPROVED, "ExpireReturn", *ANOMALY])
    assert by_workflow(api, rma["id"])[-1][0] in {"flag_anomaly", "lifecycle_error"}
