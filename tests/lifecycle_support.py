"""Driving and observing the lifecycle in tests: executions run in moto's background threads,
so tests wait for the state they expect, with a deadline."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest

from chalicelib.domain.policy import AutoApprovalRules, ReturnPolicy
from chalicelib.domain.rma import FinancialResolution, Rma
from chalicelib.domain.statuses import LifecycleStep
from chalicelib.integrations.payments import PaymentDeclinedError, PaymentReceipt
from chalicelib.repositories.aws import client
from chalicelib.services import container
from tests.support import ADMIN_AUTH, JSON, WIDGET_AUTH, body, rma_payload

T = TypeVar("T")
DEADLINE_SECONDS = 20.0


def eventually(probe: Callable[[], T | None], what: str, timeout: float = DEADLINE_SECONDS) -> T:
    """The first truthy value `probe` returns within `timeout`; fails the test naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what}")


def rma_when(rma_id: str, condition: Callable[[Rma], bool], what: str) -> Rma:
    """The RMA once `condition` holds."""

    def probe() -> Rma | None:
        rma = container.rma_service().find(rma_id)
        return rma if condition(rma) else None

    return eventually(probe, what)


def execution_arn(state_machine_arn: str, rma_id: str) -> str:
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{rma_id}"


def finished_execution(state_machine_arn: str, rma_id: str) -> dict[str, Any]:
    """The RMA's lifecycle execution once it is no longer RUNNING."""
    sfn = client("stepfunctions")
    arn = execution_arn(state_machine_arn, rma_id)

    def probe() -> dict[str, Any] | None:
        execution = _described(sfn, arn)
        return execution if execution and execution["status"] != "RUNNING" else None

    return eventually(probe, f"the execution of {rma_id} to finish")


def _described(sfn: Any, arn: str) -> dict[str, Any] | None:
    """The execution, or None while the return event that starts it is on its way."""
    try:
        execution: dict[str, Any] = sfn.describe_execution(executionArn=arn)
    except sfn.exceptions.ExecutionDoesNotExist:
        return None
    return execution


def visited_states(state_machine_arn: str, rma_id: str) -> list[str]:
    """The names of the states the execution entered, in order."""
    history = client("stepfunctions").get_execution_history(
        executionArn=execution_arn(state_machine_arn, rma_id), maxResults=1000
    )
    return [
        event["stateEnteredEventDetails"]["name"]
        for event in history["events"]
        if "stateEnteredEventDetails" in event
    ]


@contextmanager
def holding_task(task: str, *, step: str | None = None) -> Iterator[threading.Event]:
    """Hold the lifecycle inside `task` (only for `step`, when given) until the block ends, so a
    person can act at that exact moment. Yields an event set once the task is being held."""
    from local.step_functions import app_task_handlers, run_lambdas_in_process

    handlers = app_task_handlers()
    run_task = handlers[task]
    entered, released = threading.Event(), threading.Event()

    def held(event: dict[str, Any], context: Any) -> Any:
        if step is None or event.get("step") == step:
            entered.set()
            released.wait(DEADLINE_SECONDS)
        return run_task(event, context)

    run_lambdas_in_process({**handlers, task: held})
    try:
        yield entered
    finally:
        run_lambdas_in_process(handlers)
        released.set()


# --- Scenarios: a return driven through the APIs as people drive it ---------------------------
# (shared by tests/integration/test_lifecycle*.py)

AGENT_DECISION = LifecycleStep.AGENT_DECISION
ITEM_RECEIPT = LifecycleStep.ITEM_RECEIPT
REFUND_APPROVAL = LifecycleStep.REFUND_APPROVAL
ONE_SECOND = timedelta(seconds=1)

# The states each stretch of the lifecycle enters, in order.
REQUEST = ["CheckEligibility", "RouteByEligibility"]
AUTO_APPROVED = [*REQUEST, "ApproveAutomatically", "IssueLabel", "WaitForItemReceipt"]
AGENT_DECIDED = [*REQUEST, "WaitForAgentDecision", "RouteByDecision"]
LABEL_ISSUED = ["IssueLabel", "WaitForItemReceipt"]
REFUND_RESOLVED = ["ResolveFinancial", "RouteByRefundExecution"]
COMPLETED = ["ExecuteRefund", "CompleteReturn", "ReturnCompleted"]
REFUNDED_AUTOMATICALLY = [*REFUND_RESOLVED, *COMPLETED]
REFUNDED_ONCE_APPROVED = [*REFUND_RESOLVED, "WaitForRefundApproval", *COMPLETED]
ANOMALY = ["MarkAnomaly", "LifecycleFailed"]

GORGIAS_AGENT = {"id": 17, "email": "alex@acme.example", "name": "Alex Martin"}


@pytest.fixture(autouse=True)
def no_execution_outlives_its_test(lifecycle: str) -> None:
    """Autouse where imported: every test runs with the lifecycle, whose fixture stops what a
    test leaves waiting, so that no execution calls the tasks of the next test."""


def use_policy(**fields: Any) -> None:
    policies = container.policy_service()
    policies.replace(ReturnPolicy(**fields), policies.current_with_version()[1])


