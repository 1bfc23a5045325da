"""What happens to an approved return: a label is issued, the parcel is received and inspected,
the refund is resolved and executed. Pure functions returning the next version of the RMA and
its action-log entry, like the processing transitions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from chalicelib.domain.refunds import payment_method
from chalicelib.domain.rma import Actor, FinancialResolution, Rma, RmaEvent, RmaLine, Shipment
from chalicelib.domain.statuses import (
    DeliveryStatus,
    FinancialStatus,
    FulfillmentStatus,
    LineState,
    ProcessingStatus,
    ProductState,
)
from chalicelib.domain.transitions import Action, apply_action, apply_update
from chalicelib.errors import InvalidRequestError, InvalidTransitionError


@dataclass(frozen=True)
class ReceivedLine:
    sku: str
    quantity: int
    product_state: ProductState


def issue_label(
    rma: Rma, shipment: Shipment, instructions: str | None, *, actor: Actor, at: datetime
) -> tuple[Rma, RmaEvent]:
    """The shopper has a label or instructions: the parcel can be sent."""
    return apply_update(
        rma,
        action="issue_label",
        actor=actor,
        at=at,
        changes={
            "shipments": [*rma.shipments, shipment],
            "return_instructions": instructions,
            "delivery_status": DeliveryStatus.HANDLED,
        },
        note=f"Return shipment with {shipment.carrier}",
    )


def receive_items(
    rma: Rma, received: list[ReceivedLine], *, actor: Actor, at: datetime, note: str | None = None
) -> tuple[Rma, RmaEvent]:
    """Items arrived and were inspected: lines record quantity and state; an ACCEPTED return
    starts PROCESSING, its parcel DELIVERED and its inspection IN_PROGRESS."""
    if rma.processing_status not in {ProcessingStatus.ACCEPTED, ProcessingStatus.PROCESSING}:
        raise InvalidTransitionError(rma.return_reference, rma.processing_status, "received")
    changes = {
        "lines": _lines_after_receipt(rma, received),
        "received_at": rma.received_at or at,
        "delivery_status": DeliveryStatus.DELIVERED,
        "fulfillment_status": FulfillmentStatus.IN_PROGRESS,
        "shipments": [
            s.model_copy(update={"status": DeliveryStatus.DELIVERED}) for s in rma.shipments
        ],
    }
    summary = ", ".join(f"{r.quantity} x {r.sku} ({r.product_state})" for r in received)
    note = "; ".join(filter(None, [f"Received {summary}", note]))
    if rma.processing_status is ProcessingStatus.ACCEPTED:
        started, event = apply_action(rma, Action.START_PROCESSING, actor=actor, at=at, note=note)
        updated = started.model_copy(update=changes)
        event = event.model_copy(update={"action": "receive"})
    else:
        updated, event = apply_update(
            rma, action="receive", actor=actor, at=at, changes=changes, note=note
        )
    return updated, event


def every_line_received(rma: Rma) -> bool:
    return all(line.received_quantity >= line.quantity for line in rma.lines)


def _lines_after_receipt(rma: Rma, received: list[ReceivedLine]) -> list[RmaLine]:
    by_sku = {line.sku: line for line in rma.lines}
    counted: dict[str, int] = {}
    for item in received:
        if item.sku not in by_sku:
            raise InvalidRequestError(
                f"{item.sku} is not on return {rma.return_reference}.",
                {"field": "lines", "sku": item.sku},
            )
        counted[item.sku] = counted.get(item.sku, 0) + item.quantity
    lines = []
    for line in rma.lines:
        quantity = line.received_quantity + counted.get(line.sku, 0)
        if quantity > line.quantity:
            raise InvalidRequestError(
                f"{quantity} x {line.sku} received, but only {line.quantity} are being returned.",
                {"field": "lines", "sku": line.sku},
            )
        states = [r.product_state for r in received if r.sku == line.sku]
        lines.append(
            line.model_copy(
                update={
                    "received_quantity": quantity,
                    "product_state": states[-1] if states else line.product_state,
                    "line_state": _line_state(quantity, line.quantity),
                }
            )
        )
    return lines


def _line_state(received: int, expected: int) -> LineState:
    if received >= expected:
        return LineState.FULFILLED
    return LineState.PARTIALLY_FULFILLED if received else LineState.PENDING


def resolve_financial(
    rma: Rma, resolution: FinancialResolution | None, *, actor: Actor, at: datetime, note: str
) -> tuple[Rma, RmaEvent]:
    """Record what is owed: a pending refund or voucher, or nothing in money (replacement)."""
    changes: dict[str, object] = {
        "financial_status": FinancialStatus.PENDING if resolution else FinancialStatus.NONE
    }
    if resolution is not None:
        changes["financial_resolutions"] = [*rma.financial_resolutions, resolution]
    return apply_update(
        rma, action="resolve_financial", actor=actor, at=at, changes=changes, note=note
    )


def record_refund(rma: Rma, *, actor: Actor, at: datetime, note: str) -> tuple[Rma, RmaEvent]:
    """The pending resolution was paid: REFUNDED when it covers every requested line's value,
    PARTIALLY_REFUNDED when deductions, fees or a partial receipt made it smaller."""
    pending = [r for r in rma.financial_resolutions if r.status is FinancialStatus.PENDING]
    paid = sum((r.amount for r in pending), Decimal("0"))
    status = (
        FinancialStatus.REFUNDED
        if paid >= rma.requested_value
        else FinancialStatus.PARTIALLY_REFUNDED
    )
    resolutions = [
        r.model_copy(update={"status": status}) if r.status is FinancialStatus.PENDING else r
        for r in rma.financial_resolutions
    ]
    return apply_update(
        rma,
        action="execute_refund",
        actor=actor,
        at=at,
        changes={"financial_resolutions": resolutions, "financial_status": status},
        note=note,
    )


def approve_refund(
    rma: Rma, amount: Decimal | None, *, actor: Actor, at: datetime, note: str | None
) -> tuple[Rma, RmaEvent]:
    """A person lets the pending resolution be paid, or sets its amount (which replaces a
    computed one, and is required when none was computed)."""
    changes: dict[str, object] = {"task_token": None, "waiting_for": None}
    if amount is not None:
        method = payment_method(rma)
        if method is None:
            raise InvalidRequestError(
                f"Return {rma.return_reference} expects {rma.expected_resolution}: "
                "nothing is paid back in money.",
                {"field": "amount"},
            )
        settled = [r for r in rma.financial_resolutions if r.status is not FinancialStatus.PENDING]
        changes["financial_resolutions"] = [
            *settled,
            FinancialResolution(amount=amount, method=method),
        ]
        changes["financial_status"] = FinancialStatus.PENDING
    elif not any(r.status is FinancialStatus.PENDING for r in rma.financial_resolutions):
        raise InvalidRequestError(
            f"No refund was computed for return {rma.return_reference}: give its amount.",
            {"field": "amount"},
        )
    default_note = f"Refund of {amount} {rma.currency} approved" if amount else "Refund approved"
    return apply_update(
        rma, action="approve_refund", actor=actor, at=at, changes=changes, note=note or default_note
    )
