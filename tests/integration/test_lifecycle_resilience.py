"""The return lifecycle when things go wrong or happen twice: failing providers, retried tasks,
duplicate starts, and people faster than the lifecycle. Run from the definition file under moto."""

from __future__ import annotations

from typing import Any

import pytest

import app
from chalicelib.domain.rma import Contact, Rma
from chalicelib.errors import TransientError
from chalicelib.integrations.labels import IssuedLabel, ReturnInstructions
from chalicelib.repositories.aws import client
from chalicelib.repositories.lifecycle_executions import LifecycleExecutions
from chalicelib.services import container
from tests.lifecycle_support import (
    AGENT_DECIDED,
    AGENT_DECISION,
    ANOMALY,
    AUTO_APPROVED,
    ITEM_RECEIPT,
    LABEL_ISSUED,
    REFUND_RESOLVED,
    REFUNDED_AUTOMATICALLY,
    REQUEST,
    DecliningPayments,
    action_log,
    admin_action,
    agents_decide,
    by_workflow,
    current,
    ended,
    eventually,
    gorgias_decision,
    holding_task,
    no_execution_outlives_its_test,  # noqa: F401 (autouse fixture)
    receive,
    rma_when,
    statuses,
    still_running,
    submit_return,
    waiting_in,
)


class FailingLabels:
    """Return instructions as usual, once `error` has been raised `times` times."""

    def __init__(self, error: Exception, times: int) -> None:
        self.error = error
        self.failures_left = times
        self.calls = 0

    def issue(self, rma: Rma, return_address: Contact | None) -> IssuedLabel:
        self.calls += 1
        if self.failures_left:
            self.failures_left -= 1
            raise self.error
        return ReturnInstructions().issue(rma, return_address)


def plug_in(monkeypatch: pytest.MonkeyPatch, provider_factory: str, provider: Any) -> None:
    """Have the lifecycle's tasks, built after this, use `provider`."""
    monkeypatch.setattr(container, provider_factory, lambda: provider)
    container.reset()


# --- Failures ----------------------------------------------------------------------------------


def test_a_transient_failure_is_retried_and_the_return_goes_on(
    api: Any, lifecycle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a label provider that is throttled once
    labels = FailingLabels(TransientError("The carrier throttled the request"), times=1)
    plug_in(monkeypatch, "label_provider", labels)

    # When a return is approved
    rma = submit_return(api)

    # Then the lifecycle asks again, the instructions are issued, and nothing is flagged
    waiting = waiting_in(rma["id"], ITEM_RECEIPT)
    assert labels.calls == 2
    assert statuses(waiting) == ("ACCEPTED", "HANDLED", "PENDING", "PENDING")
    still_running(lifecycle, rma["id"], AUTO_APPROVED)
    assert [action for action, _, _ in by_workflow(api, rma["id"])] == ["accept", "issue_label"]


def test_a_step_failing_for_good_before_processing_holds_the_return_with_the_error(
    api: Any, lifecycle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a label provider that refuses the return address
    labels = FailingLabels(ValueError("The carrier refused the return address"), times=9)
    plug_in(monkeypatch, "label_provider", labels)

    # When a return is approved
    rma = submit_return(api)

    # Then the lifecycle fails without retrying, and the return is held with the error in its log
    failed = ended(
        lifecycle, rma["id"], "FAILED", [*REQUEST, "ApproveAutomatically", "IssueLabel", *ANOMALY]
    )
    assert (failed["error"], labels.calls) == ("ReturnAnomaly", 1)
    assert statuses(current(rma["id"])) == ("ON_HOLD", "PENDING", "PENDING", "PENDING")
    action, status, note = by_workflow(api, rma["id"])[-1]
    assert (action, status) == ("hold", "ON_HOLD")
    assert "ValueError" in (note or "")
    assert "The carrier refused the return address" in (note or "")


def test_a_refund_the_payment_provider_declines_puts_the_return_in_anomaly(
    api: Any, lifecycle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a payment provider that declines refunds, and a return refunded without a person
    plug_in(monkeypatch, "payment_provider", DecliningPayments())
    rma = submit_return(api, auto_execute_financial_resolution=True)
    waiting_in(rma["id"], ITEM_RECEIPT)

    # When the parcel is received and the lifecycle tries to pay the refund
    assert receive(api, rma["id"], "BRAND_NEW_WITH_LABEL").status_code == 200

    # Then the lifecycle fails, and the return is an anomaly with the error in its log
    failed = ended(
        lifecycle,
        rma["id"],
        "FAILED",
        [*AUTO_APPROVED, *REFUND_RESOLVED, "ExecuteRefund", *ANOMALY],
    )
    assert failed["error"] == "ReturnAnomaly"
    anomaly = ("ANOMALY", "DELIVERED", "EXECUTION_ERROR", "COMPLETE")
    assert statuses(current(rma["id"])) == anomaly
    action, status, note = by_workflow(api, rma["id"])[-1]
    assert (action, status) == ("flag_anomaly", "ANOMALY")
    assert "PaymentDeclinedError" in (note or "")
    assert "The card issuer refused the refund (code 05)" in (note or "")


# --- Twice -------------------------------------------------------------------------------------


def test_a_return_has_one_lifecycle_however_often_it_is_started(api: Any, lifecycle: str) -> None:
    # Given a submitted return whose lifecycle waits for an agent
    agents_decide()
    rma = submit_return(api)
    waiting_in(rma["id"], AGENT_DECISION)
    sfn = client("stepfunctions")

    # When it is submitted again, and its lifecycle started again while it runs
    resubmitted = admin_action(api, rma["id"], "submit")
    LifecycleExecutions(lifecycle).start(rma["id"])

    # Then the second submit is refused and one execution, named after the RMA, still runs
    assert resubmitted.status_code == 409
    [execution] = sfn.list_executions(stateMachineArn=lifecycle)["executions"]
    assert (execution["name"], execution["status"]) == (rma["id"], "RUNNING")

    # When the return is rejected, and its lifecycle started once more after it ended
    rejected = gorgias_decision(api, "reject", rma["return_reference"], reason="Worn")
    assert rejected.status_code == 200
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AGENT_DECIDED, "ReturnClosed"])
    LifecycleExecutions(lifecycle).start(rma["id"])

    # Then no second lifecycle runs
    [execution] = sfn.list_executions(stateMachineArn=lifecycle)["executions"]
    assert (execution["name"], execution["status"]) == (rma["id"], "SUCCEEDED")


def test_running_its_tasks_again_after_a_return_completed_changes_nothing(
    api: Any, lifecycle: str
) -> None:
    # Given a return the lifecycle took all the way to COMPLETE
    rma = submit_return(api, auto_execute_financial_resolution=True)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], "WORE").status_code == 200
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    done, log = current(rma["id"]), action_log(api, rma["id"])

    # When Step Functions runs each of its tasks once more, as a retry would
    event = {"rma_id": rma["id"]}
    for task in (
        app.reject_ineligible,
        app.approve_automatically,
        app.escalate_decision,
        app.issue_label,
        app.expire_return,
        app.resolve_financial,
        app.execute_refund,
        app.complete_return,
    ):
        task(event, None)

    # Then the return is as it was: no second approval, instructions, refund or completion,
    # and the routing tasks answer as the first time past their step
    assert current(rma["id"]) == done
    assert action_log(api, rma["id"]) == log
    assert app.check_eligibility(event, None)["outcome"] == "CLOSED"
    assert app.resolve_financial(event, None) == {"next": "NOTHING_TO_PAY"}


