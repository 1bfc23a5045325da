"""What happens to an approved return: a label is issued, the parcel is received and inspected,
the refund is resolved and executed. Pure functions returning the next version of the RMA and
its action-log entry, like the processing transitions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from chalicelib.domain.refunds import RefundBreakdown, check_person_amount, payment_method
from chalicelib.domain.rma import (
    MAX_INSPECTION_PHOTOS,
    Actor,
    FinancialResolution,
    Rma,
    RmaEvent,
    RmaLine,
    Shipment,
    add_states,
    fit_note,
    revised,
)
from chalicelib.domain.statuses import (
    DeliveryStatus,
    FinancialStatus,
    FulfillmentStatus,
    LifecycleStep,
    LineState,
    ProcessingStatus,
    ProductState,
)
from chalicelib.domain.transitions import Action, apply_action, apply_update
from chalicelib.errors import InvalidRequestError, InvalidTransitionError

RECEIVING_STATUSES = frozenset({ProcessingStatus.ACCEPTED, ProcessingStatus.PROCESSING})


@dataclass(frozen=True)
class ReceivedLine:
    sku: str
    quantity: int
    product_state: ProductState
    # What the warehouse adds when it inspects the item.
    notes: str | None = None
    photo_keys: tuple[str, ...] = ()
    received_at: datetime | None = None


@dataclass(frozen=True)
class ReceiptProblem:
    """Why received items cannot be recorded on a return as it stands, in a sentence."""

    sku: str
    sentence: str


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
    """Items arrived and were inspected: lines record quantity, state, notes and photos; an
    ACCEPTED return starts PROCESSING and its parcel is DELIVERED. The inspection is
    IN_PROGRESS until every line is in, then COMPLETE."""
    if rma.processing_status not in RECEIVING_STATUSES:
        raise InvalidTransitionError(rma.return_reference, rma.processing_status, "received")
    problems = receipt_problems(rma, received)
    if problems:
        raise InvalidRequestError(problems[0].sentence, {"field": "lines", "sku": problems[0].sku})
    lines = _lines_after_receipt(rma, received)
    every_line_in = _all_received(lines)
    changes = {
        **_parcel_arrived(rma, received, at),
        "lines": lines,
        "fulfillment_status": (
            FulfillmentStatus.COMPLETE if every_line_in else FulfillmentStatus.IN_PROGRESS
        ),
    }
    summary = ", ".join(f"{r.quantity} x {r.sku} ({r.product_state})" for r in received)
    note = fit_note("; ".join(filter(None, [f"Received {summary}", note])))
    if rma.processing_status is ProcessingStatus.ACCEPTED:
        started, event = apply_action(rma, Action.START_PROCESSING, actor=actor, at=at, note=note)
        updated = revised(started, **changes)
        event = revised(event, action="receive")
    else:
        updated, event = apply_update(
            rma, action="receive", actor=actor, at=at, changes=changes, note=note
        )
    return updated, event


def flag_receipt_anomaly(
    rma: Rma, received: list[ReceivedLine], reason: str, *, actor: Actor, at: datetime
) -> tuple[Rma, list[RmaEvent]]:
    """A parcel arrived that does not match its return: nothing is recorded on its lines, the
    return becomes an ANOMALY for a person to check (an ACCEPTED one starts PROCESSING first,
    since the table never moves ACCEPTED to ANOMALY) and its inspection has a problem."""
    events: list[RmaEvent] = []
    current = rma
    if rma.processing_status is ProcessingStatus.ACCEPTED:
        current, started = apply_action(
            rma, Action.START_PROCESSING, actor=actor, at=at, note="Parcel received"
        )
        events.append(started)
    flagged, event = apply_action(
        current, Action.FLAG_ANOMALY, actor=actor, at=at, note=fit_note(reason)
    )
    changes = {**_parcel_arrived(rma, received, at), "fulfillment_status": FulfillmentStatus.ERROR}
    return revised(flagged, **changes), [*events, event]


def receipt_problems(rma: Rma, received: list[ReceivedLine]) -> list[ReceiptProblem]:
    """Why `received` cannot be recorded on `rma`: SKUs not on it, more units than are being
    returned, more inspection photos than a line keeps. Empty when it can."""
    by_sku = _by_sku(received)
    skus = {line.sku for line in rma.lines}
    problems = [
        ReceiptProblem(sku, f"{sku} is not on return {rma.return_reference}.")
        for sku in by_sku
        if sku not in skus
    ]
    for line in rma.lines:
        items = by_sku.get(line.sku)
        if not items:
            continue
        quantity = line.received_quantity + sum(item.quantity for item in items)
        if quantity > line.quantity:
            problems.append(
                ReceiptProblem(
                    line.sku,
                    f"{quantity} x {line.sku} received, but only {line.quantity} are being "
                    "returned.",
                )
            )
        photos = _photos_after(line, items)
        if len(photos) > MAX_INSPECTION_PHOTOS:
            problems.append(
                ReceiptProblem(
                    line.sku,
                    f"{line.sku} would have {len(photos)} inspection photos; a line keeps at "
                    f"most {MAX_INSPECTION_PHOTOS}.",
                )
            )
    return problems


def every_line_received(rma: Rma) -> bool:
    return _all_received(rma.lines)


def awaits_items(rma: Rma) -> bool:
    """Items may be recorded as received: the return is approved or being processed, and
    some of its units are still out (`receipt_problems` refuses any more)."""
    return rma.processing_status in RECEIVING_STATUSES and not every_line_received(rma)


def left_by_the_lifecycle(rma: Rma) -> bool:
    """Every line is in, and no lifecycle step waits on the return: only a person can finish
    it (no lifecycle is configured, or it ended in an anomaly)."""
    if rma.waiting_for is not None or not every_line_received(rma):
        return False
    # A PROCESSING return may still hold the item-receipt token whose hand-off is pending; an
    # ANOMALY's lifecycle has failed, whatever token it left behind.
    return rma.processing_status is ProcessingStatus.ANOMALY or (
        rma.processing_status is ProcessingStatus.PROCESSING and rma.task_token is None
    )


def refund_unpaid(rma: Rma) -> bool:
    """The return is paid back in money and that money is not paid yet."""
    return payment_method(rma) is not None and rma.financial_status in {
        FinancialStatus.PENDING,
        FinancialStatus.EXECUTION_ERROR,
    }


def refund_awaits_a_person(rma: Rma) -> bool:
    """A person may approve the refund (or set its amount): the lifecycle waits for that, or
    no lifecycle carries the return on and money is still owed."""
    if left_by_the_lifecycle(rma):
        return refund_unpaid(rma)
    return rma.waiting_for is LifecycleStep.REFUND_APPROVAL


def completable_by_hand(rma: Rma) -> bool:
    """A person may complete the return: no lifecycle carries it on and no money is owed."""
    return left_by_the_lifecycle(rma) and not refund_unpaid(rma)


def _all_received(lines: list[RmaLine]) -> bool:
    return all(line.received_quantity >= line.quantity for line in lines)


def release_item_receipt(before: Rma, received: Rma) -> tuple[Rma, bool]:
    """Once every line is in, the lifecycle's wait for the items is over: `waiting_for` is
    cleared in the same write, and whether the lifecycle must be resumed is returned.

    The task token stays on the return until the lifecycle stores its next one: it says that
    the lifecycle still carries the return on, between the receipt and its next step; the
    change's event hands the token back to the lifecycle."""
    completes = every_line_received(received) and before.waiting_for is LifecycleStep.ITEM_RECEIPT
    if completes:
        received = revised(received, waiting_for=None)
    return received, completes


