"""The RMA (return merchandise authorization) and its action log entries."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    computed_field,
    model_validator,
)

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

_DECIMAL_TEXT = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*", re.ASCII)
# Line breaks and tabs belong in free text; no other control character belongs anywhere.
_TEXT_LAYOUT = frozenset("\n\r\t")


def _no_control_characters(allowed: frozenset[str]) -> AfterValidator:
    def check(text: str) -> str:
        if any(unicodedata.category(c) == "Cc" and c not in allowed for c in text):
            raise ValueError("must not contain control characters")
        return text

    return AfterValidator(check)


def _amount_as_written(value: Any) -> Any:
    """Amounts are written with ASCII digits: Python's Decimal would read "١٢" as 12, and a
    figure no one on the merchant's side can read back is no amount to pay."""
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value):
        raise ValueError("must be a decimal number written with the digits 0-9")
    return value


def _count_not_boolean(value: Any) -> Any:
    """`true` is no quantity, although pydantic's lax mode would read it as 1."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    _no_control_characters(frozenset()),
]
LONG_TEXT_CHARS = 2000
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=LONG_TEXT_CHARS),
    _no_control_characters(_TEXT_LAYOUT),
]
# The checks run before the type's own (Annotated applies the last first); the constraints stay
# next to the type, where the JSON Schema of the OpenAPI document reads them.
Money = Annotated[
    Decimal, Field(ge=0, max_digits=12, decimal_places=2), BeforeValidator(_amount_as_written)
]
Quantity = Annotated[int, Field(ge=1, le=10_000), BeforeValidator(_count_not_boolean)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2}([-_][a-zA-Z]{2})?$")]

MAX_INSPECTION_PHOTOS = 20
MAX_SHOPPER_PHOTOS = 10
# Enough to recognise any file a warehouse would send again; the oldest are forgotten first.
MAX_REMEMBERED_UPLOADS = 20


def fit_note(text: str) -> str:
    """A log note within its limit: a long receipt is summed up, not refused."""
    return text if len(text) <= LONG_TEXT_CHARS else text[: LONG_TEXT_CHARS - 1] + "…"


def email_key(email: str) -> str:
    """Emails compare case-insensitively everywhere: RMAs, orders, sign-in codes, sessions."""
    return email.strip().lower()


class DomainModel(BaseModel):
    # defer_build: validators are built on first use rather than at import (cold start).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


ModelT = TypeVar("ModelT", bound=BaseModel)


def revised(model: ModelT, **changes: Any) -> ModelT:
    """`model` with `changes`, validated whole like any new version. `model_copy(update=...)`
    skips validation: a version it made could break a rule of the model (an eleventh photo),
    be stored, and then fail every later read of the return."""
    return type(model).model_validate(model.model_copy(update=changes).model_dump())


class OrderRef(DomainModel):
    external_id: ShortText | None = None
    number: ShortText
    ordered_at: date | None = None
    delivered_at: date | None = None

    @model_validator(mode="after")
    def _delivered_after_ordered(self) -> OrderRef:
        if self.ordered_at and self.delivered_at and self.delivered_at < self.ordered_at:
            raise ValueError("delivered_at must not be before ordered_at")
        return self


class _HasSku(Protocol):
    @property
    def sku(self) -> str: ...


LineT = TypeVar("LineT", bound=_HasSku)


def _unique_skus(lines: list[LineT]) -> list[LineT]:
    """Quantities, receipts and refunds are counted per SKU: a SKU on two lines would be
    received once and refunded twice."""
    repeated = [sku for sku, n in Counter(line.sku for line in lines).items() if n > 1]
    if repeated:
        raise ValueError(f"each SKU may appear on one line only; repeated: {', '.join(repeated)}")
    return lines


# For every list of lines a request or a return holds.
one_line_per_sku = AfterValidator(_unique_skus)


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


class PendingPhoto(DomainModel):
    """A photo the shopper was given an upload URL for, not yet seen in the bucket."""

    key: ShortText
    # Past this, an upload that never arrived never will: the slot is free again.
    upload_expires_at: datetime


class ExchangeChoice(DomainModel):
    """The variant of the same product a shopper wants instead of the one returned."""

    # The shop's id of the variant (Shopify: gid://shopify/ProductVariant/<id>).
    variant_id: ShortText
    # As the shop names it among the product's variants, e.g. "Blue / M".
    title: ShortText
    # What the replacement is worth against what the shopper paid: its price in the shop when
    # the policy settles differences, what the shopper paid when it allows the same price only.
    unit_price: Money


class ReplacementStatus(StrEnum):
    # The shop holds the replacement as an order, at no charge.
    ORDERED = "ORDERED"
    # A dearer variant: the shopper was sent an invoice for the difference; the order exists
    # once it is paid.
    INVOICE_SENT = "INVOICE_SENT"
    # No shop to order it in: the merchant creates it by hand.
    MERCHANT_TO_CREATE = "MERCHANT_TO_CREATE"
    # The shop holds its draft order, not yet completed nor invoiced: kept so that finishing it
    # after a failure never creates a second one.
    DRAFTED = "DRAFTED"


class ReplacementOrder(DomainModel):
    """The order that sends an exchange's replacement to the shopper."""

    status: ReplacementStatus = ReplacementStatus.ORDERED
    draft_order_id: ShortText | None = None
    order_id: ShortText | None = None
    # As people see it, e.g. "#1002" (the draft's "#D12" while its invoice waits).
    name: ShortText | None = None
    created_at: datetime


