"""The work of each state of the return lifecycle, called by the task Lambdas.

Every task reads the RMA, acts through the same domain functions as the API, and writes through
the repository's conditional transition. Every task is idempotent: Step Functions retries, so a
task that finds its work already done answers as if it had just done it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.clock import utc_now
from chalicelib.domain.eligibility import auto_approval
from chalicelib.domain.handling import (
    every_line_received,
    issue_label,
    refund_approved,
    resolve_financial,
)
from chalicelib.domain.intake import refused_lines
from chalicelib.domain.policy import DecisionTimeoutAction, ReturnPolicy
from chalicelib.domain.refunds import compute_refund
from chalicelib.domain.rma import Actor, FinancialResolution, Rma, revised
from chalicelib.domain.statuses import (
    Channel,
    DeliveryStatus,
    FinancialStatus,
    LifecycleStep,
    ProcessingStatus,
)
from chalicelib.domain.transitions import Action, apply_update, target_status
from chalicelib.errors import DecisionNeeded, ParcelOverdueError
from chalicelib.integrations.labels import LabelProvider
from chalicelib.integrations.payments import PaymentDeclinedError, PaymentProvider
from chalicelib.observability import logger, metrics
from chalicelib.repositories.lifecycle_executions import LifecycleExecutions
from chalicelib.services.handling_service import pay_pending
from chalicelib.services.intake import CUSTOMER_HISTORY
from chalicelib.services.rma_service import RmaService

WORKFLOW = Actor(channel=Channel.WORKFLOW, name="Returns workflow")
P = ProcessingStatus
_CLOSED = {P.REJECTED, P.CANCELED, P.DELETED, P.COMPLETE}


class LifecycleTasks:
    def __init__(
        self,
        rmas: RmaService,
        policy: Callable[[], ReturnPolicy],
        executions: LifecycleExecutions,
        labels: LabelProvider,
        payments: PaymentProvider,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._rmas = rmas
        self._policy = policy
        self._executions = executions
        self._labels = labels
        self._payments = payments
        self._clock = clock

    # --- request -----------------------------------------------------------------------------

    def check_eligibility(self, rma_id: str) -> dict[str, Any]:
        """Route the request: INELIGIBLE, AUTO_APPROVE or AWAIT_AGENT (or, on a retry or a late
        start, APPROVED / CLOSED when a person already decided)."""
        rma = self._rmas.find(rma_id)
        policy = self._policy()
        timeouts = {
            "decision_timeout_seconds": _seconds(policy.agent_decision_timeout),
            "parcel_timeout_seconds": _seconds(policy.parcel_timeout),
            "refund_approval_timeout_seconds": _seconds(policy.refund_approval_timeout),
        }
        if rma.processing_status in {P.ACCEPTED, P.PROCESSING}:
            return {"outcome": "APPROVED", **timeouts}
        if rma.processing_status in _CLOSED:
            return {"outcome": "CLOSED", **timeouts}
        if rma.processing_status is not P.REQUESTED:
            return {"outcome": "AWAIT_AGENT", **timeouts}
        history = self._rmas.latest_for_customer(rma.customer.email, CUSTOMER_HISTORY)[0]
        if self._ineligible_lines(rma, policy, history):
            return {"outcome": "INELIGIBLE", **timeouts}
        since = self._clock() - timedelta(days=policy.auto_approval.period_days)
        verdict = auto_approval(
            policy=policy,
            email=rma.customer.email,
            reasons=[line.reason for line in rma.lines],
            returned_value=rma.requested_value,
            returns_in_period=sum(1 for other in history if other.created_at >= since),
        )
        return {"outcome": "AUTO_APPROVE" if verdict.approved else "AWAIT_AGENT", **timeouts}

    def reject_ineligible(self, rma_id: str) -> dict[str, Any]:
        rma = self._rmas.find(rma_id)
        if rma.processing_status is not P.REQUESTED:
            return {}
        history = self._rmas.latest_for_customer(rma.customer.email, CUSTOMER_HISTORY)[0]
        reasons = self._ineligible_lines(rma, self._policy(), history)
        note = "Not eligible: " + "; ".join(reasons)
        self._rmas.act(rma.id, Action.REJECT, actor=WORKFLOW, note=note)
        return {}

    def approve_automatically(self, rma_id: str) -> dict[str, Any]:
        rma = self._rmas.find(rma_id)
        if target_status(rma, Action.ACCEPT) is not None:
            self._rmas.act(rma.id, Action.ACCEPT, actor=WORKFLOW, note="Approved automatically")
            metrics.add_metric(name="ReturnsAutoApproved", unit=MetricUnit.Count, value=1)
        elif rma.processing_status is P.ON_HOLD and rma.held_from is P.REQUESTED:
            raise DecisionNeeded(
                f"Return {rma.return_reference} was put on hold before it could be approved"
            )
        return {}

    def escalate_decision(self, rma_id: str) -> dict[str, Any]:
        """No agent decided in time: remind the team and, by policy, put the return on hold."""
        rma = self._rmas.find(rma_id)
        if rma.processing_status not in {P.REQUESTED, P.ON_HOLD}:
            return {}  # decided as the delay ran out: the wait that follows sees it
        logger.warning(
            "Return waiting for a decision too long", extra={"reference": rma.return_reference}
        )
        metrics.add_metric(name="DecisionsOverdue", unit=MetricUnit.Count, value=1)
        policy = self._policy()
        if (
            policy.on_decision_timeout is DecisionTimeoutAction.HOLD
            and rma.processing_status is P.REQUESTED
        ):
            self._rmas.act(
                rma.id, Action.HOLD, actor=WORKFLOW, note="No decision within the policy's delay"
            )
        return {}

    def remind_refund_approval(self, rma_id: str) -> dict[str, Any]:
        """No one approved the computed refund in time: say so where people look (the action
        log, a metric with an alarm); the lifecycle then waits again."""
        rma = self._rmas.find(rma_id)
        if refund_approved(rma):
            return {}  # approved as the delay ran out: the wait that follows resumes at once
        logger.warning(
            "Refund waiting for approval too long", extra={"reference": rma.return_reference}
        )
        metrics.add_metric(name="RefundApprovalsOverdue", unit=MetricUnit.Count, value=1)
        note = "The refund still waits for approval after the policy's delay"
        updated, event = apply_update(
            rma,
            action="refund_approval_overdue",
            actor=WORKFLOW,
            at=self._clock(),
            changes={},
            note=note,
        )
        self._rmas.save(updated, event, before=rma)
        return {}

    # --- waiting on people -------------------------------------------------------------------

    def store_task_token(self, rma_id: str, step: str, task_token: str) -> dict[str, Any]:
        """Keep the token that resumes `step` on the RMA, unless the step is already over
        (a person was faster than the lifecycle), in which case resume it right away."""
        rma = self._rmas.find(rma_id)
        done = _step_outcome(rma, LifecycleStep(step))
        if done is not None:
            if done == "CLOSED":
                self._executions.fail(task_token, "ReturnClosed", "Closed before the step began")
            else:
                self._executions.succeed(task_token, {"outcome": done})
            return {}
        updated = revised(
            rma, task_token=task_token, waiting_for=LifecycleStep(step), version=rma.version + 1
        )
        self._rmas.save(updated, before=rma)
        return {}

    # --- after approval ----------------------------------------------------------------------

    def issue_label(self, rma_id: str) -> dict[str, Any]:
        rma = self._rmas.find(rma_id)
        if rma.delivery_status is not DeliveryStatus.PENDING:
            return {}
        issued = self._labels.issue(rma, self._policy().return_address)
        updated, event = issue_label(
            rma, issued.shipment, issued.instructions, actor=WORKFLOW, at=self._clock()
        )
        self._rmas.save(updated, event, before=rma)
        return {}

    def expire_return(self, rma_id: str) -> dict[str, Any]:
        rma = self._rmas.find(rma_id)
        if rma.processing_status in _CLOSED:
            return {}
        if target_status(rma, Action.CANCEL) is None:
            received = sum(line.received_quantity for line in rma.lines)
            expected = sum(line.quantity for line in rma.lines)
            raise ParcelOverdueError(
                f"The parcel delay ran out with {received} of {expected} items received "
                f"while the return is {rma.processing_status}"
            )
        note = "No parcel arrived within the policy's delay"
        self._rmas.act(rma.id, Action.CANCEL, actor=WORKFLOW, note=note)
        return {}

    def resolve_financial(self, rma_id: str) -> dict[str, Any]:
        """Compute what is owed, and tell the state machine what comes next: EXECUTE it,
        AWAIT_APPROVAL of a person (who may also set the amount), or NOTHING_TO_PAY."""
        rma = self._rmas.find(rma_id)
        unresolved = rma.financial_status is FinancialStatus.PENDING
        if unresolved and not rma.financial_resolutions:
            if not rma.auto_generate_financial_resolution:
                return {"next": "AWAIT_APPROVAL"}
            rma = self._record_resolution(rma)
        if not _pending(rma):
            return {"next": "NOTHING_TO_PAY"}
        return {"next": "EXECUTE" if rma.auto_execute_financial_resolution else "AWAIT_APPROVAL"}

    def _record_resolution(self, rma: Rma) -> Rma:
        breakdown = compute_refund(rma, self._policy())
        resolution = (
            FinancialResolution(amount=breakdown.amount, method=breakdown.method)
            if breakdown.method is not None
            else None
        )
        note = f"Computed {breakdown.explain(rma.currency)}"
        updated, event = resolve_financial(
            rma, resolution, actor=WORKFLOW, at=self._clock(), note=note
        )
        self._rmas.save(updated, event, before=rma)
        return updated

    def execute_refund(self, rma_id: str) -> dict[str, Any]:
        rma = self._rmas.find(rma_id)
        if not _pending(rma):
            return {}
        updated, event = pay_pending(rma, self._payments, actor=WORKFLOW, at=self._clock())
        self._rmas.save(updated, event, before=rma)
        metrics.add_metric(name="RefundsExecuted", unit=MetricUnit.Count, value=1)
        return {}

    def complete_return(self, rma_id: str) -> dict[str, Any]:
        rma = self._rmas.find(rma_id)
        if target_status(rma, Action.COMPLETE) is not None:
            self._rmas.act(rma.id, Action.COMPLETE, actor=WORKFLOW)
        return {}

    # --- failures ----------------------------------------------------------------------------

    def mark_anomaly(self, rma_id: str, error: dict[str, Any]) -> dict[str, Any]:
        """A step failed for good: record the error on the RMA so a person sees it. PROCESSING
        returns become ANOMALY; earlier ones, which the status table keeps out of ANOMALY, go
        ON_HOLD; closed ones only get the log entry. A declined refund is an EXECUTION_ERROR."""
        rma = self._rmas.find(rma_id)
        kind, message = _failure(error)
        note = f"Lifecycle step failed: {kind}: {message}"[:2000]
        changes = (
            {"financial_status": FinancialStatus.EXECUTION_ERROR}
            if kind == PaymentDeclinedError.__name__
            else {}
        )
        metrics.add_metric(name="LifecycleAnomalies", unit=MetricUnit.Count, value=1)
        for action in (Action.FLAG_ANOMALY, Action.HOLD):
            if target_status(rma, action) is not None:
                self._rmas.act(rma.id, action, actor=WORKFLOW, note=note, changes=changes)
                return {}
        updated, event = apply_update(
            rma, action="lifecycle_error", actor=WORKFLOW, at=self._clock(), changes={}, note=note
        )
        self._rmas.save(updated, event, before=rma)
        return {}

    def _ineligible_lines(self, rma: Rma, policy: ReturnPolicy, history: list[Rma]) -> list[str]:
        """Why each ineligible line is not returnable ("SKU: reason"); empty when all are."""
        refused = refused_lines(rma, policy, history, today=self._clock().date(), excluding=rma.id)
        return [f"{v.sku}: {v.reason}" for v in refused]


def _failure(error: dict[str, Any]) -> tuple[str, str]:
    """The error name and message of a Catch's `{"Error", "Cause"}`; a Lambda's Cause is the
    JSON of its `errorType` and `errorMessage`."""
    kind = str(error.get("Error", "unknown"))
    cause = error.get("Cause", "")
    try:
        message = json.loads(cause).get("errorMessage", cause)
    except (TypeError, ValueError, AttributeError):
        message = cause
    return kind, str(message)


def _pending(rma: Rma) -> bool:
    return any(r.status is FinancialStatus.PENDING for r in rma.financial_resolutions)


def _step_outcome(rma: Rma, step: LifecycleStep) -> str | None:
    """The outcome of `step` if the RMA is already past it, else None."""
    if rma.processing_status in {P.REJECTED, P.CANCELED, P.DELETED}:
        return "CLOSED"
    if step is LifecycleStep.AGENT_DECISION and rma.processing_status in {P.ACCEPTED, P.PROCESSING}:
        return "APPROVED"
    if step is LifecycleStep.ITEM_RECEIPT and rma.processing_status is P.PROCESSING:
        return "RECEIVED" if every_line_received(rma) else None
    if step is LifecycleStep.REFUND_APPROVAL and refund_approved(rma):
        return "REFUND_APPROVED"
    return None


def _seconds(delay: timedelta) -> int:
    return max(1, int(delay.total_seconds()))
