"""The status emails' subscriber to return events: decides which change a shopper hears of,
and puts that email in the outbox, where the scheduled job finds it (status_email_job.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.events import ReturnEvent
from chalicelib.domain.rma import Rma
from chalicelib.domain.status_emails import StatusEmailKind, email_kind_for


class StatusEmailOutbox(Protocol):
    def add(self, rma: Rma, kind: str, reason: str | None = None) -> bool: ...


class StatusEmailsDue:
    """Idempotent on the event: the outbox keeps one email per change (the return's version),
    sent or not, so an event delivered again owes nothing more."""

    name = "status_emails"

    def __init__(self, outbox: StatusEmailOutbox, *, label_follows_approval: bool) -> None:
        self._outbox = outbox
        # With a lifecycle, a label follows every approval: the approval is announced with it.
        self._label_follows_approval = label_follows_approval

    def __call__(self, event: ReturnEvent) -> None:
        kind = email_kind_for(
            event.previous, event.rma, label_follows_approval=self._label_follows_approval
        )
        if kind is None:
            return
        # A rejection quotes the reason its log entry gives; other notes are for the team.
        reason = event.note if kind is StatusEmailKind.REJECTED else None
        self._outbox.add(event.rma, kind, reason)