def agents_decide(**fields: Any) -> None:
    """A policy under which every return waits for an agent's decision."""
    use_policy(auto_approval=AutoApprovalRules(enabled=False), **fields)


def order_placed(days_ago: int) -> dict[str, Any]:
    """The request's default order, placed `days_ago` days ago (the window counts from it)."""
    ordered_at = date.today() - timedelta(days=days_ago)
    return {**rma_payload()["order"], "ordered_at": str(ordered_at)}


def line(**fields: Any) -> dict[str, Any]:
    """The request's default line (one 25.00 T-shirt, SIZE_PROBLEM), changed by `fields`."""
    return {**rma_payload()["lines"][0], **fields}


def submit_return(api: Any, **overrides: Any) -> dict[str, Any]:
    """Open an RMA through the admin API for an order of three days ago and submit it, which
    starts its lifecycle. The RMA as created."""
    payload = rma_payload(**{"order": order_placed(days_ago=3), **overrides})
    created = api.http.post("/rmas", headers={**ADMIN_AUTH, **JSON}, body=json.dumps(payload))
    assert created.status_code == 201, created.body
    rma: dict[str, Any] = body(created)
    assert admin_action(api, rma["id"], "submit").status_code == 200
    return rma


def awaiting_refund_approval(api: Any, product_state: str) -> dict[str, Any]:
    """A return submitted, auto-approved, received in `product_state`, and its computed refund
    waiting for a person's approval. The RMA as created."""
    rma = submit_return(api)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], product_state).status_code == 200
    waiting_in(rma["id"], REFUND_APPROVAL)
    return rma


def admin_action(api: Any, rma_id: str, action: str, payload: dict[str, Any] | None = None) -> Any:
    return api.http.post(
        f"/rmas/{rma_id}/{action}", headers={**ADMIN_AUTH, **JSON}, body=json.dumps(payload or {})
    )


def receive(api: Any, rma_id: str, product_state: str, quantity: int = 1) -> Any:
    received = {"sku": line()["sku"], "quantity": quantity, "product_state": product_state}
    return admin_action(api, rma_id, "receive", {"lines": [received]})


def gorgias_decision(api: Any, decision: str, reference: str, **fields: Any) -> Any:
    payload = {"rma": reference, "ticket_id": 4242, "agent": GORGIAS_AGENT, **fields}
    return api.http.post(
        f"/gorgias/actions/{decision}", headers={**WIDGET_AUTH, **JSON}, body=json.dumps(payload)
    )


def waiting_in(rma_id: str, step: LifecycleStep, *, not_token: str | None = None) -> Rma:
    """The RMA once the lifecycle waits in `step` with a task token (other than `not_token`)."""
    return rma_when(
        rma_id,
        lambda rma: rma.waiting_for is step and rma.task_token not in (None, not_token),
        f"the lifecycle to wait for {step}",
    )


def current(rma_id: str) -> Rma:
    return container.rma_service().find(rma_id)


def statuses(rma: Rma) -> tuple[str, str, str, str]:
    """Processing, delivery, financial and fulfillment status."""
    return (
        rma.processing_status,
        rma.delivery_status,
        rma.financial_status,
        rma.fulfillment_status,
    )


def action_log(api: Any, rma_id: str) -> list[dict[str, Any]]:
    response = api.http.get(f"/rmas/{rma_id}/events", headers=ADMIN_AUTH)
    assert response.status_code == 200, response.body
    events: list[dict[str, Any]] = body(response)["events"]
    return events


def by_workflow(api: Any, rma_id: str) -> list[tuple[str, str, str | None]]:
    """(action, status after, note) of each action-log entry the lifecycle wrote itself."""
    return [
        (event["action"], event["to_status"], event["note"])
        for event in action_log(api, rma_id)
        if event["actor"]["channel"] == "workflow"
    ]


def execution_of(state_machine_arn: str, rma_id: str) -> dict[str, Any]:
    """The RMA's execution, once its return event has started it."""
    arn = execution_arn(state_machine_arn, rma_id)
    sfn = client("stepfunctions")
    return eventually(lambda: _described(sfn, arn), f"the execution of {rma_id} to start")


def ended(state_machine_arn: str, rma_id: str, status: str, path: list[str]) -> dict[str, Any]:
    """The execution, once finished, asserted to be named after the RMA and to have ended in
    `status` through exactly the states of `path`."""
    execution = finished_execution(state_machine_arn, rma_id)
    assert (execution["name"], execution["status"]) == (rma_id, status)
    assert visited_states(state_machine_arn, rma_id) == path
    return execution


def still_running(state_machine_arn: str, rma_id: str, path: list[str]) -> None:
    execution = execution_of(state_machine_arn, rma_id)
    assert (execution["name"], execution["status"]) == (rma_id, "RUNNING")
    assert visited_states(state_machine_arn, rma_id) == path


class DecliningPayments:
    """A payment provider that refuses every refund for good."""

    def refund(
        self, rma: Rma, resolution: FinancialResolution, *, idempotency_key: str
    ) -> PaymentReceipt:
        raise PaymentDeclinedError("The card issuer refused the refund (code 05)")
