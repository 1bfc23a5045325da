"""Order requests: what a shopper asks of an order without sending a parcel back.

Two kinds, one aggregate, because they live the same life: a shopper asks, an agent decides,
and what was decided is carried out in the shop.

- A **cancellation request** (`X-000042`): cancel an order the shop has not shipped yet.
  Accepting it cancels the order in the shop (or leaves that to a person when no shop is
  connected); refusing it leaves the order as it is.
- A **claim** (`C-000042`), "report an order issue": the parcel never came, or an item came
  damaged or defective, wrong or missing. Nothing is sent back. Approving it settles it by a
  refund, store credit or a replacement, through the same payment and replacement code as
  returns.

States: OPEN → APPROVED | REJECTED; APPROVED → RESOLVED once carried out (the refund paid, the
replacement ordered, the order canceled). REJECTED and RESOLVED are terminal. Every change is
versioned, logged and published as an event (`claim.*`, `cancellation.*`), exactly as a
return's. Pure: no AWS here.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from chalicelib.domain.rma import (
    MAX_SHOPPER_PHOTOS,
    Actor,
    CurrencyCode,
    Customer,
    DomainModel,
    LongText,
    Money,
    OrderRef,
    Quantity,
    ReplacementOrder,
    ShortText,
    fit_note,
    revised,
)
from chalicelib.domain.statuses import ExpectedResolution, FinancialMethod, FinancialStatus

CLAIM_PREFIX = "C-"
CANCELLATION_PREFIX = "X-"
_TYPED_REQUEST_REFERENCE = re.compile(r"^\s*([cx])\s*-?\s*#?\s*0*(\d{1,12})\s*$", re.IGNORECASE)
# A reference as stored and shown: what the repository keys on.
RequestReference = Annotated[str, StringConstraints(pattern=r"^[CX]-\d{6,12}$")]


class OrderRequestKind(StrEnum):
    CANCELLATION = "CANCELLATION"
    CLAIM = "CLAIM"


class ClaimIssue(StrEnum):
    """What went wrong with a delivered (or undelivered) order."""

    NOT_RECEIVED = "NOT_RECEIVED"
    DAMAGED = "DAMAGED"  # arrived damaged or defective
    WRONG_ITEM = "WRONG_ITEM"
    MISSING_ITEM = "MISSING_ITEM"


class RequestStatus(StrEnum):
    OPEN = "OPEN"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    RESOLVED = "RESOLVED"


TERMINAL_REQUEST_STATUSES = frozenset({RequestStatus.REJECTED, RequestStatus.RESOLVED})

# The settlements a claim may ask for: the same three as a return's expected resolution.
CLAIM_RESOLUTIONS = (
    ExpectedResolution.REFUND,
    ExpectedResolution.VOUCHER,
    ExpectedResolution.REPLACE,
)


def format_request_reference(kind: OrderRequestKind, number: int) -> str:
    prefix = CLAIM_PREFIX if kind is OrderRequestKind.CLAIM else CANCELLATION_PREFIX
    return f"{prefix}{number:06d}"


def parse_request_reference(typed: str) -> str | None:
    """`C-000042`, `c42`, ` X-42 ` → the stored reference; anything else (a return's
    reference, an order number) → None."""
    match = _TYPED_REQUEST_REFERENCE.match(typed)
    if match is None or int(match.group(2)) == 0:
        return None
    prefix = CLAIM_PREFIX if match.group(1).lower() == "c" else CANCELLATION_PREFIX
    return f"{prefix}{int(match.group(2)):06d}"


class ClaimLine(DomainModel):
    """A line of the order a claim is about, with the units concerned."""

    sku: ShortText
    name: ShortText
    quantity: Quantity
    unit_price: Money
    # The shop's ids, when the order came from the shop: a refund names the line, a
    # replacement orders the variant.
    line_item_id: ShortText | None = None
    variant_id: ShortText | None = None
    # Keys of the photos the shopper sent (damage), in the photo store.
    photos: Annotated[list[ShortText], Field(max_length=MAX_SHOPPER_PHOTOS)] = []

    @property
    def value(self) -> Decimal:
        """What the shopper paid for the units claimed: the most a claim may give back."""
        return self.unit_price * self.quantity


class Settlement(DomainModel):
    """How an approved claim is settled: money (a refund or store credit) or goods (a
    replacement), computed in domain/refunds.py and carried out once."""

    resolution: ExpectedResolution
    amount: Money = Decimal("0")
    method: FinancialMethod | None = None
    status: FinancialStatus = FinancialStatus.PENDING
    # Once paid: the provider's reference, and a store credit's code (for the shopper only).
    reference: ShortText | None = None
    voucher_code: ShortText | None = None
    replacement_order: ReplacementOrder | None = None
    # Why the amount is what it is, for the log and the agent.
    explanation: LongText | None = None


class ShopCancellation(DomainModel):
    """What became of an accepted cancellation in the shop."""

    # True: the shop canceled it (Shopify's job id kept); False: left to a person.
    in_shop: bool
    job_id: ShortText | None = None
    refund: bool = True
    restock: bool = True
    note: LongText | None = None


class OrderRequest(DomainModel):
    reference: RequestReference
    kind: OrderRequestKind
    status: RequestStatus = RequestStatus.OPEN
    order: OrderRef
    customer: Customer
    currency: CurrencyCode = "EUR"
    # Claims only: what happened, to which lines, and what the shopper asks for.
    issue: ClaimIssue | None = None
    lines: Annotated[list[ClaimLine], Field(max_length=250)] = []
    resolution: ExpectedResolution | None = None
    comment: LongText | None = None
    # The agent's decision and why (a refusal's reason is told to the shopper).
    decision_note: LongText | None = None
    settlement: Settlement | None = None
    cancellation: ShopCancellation | None = None
    # The Gorgias ticket the request was opened as, once the ticket subscriber made it.
    gorgias_ticket_id: Annotated[int, Field(gt=0)] | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def is_claim(self) -> bool:
        return self.kind is OrderRequestKind.CLAIM

    @property
    def is_open(self) -> bool:
        """Still to be decided or carried out."""
        return self.status not in TERMINAL_REQUEST_STATUSES

    @property
    def claimed_value(self) -> Decimal:
        return sum((line.value for line in self.lines), Decimal("0"))


class OrderRequestEntry(DomainModel):
    """One line of a request's action log."""

    reference: RequestReference
    version: int
    at: datetime
    actor: Actor
    action: ShortText
    from_status: RequestStatus | None = None
    to_status: RequestStatus
    note: LongText | None = None


