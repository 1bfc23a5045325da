"""What the support team reads in Gorgias about a cancellation request or a claim: the ticket
the request opens, and the internal note each later step leaves on it. Written for agents, in
English, like a return's (domain/ticket_notes.py); pure.

A note says the step in one sentence an agent can act on ("Order issue C-000004 resolved:
store credit of 39.60 EUR, issued (code ending 7KQ2)."). A store credit's code is the
shopper's to spend: agents read its last four characters only.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.labels import label
from chalicelib.domain.order_requests import (
    ClaimLine,
    OrderRequest,
    OrderRequestEvent,
    OrderRequestKind,
    RequestStatus,
    Settlement,
)
from chalicelib.domain.order_requests import OrderRequestEventType as E
from chalicelib.domain.rma import Actor, ReplacementStatus
from chalicelib.domain.statuses import ExpectedResolution, FinancialMethod, FinancialStatus
from chalicelib.domain.ticket_notes import (
    AGENTS_LOCALE,
    TicketContent,
    decision_sentence,
    ticket_content,
)

_KIND_TAGS = {
    OrderRequestKind.CANCELLATION: "cancellation-request",
    OrderRequestKind.CLAIM: "order-issue",
}
# The characters of a store credit's code agents may read.
CODE_ENDING = 4


def request_ticket_tags(request: OrderRequest) -> tuple[str, ...]:
    """`returns-desk`, the kind (`cancellation-request`, `order-issue`) and the request
    (`request:C-000004`): what Gorgias's rules and views can sort the tickets by."""
    return ("returns-desk", _KIND_TAGS[request.kind], f"request:{request.reference}")


def subject_of(request: OrderRequest) -> str:
    """ "Order issue C-000004", "Cancellation request X-000003": how the notes name it."""
    return f"{label(request.kind, AGENTS_LOCALE)} {request.reference}"


def request_ticket(
    request: OrderRequest,
    *,
    photo_links: Callable[[list[str]], list[str]],
    console_link: str | None = None,
) -> TicketContent:
    """The ticket a new request opens for the agents: who asks what of which order, the lines
    with their photos, the shopper's comment, and how to decide it from the widget."""
    who = request.customer.name or request.customer.email
    number = request.order.number
    if request.is_claim:
        issue = label(request.issue, AGENTS_LOCALE) if request.issue else "an issue"
        subject = f"{subject_of(request)} ({issue}) for order {number}"
        expected = (
            f" ({label(request.resolution, AGENTS_LOCALE)} expected)" if request.resolution else ""
        )
        intro = f"{who} reports an issue with order {number}: {issue}{expected}."
    else:
        subject = f"{subject_of(request)} for order {number}"
        intro = f"{who} asks to cancel order {number}."
    return ticket_content(
        subject,
        intro=intro,
        lines=[
            (claim_line_summary(line, request.currency), photo_links(line.photos))
            for line in request.lines
        ],
        comment=request.comment,
        status=(
            f"Status: {label(request.status, AGENTS_LOCALE)}. Accept or refuse it with the "
            f"widget's Approve and Reject buttons (reference {request.reference})."
        ),
        console_link=console_link,
    )


def claim_line_summary(line: ClaimLine, currency: str) -> str:
    """ "2 x Ceramic mug (MUG-001) at 18.00 EUR": a claimed line as agents read it."""
    return f"{line.quantity} x {line.name} ({line.sku}) at {line.unit_price} {currency}"


def request_decision_note(request: OrderRequest, actor: Actor) -> str:
    """ "Order issue C-000004 approved by Alex Martin. Settlement: refund of 36.00 EUR, to be
    paid.": the answer of a Gorgias button and the note its decision leaves on the ticket."""
    accepted = request.status in (RequestStatus.APPROVED, RequestStatus.RESOLVED)
    if request.is_claim:
        done = "approved" if accepted else "rejected"
    else:
        done = "accepted" if accepted else "refused"
    sentence = decision_sentence(
        request.reference,
        done,
        actor,
        request.decision_note,
        subject=label(request.kind, AGENTS_LOCALE),
    )
    if accepted and request.settlement is not None:
        sentence += f" Settlement: {settlement_summary(request.settlement, request.currency)}."
    return sentence


def request_step_note(event: OrderRequestEvent) -> str | None:
    """The internal note a step of the request leaves on its ticket; None for what agents need
    not read there (the request itself, which the ticket says; bookkeeping updates)."""
    request = event.request
    if event.type in (
        E.CANCELLATION_ACCEPTED,
        E.CANCELLATION_REFUSED,
        E.CLAIM_APPROVED,
        E.CLAIM_REJECTED,
    ):
        return request_decision_note(request, event.actor)
    if event.type is E.CANCELLATION_COMPLETED:
        return _cancellation_done(request)
    if event.type is E.CLAIM_RESOLVED:
        return _claim_resolved(request)
    return None


def settlement_summary(settlement: Settlement, currency: str) -> str:
    """ "store credit of 39.60 EUR, issued (code ending 7KQ2)", "replacement ordered (#1002)":
    what a claim is settled by and how far that went, for agents."""
    if settlement.resolution is ExpectedResolution.REPLACE:
        return _replacement(settlement)
    credit = settlement.method is FinancialMethod.VOUCHER
    what = f"{'store credit' if credit else 'refund'} of {settlement.amount} {currency}"
    code = settlement.voucher_code
    state = {
        FinancialStatus.PENDING: "to be issued" if credit else "to be paid",
        FinancialStatus.REFUNDED: "issued" if credit else "paid",
        FinancialStatus.EXECUTION_ERROR: "failed: to be settled by a person in the shop",
        FinancialStatus.NONE: "nothing to pay",
    }.get(settlement.status, label(settlement.status, AGENTS_LOCALE).lower())
    ending = f" (code ending {code[-CODE_ENDING:]})" if code else ""
    return f"{what}, {state}{ending}"


def _replacement(settlement: Settlement) -> str:
    order = settlement.replacement_order
    if order is None:
        return "replacement, to be ordered"
    if order.status is ReplacementStatus.MERCHANT_TO_CREATE:
        return "replacement, to be created by a person in the shop"
    if order.status is ReplacementStatus.INVOICE_SENT:
        return f"replacement invoiced{f' ({order.name})' if order.name else ''}"
    return f"replacement ordered{f' ({order.name})' if order.name else ''}"


def _cancellation_done(request: OrderRequest) -> str:
    done = request.cancellation
    number = request.order.number
    if done is not None and done.in_shop:
        return f"{subject_of(request)}: order {number} canceled in the shop."
    why = f" {done.note}" if done is not None and done.note else ""
    return f"{subject_of(request)}: order {number} left to a person to cancel.{why}"


def _claim_resolved(request: OrderRequest) -> str:
    settlement = request.settlement
    if settlement is None:
        return f"{subject_of(request)} resolved."
    summary = f"{subject_of(request)} resolved: {settlement_summary(settlement, request.currency)}."
    # What was done, as the claim's log says it (a payment recorded for the back office).
    return f"{summary} {settlement.explanation}" if settlement.explanation else summary
