"""The RMA (return merchandise authorization) and its action log entries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from chalicelib.domain.statuses import (
    Channel,
    DeliveryStatus,
    ExpectedResolution,
    FinancialMethod,
    FinancialStatus,
    FulfillmentStatus,
    LifecycleStep,
    LineState,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2}([-_][a-zA-Z]{2})?$")]

MAX_INSPECTION_PHOTOS = 20
# Enough to recognise any file a warehouse would send again; the oldest are forgotten first.
MAX_REMEMBERED_UPLOADS = 20


def email_key(email: str) -> str:
    """Emails compare case-insensitively everywhere: RMAs, orders, sign-in codes, sessions."""
    return email.strip().lower()


class DomainModel(BaseModel):
    # defer_build: validators are built on first use rather than at import (cold start).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class OrderRef(DomainModel):
    external_id: ShortText | None = None
    number: ShortText
    ordered_at: date | None = None
    delivered_at: date | None = None


class Customer(DomainModel):
    email: EmailStr
    name: ShortText | None = None
    locale: Locale = "en"

    @property
    def email_key(self) -> str:
        """Emails compare case-insensitively everywhere."""
        return email_key(self.email)


class Contact(DomainModel):
    name: ShortText | None = None
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    address_lines: Annotated[list[ShortText], Field(max_length=4)] = []
    city: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None


class RmaLine(DomainModel):
    sku: ShortText
    name: ShortText
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    unit_price: Money
    reason: ReturnReason
    comment: LongText | None = None
    # What the order says about the line, when known: eligibility uses them.
    ordered_quantity: Annotated[int, Field(ge=1, le=10_000)] | None = None
    final_sale: bool = False
    product_state: ProductState | None = None
    line_state: LineState = LineState.PENDING
    received_quantity: Annotated[int, Field(ge=0)] = 0
    photos: Annotated[list[ShortText], Field(max_length=10)] = []
    # What the warehouse found: its notes and the object keys of its photos, kept apart from
    # the shopper's photos above.
    inspection_notes: LongText | None = None
    inspection_photos: Annotated[list[ShortText], Field(max_length=MAX_INSPECTION_PHOTOS)] = []


class Shipment(DomainModel):
    carrier: ShortText
    tracking_number: ShortText | None = None
    tracking_url: Annotated[str, StringConstraints(max_length=2000)] | None = None
    label_url: Annotated[str, StringConstraints(max_length=2000)] | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING


class FinancialResolution(DomainModel):
    amount: Money
    method: FinancialMethod
    status: FinancialStatus = FinancialStatus.PENDING


class AppliedUpload(DomainModel):
    """An inspection file already applied to a return, so that processing it again (a retried
    or duplicated delivery, a run resumed after a crash) leaves the return as it is."""

    upload: Annotated[str, StringConstraints(max_length=2000)]
    # Why its rows were refused, when they were (the return became an anomaly instead).
    refused: LongText | None = None


class Actor(DomainModel):
    """Who acted: an agent, the shopper, an admin system, the warehouse or the workflow."""

    channel: Channel
    id: ShortText | None = None
    email: EmailStr | None = None
    name: ShortText | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.email or (f"{self.channel} {self.id}" if self.id else self.channel)


class ReturnTerms(DomainModel):
    """What the merchant decided for this return's money; defaults come from the policy."""

    expected_resolution: ExpectedResolution = ExpectedResolution.REFUND
    currency: CurrencyCode = "EUR"
    apply_return_fee: bool = False
    retained_amount_for_shipping: Money = Decimal("0")
    auto_generate_financial_resolution: bool = True
    auto_execute_financial_resolution: bool = False


class RmaDraft(ReturnTerms):
    """Everything needed to open an RMA, before returns-desk gives it an identity."""

    order: OrderRef
    customer: Customer
    lines: Annotated[list[RmaLine], Field(min_length=1, max_length=100)]
    sender: Contact | None = None
    delivery: Contact | None = None
    comment: LongText | None = None


class Rma(RmaDraft):
    id: str
    return_number: int
    return_reference: str
    # How many returns this customer had opened when this one was: the widget's total.
    customer_return_count: int = 1
    processing_status: ProcessingStatus = ProcessingStatus.NEW
    delivery_status: DeliveryStatus = DeliveryStatus.PENDING
    financial_status: FinancialStatus = FinancialStatus.PENDING
    fulfillment_status: FulfillmentStatus = FulfillmentStatus.PENDING
    # The status an ON_HOLD return resumes to.
    held_from: ProcessingStatus | None = None
    shipments: list[Shipment] = []
    financial_resolutions: list[FinancialResolution] = []
    # What the shopper is told to do with the parcel (the default label provider's output).
    return_instructions: LongText | None = None
    # The lifecycle step waiting on a person or the warehouse, and the Step Functions task
    # token that resumes it (an item-receipt token outlives its wait until it is sent: see
    # `release_item_receipt`).
    waiting_for: LifecycleStep | None = None
    task_token: Annotated[str, StringConstraints(max_length=2048)] | None = None
    created_at: datetime
    updated_at: datetime
    # When it was submitted: the wait for an agent's decision starts there.
    requested_at: datetime | None = None
    issued_at: datetime | None = None
    received_at: datetime | None = None
    # The warehouse files applied to it, oldest first.
    inspection_uploads: Annotated[
        list[AppliedUpload], Field(max_length=MAX_REMEMBERED_UPLOADS)
    ] = []
    version: int = 1

    @property
    def latest_shipment(self) -> Shipment | None:
        return self.shipments[-1] if self.shipments else None

    @property
    def waiting_for_decision_since(self) -> datetime:
        """Returns submitted before `requested_at` was kept count from their creation."""
        return self.requested_at or self.created_at

    @property
    def requested_value(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0"))


class RmaEvent(DomainModel):
    """One line of an RMA's action log: who did what, through which channel, and when."""

    rma_id: str
    version: int
    at: datetime
    actor: Actor
    action: str
    from_status: ProcessingStatus | None = None
    to_status: ProcessingStatus
    note: LongText | None = None
