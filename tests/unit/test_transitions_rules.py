"""Specification of what a move does beside changing the processing status: the dates it stamps,
the lifecycle wait it ends, the other status dimensions it settles; and of the changes that keep
the processing status (`apply_update`) and the first log entry (`opening_event`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.rma import Actor, Rma, Shipment
from chalicelib.domain.statuses import (
    Channel,
    DeliveryStatus,
    FinancialStatus,
    FulfillmentStatus,
    LifecycleStep,
    ProcessingStatus,
)
from chalicelib.domain.transitions import (
    Action,
    apply_action,
    apply_update,
    gives_back_units,
    opening_event,
)
from chalicelib.errors import InvalidRequestError
from tests.unit.test_transitions import AGENT, NOTES, T0, T1, an_rma

P = ProcessingStatus
T2 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
WAREHOUSE = Actor(channel=Channel.WAREHOUSE, id="dock-2")


def a_return(status: ProcessingStatus, **fields: Any) -> Rma:
    return an_rma(status).model_copy(update=fields)


def waiting(status: ProcessingStatus, step: LifecycleStep, **fields: Any) -> Rma:
    """A return the lifecycle waits on at `step`, with the token that resumes it."""
    return a_return(status, waiting_for=step, task_token="token-1", **fields)


# --- The dates a move stamps ----------------------------------------------------------------


def test_submitting_a_return_stamps_when_it_was_requested() -> None:
    # Given a draft
    draft = an_rma(P.NEW)
    # When it is submitted
    submitted, _ = apply_action(draft, Action.SUBMIT, actor=AGENT, at=T1)
    # Then the wait for a decision counts from now
    assert submitted.requested_at == T1


def test_a_return_back_to_requested_after_a_hold_keeps_its_first_request_date() -> None:
    # Given a return submitted at T0, then put on hold while it waited for a decision
    held = a_return(P.ON_HOLD, held_from=P.REQUESTED, requested_at=T0)
    # When it resumes
    resumed, _ = apply_action(held, Action.RESUME, actor=AGENT, at=T2)
    # Then it has waited since T0, not since it resumed
    assert resumed.processing_status is P.REQUESTED
    assert resumed.requested_at == T0


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (P.NEW, Action.CANCEL),
        (P.NEW, Action.DELETE),
        (P.REQUESTED, Action.ACCEPT),
        (P.REQUESTED, Action.HOLD),
        (P.ACCEPTED, Action.START_PROCESSING),
        (P.PROCESSING, Action.COMPLETE),
    ],
)
def test_only_a_move_to_requested_stamps_the_request_date(
    status: ProcessingStatus, action: Action
) -> None:
    # Given a return that has no request date (opened before it was kept)
    rma = an_rma(status)
    # When it moves anywhere but REQUESTED
    updated, _ = apply_action(rma, action, actor=AGENT, at=T1, note=NOTES.get(action))
    # Then no request date is made up
    assert updated.requested_at is None


def test_a_return_back_to_accepted_after_a_hold_keeps_its_first_issue_date() -> None:
    # Given a return approved at T0, then put on hold
    held = a_return(P.ON_HOLD, held_from=P.ACCEPTED, issued_at=T0)
    # When it resumes
    resumed, _ = apply_action(held, Action.RESUME, actor=AGENT, at=T2)
    # Then it was issued at T0
    assert resumed.issued_at == T0


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (P.NEW, Action.SUBMIT),
        (P.REQUESTED, Action.HOLD),
        (P.ACCEPTED, Action.START_PROCESSING),
        (P.PROCESSING, Action.COMPLETE),
    ],
)
def test_only_approving_stamps_the_issue_date(status: ProcessingStatus, action: Action) -> None:
    # Given a return never approved through returns-desk
    rma = an_rma(status)
    # When it moves anywhere but ACCEPTED
    updated, _ = apply_action(rma, action, actor=AGENT, at=T1)
    # Then it has no issue date
    assert updated.issued_at is None


# --- The lifecycle's wait -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "step"),
    [
        (P.NEW, Action.DELETE, LifecycleStep.AGENT_DECISION),
        (P.REQUESTED, Action.REJECT, LifecycleStep.AGENT_DECISION),
        (P.REQUESTED, Action.CANCEL, LifecycleStep.AGENT_DECISION),
        (P.ACCEPTED, Action.CANCEL, LifecycleStep.ITEM_RECEIPT),
        (P.PROCESSING, Action.COMPLETE, LifecycleStep.REFUND_APPROVAL),
        (P.ANOMALY, Action.COMPLETE, LifecycleStep.ITEM_RECEIPT),
    ],
)
def test_a_final_move_forgets_the_lifecycle_wait_and_its_task_token(
    status: ProcessingStatus, action: Action, step: LifecycleStep
) -> None:
    # Given a return the lifecycle waits on, holding its task token
    rma = waiting(status, step)
    # When it moves to a final status
    updated, _ = apply_action(rma, action, actor=AGENT, at=T1, note=NOTES.get(action))
    # Then nothing waits on it any more: no step, no token to send
    assert (updated.waiting_for, updated.task_token) == (None, None)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (P.REQUESTED, Action.ACCEPT),
        (P.REQUESTED, Action.HOLD),
        (P.ACCEPTED, Action.START_PROCESSING),
        (P.PROCESSING, Action.FLAG_ANOMALY),
    ],
)
def test_a_move_that_is_not_final_keeps_the_lifecycle_wait_and_its_task_token(
    status: ProcessingStatus, action: Action
) -> None:
    # Given a return the lifecycle waits on
    rma = waiting(status, LifecycleStep.ITEM_RECEIPT)
    # When it moves somewhere that is not final
    updated, _ = apply_action(rma, action, actor=AGENT, at=T1, note=NOTES.get(action))
    # Then the lifecycle can still be resumed with its token
    assert (updated.waiting_for, updated.task_token) == (LifecycleStep.ITEM_RECEIPT, "token-1")


# --- The other status dimensions ------------------------------------------------------------


@pytest.mark.parametrize("status", [P.PROCESSING, P.ANOMALY])
def test_completing_a_return_completes_its_fulfillment(status: ProcessingStatus) -> None:
    # Given a return being handled, its inspection in progress
    rma = a_return(status, fulfillment_status=FulfillmentStatus.IN_PROGRESS)
    # When it is completed
    completed, _ = apply_action(rma, Action.COMPLETE, actor=AGENT, at=T1)
    # Then its fulfillment is complete too
    assert completed.fulfillment_status is FulfillmentStatus.COMPLETE


def test_completing_an_anomaly_whose_inspection_failed_completes_its_fulfillment() -> None:
    # Given an anomaly whose inspection went wrong
    rma = a_return(P.ANOMALY, fulfillment_status=FulfillmentStatus.ERROR)
    # When a person completes it as it is
    completed, _ = apply_action(rma, Action.COMPLETE, actor=AGENT, at=T1)
    # Then its fulfillment is complete, not back in progress
    assert completed.fulfillment_status is FulfillmentStatus.COMPLETE


def test_starting_processing_leaves_the_inspection_status_to_the_receipt() -> None:
    # Given an approved return whose parcel has not been inspected
    rma = an_rma(P.ACCEPTED)
    # When its processing starts
    started, _ = apply_action(rma, Action.START_PROCESSING, actor=AGENT, at=T1)
    # Then its fulfillment is still pending: only a receipt says what came back
    assert started.fulfillment_status is FulfillmentStatus.PENDING


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (P.NEW, Action.SUBMIT),
        (P.REQUESTED, Action.ACCEPT),
        (P.REQUESTED, Action.HOLD),
        (P.ACCEPTED, Action.START_PROCESSING),
        (P.PROCESSING, Action.FLAG_ANOMALY),
    ],
)
def test_a_move_that_settles_nothing_leaves_the_other_dimensions_as_they_were(
    status: ProcessingStatus, action: Action
) -> None:
    # Given a return with its parcel on its way and its refund pending
    rma = a_return(
        status,
        delivery_status=DeliveryStatus.DELIVERING,
        financial_status=FinancialStatus.PENDING,
        fulfillment_status=FulfillmentStatus.IN_PROGRESS,
    )
    # When it moves to a status that is not final
    updated, _ = apply_action(rma, action, actor=AGENT, at=T1, note=NOTES.get(action))
    # Then delivery, money and fulfillment are as they were
    assert (
        updated.delivery_status,
        updated.financial_status,
        updated.fulfillment_status,
    ) == (DeliveryStatus.DELIVERING, FinancialStatus.PENDING, FulfillmentStatus.IN_PROGRESS)


def test_a_rejection_without_a_reason_is_refused_with_a_sentence_naming_the_return() -> None:
    # Given a return waiting for a decision
    rma = an_rma(P.REQUESTED)
    # When it is rejected without a reason
    with pytest.raises(InvalidRequestError) as refused:
        apply_action(rma, Action.REJECT, actor=AGENT, at=T1)
    # Then the refusal says which return needs one, and for what
    assert rma.return_reference in refused.value.message
    assert "rejected" in refused.value.message


def test_a_note_is_kept_on_the_log_entry_trimmed() -> None:
    # Given / When a return is put on hold with a note around spaces
    _, event = apply_action(an_rma(P.REQUESTED), Action.HOLD, actor=AGENT, at=T1, note="  Call ")
    # Then the log keeps the note without them
    assert event.note == "Call"


# --- A change that keeps the processing status ----------------------------------------------


def test_an_update_is_one_version_later_with_its_changes_and_its_log_entry() -> None:
    # Given a return (version 3) waiting for its parcel
    rma = an_rma(P.ACCEPTED)
    shipment = Shipment(carrier="Colissimo", tracking_number="6A123")
    # When a label is recorded on it
    updated, event = apply_update(
        rma,
        action="issue_label",
        actor=WAREHOUSE,
        at=T1,
        changes={"shipments": [shipment], "delivery_status": DeliveryStatus.HANDLED},
        note="Label sent",
    )
    # Then it has the changes, one version later, still ACCEPTED
    assert updated.shipments == [shipment]
    assert updated.delivery_status is DeliveryStatus.HANDLED
    assert (updated.version, updated.updated_at) == (4, T1)
    assert updated.processing_status is P.ACCEPTED
    # And the log entry records who did what, when, at that version, from and to ACCEPTED
    assert event.model_dump() == {
        "rma_id": rma.id,
        "version": 4,
        "at": T1,
        "actor": WAREHOUSE.model_dump(),
        "action": "issue_label",
        "from_status": P.ACCEPTED,
        "to_status": P.ACCEPTED,
        "note": "Label sent",
    }
    # And the version it was made from is untouched
    assert (rma.version, rma.shipments, rma.updated_at) == (3, [], T0)


def test_an_update_without_a_note_logs_none() -> None:
    # Given / When a change is made without a note
    _, event = apply_update(
        an_rma(P.PROCESSING),
        action="resolve_financial",
        actor=AGENT,
        at=T1,
        changes={"financial_status": FinancialStatus.NONE},
    )
    # Then its log entry has no note
    assert event.note is None


# --- The first log entry --------------------------------------------------------------------


@pytest.mark.parametrize("note", [None, "Opened from ticket 42"])
def test_the_opening_entry_records_the_creation_at_the_first_version(note: str | None) -> None:
    # Given a return just opened (version 3 here: the entry takes whatever it has)
    rma = an_rma(P.NEW)
    # When its first log entry is made
    event = opening_event(rma, actor=AGENT, note=note)
    # Then it records a creation, from nothing to its status, when it was created
    assert event.model_dump() == {
        "rma_id": rma.id,
        "version": 3,
        "at": T0,
        "actor": AGENT.model_dump(),
        "action": "create",
        "from_status": None,
        "to_status": P.NEW,
        "note": note,
    }


# --- The units a return holds on to ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action"),
    [(P.NEW, Action.DELETE), (P.REQUESTED, Action.REJECT), (P.ACCEPTED, Action.CANCEL)],
)
def test_a_return_rejected_canceled_or_deleted_gives_its_units_back(
    status: ProcessingStatus, action: Action
) -> None:
    # Given a return that holds on to its units of the order
    before = an_rma(status)
    # When it is rejected, canceled or deleted
    after, _ = apply_action(before, action, actor=AGENT, at=T1, note=NOTES.get(action))
    # Then its units may be asked for again
    assert gives_back_units(before, after)


@pytest.mark.parametrize(
    ("before", "after"),
    [(P.REQUESTED, P.ACCEPTED), (P.PROCESSING, P.COMPLETE), (P.CANCELED, P.CANCELED)],
    ids=["still-held", "complete-keeps-them", "given-back-already"],
)
def test_any_other_change_gives_back_nothing(
    before: ProcessingStatus, after: ProcessingStatus
) -> None:
    assert not gives_back_units(an_rma(before), an_rma(after))