def _by_sku(received: list[ReceivedLine]) -> dict[str, list[ReceivedLine]]:
    grouped: dict[str, list[ReceivedLine]] = {}
    for item in received:
        grouped.setdefault(item.sku, []).append(item)
    return grouped


def _parcel_arrived(rma: Rma, received: list[ReceivedLine], at: datetime) -> dict[str, object]:
    """The parcel is in: delivered, received when the warehouse says (else now)."""
    stated = [item.received_at for item in received if item.received_at is not None]
    return {
        "received_at": rma.received_at or min(stated, default=at),
        "delivery_status": DeliveryStatus.DELIVERED,
        "shipments": [revised(s, status=DeliveryStatus.DELIVERED) for s in rma.shipments],
    }


def _lines_after_receipt(rma: Rma, received: list[ReceivedLine]) -> list[RmaLine]:
    by_sku = _by_sku(received)
    lines = []
    for line in rma.lines:
        items = by_sku.get(line.sku)
        if not items:
            lines.append(line)
            continue
        states: Counter[ProductState] = Counter()
        for item in items:
            states[item.product_state] += item.quantity
        received_states = add_states(line.received_states, states)
        notes = "; ".join(filter(None, [line.inspection_notes, *(item.notes for item in items)]))
        lines.append(
            revised(
                line,
                received_states=received_states,
                line_state=_line_state(sum(received_states.values()), line.quantity),
                inspection_notes=fit_note(notes) if notes else None,
                inspection_photos=_photos_after(line, items),
            )
        )
    return lines