class RmaLine(DomainModel):
    sku: ShortText
    name: ShortText
    quantity: Quantity
    unit_price: Money
    reason: ReturnReason
    comment: LongText | None = None
    # The shop's ids of the ordered line and its variant, when the order came from the shop.
    line_item_id: ShortText | None = None
    variant_id: ShortText | None = None
    # REPLACE returns: the variant sent instead; None sends the same variant again.
    exchange: ExchangeChoice | None = None
    # What the order says about the line, when known: eligibility uses them.
    ordered_quantity: Quantity | None = None
    # Units of the line the shop shipped, when it says (a Shopify order's fulfillments).
    shipped_quantity: Annotated[int, Field(ge=0, le=10_000)] | None = None
    final_sale: bool = False
    # How many units came back in each state: two units of one line may come back one new,
    # one worn, and each is refunded for what it is.
    received_states: dict[ProductState, Annotated[int, Field(ge=1)]] = {}
    line_state: LineState = LineState.PENDING
    # The shopper's photos S3 holds; `pending_photos` were given an upload URL and count once
    # their object is seen in the bucket.
    photos: Annotated[list[ShortText], Field(max_length=MAX_SHOPPER_PHOTOS)] = []
    pending_photos: Annotated[list[PendingPhoto], Field(max_length=MAX_SHOPPER_PHOTOS)] = []
    # What the warehouse found: its notes and the object keys of its photos, kept apart from
    # the shopper's photos above.
    inspection_notes: LongText | None = None
    inspection_photos: Annotated[list[ShortText], Field(max_length=MAX_INSPECTION_PHOTOS)] = []

    @model_validator(mode="before")
    @classmethod
    def _states_of_received_units(cls, data: Any) -> Any:
        """`received_quantity` and `product_state` are read from `received_states`, and written
        out with it; lines stored before states were kept per unit have only those two."""
        if not isinstance(data, dict) or (
            "received_quantity" not in data and "product_state" not in data
        ):
            return data
        data = dict(data)
        quantity = int(data.pop("received_quantity", 0) or 0)
        state = data.pop("product_state", None)
        if "received_states" not in data and quantity and state is not None:
            data["received_states"] = {state: quantity}
        elif quantity != sum(int(n) for n in (data.get("received_states") or {}).values()):
            raise ValueError("received_quantity must be the sum of received_states")
        return data

    @model_validator(mode="after")
    def _photos_within_limit(self) -> RmaLine:
        if len(self.photos) + len(self.pending_photos) > MAX_SHOPPER_PHOTOS:
            raise ValueError(f"a line keeps at most {MAX_SHOPPER_PHOTOS} photos")
        return self

    # Computed, and so written out with the line, for the readers that want one figure.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def received_quantity(self) -> int:
        return sum(self.received_states.values())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def product_state(self) -> ProductState | None:
        """The state every received unit came back in; None when none came back, or several
        states did (see `received_states`)."""
        states = list(self.received_states)
        return states[0] if len(states) == 1 else None

    @property
    def returned_value(self) -> Decimal:
        """What the shopper paid for the units of this line being returned."""
        return self.unit_price * self.quantity

    @property
    def received_value(self) -> Decimal:
        """What the shopper paid for the units of this line that came back."""
        return self.unit_price * self.received_quantity

    @property
    def replacement_unit_price(self) -> Decimal:
        """What a unit sent in exchange is worth: the variant chosen, or the same item again at
        what the shopper paid for it."""
        return self.exchange.unit_price if self.exchange is not None else self.unit_price


def add_states(
    states: dict[ProductState, int], more: Counter[ProductState]
) -> dict[ProductState, int]:
    """Units received per state after `more` came back, in the order the states first came."""
    total = Counter(states)
    total.update(more)
    return {state: count for state, count in total.items() if count}


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
    # A person let it be paid: kept on the resolution, so that a lifecycle whose wait for the
    # approval ran out meanwhile still pays it when it waits again.
    approved: bool = False
    # Once paid: the payment's reference at the provider (a Shopify refund's or gift card's
    # id), and the code of the store credit it issued.
    reference: ShortText | None = None
    voucher_code: ShortText | None = None


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
    # The Gorgias ticket an agent acted from: the decision's note goes there too.
    gorgias_ticket_id: Annotated[int, Field(gt=0)] | None = None

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
    lines: Annotated[list[RmaLine], Field(min_length=1, max_length=100), one_line_per_sku]
    sender: Contact | None = None
    delivery: Contact | None = None
    comment: LongText | None = None
    # The Gorgias ticket the return is discussed on: the one it was opened from (the chat),
    # or the one opened for it when it was requested. Later steps are internal notes on it.
    gorgias_ticket_id: Annotated[int, Field(gt=0)] | None = None


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
    # REPLACE returns, once the replacement is ordered (or left to the merchant).
    replacement_order: ReplacementOrder | None = None
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
        """What the shopper paid for every unit being returned."""
        return sum((line.returned_value for line in self.lines), Decimal("0"))

    @property
    def received_value(self) -> Decimal:
        """What the shopper paid for the units that came back: no refund is ever above it."""
        return sum((line.received_value for line in self.lines), Decimal("0"))


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
