"""Every return request, cancellation request and claim reaches the agents' queue as a Gorgias
ticket, and every later step of it as an internal note on that ticket (and on the ticket an
agent decided from).

Two halves, so that a Gorgias outage delays the tickets and notes and never loses one, nor holds
back anything else that reacts to returns and requests:

- `GorgiasUpdatesDue`, a subscriber of the return events and of the order request events,
  picks the events Gorgias must hear of and queues them (SQS FIFO, one group per return or
  request: its steps reach Gorgias in order, its ticket first);
- `GorgiasTicketUpdates`, the queue's consumer, opens the ticket or posts the note. A failure
  (Gorgias down, rate limited) leaves the message in the queue, retried with the queue's
  backoff and kept in its dead-letter queue after that. Each ticket is told of a step once: the
  link item remembers the last step noted on it, and the ticket opened for the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.domain.events import ReturnEvent, ReturnEventType
from chalicelib.domain.order_requests import OrderRequestEvent, OrderRequestEventType
from chalicelib.domain.request_ticket_notes import (
    request_step_note,
    request_ticket,
    request_ticket_tags,
)
from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel
from chalicelib.domain.ticket_notes import TICKET_TAGS, TicketContent, step_note
from chalicelib.domain.ticket_notes import request_ticket as return_ticket
from chalicelib.observability import logger, metrics
from chalicelib.repositories.gorgias_tickets import GorgiasTicketLinks, TicketLink
from chalicelib.services.rma_service import RmaService

if TYPE_CHECKING:
    from chalicelib.integrations.gorgias import GorgiasClient
    from chalicelib.services.order_requests import OrderRequestService

# The events that open a request's ticket.
_REQUEST_MADE = frozenset(
    {OrderRequestEventType.CANCELLATION_REQUESTED, OrderRequestEventType.CLAIM_OPENED}
)


class GorgiasEventQueue(Protocol):
    def send(self, event: ReturnEvent | OrderRequestEvent) -> None: ...


def gorgias_hears_of(event: ReturnEvent | OrderRequestEvent) -> bool:
    """Whether Gorgias is told of this event: a request without a ticket yet opens one, and
    each later step worth a note is one."""
    if isinstance(event, OrderRequestEvent):
        if event.type in _REQUEST_MADE:
            return event.request.gorgias_ticket_id is None
        return request_step_note(event) is not None
    if event.type is ReturnEventType.REQUESTED:
        return event.rma.gorgias_ticket_id is None
    return step_note(event) is not None


class GorgiasUpdatesDue:
    """Subscriber of the return events and of the order request events: queues those Gorgias
    must hear of. Idempotent on the event: the FIFO queue drops a copy sent again within five
    minutes, and the consumer tells a ticket of a step once."""

    name = "gorgias_updates"

    def __init__(self, queue: GorgiasEventQueue) -> None:
        self._queue = queue

    def __call__(self, event: ReturnEvent | OrderRequestEvent) -> None:
        if gorgias_hears_of(event):
            self._queue.send(event)


class GorgiasTicketUpdates:
    def __init__(
        self,
        gorgias: GorgiasClient,
        links: GorgiasTicketLinks,
        rmas: RmaService,
        requests: OrderRequestService,
        *,
        photo_links: Callable[[list[str]], list[str]],
        console_link: Callable[[str], str | None],
    ) -> None:
        self._gorgias = gorgias
        self._links = links
        self._rmas = rmas
        self._requests = requests
        self._photo_links = photo_links
        self._console_link = console_link

    def apply(self, event: ReturnEvent | OrderRequestEvent) -> None:
        if isinstance(event, OrderRequestEvent):
            self._apply_to_request(event)
        else:
            self._apply_to_return(event)

    def _apply_to_return(self, event: ReturnEvent) -> None:
        rma = event.rma
        link = self._links.get(rma.id)
        ticket = rma.gorgias_ticket_id or link.ticket_id
        if event.type is ReturnEventType.REQUESTED:
            if ticket is None:
                content = return_ticket(
                    rma,
                    photo_links=self._photo_links,
                    console_link=self._console_link(rma.return_reference),
                )
                ticket = self._open_ticket(
                    rma.id, content, rma.customer.email, rma.customer.name, TICKET_TAGS
                )
            if rma.gorgias_ticket_id is None:
                # The link is what the notes go by; the return shows its ticket too (the admin
                # API). Done again by a retry after a crash in between.
                self._rmas.link_ticket(rma.id, ticket)
            return
        text = step_note(event)
        if text is not None:
            self._note(rma.id, link, (ticket, event.actor.gorgias_ticket_id), text, event)

    def _apply_to_request(self, event: OrderRequestEvent) -> None:
        request = event.request
        link = self._links.get(request.reference)
        ticket = request.gorgias_ticket_id or link.ticket_id
        if event.type in _REQUEST_MADE:
            if ticket is None:
                content = request_ticket(
                    request,
                    photo_links=self._photo_links,
                    console_link=self._console_link(request.reference),
                )
                ticket = self._open_ticket(
                    request.reference,
                    content,
                    request.customer.email,
                    request.customer.name,
                    request_ticket_tags(request),
                )
            if request.gorgias_ticket_id is None:
                # As a return's: the link for the notes, the request for the people who read
                # it (admin API, console), done again by a retry.
                self._requests.record_ticket(request.reference, ticket)
            return
        text = request_step_note(event)
        if text is not None:
            targets = (ticket, event.actor.gorgias_ticket_id)
            self._note(request.reference, link, targets, text, event)

    def _note(
        self,
        subject: str,
        link: TicketLink,
        targets: tuple[int | None, ...],
        text: str,
        event: ReturnEvent | OrderRequestEvent,
    ) -> None:
        """Post the step's note on each ticket not yet told of it: the subject's ticket, and
        the one the agent acted from when that is another."""
        for target in dict.fromkeys(t for t in targets if t):
            if link.noted.get(target, 0) >= event.version:
                continue
            self._gorgias.post_internal_note(target, text, sender_id=_gorgias_user(event.actor))
            self._links.mark_noted(subject, target, event.version)
            metrics.add_metric(name="GorgiasNotesPosted", unit=MetricUnit.Count, value=1)

    def _open_ticket(
        self,
        subject: str,
        content: TicketContent,
        email: str,
        name: str | None,
        tags: tuple[str, ...],
    ) -> int:
        """Open the ticket of a request (a return's id or a request's reference) and link it;
        the ticket's id."""
        from chalicelib.integrations.gorgias import NewTicket

        ticket_id = self._gorgias.create_ticket(
            NewTicket(
                customer_email=str(email),
                customer_name=name,
                subject=content.subject,
                body_text=content.body_text,
                body_html=content.body_html,
                tags=tags,
            )
        )
        metrics.add_metric(name="GorgiasTicketsOpened", unit=MetricUnit.Count, value=1)
        # A crash between the two calls opens a second ticket when the message is retried:
        # Gorgias takes no idempotency key. Rare, and visible, unlike a request never told.
        if self._links.link(subject, ticket_id):
            return ticket_id
        logger.warning(
            "A second ticket was opened for one request",
            extra={"subject": subject, "ticket_id": ticket_id},
        )
        linked = self._links.get(subject).ticket_id
        return linked if linked is not None else ticket_id


def _gorgias_user(actor: Actor) -> int | None:
    """The Gorgias user a note is attributed to: the agent who acted, when one did."""
    if actor.channel is Channel.GORGIAS and actor.id and actor.id.isdigit():
        return int(actor.id)
    return None