class OrderRequestEventType(StrEnum):
    CANCELLATION_REQUESTED = "cancellation.requested"
    CANCELLATION_ACCEPTED = "cancellation.accepted"
    CANCELLATION_REFUSED = "cancellation.refused"
    # The order canceled in the shop, or left to a person to cancel.
    CANCELLATION_COMPLETED = "cancellation.completed"
    CLAIM_OPENED = "claim.opened"
    CLAIM_APPROVED = "claim.approved"
    CLAIM_REJECTED = "claim.rejected"
    CLAIM_RESOLVED = "claim.resolved"
    # A photo added, a failed settlement recorded.
    CLAIM_UPDATED = "claim.updated"
    CANCELLATION_UPDATED = "cancellation.updated"


E = OrderRequestEventType
_EVENT_TYPES: dict[tuple[OrderRequestKind, RequestStatus | None], OrderRequestEventType] = {
    (OrderRequestKind.CANCELLATION, RequestStatus.OPEN): E.CANCELLATION_REQUESTED,
    (OrderRequestKind.CANCELLATION, RequestStatus.APPROVED): E.CANCELLATION_ACCEPTED,
    (OrderRequestKind.CANCELLATION, RequestStatus.REJECTED): E.CANCELLATION_REFUSED,
    (OrderRequestKind.CANCELLATION, RequestStatus.RESOLVED): E.CANCELLATION_COMPLETED,
    (OrderRequestKind.CLAIM, RequestStatus.OPEN): E.CLAIM_OPENED,
    (OrderRequestKind.CLAIM, RequestStatus.APPROVED): E.CLAIM_APPROVED,
    (OrderRequestKind.CLAIM, RequestStatus.REJECTED): E.CLAIM_REJECTED,
    (OrderRequestKind.CLAIM, RequestStatus.RESOLVED): E.CLAIM_RESOLVED,
}
_UPDATED = {
    OrderRequestKind.CANCELLATION: E.CANCELLATION_UPDATED,
    OrderRequestKind.CLAIM: E.CLAIM_UPDATED,
}
ORDER_REQUEST_EVENT_TYPES = tuple(OrderRequestEventType)


