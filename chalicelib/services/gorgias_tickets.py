"""Every return request reaches the agents' queue as a Gorgias ticket, and every later step of
the return as an internal note on it (and on the ticket an agent decided from).

Two halves, so that a Gorgias outage delays the tickets and notes and never loses one, nor holds
back anything else that reacts to returns:

- `GorgiasUpdatesDue`, a subscriber of the return events, picks the events Gorgias must hear
  of and queues them (SQS FIFO, one group per return: a return's steps reach Gorgias in order,
  its request's ticket first);
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
from chalicelib.domain.statuses import Channel
from chalicelib.domain.ticket_notes import TICKET_TAGS, request_ticket, step_note
from chalicelib.observability import logger, metrics
from chalicelib.repositories.gorgias_tickets import GorgiasTicketLinks
from chalicelib.services.rma_service import RmaService

if TYPE_CHECKING:
    from chalicelib.integrations.gorgias import GorgiasClient


class ReturnEventQueue(Protocol):
    def send(self, event: ReturnEvent) -> None: ...


def gorgias_hears_of(event: ReturnEvent) -> bool:
    """Whether Gorgias is told of this event: a request without a ticket yet opens one, and
    each later step worth a note is one."""
    if event.type is ReturnEventType.REQUESTED:
        return event.rma.gorgias_ticket_id is None
    return step_note(event) is not None


class GorgiasUpdatesDue:
    """Subscriber of the return events: queues those Gorgias must hear of. Idempotent on the
    event: the FIFO queue drops a copy sent again within five minutes, and the consumer
    tells a ticket of a step once."""

    name = "gorgias_updates"

    def __init__(self, queue: ReturnEventQueue) -> None:
        self._queue = queue

    def __call__(self, event: ReturnEvent) -> None:
        if gorgias_hears_of(event):
            self._queue.send(event)


class GorgiasTicketUpdates:
    def __init__(
        self,
        gorgias: GorgiasClient,
        links: GorgiasTicketLinks,
        rmas: RmaService,
        *,
        photo_links: Callable[[list[str]], list[str]],
        console_link: Callable[[str], str | None],
    ) -> None:
        self._gorgias = gorgias
        self._links = links
        self._rmas = rmas
        self._photo_links = photo_links
        self._console_link = console_link

    def apply(self, event: ReturnEvent) -> None:
        link = self._links.get(event.rma_id)
        ticket = event.rma.gorgias_ticket_id or link.ticket_id
        if event.type is ReturnEventType.REQUESTED:
            if ticket is None:
                ticket = self._open_ticket(event)
            if event.rma.gorgias_ticket_id is None:
                # The link is what the notes go by; the return shows its ticket too (the admin
                # API). Done again by a retry after a crash in between.
                self._rmas.link_ticket(event.rma_id, ticket)
            return
        text = step_note(event)
        if text is None:
            return
        # The return's ticket, and the one the agent acted from when that is another.
        for target in dict.fromkeys(t for t in (ticket, event.actor.gorgias_ticket_id) if t):
            if link.noted.get(target, 0) >= event.version:
                continue
            self._gorgias.post_internal_note(target, text, sender_id=_gorgias_user(event))
            self._links.mark_noted(event.rma_id, target, event.version)
            metrics.add_metric(name="GorgiasNotesPosted", unit=MetricUnit.Count, value=1)

    def _open_ticket(self, event: ReturnEvent) -> int:
        """Open the request's ticket and link it to the return; the ticket's id."""
        from chalicelib.integrations.gorgias import NewTicket

        rma = event.rma
        content = request_ticket(
            rma,
            photo_links=self._photo_links,
            console_link=self._console_link(rma.return_reference),
        )
        ticket_id = self._gorgias.create_ticket(
            NewTicket(
                customer_email=str(rma.customer.email),
                customer_name=rma.customer.name,
                subject=content.subject,
                body_text=content.body_text,
                body_html=content.body_html,
                tags=TICKET_TAGS,
            )
        )
        metrics.add_metric(name="GorgiasTicketsOpened", unit=MetricUnit.Count, value=1)
        # A crash between the two calls opens a second ticket when the message is retried:
        # Gorgias takes no idempotency key. Rare, and visible, unlike a request never told.
        if self._links.link(rma.id, ticket_id):
            return ticket_id
        logger.warning(
            "A second ticket was opened for one return request",
            extra={"rma_id": rma.id, "ticket_id": ticket_id},
        )
        linked = self._links.get(rma.id).ticket_id
        return linked if linked is not None else ticket_id


def _gorgias_user(event: ReturnEvent) -> int | None:
    """The Gorgias user a note is attributed to: the agent who acted, when one did."""
    actor = event.actor
    if actor.channel is Channel.GORGIAS and actor.id and actor.id.isdigit():
        return int(actor.id)
    return None
