"""Opening, finding and moving RMAs: the use cases every audience shares."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from chalicelib.clock import utc_now
from chalicelib.domain.events import HandOff, hand_off_for, return_event
from chalicelib.domain.references import format_reference, parse_return_number
from chalicelib.domain.returns_listing import ReturnsListing, StatusDimension, StatusFilter
from chalicelib.domain.rma import Actor, Rma, RmaDraft, RmaEvent, email_key, revised
from chalicelib.domain.statuses import ProcessingStatus
from chalicelib.domain.transitions import Action, decide, gives_back_units, opening_event
from chalicelib.errors import ConcurrentModificationError, RmaNotFoundError
from chalicelib.repositories.rma_repository import RmaPage, RmaRepository

_RMA_ID = re.compile(r"^[0-9a-f]{32}$")


def new_rma_id() -> str:
    return uuid.uuid4().hex


class RmaService:
    def __init__(
        self,
        repository: RmaRepository,
        *,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], str] = new_rma_id,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._new_id = new_id

    def open(self, draft: RmaDraft, *, actor: Actor) -> Rma:
        """A new RMA in NEW, with the next return number and reference, claiming its units of
        the order (UnitsAlreadyClaimedError when live returns already hold them)."""
        now = self._clock()
        return_number = self._repository.allocate_return_number(now)
        customer_count = self._repository.allocate_customer_return_count(draft.customer.email_key)
        rma = Rma(
            **dict(draft),
            id=self._new_id(),
            return_number=return_number,
            return_reference=format_reference(return_number),
            customer_return_count=customer_count,
            created_at=now,
            updated_at=now,
        )
        entry = opening_event(rma, actor=actor)
        self._repository.create(rma, entry, return_event(None, rma, entry))
        return rma

    def find(self, typed: str, *, version: int | None = None) -> Rma:
        """The RMA an id or a typed reference (`R-001042`, `r-1042`, `#1042`) names; with
        `version`, the version a person looked at: any other is a ConcurrentModificationError,
        so no one acts on a return that changed since they read it."""
        rma_id = self._resolve_id(typed)
        rma = self._repository.get(rma_id) if rma_id else None
        if rma is None:
            raise RmaNotFoundError(typed)
        if version is not None and rma.version != version:
            raise ConcurrentModificationError(rma.return_reference)
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
        version: int | None = None,
    ) -> Rma:
        """Apply `action` (and `changes` to other fields, in the same write) to the return, at
        `version` when given (see `find`); a decision on a return held while it waited for one
        resumes it in that write too (see `decide`). A refused move is an
        InvalidTransitionError, a lost race a ConcurrentModificationError, and nothing is
        written in either case. The change's event resumes the lifecycle step the return waited
        in, when the action completes it."""
        rma = self.find(typed, version=version)
        updated, entries = decide(rma, action, actor=actor, at=self._clock(), note=note)
        if changes:
            updated = revised(updated, **changes)
        hand_off = hand_off_for(action, rma)
        if hand_off is not None:
            updated = revised(updated, task_token=None, waiting_for=None)
        self.save(updated, *entries, before=rma, hand_off=hand_off)
        return updated

    def save(
        self, rma: Rma, *entries: RmaEvent, before: Rma, hand_off: HandOff | None = None
    ) -> None:
        """Store a version of an RMA made from `before` (the version read) with the log entries
        of the change and, in the same transaction, its return event: what reacts to the change
        (the lifecycle's `hand_off` among them) reads it from the stream, once it is stored."""
        if hand_off is not None and not entries:
            raise ValueError("a change that resumes the lifecycle must have a log entry")
        event = return_event(before, rma, entries[-1], hand_off=hand_off) if entries else None
        self._repository.save_transition(
            rma,
            *entries,
            read_version=before.version,
            event=event,
            gives_back_units=gives_back_units(before, rma),
        )

    def link_ticket(self, rma_id: str, ticket_id: int, *, attempts: int = 3) -> None:
        """Keep on the return the Gorgias ticket opened for its request: bookkeeping that is
        no one's action, so a new version without a log entry or an event (as the lifecycle
        keeps its token). A change made meanwhile is read again; a return that has a ticket
        keeps it."""
        for _ in range(attempts):
            rma = self._repository.get(rma_id)
            if rma is None or rma.gorgias_ticket_id is not None:
                return
            linked = revised(rma, gorgias_ticket_id=ticket_id, version=rma.version + 1)
            try:
                self.save(linked, before=rma)
                return
            except ConcurrentModificationError:
                continue
        raise ConcurrentModificationError(rma_id)

    def latest_for_customer(self, email: str, limit: int) -> tuple[list[Rma], int]:
        """The customer's `limit` latest RMAs, open ones first, and how many they have opened in
        all."""
        rmas = self._repository.latest_for_customer(email_key(email), limit)
        total = max((rma.customer_return_count for rma in rmas), default=0)
        return rmas, max(total, len(rmas))

    def list_by_status(
        self, status: ProcessingStatus, *, limit: int, cursor: str | None = None
    ) -> RmaPage:
        listing = ReturnsListing(status=StatusFilter(StatusDimension.PROCESSING, status))
        return self._repository.page(listing, limit=limit, cursor=cursor, now=self._clock())

    def _resolve_id(self, typed: str) -> str | None:
        candidate = typed.strip().lower()
        if _RMA_ID.match(candidate):
            return candidate
        return_number = parse_return_number(typed)
        if return_number is None:
            return None
        return self._repository.find_id_by_return_number(return_number)
