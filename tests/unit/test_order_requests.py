"""Specification of an order request's life: references people type, the moves its status
allows, and the event each change publishes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.order_requests import (
    OrderRequest,
    OrderRequestEventType,
    OrderRequestKind,
    RequestStatus,
    RequestTransitionError,
    format_request_reference,
    moved,
    parse_request_reference,
    request_event,
    updated,
)
from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
AGENT = Actor(channel=Channel.GORGIAS, email="agent@shop.example")


def a_request(kind: OrderRequestKind = OrderRequestKind.CLAIM) -> OrderRequest:
    return OrderRequest.model_validate(
        {
            "reference": format_request_reference(kind, 4),
            "kind": kind,
            "order": {"number": "#4930"},
            "customer": {"email": "jane.doe@example.com"},
            "created_at": NOW,
            "updated_at": NOW,
        }
    )


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("C-000042", "C-000042"),
        ("c42", "C-000042"),
        (" x - 7 ", "X-000007"),
        ("X-#12", "X-000012"),
        ("R-001042", None),
        ("1042", None),
        ("C-0", None),
        ("claim", None),
    ],
)
def test_a_typed_reference_names_a_claim_or_a_cancellation_never_a_return(
    typed: str, reference: str | None
) -> None:
    assert parse_request_reference(typed) == reference


def test_an_open_request_is_accepted_or_refused_then_an_accepted_one_resolved() -> None:
    request = a_request()

    accepted, entry = moved(request, RequestStatus.APPROVED, actor=AGENT, at=NOW, action="approve")
    resolved, _ = moved(accepted, RequestStatus.RESOLVED, actor=AGENT, at=NOW, action="carry_out")

    assert (accepted.version, resolved.version) == (2, 3)
    assert (entry.from_status, entry.to_status) == (RequestStatus.OPEN, RequestStatus.APPROVED)
    with pytest.raises(RequestTransitionError):
        moved(resolved, RequestStatus.REJECTED, actor=AGENT, at=NOW, action="reject")
    with pytest.raises(RequestTransitionError):
        moved(request, RequestStatus.RESOLVED, actor=AGENT, at=NOW, action="carry_out")


@pytest.mark.parametrize(
    ("kind", "to", "event_type"),
    [
        (OrderRequestKind.CLAIM, RequestStatus.APPROVED, OrderRequestEventType.CLAIM_APPROVED),
        (OrderRequestKind.CLAIM, RequestStatus.REJECTED, OrderRequestEventType.CLAIM_REJECTED),
        (
            OrderRequestKind.CANCELLATION,
            RequestStatus.APPROVED,
            OrderRequestEventType.CANCELLATION_ACCEPTED,
        ),
        (
            OrderRequestKind.CANCELLATION,
            RequestStatus.REJECTED,
            OrderRequestEventType.CANCELLATION_REFUSED,
        ),
    ],
)
def test_each_change_publishes_the_event_its_kind_and_new_status_name(
    kind: OrderRequestKind, to: RequestStatus, event_type: OrderRequestEventType
) -> None:
    request = a_request(kind)
    after, entry = moved(request, to, actor=AGENT, at=NOW, action="decide")

    event = request_event(request, after, entry)

    assert event.type is event_type
    assert event.id == f"{request.reference}:2"
    assert event.previous_status is RequestStatus.OPEN


def test_a_change_that_keeps_the_status_is_an_update() -> None:
    request = a_request()
    after, entry = updated(
        request, actor=AGENT, at=NOW, action="gorgias_ticket", gorgias_ticket_id=7
    )

    assert request_event(request, after, entry).type is OrderRequestEventType.CLAIM_UPDATED
