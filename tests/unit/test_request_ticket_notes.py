"""Specification of what agents read in Gorgias about a cancellation request or a claim: the
ticket it opens, the note each later step leaves, which events Gorgias hears of, and the queue
message that carries them (saying whether it is about a return or a request)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.order_requests import (
    ClaimIssue,
    ClaimLine,
    OrderRequest,
    OrderRequestEntry,
    OrderRequestEvent,
    OrderRequestKind,
    RequestStatus,
    Settlement,
    ShopCancellation,
    request_event,
)
from chalicelib.domain.request_ticket_notes import (
    request_step_note,
    request_ticket,
    request_ticket_tags,
    settlement_summary,
)
from chalicelib.domain.rma import Actor, Customer, OrderRef, ReplacementOrder, ReplacementStatus
from chalicelib.domain.statuses import Channel, ExpectedResolution, FinancialMethod
from chalicelib.domain.statuses import FinancialStatus as F
from chalicelib.integrations.gorgias_updates_queue import GorgiasUpdatesQueue, event_of_message
from chalicelib.services.gorgias_tickets import gorgias_hears_of
from tests.unit.test_ticket_notes import event_of
from tests.unit.test_transitions import an_rma

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ALEX = Actor(channel=Channel.GORGIAS, id="17", name="Alex Martin", gorgias_ticket_id=4242)
WORKFLOW = Actor(channel=Channel.WORKFLOW)
MUG = ClaimLine(
    sku="MUG-001", name="Ceramic mug", quantity=2, unit_price=Decimal("18.00"), photos=["k1"]
)


def a_claim(**changes: Any) -> OrderRequest:
    fields: dict[str, Any] = {
        "reference": "C-000004",
        "kind": OrderRequestKind.CLAIM,
        "order": OrderRef(number="#4930"),
        "customer": Customer(email="jane.doe@example.com", name="Jane Doe"),
        "issue": ClaimIssue.DAMAGED,
        "lines": [MUG],
        "resolution": ExpectedResolution.VOUCHER,
        "comment": "Broken handle",
        "created_at": T0,
        "updated_at": T0,
    }
    return OrderRequest(**{**fields, **changes})


def a_cancellation(**changes: Any) -> OrderRequest:
    return a_claim(
        reference="X-000003",
        kind=OrderRequestKind.CANCELLATION,
        order=OrderRef(number="#4950"),
        issue=None,
        lines=[],
        resolution=None,
        comment=None,
        **changes,
    )


def event(before: OrderRequest | None, after: OrderRequest, actor: Actor) -> OrderRequestEvent:
    entry = OrderRequestEntry(
        reference=after.reference,
        version=after.version,
        at=T0,
        actor=actor,
        action="test",
        from_status=before.status if before else None,
        to_status=after.status,
    )
    return request_event(before, after, entry)


def moved(request: OrderRequest, **changes: Any) -> OrderRequest:
    return request.model_copy(update={**changes, "version": request.version + 1})


# --- the ticket ------------------------------------------------------------------------------


def test_a_claims_ticket_says_who_what_which_lines_and_how_to_decide() -> None:
    content = request_ticket(a_claim(), photo_links=lambda keys: [f"https://p/{k}" for k in keys])

    assert content.subject == "Order issue C-000004 (Arrived damaged or defective) for order #4930"
    assert content.body_text.splitlines() == [
        "Jane Doe reports an issue with order #4930: Arrived damaged or defective "
        "(Store credit expected).",
        "",
        "- 2 x Ceramic mug (MUG-001) at 18.00 EUR",
        "  photo: https://p/k1",
        "",
        "Comment: Broken handle",
        "",
        "Status: Waiting for an agent. Accept or refuse it with the widget's Approve and "
        "Reject buttons (reference C-000004).",
    ]
    assert '<a href="https://p/k1">photo 1</a>' in content.body_html
    assert request_ticket_tags(a_claim()) == ("returns-desk", "order-issue", "request:C-000004")


def test_a_cancellations_ticket_has_no_lines() -> None:
    content = request_ticket(a_cancellation(), photo_links=lambda keys: [])

    assert content.subject == "Cancellation request X-000003 for order #4950"
    assert content.body_html.startswith("<p>Jane Doe asks to cancel order #4950.</p><p>Status:")
    assert "<ul>" not in content.body_html
    assert request_ticket_tags(a_cancellation())[1] == "cancellation-request"


# --- the notes -------------------------------------------------------------------------------

PAID_CREDIT = Settlement(
    resolution=ExpectedResolution.VOUCHER,
    amount=Decimal("39.60"),
    method=FinancialMethod.VOUCHER,
    status=F.REFUNDED,
    voucher_code="GIFT-AB12-7KQ2",
)


@pytest.mark.parametrize(
    ("settlement", "summary"),
    [
        (
            Settlement(
                resolution=ExpectedResolution.REFUND,
                amount=Decimal("36.00"),
                method=FinancialMethod.REFUND,
            ),
            "refund of 36.00 EUR, to be paid",
        ),
        (PAID_CREDIT, "store credit of 39.60 EUR, issued (code ending 7KQ2)"),
        (
            Settlement(
                resolution=ExpectedResolution.REFUND,
                amount=Decimal("36.00"),
                method=FinancialMethod.REFUND,
                status=F.EXECUTION_ERROR,
            ),
            "refund of 36.00 EUR, failed: to be settled by a person in the shop",
        ),
        (Settlement(resolution=ExpectedResolution.REPLACE), "replacement, to be ordered"),
        (
            Settlement(
                resolution=ExpectedResolution.REPLACE,
                status=F.NONE,
                replacement_order=ReplacementOrder(name="#1002", created_at=T0),
            ),
            "replacement ordered (#1002)",
        ),
        (
            Settlement(
                resolution=ExpectedResolution.REPLACE,
                status=F.NONE,
                replacement_order=ReplacementOrder(
                    status=ReplacementStatus.MERCHANT_TO_CREATE, created_at=T0
                ),
            ),
            "replacement, to be created by a person in the shop",
        ),
    ],
)
def test_a_settlement_is_summed_up_without_the_store_credits_code(
    settlement: Settlement, summary: str
) -> None:
    assert settlement_summary(settlement, "EUR") == summary
    assert "GIFT-AB12" not in settlement_summary(settlement, "EUR")


def test_each_decision_is_one_sentence_in_the_agents_name() -> None:
    claim, cancellation = a_claim(), a_cancellation()
    approved = moved(claim, status=RequestStatus.APPROVED, settlement=PAID_CREDIT)
    refused = moved(cancellation, status=RequestStatus.REJECTED, decision_note="Packed")
    accepted = moved(cancellation, status=RequestStatus.APPROVED)

    assert request_step_note(event(claim, approved, ALEX)) == (
        "Order issue C-000004 approved by Alex Martin. Settlement: store credit of 39.60 EUR, "
        "issued (code ending 7KQ2)."
    )
    assert request_step_note(event(cancellation, refused, ALEX)) == (
        "Cancellation request X-000003 refused by Alex Martin. Reason: Packed"
    )
    assert request_step_note(event(cancellation, accepted, ALEX)) == (
        "Cancellation request X-000003 accepted by Alex Martin."
    )


def test_what_was_carried_out_is_noted() -> None:
    accepted = moved(a_cancellation(), status=RequestStatus.APPROVED)
    in_shop = moved(
        accepted, status=RequestStatus.RESOLVED, cancellation=ShopCancellation(in_shop=True)
    )
    by_hand = moved(
        accepted,
        status=RequestStatus.RESOLVED,
        cancellation=ShopCancellation(in_shop=False, note="Cancel order #4950 by hand."),
    )
    approved = moved(a_claim(), status=RequestStatus.APPROVED)
    settled = moved(
        approved,
        status=RequestStatus.RESOLVED,
        settlement=PAID_CREDIT.model_copy(update={"explanation": "Gift card issued."}),
    )

    assert request_step_note(event(accepted, in_shop, WORKFLOW)) == (
        "Cancellation request X-000003: order #4950 canceled in the shop."
    )
    assert request_step_note(event(accepted, by_hand, WORKFLOW)) == (
        "Cancellation request X-000003: order #4950 left to a person to cancel. "
        "Cancel order #4950 by hand."
    )
    assert request_step_note(event(approved, settled, WORKFLOW)) == (
        "Order issue C-000004 resolved: store credit of 39.60 EUR, issued (code ending 7KQ2). "
        "Gift card issued."
    )


def test_gorgias_hears_of_a_new_request_and_its_steps_not_of_bookkeeping() -> None:
    claim = a_claim()
    opened = event(None, claim, Actor(channel=Channel.PORTAL))
    ticket_kept = event(claim, moved(claim, gorgias_ticket_id=9100), WORKFLOW)
    approved = event(claim, moved(claim, status=RequestStatus.APPROVED), ALEX)

    assert gorgias_hears_of(opened)
    assert not gorgias_hears_of(ticket_kept)
    assert gorgias_hears_of(approved)


# --- the queue message -----------------------------------------------------------------------


class Sqs:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **message: Any) -> None:
        self.sent.append(message)


def test_a_requests_message_names_its_subject_its_group_and_its_event() -> None:
    sqs = Sqs()
    approved = event(a_claim(), moved(a_claim(), status=RequestStatus.APPROVED), ALEX)

    GorgiasUpdatesQueue("https://sqs/q.fifo", sqs=sqs).send(approved)

    [message] = sqs.sent
    assert json.loads(message["MessageBody"])["subject"] == "order_request"
    assert message["MessageGroupId"] == "C-000004"
    assert message["MessageDeduplicationId"] == "C-000004:2"
    assert event_of_message(message["MessageBody"]) == approved


def test_a_returns_message_is_read_with_or_without_its_subject() -> None:
    from chalicelib.domain.statuses import ProcessingStatus
    from chalicelib.domain.transitions import Action

    sqs = Sqs()
    submitted = event_of(an_rma(ProcessingStatus.NEW), Action.SUBMIT)
    GorgiasUpdatesQueue("https://sqs/q.fifo", sqs=sqs).send(submitted)

    [message] = sqs.sent
    assert json.loads(message["MessageBody"])["subject"] == "return"
    assert message["MessageGroupId"] == submitted.rma_id
    assert event_of_message(message["MessageBody"]) == submitted
    # A message queued before messages said their subject: the bare return event.
    assert event_of_message(submitted.model_dump_json(exclude_none=True)) == submitted
