"""Which change of a return or of an order request deserves an email to the shopper. Pure: a
subscriber to their events puts the email in the outbox, and the email job renders and sends
it."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from chalicelib.domain.order_requests import OrderRequestEventType
from chalicelib.domain.rma import FinancialResolution, Rma
from chalicelib.domain.statuses import (
    DeliveryStatus,
    FinancialMethod,
    FinancialStatus,
    ProcessingStatus,
)

P = ProcessingStatus
_PAID = frozenset({FinancialStatus.REFUNDED, FinancialStatus.PARTIALLY_REFUNDED})


class Statuses(Protocol):
    """What is compared of the return before a change: an Rma, or an event's `previous`."""

    @property
    def processing_status(self) -> ProcessingStatus: ...
    @property
    def delivery_status(self) -> DeliveryStatus: ...
    @property
    def financial_status(self) -> FinancialStatus: ...
    @property
    def held_from(self) -> ProcessingStatus | None: ...


class StatusEmailKind(StrEnum):
    REQUEST_RECEIVED = "REQUEST_RECEIVED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    PARCEL_RECEIVED = "PARCEL_RECEIVED"
    REFUND_ISSUED = "REFUND_ISSUED"
    VOUCHER_ISSUED = "VOUCHER_ISSUED"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


_PROCESSING_KINDS = {
    P.REQUESTED: StatusEmailKind.REQUEST_RECEIVED,
    P.ACCEPTED: StatusEmailKind.APPROVED,
    P.REJECTED: StatusEmailKind.REJECTED,
    P.COMPLETE: StatusEmailKind.COMPLETED,
    P.CANCELED: StatusEmailKind.CANCELED,
}
_PAID_METHOD_KINDS = {
    FinancialMethod.REFUND: StatusEmailKind.REFUND_ISSUED,
    FinancialMethod.VOUCHER: StatusEmailKind.VOUCHER_ISSUED,
}
PAID_KINDS = frozenset(_PAID_METHOD_KINDS.values())


def email_kind_for(
    before: Statuses | None, after: Rma, *, label_follows_approval: bool = False
) -> StatusEmailKind | None:
    """The email `after` deserves, given the RMA it was (None when it was just created).

    One change gives at most one email: the processing move first, then the money, then the
    parcel. When the lifecycle issues a label right after the approval, the approval is
    announced with the label rather than before it: an approval email without instructions
    would leave the shopper asking what to do next.
    """
    was = before.processing_status if before else None
    if after.processing_status is not was and _announced(before, after):
        kind = _PROCESSING_KINDS.get(after.processing_status)
        if kind is StatusEmailKind.APPROVED and label_follows_approval:
            kind = None
        if kind is not None:
            return kind
    if label_follows_approval and _label_issued(before, after):
        return StatusEmailKind.APPROVED
    paid_before = before.financial_status if before else None
    paid = latest_paid(after)
    if after.financial_status in _PAID and after.financial_status is not paid_before and paid:
        return _PAID_METHOD_KINDS[paid.method]
    delivered_before = before.delivery_status if before else None
    if after.delivery_status is DeliveryStatus.DELIVERED and delivered_before is not (
        DeliveryStatus.DELIVERED
    ):
        return StatusEmailKind.PARCEL_RECEIVED
    return None


def _announced(before: Statuses | None, after: Rma) -> bool:
    """Whether the shopper hears of a processing move. A draft (NEW) was never submitted: its
    shopper heard nothing of it, and hears nothing of its cancellation either. A return resuming
    from ON_HOLD goes back to a step they already heard about; one decided as it resumes (see
    `transitions.decide`) is news like any decision."""
    if before is None:
        return True
    if before.processing_status is P.NEW:
        return after.processing_status is P.REQUESTED
    if before.processing_status is P.ON_HOLD:
        return after.processing_status is not before.held_from
    return True


def latest_paid(rma: Rma) -> FinancialResolution | None:
    paid = [r for r in rma.financial_resolutions if r.status in _PAID]
    return paid[-1] if paid else None


def _label_issued(before: Statuses | None, after: Rma) -> bool:
    return (
        before is not None
        and before.delivery_status is DeliveryStatus.PENDING
        and after.delivery_status is DeliveryStatus.HANDLED
    )


# An order request's shopper hears of each move of its status, which its event's type names:
# received, accepted or refused, carried out. An update that moves no status is the team's.
REQUEST_EMAIL_EVENTS = frozenset(
    set(OrderRequestEventType)
    - {OrderRequestEventType.CLAIM_UPDATED, OrderRequestEventType.CANCELLATION_UPDATED}
)