class OrderRequestEvent(DomainModel):
    # `<reference>:<version>`: names one change for good, as a return event's id does.
    id: str
    type: OrderRequestEventType
    reference: RequestReference
    version: int
    occurred_at: datetime
    actor: Actor
    note: LongText | None = None
    # None when the change opened the request.
    previous_status: RequestStatus | None = None
    request: OrderRequest


def request_event(
    before: OrderRequest | None, after: OrderRequest, entry: OrderRequestEntry
) -> OrderRequestEvent:
    """The event the write of `after` (from `before`, None when it opened it) publishes."""
    moved = before is None or before.status is not after.status
    event_type = _EVENT_TYPES[(after.kind, after.status)] if moved else _UPDATED[after.kind]
    return OrderRequestEvent(
        id=f"{after.reference}:{after.version}",
        type=event_type,
        reference=after.reference,
        version=after.version,
        occurred_at=entry.at,
        actor=entry.actor,
        note=entry.note,
        previous_status=before.status if before is not None else None,
        request=after,
    )


# --- transitions ---------------------------------------------------------------------------

_ALLOWED: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.OPEN: frozenset({RequestStatus.APPROVED, RequestStatus.REJECTED}),
    RequestStatus.APPROVED: frozenset({RequestStatus.RESOLVED}),
    RequestStatus.REJECTED: frozenset(),
    RequestStatus.RESOLVED: frozenset(),
}


class RequestTransitionError(Exception):
    """A move the request's status does not allow (mapped to a 409 by the service)."""

    def __init__(self, request: OrderRequest, to: RequestStatus) -> None:
        super().__init__(f"{request.reference} is {request.status}; it cannot become {to}.")
        self.request = request
        self.to = to


def can_move(request: OrderRequest, to: RequestStatus) -> bool:
    return to in _ALLOWED[request.status]


def moved(
    request: OrderRequest,
    to: RequestStatus,
    *,
    actor: Actor,
    at: datetime,
    action: str,
    note: str | None = None,
    **changes: object,
) -> tuple[OrderRequest, OrderRequestEntry]:
    """`request` moved to `to` (with `changes`), and the log entry that says so; raises
    RequestTransitionError when its status does not allow it."""
    if not can_move(request, to):
        raise RequestTransitionError(request, to)
    return updated(request, actor=actor, at=at, action=action, note=note, status=to, **changes)


def updated(
    request: OrderRequest,
    *,
    actor: Actor,
    at: datetime,
    action: str,
    note: str | None = None,
    **changes: object,
) -> tuple[OrderRequest, OrderRequestEntry]:
    """The next version of `request` with `changes`, and its log entry."""
    after = revised(request, **changes, updated_at=at, version=request.version + 1)
    entry = OrderRequestEntry(
        reference=after.reference,
        version=after.version,
        at=at,
        actor=actor,
        action=action,
        from_status=request.status,
        to_status=after.status,
        # A person's words and a receipt's together may run long: summed up, never refused.
        note=fit_note(note) if note else None,
    )
    return after, entry
