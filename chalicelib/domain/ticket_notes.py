"""What the support team reads in Gorgias about a return: the ticket a return request opens,
and the internal note each later step leaves on it. Written for agents, in English; pure.

A note says the step in one sentence an agent can act on ("Return R-001042 approved by Alex
Martin."), so that the ticket's thread is the return's story without opening anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalicelib.domain.events import ReturnEvent, ReturnEventType
from chalicelib.domain.labels import label, received_in_words
from chalicelib.domain.rma import Actor, Rma, RmaLine
from chalicelib.domain.statuses import FinancialMethod

# Agents read the helpdesk in the merchant's language; the labels exist in English and French,
# and the team's language is English unless the merchant changes it here.
AGENTS_LOCALE = "en"
TICKET_TAGS = ("returns-desk", "return-request")

E = ReturnEventType


@dataclass(frozen=True)
class TicketContent:
    subject: str
    body_text: str
    body_html: str


def decision_sentence(
    reference: str, done: str, actor: Actor, note: str | None, *, subject: str = "Return"
) -> str:
    """ "Return R-001042 approved by Alex Martin. Reason: …": the answer of a Gorgias button
    and the note its decision leaves on the ticket (`subject` names what was decided: a
    return, a cancellation request, an order issue)."""
    sentence = f"{subject} {reference} {done} by {actor.display_name}."
    return f"{sentence} Reason: {note.strip()}" if note and note.strip() else sentence


def request_ticket(
    rma: Rma, *, photo_links: Callable[[list[str]], list[str]], console_link: str | None
) -> TicketContent:
    """The ticket a return request opens for the agents: who, which order, each line with its
    reason and photos, and where to act on it."""
    lines = []
    for line in rma.lines:
        text = line_summary(line)
        if line.comment:
            text += f" — “{line.comment}”"
        lines.append((text, photo_links(line.photos)))
    return ticket_content(
        f"Return request {rma.return_reference} — order {rma.order.number}",
        intro=(
            f"{rma.customer.name or rma.customer.email} asks to return items of order "
            f"{rma.order.number} ({label(rma.expected_resolution, AGENTS_LOCALE)} expected)."
        ),
        lines=lines,
        comment=rma.comment,
        status=f"Status: {label(rma.processing_status, AGENTS_LOCALE)}.",
        console_link=console_link,
    )


def ticket_content(
    subject: str,
    *,
    intro: str,
    lines: Sequence[tuple[str, list[str]]],
    comment: str | None,
    status: str,
    console_link: str | None = None,
) -> TicketContent:
    """A request's ticket, as text and as HTML: the intro, each line with links to its
    photos, the shopper's comment, where it stands, and where to act on it."""
    # Here, not at the top: the API imports this module for `decision_sentence` alone, and
    # html's entity tables cost every cold start a few milliseconds.
    import html

    text_parts = [intro, ""]
    for text, photos in lines:
        text_parts.append(f"- {text}")
        text_parts += [f"  photo: {url}" for url in photos]
    if comment:
        text_parts += ["", f"Comment: {comment}"]
    text_parts += ["", status]
    if console_link:
        text_parts.append(f"Open in the console: {console_link}")
    items_html = "".join(
        f"<li>{html.escape(text)}"
        + "".join(f' <a href="{html.escape(url)}">photo {n}</a>' for n, url in enumerate(photos, 1))
        + "</li>"
        for text, photos in lines
    )
    body_html = f"<p>{html.escape(intro)}</p>"
    if items_html:
        body_html += f"<ul>{items_html}</ul>"
    if comment:
        body_html += f"<p>Comment: {html.escape(comment)}</p>"
    body_html += f"<p>{html.escape(status)}</p>"
    if console_link:
        body_html += f'<p><a href="{html.escape(console_link)}">Open in the console</a></p>'
    return TicketContent(subject=subject, body_text="\n".join(text_parts), body_html=body_html)


def opened_from_chat_note(rma: Rma, *, console_link: str | None) -> str:
    """The note on a chat's ticket once the return its customer asked for there is open."""
    parts = [
        f"Return {rma.return_reference} opened from this chat for order {rma.order.number} "
        f"({label(rma.expected_resolution, AGENTS_LOCALE)} expected):",
        "\n".join(f"- {line_summary(line)}" for line in rma.lines),
        f"Status: {label(rma.processing_status, AGENTS_LOCALE)}.",
        f"Open in the console: {console_link}" if console_link else "",
    ]
    # Gorgias's client makes a paragraph of each block between blank lines (body_html).
    return "\n\n".join(part for part in parts if part)


def line_summary(line: RmaLine) -> str:
    """ "2 x Mug (MUG-1): Arrived damaged": a line of a return as agents read it."""
    return f"{line.quantity} x {line.name} ({line.sku}): {label(line.reason, AGENTS_LOCALE)}"


def step_note(event: ReturnEvent) -> str | None:
    """The internal note a step of the return leaves on its ticket; None for what agents need
    not read there (the return's creation and request: the ticket itself says them)."""
    rma, reference = event.rma, event.rma.return_reference
    note = event.note.strip() if event.note and event.note.strip() else None
    by = event.actor
    describe: dict[ReturnEventType, Callable[[], str]] = {
        E.APPROVED: lambda: decision_sentence(reference, "approved", by, note),
        E.REJECTED: lambda: decision_sentence(reference, "rejected", by, note),
        E.CANCELED: lambda: decision_sentence(reference, "canceled", by, note),
        E.ON_HOLD: lambda: decision_sentence(reference, "put on hold", by, note),
        E.RESUMED: lambda: decision_sentence(reference, "taken off hold", by, note),
        E.DELETED: lambda: decision_sentence(reference, "deleted", by, note),
        E.LABEL_ISSUED: lambda: _label_issued(rma),
        E.PROCESSING: lambda: f"Return {reference}: the parcel is being processed.",
        E.RECEIVED: lambda: _received(rma),
        E.REFUND_PENDING: lambda: _refund(rma, "to approve before it is paid"),
        E.REFUND_APPROVED: lambda: decision_sentence(reference, "refund approved", by, note),
        E.REFUNDED: lambda: _refund(rma, "paid"),
        E.COMPLETED: lambda: f"Return {reference} is complete.",
        E.ANOMALY: lambda: f"Return {reference} needs a person: {note or 'anomaly flagged'}.",
        E.REPLACEMENT: lambda: f"Return {reference}: {note or 'replacement recorded'}.",
    }
    build = describe.get(event.type)
    return build() if build is not None else None


def _label_issued(rma: Rma) -> str:
    shipment = rma.latest_shipment
    if shipment is not None and shipment.tracking_number:
        return (
            f"Return {rma.return_reference}: label issued ({shipment.carrier}, "
            f"tracking {shipment.tracking_number})."
        )
    return f"Return {rma.return_reference}: return instructions sent to the customer."


def _received(rma: Rma) -> str:
    received = "; ".join(
        f"{line.name}: {received_in_words(line, AGENTS_LOCALE) or 'nothing yet'}"
        for line in rma.lines
    )
    return f"Return {rma.return_reference}: parcel received — {received}."


def _refund(rma: Rma, state: str) -> str:
    latest = rma.financial_resolutions[-1] if rma.financial_resolutions else None
    if latest is None:
        return f"Return {rma.return_reference}: refund {state}."
    what = "store credit" if latest.method is FinancialMethod.VOUCHER else "refund"
    return f"Return {rma.return_reference}: {what} of {latest.amount} {rma.currency} {state}."
