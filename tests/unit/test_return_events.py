"""Specification of return events in the domain and their subscribers, with small fakes: what a
change publishes, what the lifecycle gets back, which email it makes due, and that a failing
subscriber neither hides the others nor lets the event go."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.events import (
    RETURN_CLOSED,
    HandOff,
    ReturnEvent,
    ReturnEventType,
    hand_off_for,
    return_event,
    step_completed,
)
from chalicelib.domain.rma import Rma, revised
from chalicelib.domain.statuses import LifecycleStep, ProcessingStatus
from chalicelib.domain.transitions import Action, decide
from chalicelib.services.lifecycle import LifecycleHandOffs
from chalicelib.services.return_events import ReturnEventDispatcher, SubscribersFailedError
from chalicelib.services.status_emails_due import StatusEmailsDue
from tests.unit.test_transitions import AGENT, T1, an_rma

P = ProcessingStatus


def event_of(before: Rma, action: Action, note: str | None = None, **kw: Any) -> ReturnEvent:
    after, entries = decide(before, action, actor=AGENT, at=T1, note=note)
    return return_event(before, after, entries[-1], **kw)


# --- What a change publishes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (P.NEW, Action.SUBMIT, ReturnEventType.REQUESTED),
        (P.REQUESTED, Action.ACCEPT, ReturnEventType.APPROVED),
        (P.REQUESTED, Action.REJECT, ReturnEventType.REJECTED),
        (P.REQUESTED, Action.CANCEL, ReturnEventType.CANCELED),
        (P.REQUESTED, Action.HOLD, ReturnEventType.ON_HOLD),
        (P.PROCESSING, Action.COMPLETE, ReturnEventType.COMPLETED),
        (P.PROCESSING, Action.FLAG_ANOMALY, ReturnEventType.ANOMALY),
    ],
)
def test_a_change_is_named_after_what_it_did(
    status: ProcessingStatus, action: Action, expected: ReturnEventType
) -> None:
    note = "Because" if action in {Action.REJECT, Action.FLAG_ANOMALY} else None
    assert event_of(an_rma(status), action, note).type is expected


def test_an_event_carries_who_when_the_statuses_before_and_the_return_after() -> None:
    # Given a requested return (version 3) the lifecycle waits on, When an agent rejects it
    before = revised(an_rma(P.REQUESTED), task_token="token-1")
    event = event_of(before, Action.REJECT, "Worn")

    # Then the event is that version's, by the agent, with the reason, from REQUESTED
    assert (event.id, event.version, event.actor, event.occurred_at) == (
        f"{before.id}:4",
        4,
        AGENT,
        T1,
    )
    assert event.note == "Worn"
    assert event.previous is not None
    assert event.previous.processing_status is P.REQUESTED
    assert event.rma.processing_status is P.REJECTED
    # And the lifecycle's token is no subscriber's but the hand-off's
    assert event.rma.task_token is None


def test_a_decision_on_a_held_return_is_named_after_the_decision() -> None:
    held = an_rma(P.ON_HOLD, held_from=P.REQUESTED)
    assert event_of(held, Action.ACCEPT).type is ReturnEventType.APPROVED


# --- What the lifecycle gets back -------------------------------------------------------------


def waiting(step: LifecycleStep, status: ProcessingStatus = P.REQUESTED) -> Rma:
    return revised(an_rma(status), waiting_for=step, task_token="token-1")


@pytest.mark.parametrize(
    ("action", "hand_off"),
    [
        (Action.ACCEPT, HandOff(task_token="token-1", output={"outcome": "APPROVED"})),
        (Action.REJECT, HandOff(task_token="token-1", output={"outcome": "REJECTED"})),
        (Action.CANCEL, HandOff(task_token="token-1", error=RETURN_CLOSED)),
        (Action.HOLD, None),
    ],
)
def test_a_decision_completes_the_wait_for_an_agent(action: Action, hand_off: HandOff) -> None:
    assert hand_off_for(action, waiting(LifecycleStep.AGENT_DECISION)) == hand_off


def test_nothing_is_handed_back_without_a_token_or_a_wait() -> None:
    assert hand_off_for(Action.ACCEPT, an_rma(P.REQUESTED)) is None
    assert step_completed(an_rma(P.PROCESSING), "RECEIVED") is None
    assert step_completed(waiting(LifecycleStep.ITEM_RECEIPT, P.PROCESSING), "RECEIVED") == (
        HandOff(task_token="token-1", output={"outcome": "RECEIVED"})
    )


class FakeExecutions:
    """Step Functions as the subscriber sees it: what was started and sent back."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def start(self, rma_id: str) -> None:
        self.calls.append(("start", rma_id))

    def succeed(self, task_token: str, output: dict[str, Any]) -> bool:
        self.calls.append(("succeed", task_token, output["outcome"]))
        return True

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        self.calls.append(("fail", task_token, error))
        return True


def test_the_lifecycle_starts_on_a_request_and_resumes_on_a_hand_off() -> None:
    executions = FakeExecutions()
    hand_offs = LifecycleHandOffs(executions)  # type: ignore[arg-type]
    requested = event_of(an_rma(P.NEW), Action.SUBMIT)
    waiting_return = waiting(LifecycleStep.AGENT_DECISION)
    approved = event_of(
        waiting_return, Action.ACCEPT, hand_off=hand_off_for(Action.ACCEPT, waiting_return)
    )
    on_hold = event_of(an_rma(P.REQUESTED), Action.HOLD)

    for event in (requested, approved, on_hold):
        hand_offs(event)

    assert executions.calls == [
        ("start", requested.rma_id),
        ("succeed", "token-1", "APPROVED"),
    ]


# --- Which email it makes due -----------------------------------------------------------------


class FakeOutbox:
    def __init__(self) -> None:
        self.due: dict[tuple[str, int], tuple[str, str | None]] = {}

    def add(self, rma: Rma, kind: str, reason: str | None = None) -> bool:
        if (rma.id, rma.version) in self.due:
            return False
        self.due[(rma.id, rma.version)] = (kind, reason)
        return True


def test_a_rejection_makes_its_email_due_once_with_its_reason() -> None:
    outbox = FakeOutbox()
    emails = StatusEmailsDue(outbox, label_follows_approval=False)
    rejected = event_of(an_rma(P.REQUESTED), Action.REJECT, "Worn")

    emails(rejected)
    emails(rejected)

    assert list(outbox.due.values()) == [("REJECTED", "Worn")]


def test_with_a_lifecycle_the_approval_waits_for_the_label() -> None:
    outbox = FakeOutbox()
    StatusEmailsDue(outbox, label_follows_approval=True)(
        event_of(an_rma(P.REQUESTED), Action.ACCEPT)
    )
    assert outbox.due == {}


# --- Handing it to every subscriber -----------------------------------------------------------


class Subscriber:
    def __init__(self, name: str, *, fails: bool = False) -> None:
        self.name = name
        self.fails = fails
        self.seen: list[str] = []

    def __call__(self, event: ReturnEvent) -> None:
        self.seen.append(event.id)
        if self.fails:
            raise RuntimeError(f"{self.name} is down")


def test_a_failing_subscriber_does_not_hold_back_the_others_but_fails_the_event() -> None:
    failing, other = Subscriber("lifecycle", fails=True), Subscriber("status_emails")
    event = event_of(an_rma(P.NEW), Action.SUBMIT)

    with pytest.raises(SubscribersFailedError) as failure:
        ReturnEventDispatcher([failing, other]).deliver(event)

    assert failure.value.failed == ["lifecycle"]
    assert other.seen == [event.id]