# --- People faster than the lifecycle ----------------------------------------------------------


def test_an_agent_faster_than_the_lifecycle_still_sends_the_return_on(
    api: Any, lifecycle: str
) -> None:
    # Given a return whose lifecycle is about to wait for an agent, its token not yet stored
    agents_decide()
    with holding_task("store_task_token", step=AGENT_DECISION) as storing:
        rma = submit_return(api)
        eventually(storing.is_set, "the lifecycle to store its token")

        # When an agent approves it from Gorgias at that moment
        assert gorgias_decision(api, "approve", rma["return_reference"]).status_code == 200

    # Then storing the token finds the decision made and resumes the lifecycle at once
    waiting = waiting_in(rma["id"], ITEM_RECEIPT)
    assert statuses(waiting) == ("ACCEPTED", "HANDLED", "PENDING", "PENDING")
    still_running(lifecycle, rma["id"], [*AGENT_DECIDED, *LABEL_ISSUED])


def test_a_warehouse_faster_than_the_lifecycle_still_gets_the_return_refunded(
    api: Any, lifecycle: str
) -> None:
    # Given an approved return whose lifecycle is about to wait for the parcel
    with holding_task("store_task_token", step=ITEM_RECEIPT) as storing:
        rma = submit_return(api, auto_execute_financial_resolution=True)
        eventually(storing.is_set, "the lifecycle to store its token")

        # When the warehouse receives the parcel at that moment
        assert receive(api, rma["id"], "BRAND_NEW_WITH_LABEL").status_code == 200

    # Then storing the token finds the parcel received, and the refund follows
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    assert statuses(current(rma["id"])) == ("COMPLETE", "DELIVERED", "REFUNDED", "COMPLETE")


def test_a_return_put_on_hold_as_it_is_being_approved_gets_no_instructions(
    api: Any, lifecycle: str
) -> None:
    # Given a return the policy approves, whose lifecycle is about to approve it
    with holding_task("approve_automatically") as approving:
        rma = submit_return(api)
        eventually(approving.is_set, "the lifecycle to approve the return")

        # When the merchant puts it on hold at that moment
        assert admin_action(api, rma["id"], "hold").status_code == 200

    # Then no instructions go out, and the lifecycle waits for a person to decide
    waiting = rma_when(rma["id"], lambda r: r.waiting_for is not None, "the lifecycle to wait")
    assert (waiting.waiting_for, waiting.delivery_status) == (AGENT_DECISION, "PENDING")

    # When it is taken off hold and an agent approves it
    assert admin_action(api, rma["id"], "resume").status_code == 200
    assert gorgias_decision(api, "approve", rma["return_reference"]).status_code == 200

    # Then the instructions go out
    assert statuses(waiting_in(rma["id"], ITEM_RECEIPT))[:2] == ("ACCEPTED", "HANDLED")