def _photos_after(line: RmaLine, items: list[ReceivedLine]) -> list[str]:
    keys = [*line.inspection_photos, *(key for item in items for key in item.photo_keys)]
    return list(dict.fromkeys(keys))


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


class Payment(Protocol):
    """What paid one resolution, as the payment provider says (its `PaymentReceipt`)."""

    @property
    def reference(self) -> str: ...

    @property
    def voucher_code(self) -> str | None: ...


def record_refund(
    rma: Rma, *, actor: Actor, at: datetime, note: str, payments: Sequence[Payment] = ()
) -> tuple[Rma, RmaEvent]:
    """The pending resolution was paid: REFUNDED when it covers every requested line's value,
    PARTIALLY_REFUNDED when deductions, fees or a partial receipt made it smaller. `payments`
    are what paid the pending resolutions, in their order: each keeps its payment's reference
    and store credit code."""
    pending = [r for r in rma.financial_resolutions if r.status is FinancialStatus.PENDING]
    paid = sum((r.amount for r in pending), Decimal("0"))
    status = (
        FinancialStatus.REFUNDED
        if paid >= rma.requested_value
        else FinancialStatus.PARTIALLY_REFUNDED
    )
    receipts = iter(payments)
    resolutions = [
        _paid(r, status, next(receipts, None)) if r.status is FinancialStatus.PENDING else r
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


def _paid(
    resolution: FinancialResolution, status: FinancialStatus, payment: Payment | None
) -> FinancialResolution:
    if payment is None:
        return revised(resolution, status=status)
    return revised(
        resolution,
        status=status,
        reference=payment.reference,
        voucher_code=payment.voucher_code,
    )


def record_declined_refund(
    rma: Rma, reason: str, *, actor: Actor, at: datetime
) -> tuple[Rma, RmaEvent]:
    """The payment of the pending resolution was refused for good: an EXECUTION_ERROR, the
    resolution still pending, so that a person who settled the cause can approve it again."""
    return apply_update(
        rma,
        action="refund_declined",
        actor=actor,
        at=at,
        changes={"financial_status": FinancialStatus.EXECUTION_ERROR},
        note=fit_note(f"Refund declined: {reason}"),
    )


def approve_refund(
    rma: Rma,
    amount: Decimal | None,
    computed: RefundBreakdown,
    *,
    actor: Actor,
    at: datetime,
    note: str | None,
) -> tuple[Rma, RmaEvent]:
    """A person lets the pending resolution be paid, or sets its amount (which replaces a
    computed one, and is required when none was computed). A person's amount is bounded like a
    computed one: never more than the shopper paid for the units that came back. The log
    entry sets the amount a person chose beside the one computed, and how that was made."""
    changes: dict[str, object] = {"task_token": None, "waiting_for": None}
    if amount is not None:
        method = payment_method(rma)
        if method is None:
            raise InvalidRequestError(
                f"Return {rma.return_reference} expects {rma.expected_resolution}: "
                "nothing is paid back in money.",
                {"field": "amount"},
            )
        check_person_amount(
            amount,
            computed.maximum,
            subject=f"return {rma.return_reference}",
            paid_for="the units received",
            currency=rma.currency,
            bonus=computed.maximum > computed.lines_value,
        )
        settled = [r for r in rma.financial_resolutions if r.status is not FinancialStatus.PENDING]
        changes["financial_resolutions"] = [
            *settled,
            FinancialResolution(amount=amount, method=method, approved=True),
        ]
        changes["financial_status"] = FinancialStatus.PENDING
    elif any(r.status is FinancialStatus.PENDING for r in rma.financial_resolutions):
        changes["financial_resolutions"] = [
            revised(r, approved=True) if r.status is FinancialStatus.PENDING else r
            for r in rma.financial_resolutions
        ]
    else:
        raise InvalidRequestError(
            f"No refund was computed for return {rma.return_reference}: give its amount.",
            {"field": "amount"},
        )
    decision = (
        f"Refund of {amount} {rma.currency} set by a person"
        if amount is not None
        else "Refund approved"
    )
    entry = f"{decision}; computed {computed.explain(rma.currency)}"
    return apply_update(
        rma,
        action="approve_refund",
        actor=actor,
        at=at,
        changes=changes,
        note=fit_note("; ".join(filter(None, [entry, note]))),
    )


def refund_approved(rma: Rma) -> bool:
    """A person approved the pending refund: the lifecycle's wait for it is over."""
    return any(
        r.approved and r.status is FinancialStatus.PENDING for r in rma.financial_resolutions
    )
