"""Specification of RMA storage in DynamoDB (moto), through the service that uses it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel, ProcessingStatus
from chalicelib.domain.transitions import Action, apply_action
from chalicelib.errors import (
    ConcurrentModificationError,
    InvalidRequestError,
    InvalidTransitionError,
    RmaNotFoundError,
)
from chalicelib.repositories.rma_repository import FIRST_RETURN_NUMBER
from chalicelib.services.rma_service import RmaService

ADMIN = Actor(channel=Channel.ADMIN)
AGENT = Actor(channel=Channel.GORGIAS, id="7", name="Alex")


def test_opening_allocates_sequential_numbers_and_references(
    rma_service: RmaService, make_draft: Callable[..., Any]
) -> None:
    first = rma_service.open(make_draft(), actor=ADMIN)
    second = rma_service.open(make_draft("other@example.com"), actor=ADMIN)
    assert first.return_number == FIRST_RETURN_NUMBER
    assert second.return_number == FIRST_RETURN_NUMBER + 1
    assert second.return_reference == f"R-{FIRST_RETURN_NUMBER + 1:06d}"
    assert first.processing_status is ProcessingStatus.NEW
    assert first.version == 1


def test_an_rma_reads_back_exactly_as_written(
    rma_service: RmaService, make_draft: Callable[..., Any]
) -> None:
    opened = rma_service.open(make_draft(), actor=ADMIN)
    assert rma_service.find(opened.id) == opened


@pytest.mark.parametrize("typed", ["R-001001", "r-1001", "1001", "#1001", " R1001 "])
def test_an_rma_is_found_by_any_typed_form_of_its_reference(
    rma_service: RmaService, make_draft: Callable[..., Any], typed: str
) -> None:
    opened = rma_service.open(make_draft(), actor=ADMIN)
    assert rma_service.find(typed).id == opened.id


@pytest.mark.parametrize("typed", ["R-009999", "nonsense", "f" * 32, ""])
def test_unknown_references_and_ids_are_not_found(rma_service: RmaService, typed: str) -> None:
    with pytest.raises(RmaNotFoundError):
        rma_service.find(typed)


def test_a_customer_sees_their_newest_returns_first_whatever_the_case_of_their_email(
    open_rma: Callable[..., Any], rma_service: RmaService
) -> None:
    # Given seven returns of one customer and one of another
    opened = [open_rma("Jane.Doe@Example.com") for _ in range(7)]
    open_rma("someone@else.example")
    # When the five newest are asked for with the email in another case
    latest, total = rma_service.latest_for_customer("jane.doe@example.COM", 5)
    # Then they come newest first, and the total counts all seven
    assert [r.id for r in latest] == [r.id for r in reversed(opened)][:5]
    assert total == 7


def test_a_customer_without_returns_has_none(rma_service: RmaService) -> None:
    assert rma_service.latest_for_customer("nobody@example.com", 5) == ([], 0)


def test_listing_by_status_pages_with_a_cursor(
    open_rma: Callable[..., Any], rma_service: RmaService
) -> None:
    # Given five submitted returns and two drafts
    requested = {open_rma().id for _ in range(5)}
    drafts = {open_rma(submitted=False).id for _ in range(2)}
    # When REQUESTED returns are listed two at a time
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = rma_service.list_by_status(ProcessingStatus.REQUESTED, limit=2, cursor=cursor)
        seen += [r.id for r in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    # Then every one of them comes exactly once, and no draft
    assert sorted(seen) == sorted(requested)
    new_page = rma_service.list_by_status(ProcessingStatus.NEW, limit=10)
    assert {r.id for r in new_page.items} == drafts


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "eyJhIjogMX0"])
def test_a_forged_cursor_is_refused(rma_service: RmaService, cursor: str) -> None:
    with pytest.raises(InvalidRequestError):
        rma_service.list_by_status(ProcessingStatus.REQUESTED, limit=2, cursor=cursor)


def test_a_cursor_from_another_status_is_refused(
    open_rma: Callable[..., Any], rma_service: RmaService
) -> None:
    for _ in range(3):
        open_rma()
    page = rma_service.list_by_status(ProcessingStatus.REQUESTED, limit=1)
    assert page.cursor
    with pytest.raises(InvalidRequestError):
        rma_service.list_by_status(ProcessingStatus.NEW, limit=1, cursor=page.cursor)


def test_a_transition_writes_the_new_version_and_its_log_entry(
    open_rma: Callable[..., Any], rma_service: RmaService
) -> None:
    # Given a submitted return
    rma = open_rma()
    # When an agent approves it
    rma_service.act(rma.return_reference, Action.ACCEPT, actor=AGENT, note="Looks fine")
    # Then it is stored ACCEPTED one version on, and its log tells the whole story
    stored, events = rma_service.history(rma.id)
    assert stored.processing_status is ProcessingStatus.ACCEPTED
    assert stored.version == 3
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("create", None, ProcessingStatus.NEW),
        ("submit", ProcessingStatus.NEW, ProcessingStatus.REQUESTED),
        ("accept", ProcessingStatus.REQUESTED, ProcessingStatus.ACCEPTED),
    ]
    assert events[-1].actor == AGENT
    assert events[-1].note == "Looks fine"


def test_a_refused_transition_writes_nothing(
    open_rma: Callable[..., Any], rma_service: RmaService
) -> None:
    rma = open_rma(submitted=False)
    with pytest.raises(InvalidTransitionError):
        rma_service.act(rma.id, Action.ACCEPT, actor=AGENT)
    stored, events = rma_service.history(rma.id)
    assert stored == rma
    assert len(events) == 1


def test_a_stale_write_loses(open_rma: Callable[..., Any], repository: Any) -> None:
    # Given two people who read the same version
    rma = open_rma()
    now = datetime.now(UTC) + timedelta(seconds=1)
    accepted, accept_event = apply_action(rma, Action.ACCEPT, actor=AGENT, at=now)
    rejected, reject_event = apply_action(rma, Action.REJECT, actor=ADMIN, at=now, note="No")
    # When both write, Then the second one is refused and the first one stands
    repository.save_transition(accepted, accept_event, read_version=rma.version)
    with pytest.raises(ConcurrentModificationError):
        repository.save_transition(rejected, reject_event, read_version=rma.version)
    assert repository.get(rma.id).processing_status is ProcessingStatus.ACCEPTED


def test_of_two_concurrent_decisions_exactly_one_wins(
    open_rma: Callable[..., Any], rma_service: RmaService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a submitted return and two agents who both read it before either decides
    rma = open_rma()
    read = rma_service.find
    both_read = threading.Barrier(2, timeout=10)

    def find_then_wait_for_the_other(typed: str, version: int | None = None) -> Any:
        found = read(typed, version=version)
        both_read.wait()
        return found

    monkeypatch.setattr(rma_service, "find", find_then_wait_for_the_other)
    outcomes: dict[Action, str | Exception] = {}

    def decide(action: Action, note: str | None) -> None:
        try:
            rma_service.act(rma.id, action, actor=AGENT, note=note)
            outcomes[action] = "won"
        except ConcurrentModificationError:
            outcomes[action] = "lost the race"
        except Exception as error:  # reported below rather than lost with the thread
            outcomes[action] = error

    # When each writes the decision it made on the version it read
    threads = [
        threading.Thread(target=decide, args=(Action.ACCEPT, None)),
        threading.Thread(target=decide, args=(Action.REJECT, "Too late")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then one wins, and the other loses the race (not a refusal of a move it never saw)
    assert sorted(map(str, outcomes.values())) == ["lost the race", "won"], outcomes
    [winner] = [action for action, outcome in outcomes.items() if outcome == "won"]
    # And exactly the winner's decision is recorded
    stored, events = rma_service.history(rma.id)
    assert len(events) == 3
    assert events[-1].action == winner.value
    assert stored.version == rma.version + 1
