"""Opening, finding and moving RMAs: the use cases every audience shares."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.references import format_reference, parse_return_number
from chalicelib.domain.rma import Actor, Rma, RmaDraft, RmaEvent, email_key, revised
from chalicelib.domain.status_emails import StatusEmailKind, email_kind_for
from chalicelib.domain.statuses import ProcessingStatus
from chalicelib.domain.transitions import Action, decide, gives_back_units, opening_event
from chalicelib.errors import RmaNotFoundError
from chalicelib.repositories.rma_repository import RmaPage, RmaRepository, StatusEmailDue
from chalicelib.services.lifecycle import Handoff, Lifecycle, handoff_for

_RMA_ID = re.compile(r"^[0-9a-f]{32}$")


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_rma_id() -> str:
    return uuid.uuid4().hex


class RmaService:
    def __init__(
        self,
        repository: RmaRepository,
        *,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] = new_rma_id,
        lifecycle: Lifecycle | None = None,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._new_id = new_id
        self._lifecycle = lifecycle

    def open(self, draft: RmaDraft, *, actor: Actor) -> Rma:
        """A new RMA in NEW, with the next return number and reference, claiming its units of
        the order (UnitsAlreadyClaimedError when live returns already hold them)."""
        return_number = self._repository.allocate_return_number()
        customer_count = self._repository.allocate_customer_return_count(draft.customer.email_key)
        now = self._clock()
        rma = Rma(
            **dict(draft),
            id=self._new_id(),
            return_number=return_number,
            return_reference=format_reference(return_number),
            customer_return_count=customer_count,
            created_at=now,
            updated_at=now,
        )
        event = opening_event(rma, actor=actor)
        self._repository.create(rma, event, email=self._email_due(None, rma, event))
        return rma

    def find(self, typed: str) -> Rma:
        """The RMA an id or a typed reference (`R-001042`, `r-1042`, `#1042`) names."""
        rma_id = self._resolve_id(typed)
        rma = self._repository.get(rma_id) if rma_id else None
        if rma is None:
            raise RmaNotFoundError(typed)
        return rma

    def find_by_return_numbers(self, return_numbers: Iterable[int]) -> dict[int, Rma]:
        """The RMAs of those return numbers that exist, by number, read in batches."""
        return self._repository.find_by_return_numbers(return_numbers)

    def history(self, typed: str) -> tuple[Rma, list[RmaEvent]]:
        rma_id = self._resolve_id(typed)
        rma, events = self._repository.get_with_events(rma_id) if rma_id else (None, [])
        if rma is None:
            raise RmaNotFoundError(typed)
        return rma, events

    def act(
        self,
        typed: str,
        action: Action,
        *,
        actor: Actor,
        note: str | None = None,
        changes: Mapping[str, Any] | None = None,
    ) -> Rma:
        """Apply `action` (and `changes` to other fields, in the same write); a decision on a
        return held while it waited for one resumes it in that write too (see `decide`). A
        refused move is an InvalidTransitionError, a lost race a ConcurrentModificationError,
        and nothing is written in either case."""
        rma = self.find(typed)
        updated, events = decide(rma, action, actor=actor, at=self._clock(), note=note)
        if changes:
            updated = revised(updated, **changes)
        handoff = handoff_for(action, rma.waiting_for) if rma.task_token else None
        if handoff is not None:
            updated = revised(updated, task_token=None, waiting_for=None)
        self.save(updated, *events, before=rma)
        self._notify_lifecycle(rma, action, handoff)
        return updated

    def save(self, rma: Rma, *events: RmaEvent, before: Rma) -> None:
        """Store a version of an RMA made by another use case (lifecycle tasks, receipts) from
        `before`, the version it was made from, with the log entries of the change."""
        self._repository.save_transition(
            rma,
            *events,
            read_version=before.version,
            email=self._email_due(before, rma, *events),
            gives_back_units=gives_back_units(before, rma),
        )

    def _email_due(
        self, before: Rma | None, after: Rma, *events: RmaEvent
    ) -> StatusEmailDue | None:
        """The status email this change owes the shopper, written with the change itself so that
        no change is stored without its email, nor an email made due by a change not stored."""
        kind = email_kind_for(before, after, label_follows_approval=self._lifecycle is not None)
        if kind is None:
            return None
        # A rejection quotes the reason its log entry gives; other notes are for the team.
        reason = events[-1].note if kind is StatusEmailKind.REJECTED and events else None
        return StatusEmailDue(kind=kind, reason=reason)

    def _notify_lifecycle(self, before: Rma, action: Action, handoff: Handoff | None) -> None:
        if self._lifecycle is None:
            return
        if action is Action.SUBMIT:
            self._lifecycle.start(before)
        if handoff is not None and before.task_token:
            self._lifecycle.hand_off(before.task_token, handoff)

    def latest_for_customer(self, email: str, limit: int) -> tuple[list[Rma], int]:
        """The customer's `limit` newest RMAs and how many they have opened in all."""
        rmas = self._repository.latest_for_customer(email_key(email), limit)
        total = max((rma.customer_return_count for rma in rmas), default=0)
        return rmas, max(total, len(rmas))

    def list_by_status(
        self, status: ProcessingStatus, *, limit: int, cursor: str | None = None
    ) -> RmaPage:
        return self._repository.list_by_status(status, limit=limit, cursor=cursor)

    def _resolve_id(self, typed: str) -> str | None:
        candidate = typed.strip().lower()
        if _RMA_ID.match(candidate):
            return candidate
        return_number = parse_return_number(typed)
        if return_number is None:
            return None
        return self._repository.find_id_by_return_number(return_number)
