"""Specification of a decision on a return put on hold while it waited for one: the approve or
reject takes it off hold and decides it at once, and the log tells both steps."""

from __future__ import annotations

import pytest

from chalicelib.domain.statuses import LifecycleStep, ProcessingStatus
from chalicelib.domain.transitions import Action, decide
from chalicelib.errors import InvalidRequestError, InvalidTransitionError
from tests.unit.test_transitions import AGENT, T1, an_rma

P = ProcessingStatus
REASON = "Worn beyond the policy"


@pytest.mark.parametrize(
    ("action", "note", "decided"),
    [(Action.ACCEPT, None, P.ACCEPTED), (Action.REJECT, REASON, P.REJECTED)],
    ids=["approve", "reject"],
)
def test_a_return_held_while_waiting_for_a_decision_is_resumed_and_decided_at_once(
    action: Action, note: str | None, decided: ProcessingStatus
) -> None:
    # Given a return (version 3) put on hold while it waited for a decision
    held = an_rma(P.ON_HOLD, held_from=P.REQUESTED)
    # When an agent approves or rejects it
    updated, events = decide(held, action, actor=AGENT, at=T1, note=note)
    # Then it is decided, off hold, two versions on
    assert updated.processing_status is decided
    assert (updated.held_from, updated.version, updated.updated_at) == (None, 5, T1)
    # And the log has the resume, then the decision with its note, each with its version
    assert [(e.action, e.from_status, e.to_status, e.version, e.note) for e in events] == [
        ("resume", P.ON_HOLD, P.REQUESTED, 4, None),
        (action.value, P.REQUESTED, decided, 5, note),
    ]
    assert {(e.actor, e.at) for e in events} == {(AGENT, T1)}


@pytest.mark.parametrize(("action", "note"), [(Action.ACCEPT, None), (Action.REJECT, REASON)])
def test_a_decision_on_a_return_waiting_for_one_is_a_single_step(
    action: Action, note: str | None
) -> None:
    # Given a return waiting for a decision
    requested = an_rma(P.REQUESTED)
    # When an agent decides it
    updated, events = decide(requested, action, actor=AGENT, at=T1, note=note)
    # Then there is one step, one version on
    assert updated.version == 4
    assert [(e.action, e.from_status, e.version) for e in events] == [
        (action.value, P.REQUESTED, 4)
    ]


def test_a_held_return_keeps_the_lifecycle_wait_it_was_held_in() -> None:
    # Given a return held while the lifecycle waits for the agent's decision
    held = an_rma(P.ON_HOLD, held_from=P.REQUESTED).model_copy(
        update={"waiting_for": LifecycleStep.AGENT_DECISION, "task_token": "token-1"}
    )
    # When an agent approves it
    updated, _ = decide(held, Action.ACCEPT, actor=AGENT, at=T1)
    # Then the wait is still there for the service to hand the decision back, as from REQUESTED
    assert (updated.waiting_for, updated.task_token) == (LifecycleStep.AGENT_DECISION, "token-1")


@pytest.mark.parametrize("held_from", [P.ACCEPTED, P.PROCESSING])
@pytest.mark.parametrize(("action", "note"), [(Action.ACCEPT, None), (Action.REJECT, REASON)])
def test_a_return_held_after_its_decision_is_not_decided_again(
    held_from: ProcessingStatus, action: Action, note: str | None
) -> None:
    # Given a return put on hold once approved
    held = an_rma(P.ON_HOLD, held_from=held_from)
    # When an agent approves or rejects it, Then it is refused as being on hold
    with pytest.raises(InvalidTransitionError) as refused:
        decide(held, action, actor=AGENT, at=T1, note=note)
    assert refused.value.details["current_status"] == P.ON_HOLD


def test_rejecting_a_held_return_still_needs_a_reason() -> None:
    # Given a return held while waiting for a decision
    held = an_rma(P.ON_HOLD, held_from=P.REQUESTED)
    # When an agent rejects it without a reason, Then the reason is asked for
    with pytest.raises(InvalidRequestError) as refused:
        decide(held, Action.REJECT, actor=AGENT, at=T1, note=" ")
    assert refused.value.details == {"field": "reason"}


def test_resuming_a_held_return_is_still_the_one_step_it_was() -> None:
    # Given a return held while waiting for a decision
    held = an_rma(P.ON_HOLD, held_from=P.REQUESTED)
    # When it is resumed
    updated, events = decide(held, Action.RESUME, actor=AGENT, at=T1)
    # Then it waits for a decision again, one version on
    assert (updated.processing_status, updated.version) == (P.REQUESTED, 4)
    assert [e.action for e in events] == ["resume"]


@pytest.mark.parametrize("action", [Action.CANCEL, Action.HOLD])
def test_a_held_return_is_still_neither_canceled_nor_held_again(action: Action) -> None:
    # Given a return held while waiting for a decision
    held = an_rma(P.ON_HOLD, held_from=P.REQUESTED)
    # When it is canceled or held again, Then it is refused as before
    with pytest.raises(InvalidTransitionError):
        decide(held, action, actor=AGENT, at=T1)
