"""Return events: what one change of a return tells everything that reacts to it.

Every write of a return that a person, the warehouse or the lifecycle makes (every write with
action-log entries) is published as one event, stored in the same transaction as the change:
its type, who made it, the statuses the return had before and the return as the change left
it. Subscribers (the lifecycle's hand-offs, the status emails, later Gorgias notes and
outgoing webhooks) read nothing else, so they never see a change that was not stored, nor miss
one that was. Pure: no AWS here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.rma import Actor, DomainModel, LongText, Rma, RmaEvent, revised
from chalicelib.domain.statuses import (
    DeliveryStatus,
    FinancialStatus,
    FulfillmentStatus,
    LifecycleStep,
    ProcessingStatus,
)
from chalicelib.domain.transitions import Action

# The error a waiting step ends with when its return is closed; the state machine catches it.
RETURN_CLOSED = "ReturnClosed"


class ReturnEventType(StrEnum):
    CREATED = "return.created"
    REQUESTED = "return.requested"
    APPROVED = "return.approved"
    REJECTED = "return.rejected"
    CANCELED = "return.canceled"
    ON_HOLD = "return.on_hold"
    RESUMED = "return.resumed"
    DELETED = "return.deleted"
    PROCESSING = "return.processing"
    LABEL_ISSUED = "return.label_issued"
    RECEIVED = "return.received"
    REFUND_PENDING = "return.refund_pending"
    REFUND_APPROVED = "return.refund_approved"
    REFUNDED = "return.refunded"
    COMPLETED = "return.completed"
    ANOMALY = "return.anomaly"
    # An exchange's replacement ordered in the shop, invoiced, or left to the merchant.
    REPLACEMENT = "return.replacement"
    # Anything else worth a log entry: a photo, a reminder, a failed step recorded.
    UPDATED = "return.updated"


# By the action of the change's last log entry: a write of several entries (a decision on a
# held return resumes it first) is named after what it ends with.
_TYPE_OF_ACTION = {
    "create": ReturnEventType.CREATED,
    Action.SUBMIT: ReturnEventType.REQUESTED,
    Action.ACCEPT: ReturnEventType.APPROVED,
    Action.REJECT: ReturnEventType.REJECTED,
    Action.CANCEL: ReturnEventType.CANCELED,
    Action.HOLD: ReturnEventType.ON_HOLD,
    Action.RESUME: ReturnEventType.RESUMED,
    Action.DELETE: ReturnEventType.DELETED,
    Action.START_PROCESSING: ReturnEventType.PROCESSING,
    Action.FLAG_ANOMALY: ReturnEventType.ANOMALY,
    Action.COMPLETE: ReturnEventType.COMPLETED,
    "issue_label": ReturnEventType.LABEL_ISSUED,
    "receive": ReturnEventType.RECEIVED,
    "approve_refund": ReturnEventType.REFUND_APPROVED,
    "execute_refund": ReturnEventType.REFUNDED,
    "order_replacement": ReturnEventType.REPLACEMENT,
}


class StatusesBefore(DomainModel):
    """The return's statuses before the change: what subscribers compare the new ones with."""

    processing_status: ProcessingStatus
    delivery_status: DeliveryStatus
    financial_status: FinancialStatus
    fulfillment_status: FulfillmentStatus
    held_from: ProcessingStatus | None = None

    @classmethod
    def of(cls, rma: Rma) -> StatusesBefore:
        return cls(
            processing_status=rma.processing_status,
            delivery_status=rma.delivery_status,
            financial_status=rma.financial_status,
            fulfillment_status=rma.fulfillment_status,
            held_from=rma.held_from,
        )


class HandOff(DomainModel):
    """What to send back to the lifecycle step a change completes: an output, or the name of
    the error the step ends with. The token is the one the step was waiting with."""

    task_token: str
    output: dict[str, Any] | None = None
    error: str | None = None


class ReturnEvent(DomainModel):
    # `<rma id>:<version>`: a version is written once, so the id names one change for good and
    # is what subscribers recognise a redelivered event by.
    id: str
    type: ReturnEventType
    rma_id: str
    version: int
    occurred_at: datetime
    actor: Actor
    # The last log entry's note: a rejection's reason, a hold's cause.
    note: LongText | None = None
    # None when the change created the return.
    previous: StatusesBefore | None = None
    # The return as the change left it, without the lifecycle's token (see `hand_off`).
    rma: Rma
    hand_off: HandOff | None = None


def return_event(
    before: Rma | None, after: Rma, last_entry: RmaEvent, *, hand_off: HandOff | None = None
) -> ReturnEvent:
    """The event a write of `after` (made from `before`, None for a new return) publishes;
    `last_entry` is the last of the change's log entries, which names it. Bookkeeping that no
    one did (the lifecycle keeping its token) has no entry and publishes nothing."""
    return ReturnEvent(
        id=f"{after.id}:{after.version}",
        type=_event_type(last_entry.action, after),
        rma_id=after.id,
        version=after.version,
        occurred_at=last_entry.at,
        actor=last_entry.actor,
        note=last_entry.note,
        previous=StatusesBefore.of(before) if before is not None else None,
        rma=revised(after, task_token=None),
        hand_off=hand_off,
    )


def _event_type(action: str, after: Rma) -> ReturnEventType:
    if action == "resolve_financial":
        owed = after.financial_status is FinancialStatus.PENDING and after.financial_resolutions
        return ReturnEventType.REFUND_PENDING if owed else ReturnEventType.UPDATED
    return _TYPE_OF_ACTION.get(action, ReturnEventType.UPDATED)


def step_completed(rma: Rma, outcome: str) -> HandOff | None:
    """The hand-off that resumes the step `rma` waits in with `outcome`, if it holds a token."""
    if rma.task_token is None:
        return None
    return HandOff(task_token=rma.task_token, output={"outcome": outcome})


def hand_off_for(action: Action, rma: Rma) -> HandOff | None:
    """What `action` on `rma` sends back to the lifecycle step it waits in, if it completes it."""
    if rma.task_token is None or rma.waiting_for is None:
        return None
    if action is Action.CANCEL:
        return HandOff(task_token=rma.task_token, error=RETURN_CLOSED)
    if rma.waiting_for is LifecycleStep.AGENT_DECISION and action is Action.ACCEPT:
        return HandOff(task_token=rma.task_token, output={"outcome": "APPROVED"})
    if rma.waiting_for is LifecycleStep.AGENT_DECISION and action is Action.REJECT:
        return HandOff(task_token=rma.task_token, output={"outcome": "REJECTED"})
    return None
