"""The processing-status state machine and the actions that move an RMA through it.

Each action names the statuses it moves an RMA from and to; the table of allowed moves is the
single authority, so an action can never open a move the table forbids (PROCESSING is never
CANCELED, terminal statuses stay terminal). The other three status dimensions follow along where
the move decides them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.rma import Actor, Rma, RmaEvent, revised
from chalicelib.domain.statuses import (
    DeliveryStatus,
    FinancialStatus,
    FulfillmentStatus,
    ProcessingStatus,
)
from chalicelib.errors import InvalidRequestError, InvalidTransitionError

P = ProcessingStatus

ALLOWED_TRANSITIONS: dict[ProcessingStatus, frozenset[ProcessingStatus]] = {
    P.NEW: frozenset({P.REQUESTED, P.CANCELED, P.DELETED}),
    P.REQUESTED: frozenset({P.ACCEPTED, P.REJECTED, P.CANCELED, P.ON_HOLD}),
    P.ACCEPTED: frozenset({P.PROCESSING, P.CANCELED, P.ON_HOLD}),
    P.PROCESSING: frozenset({P.COMPLETE, P.ANOMALY, P.ON_HOLD}),
    # ON_HOLD may only go back to where it was held from; see `target_status`.
    P.ON_HOLD: frozenset({P.REQUESTED, P.ACCEPTED, P.PROCESSING}),
    P.ANOMALY: frozenset({P.PROCESSING, P.COMPLETE}),
    P.REJECTED: frozenset(),
    P.CANCELED: frozenset(),
    P.COMPLETE: frozenset(),
    P.DELETED: frozenset(),
}
TERMINAL_STATUSES = frozenset(s for s, targets in ALLOWED_TRANSITIONS.items() if not targets)
# Returns that no longer hold on to their units of the order: those may be asked for again.
RELEASED_STATUSES = frozenset({P.REJECTED, P.CANCELED, P.DELETED})


class Action(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    REJECT = "reject"
    CANCEL = "cancel"
    HOLD = "hold"
    RESUME = "resume"
    DELETE = "delete"
    START_PROCESSING = "start_processing"
    FLAG_ANOMALY = "flag_anomaly"
    COMPLETE = "complete"


@dataclass(frozen=True)
class _ActionRule:
    target: ProcessingStatus | None  # None: decided by the RMA (resume)
    past_tense: str
    note_required: bool = False


_RULES: dict[Action, _ActionRule] = {
    Action.SUBMIT: _ActionRule(P.REQUESTED, "submitted"),
    Action.ACCEPT: _ActionRule(P.ACCEPTED, "approved"),
    Action.REJECT: _ActionRule(P.REJECTED, "rejected", note_required=True),
    Action.CANCEL: _ActionRule(P.CANCELED, "canceled"),
    Action.HOLD: _ActionRule(P.ON_HOLD, "put on hold"),
    Action.RESUME: _ActionRule(None, "resumed"),
    Action.DELETE: _ActionRule(P.DELETED, "deleted"),
    Action.START_PROCESSING: _ActionRule(P.PROCESSING, "started"),
    Action.FLAG_ANOMALY: _ActionRule(P.ANOMALY, "flagged as an anomaly", note_required=True),
    Action.COMPLETE: _ActionRule(P.COMPLETE, "completed"),
}


def past_tense(action: Action) -> str:
    return _RULES[action].past_tense


def can_transition(source: ProcessingStatus, target: ProcessingStatus) -> bool:
    return target in ALLOWED_TRANSITIONS[source]


def target_status(rma: Rma, action: Action) -> ProcessingStatus | None:
    """Where `action` would take `rma`, or None when it may not act on it now."""
    rule = _RULES[action]
    target = rule.target
    if rma.processing_status is P.ON_HOLD:
        # A held return only resumes; anything else waits until it does.
        target = rma.held_from if action is Action.RESUME else None
    elif action is Action.RESUME:
        # A person checked an anomaly (a parcel that did not match, a failed step): the return
        # is handled again.
        target = P.PROCESSING if rma.processing_status is P.ANOMALY else None
    if target is None or not can_transition(rma.processing_status, target):
        return None
    return target


def apply_action(
    rma: Rma, action: Action, *, actor: Actor, at: datetime, note: str | None = None
) -> tuple[Rma, RmaEvent]:
    """The RMA after `action`, one version later, and the action-log entry that records it."""
    rule = _RULES[action]
    target = target_status(rma, action)
    if target is None:
        raise InvalidTransitionError(rma.return_reference, rma.processing_status, rule.past_tense)
    note = (note or "").strip() or None
    if rule.note_required and note is None:
        raise InvalidRequestError(
            f"A reason is required to mark return {rma.return_reference} {rule.past_tense}.",
            {"field": "reason"},
        )
    changes: dict[str, Any] = {
        "processing_status": target,
        "held_from": rma.processing_status if target is P.ON_HOLD else None,
        "updated_at": at,
        "version": rma.version + 1,
        **_companion_statuses(target),
    }
    if target is P.REQUESTED and rma.requested_at is None:
        changes["requested_at"] = at
    if target is P.ACCEPTED and rma.issued_at is None:
        changes["issued_at"] = at
    if not ALLOWED_TRANSITIONS[target]:
        # A final status: no lifecycle step waits on the return any more.
        changes.update(task_token=None, waiting_for=None)
    if rma.fulfillment_status is FulfillmentStatus.ERROR and target is P.PROCESSING:
        changes["fulfillment_status"] = FulfillmentStatus.IN_PROGRESS
    updated = revised(rma, **changes)
    event = RmaEvent(
        rma_id=rma.id,
        version=updated.version,
        at=at,
        actor=actor,
        action=action.value,
        from_status=rma.processing_status,
        to_status=target,
        note=note,
    )
    return updated, event


_DECISIONS = frozenset({Action.ACCEPT, Action.REJECT})


def _resumes_first(rma: Rma, action: Action) -> bool:
    held_for_decision = rma.processing_status is P.ON_HOLD and rma.held_from is P.REQUESTED
    return action in _DECISIONS and held_for_decision


def may_decide(rma: Rma, action: Action) -> bool:
    """Whether `decide` would take `action` on `rma` as it stands: what a person is offered."""
    return _resumes_first(rma, action) or target_status(rma, action) is not None


def decide(
    rma: Rma, action: Action, *, actor: Actor, at: datetime, note: str | None = None
) -> tuple[Rma, list[RmaEvent]]:
    """`apply_action`, except that approving or rejecting a return put on hold while it waited
    for a decision first resumes it: whoever decides has no other way forward (Gorgias offers
    only approve and reject). The log gets both entries, the resume then the decision, each with
    its own version, to be written together. Any other action is `apply_action` as it is."""
    if _resumes_first(rma, action):
        resumed, resume = apply_action(rma, Action.RESUME, actor=actor, at=at)
        decided, decision = apply_action(resumed, action, actor=actor, at=at, note=note)
        return decided, [resume, decision]
    updated, event = apply_action(rma, action, actor=actor, at=at, note=note)
    return updated, [event]


def apply_update(
    rma: Rma,
    *,
    action: str,
    actor: Actor,
    at: datetime,
    changes: dict[str, Any],
    note: str | None = None,
) -> tuple[Rma, RmaEvent]:
    """A change that keeps the processing status (a label issued, a refund resolved...), one
    version later, with its action-log entry."""
    updated = revised(rma, **changes, updated_at=at, version=rma.version + 1)
    event = RmaEvent(
        rma_id=rma.id,
        version=updated.version,
        at=at,
        actor=actor,
        action=action,
        from_status=rma.processing_status,
        to_status=updated.processing_status,
        note=note,
    )
    return updated, event


def _companion_statuses(target: ProcessingStatus) -> dict[str, Any]:
    """How the delivery, financial and fulfillment dimensions follow a processing move."""
    if target is P.REJECTED:
        return {
            "delivery_status": DeliveryStatus.CANCELED,
            "financial_status": FinancialStatus.NONE,
            "fulfillment_status": FulfillmentStatus.CANCELED,
        }
    if target is P.CANCELED:
        return {
            "delivery_status": DeliveryStatus.CANCELED,
            "financial_status": FinancialStatus.CANCELED,
            "fulfillment_status": FulfillmentStatus.CANCELED,
        }
    if target is P.COMPLETE:
        return {"fulfillment_status": FulfillmentStatus.COMPLETE}
    return {}


def opening_event(rma: Rma, *, actor: Actor, note: str | None = None) -> RmaEvent:
    """The first action-log entry, written with the RMA itself."""
    return RmaEvent(
        rma_id=rma.id,
        version=rma.version,
        at=rma.created_at,
        actor=actor,
        action="create",
        from_status=None,
        to_status=rma.processing_status,
        note=note,
    )


def gives_back_units(before: Rma, after: Rma) -> bool:
    """Whether the change from `before` to `after` ends the return's claim on its units."""
    return (
        before.processing_status not in RELEASED_STATUSES
        and after.processing_status in RELEASED_STATUSES
    )
