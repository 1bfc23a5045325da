"""Specification of the processing-status state machine."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chalicelib.domain.rma import Actor, Customer, OrderRef, Rma, RmaLine
from chalicelib.domain.statuses import (
    Channel,
    DeliveryStatus,
    FinancialStatus,
    FulfillmentStatus,
    ProcessingStatus,
    ReturnReason,
)
from chalicelib.domain.transitions import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATUSES,
    Action,
    apply_action,
    can_transition,
    past_tense,
    target_status,
)
from chalicelib.errors import InvalidRequestError, InvalidTransitionError

P = ProcessingStatus
AGENT = Actor(channel=Channel.GORGIAS, id="7", email="agent@shop.example", name="Alex")
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

# The processing transitions of the architecture, written out in full.
EXPECTED_MOVES = {
    (P.NEW, P.REQUESTED),
    (P.NEW, P.CANCELED),
    (P.NEW, P.DELETED),
    (P.REQUESTED, P.ACCEPTED),
    (P.REQUESTED, P.REJECTED),
    (P.REQUESTED, P.CANCELED),
    (P.REQUESTED, P.ON_HOLD),
    (P.ACCEPTED, P.PROCESSING),
    (P.ACCEPTED, P.CANCELED),
    (P.ACCEPTED, P.ON_HOLD),
    (P.PROCESSING, P.COMPLETE),
    (P.PROCESSING, P.ANOMALY),
    (P.PROCESSING, P.ON_HOLD),
    (P.ON_HOLD, P.REQUESTED),
    (P.ON_HOLD, P.ACCEPTED),
    (P.ON_HOLD, P.PROCESSING),
    (P.ANOMALY, P.PROCESSING),
    (P.ANOMALY, P.COMPLETE),
}
# Where each action goes, and the note it needs when it needs one.
ACTION_TARGETS = {
    Action.SUBMIT: P.REQUESTED,
    Action.ACCEPT: P.ACCEPTED,
    Action.REJECT: P.REJECTED,
    Action.CANCEL: P.CANCELED,
    Action.HOLD: P.ON_HOLD,
    Action.DELETE: P.DELETED,
    Action.START_PROCESSING: P.PROCESSING,
    Action.FLAG_ANOMALY: P.ANOMALY,
    Action.COMPLETE: P.COMPLETE,
}
NOTES = {Action.REJECT: "Worn beyond the policy", Action.FLAG_ANOMALY: "Parcel empty"}
# How a refusal names each status to a support agent (machines read `details.current_status`).
IN_WORDS = {
    P.NEW: "a draft not yet submitted",
    P.REQUESTED: "waiting for a decision",
    P.ACCEPTED: "approved and waiting for the parcel",
    P.PROCESSING: "being processed",
    P.ON_HOLD: "on hold",
    P.ANOMALY: "flagged as an anomaly",
    P.REJECTED: "rejected",
    P.CANCELED: "canceled",
    P.COMPLETE: "complete",
    P.DELETED: "deleted",
}


def an_rma(status: ProcessingStatus, held_from: ProcessingStatus | None = None) -> Rma:
    return Rma(
        id="0" * 32,
        return_number=1042,
        return_reference="R-001042",
        order=OrderRef(number="#1001"),
        customer=Customer(email="jane@example.com"),
        lines=[
            RmaLine(
                sku="SKU-1",
                name="Shirt",
                quantity=1,
                unit_price=Decimal("10.00"),
                reason=ReturnReason.DEFECTIVE,
            )
        ],
        processing_status=status,
        held_from=held_from,
        created_at=T0,
        updated_at=T0,
        version=3,
    )


def test_the_table_allows_exactly_the_documented_moves() -> None:
    allowed = {(s, t) for s, targets in ALLOWED_TRANSITIONS.items() for t in targets}
    assert allowed == EXPECTED_MOVES
    assert set(ALLOWED_TRANSITIONS) == set(ProcessingStatus)


def test_processing_can_never_be_canceled() -> None:
    assert not can_transition(P.PROCESSING, P.CANCELED)


def test_terminal_statuses_are_terminal() -> None:
    assert {P.REJECTED, P.CANCELED, P.COMPLETE, P.DELETED} == TERMINAL_STATUSES


@pytest.mark.parametrize("status", list(ProcessingStatus))
@pytest.mark.parametrize("action", list(ACTION_TARGETS))
def test_each_action_moves_only_where_the_table_allows(
    status: ProcessingStatus, action: Action
) -> None:
    # Given an RMA in `status`
    rma = an_rma(status, held_from=P.REQUESTED if status is P.ON_HOLD else None)
    target = ACTION_TARGETS[action]
    # (ON_HOLD only ever resumes; its moves are specified below.)
    if (status, target) in EXPECTED_MOVES and status is not P.ON_HOLD:
        # When the action is allowed, Then the RMA moves one version on, with a log entry
        updated, event = apply_action(rma, action, actor=AGENT, at=T1, note=NOTES.get(action))
        assert updated.processing_status is target
        assert updated.version == rma.version + 1
        assert updated.updated_at == T1
        assert (event.from_status, event.to_status, event.version) == (status, target, 4)
        assert event.actor == AGENT
        assert event.action == action.value
    else:
        # When it is not, Then it is refused with the current status said in words (and given
        # as it is in the details), and nothing moves
        with pytest.raises(InvalidTransitionError) as refused:
            apply_action(rma, action, actor=AGENT, at=T1, note=NOTES.get(action))
        assert refused.value.details["current_status"] == status
        assert refused.value.message == (
            f"Return R-001042 is {IN_WORDS[status]}; it cannot be {past_tense(action)}."
        )


@pytest.mark.parametrize("held_from", [P.REQUESTED, P.ACCEPTED, P.PROCESSING])
def test_on_hold_resumes_to_where_it_was_held_from(held_from: ProcessingStatus) -> None:
    # Given an RMA put on hold from `held_from`
    held, _ = apply_action(an_rma(held_from), Action.HOLD, actor=AGENT, at=T1)
    assert held.held_from is held_from
    # When it is resumed
    resumed, event = apply_action(held, Action.RESUME, actor=AGENT, at=T1)
    # Then it is back where it was, and forgets the hold
    assert resumed.processing_status is held_from
    assert resumed.held_from is None
    assert (event.from_status, event.to_status) == (P.ON_HOLD, held_from)


def test_an_anomaly_resumes_to_processing_once_a_person_checked_it() -> None:
    # Given a return flagged as an anomaly while its inspection was going wrong
    flagged = an_rma(P.ANOMALY).model_copy(update={"fulfillment_status": FulfillmentStatus.ERROR})
    # When a person resumes it
    resumed, event = apply_action(flagged, Action.RESUME, actor=AGENT, at=T1)
    # Then it is handled again, its inspection in progress
    assert (event.from_status, event.to_status) == (P.ANOMALY, P.PROCESSING)
    assert resumed.fulfillment_status is FulfillmentStatus.IN_PROGRESS


@pytest.mark.parametrize("status", [s for s in ProcessingStatus if s not in {P.ON_HOLD, P.ANOMALY}])
def test_resume_is_refused_unless_on_hold_or_an_anomaly(status: ProcessingStatus) -> None:
    with pytest.raises(InvalidTransitionError):
        apply_action(an_rma(status), Action.RESUME, actor=AGENT, at=T1)


def test_an_on_hold_rma_cannot_be_canceled_or_approved_before_resuming() -> None:
    held = an_rma(P.ON_HOLD, held_from=P.REQUESTED)
    assert target_status(held, Action.CANCEL) is None
    assert target_status(held, Action.ACCEPT) is None


@pytest.mark.parametrize("note", [None, "", "   "])
def test_reject_requires_a_reason(note: str | None) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        apply_action(an_rma(P.REQUESTED), Action.REJECT, actor=AGENT, at=T1, note=note)
    assert refused.value.details == {"field": "reason"}


def test_accept_stamps_the_issue_date() -> None:
    accepted, _ = apply_action(an_rma(P.REQUESTED), Action.ACCEPT, actor=AGENT, at=T1)
    assert accepted.issued_at == T1


def test_reject_settles_the_other_dimensions() -> None:
    rejected, event = apply_action(
        an_rma(P.REQUESTED), Action.REJECT, actor=AGENT, at=T1, note="  Outside window "
    )
    assert rejected.delivery_status is DeliveryStatus.CANCELED
    assert rejected.financial_status is FinancialStatus.NONE
    assert rejected.fulfillment_status is FulfillmentStatus.CANCELED
    assert event.note == "Outside window"


def test_cancel_cancels_every_dimension() -> None:
    canceled, _ = apply_action(an_rma(P.ACCEPTED), Action.CANCEL, actor=AGENT, at=T1)
    assert canceled.delivery_status is DeliveryStatus.CANCELED
    assert canceled.financial_status is FinancialStatus.CANCELED
    assert canceled.fulfillment_status is FulfillmentStatus.CANCELED


def test_the_original_rma_is_left_untouched() -> None:
    rma = an_rma(P.REQUESTED)
    apply_action(rma, Action.ACCEPT, actor=AGENT, at=T1)
    assert rma.processing_status is P.REQUESTED
    assert rma.version == 3
