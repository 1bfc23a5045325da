"""The status emails' subscribers to return events and to order request events: each decides
which change a shopper hears of, and puts that email in the outbox, where the scheduled job
finds it (status_email_job.py)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.events import ReturnEvent
from chalicelib.domain.order_requests import OrderRequest, OrderRequestEvent
from chalicelib.domain.rma import Rma
from chalicelib.domain.status_emails import REQUEST_EMAIL_EVENTS, StatusEmailKind, email_kind_for


class StatusEmailOutbox(Protocol):
    def add(self, about: Rma | OrderRequest, kind: str, reason: str | None = None) -> bool: ...


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


class RequestEmailsDue:
    """The same for cancellation requests and claims: each move of a request's status is an
    email of the event's type, holding the request as the move left it (a refusal's reason is
    its `decision_note`). Idempotent on the event, as above: one email per version."""

    name = "request_emails"

    def __init__(self, outbox: StatusEmailOutbox) -> None:
        self._outbox = outbox

    def __call__(self, event: OrderRequestEvent) -> None:
        if event.type in REQUEST_EMAIL_EVENTS:
            self._outbox.add(event.request, event.type.value)
