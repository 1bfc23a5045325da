"""The models of the shoppers' portal: signing in, their orders and what can be returned, and
their returns, labelled in their language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import EmailStr, Field, StringConstraints

from chalicelib.api.models.common import (
    LabelledStatuses,
    PhotoType,
    RequestModel,
    ResponseModel,
    Tracking,
    labelled_statuses,
    photo_links,
)
from chalicelib.api.models.order_requests import OrderActions
from chalicelib.domain.eligibility import window_closes_on
from chalicelib.domain.labels import financial_wording, label, received_in_words
from chalicelib.domain.order_tracking import Milestone
from chalicelib.domain.refunds import RefundBreakdown
from chalicelib.domain.rma import (
    MAX_SHOPPER_PHOTOS,
    Contact,
    LongText,
    Quantity,
    Rma,
    RmaEvent,
    ShortText,
    one_line_per_sku,
)
from chalicelib.domain.statuses import (
    ExpectedResolution,
    FinancialStatus,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)

if TYPE_CHECKING:
    from chalicelib.domain.exchanges import ExchangeOption
    from chalicelib.domain.order import Order, PaymentSummary
    from chalicelib.domain.order_tracking import TrackingEvent
    from chalicelib.domain.policy import ReturnPolicy
    from chalicelib.repositories.photo_store import PhotoUpload
    from chalicelib.services.portal_service import RequestedReturnLine, ReturnableLine

LOGIN_ANSWER = "If that order is yours, a 6-digit code is on its way to your inbox."
# What a shopper may ask for: whether nothing is given back is the team's decision, not theirs.
SHOPPER_RESOLUTIONS = (
    ExpectedResolution.REFUND,
    ExpectedResolution.VOUCHER,
    ExpectedResolution.REPLACE,
)

# --- signing in ------------------------------------------------------------------------------


class PortalLoginRequest(RequestModel):
    email: EmailStr
    order_number: ShortText


class PortalVerifyRequest(RequestModel):
    email: EmailStr
    # [0-9], not \d: the login code is ASCII digits, not any script's.
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]


class LoginAcceptedResponse(ResponseModel):
    status: Literal["sent"] = "sent"
    message: str = LOGIN_ANSWER


class SessionTokenResponse(ResponseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a scheme's name, no secret)
    expires_in: int


# --- what a shopper sends --------------------------------------------------------------------


class PortalReturnLine(RequestModel):
    sku: ShortText
    quantity: Quantity
    reason: ReturnReason
    comment: LongText | None = None
    # An exchange (expected_resolution REPLACE) for another variant of the same product: one
    # of the line's exchange options. Left out, the replacement is the same variant.
    exchange_variant_id: ShortText | None = None


class CreatePortalReturn(RequestModel):
    order_number: ShortText
    lines: Annotated[list[PortalReturnLine], Field(min_length=1, max_length=100), one_line_per_sku]
    expected_resolution: ExpectedResolution = ExpectedResolution.REFUND
    comment: LongText | None = None

    def requested_lines(self) -> list[RequestedReturnLine]:
        from chalicelib.services.portal_service import RequestedReturnLine

        return [
            RequestedReturnLine(x.sku, x.quantity, x.reason, x.comment, x.exchange_variant_id)
            for x in self.lines
        ]


class PhotoRequest(RequestModel):
    sku: ShortText
    content_type: PhotoType


# --- what a shopper is answered --------------------------------------------------------------


class PortalOrderLine(ResponseModel):
    sku: str
    name: str
    ordered: int
    returnable: int
    eligible: bool
    code: str | None
    reason: str | None

    @classmethod
    def of(cls, line: ReturnableLine) -> PortalOrderLine:
        return cls(
            sku=line.sku,
            name=line.name,
            ordered=line.ordered,
            returnable=line.returnable,
            eligible=line.verdict.eligible,
            code=line.verdict.code,
            reason=line.verdict.reason,
        )


class PortalTrackingEvent(ResponseModel):
    """A milestone of the order's timeline, worded in the shopper's language."""

    milestone: Milestone
    label: str
    at: datetime
    # The parcel ("#1001.1") for its milestones; None for the order's own.
    fulfillment: str | None
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    estimated_delivery_at: datetime | None

    @classmethod
    def of(cls, event: TrackingEvent, locale: str) -> PortalTrackingEvent:
        return cls(**event.model_dump(), label=label(event.milestone, locale))


class PortalAddress(ResponseModel):
    name: str | None
    # As written on a parcel: street, its complement, postcode and town, country.
    lines: list[str]

    @classmethod
    def of(cls, contact: Contact | None) -> PortalAddress | None:
        return None if contact is None else cls(name=contact.name, lines=contact.address_lines)


class PortalPayment(ResponseModel):
    """How the order was paid: a card shows as its brand and last four digits only."""

    gateway: str | None
    card_brand: str | None
    card_last4: str | None

    @classmethod
    def of(cls, payment: PaymentSummary | None) -> PortalPayment | None:
        return None if payment is None else cls.model_validate(payment.model_dump())


class PortalOrderSummary(ResponseModel):
    total: Decimal | None
    currency: str
    shipping_address: PortalAddress | None
    billing_address: PortalAddress | None
    payment: PortalPayment | None

    @classmethod
    def of(cls, order: Order) -> PortalOrderSummary:
        return cls(
            total=order.total,
            currency=order.currency,
            shipping_address=PortalAddress.of(order.shipping_address),
            billing_address=PortalAddress.of(order.billing_address),
            payment=PortalPayment.of(order.payment),
        )


class PortalOrder(ResponseModel):
    number: str
    ordered_at: date
    delivered_at: date | None
    # The last day a return may be asked for; None when the order's dates are unknown.
    returnable_until: date | None
    currency: str
    # The shopper's language, as the shop knows it: the portal page speaks it.
    locale: str
    lines: list[PortalOrderLine]
    summary: PortalOrderSummary
    # Where the order is, its milestones in the order they happened: one order's answer has
    # it, the list of orders leaves it empty.
    timeline: list[PortalTrackingEvent] = []
    # What else the shopper may do with it: cancel it, report an issue, and the requests she
    # made for it (one order's answer only).
    actions: OrderActions | None = None

    @classmethod
    def of(
        cls,
        order: Order,
        lines: list[ReturnableLine],
        policy: ReturnPolicy,
        timeline: Sequence[TrackingEvent] = (),
        actions: OrderActions | None = None,
    ) -> PortalOrder:
        return cls(
            number=order.number,
            ordered_at=order.ordered_at,
            delivered_at=order.delivered_at,
            returnable_until=window_closes_on(
                policy, ordered_at=order.ordered_at, delivered_at=order.delivered_at
            ),
            currency=order.currency,
            locale=order.locale,
            lines=[PortalOrderLine.of(line) for line in lines],
            summary=PortalOrderSummary.of(order),
            timeline=[PortalTrackingEvent.of(event, order.locale) for event in timeline],
            actions=actions,
        )


class PortalExchangeOption(ResponseModel):
    variant_id: str
    title: str
    price: Decimal
    # What the shopper pays more (positive) or gets back (negative) for each unit.
    difference: Decimal
    # The variant ordered: choosing it sends the same item again.
    ordered: bool


class PortalExchangeOptions(ResponseModel):
    """The variants a line of the shopper's order may be exchanged for, as the shop offers
    them and the policy allows; empty when only the same item can be sent (no shop connected)."""

    sku: str
    options: list[PortalExchangeOption]

    @classmethod
    def of(cls, sku: str, options: list[ExchangeOption]) -> PortalExchangeOptions:
        return cls(
            sku=sku,
            options=[
                PortalExchangeOption(
                    variant_id=option.variant.id,
                    title=option.variant.title,
                    price=option.variant.price,
                    difference=option.difference,
                    ordered=option.ordered,
                )
                for option in options
            ],
        )


class PortalReasonTerms(ResponseModel):
    reason: ReturnReason
    photo_required: bool


class PortalTerms(ResponseModel):
    """What the return policy lets a shopper ask for, told before they ask: the reasons it
    accepts and which of them need a photo, the resolutions, and what a photo may be."""

    return_window_days: int
    reasons: list[PortalReasonTerms]
    resolutions: list[ExpectedResolution]
    # Store credit is worth this much more than a refund: the shopper is told when choosing.
    store_credit_bonus_percent: Decimal
    max_photos: int
    photo_max_bytes: int
    photo_types: list[str]

    @classmethod
    def of(cls, policy: ReturnPolicy, photo_max_bytes: int) -> PortalTerms:
        return cls(
            return_window_days=policy.return_window_days,
            reasons=[
                PortalReasonTerms(reason=reason, photo_required=policy.photo_required(reason))
                for reason in policy.allowed_reasons
            ],
            resolutions=list(SHOPPER_RESOLUTIONS),
            store_credit_bonus_percent=policy.store_credit_bonus_percent,
            max_photos=MAX_SHOPPER_PHOTOS,
            photo_max_bytes=photo_max_bytes,
            photo_types=list(get_args(PhotoType)),
        )


class PortalOrders(ResponseModel):
    orders: list[PortalOrder]
    terms: PortalTerms


class PortalItem(ResponseModel):
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    reason: ReturnReason
    reason_label: str
    # S3 keys of the shopper's uploaded photos of this item, and a short-lived link to each.
    photos: list[str]
    photo_urls: list[str] = []
    received_quantity: int = 0
    # The units received in each state, and the same in words.
    received_states: dict[ProductState, int] = {}
    received_label: str = ""
    # An exchange: the variant sent instead of this item ("Blue / M"); None: the same again.
    exchange_title: str | None = None


class PortalRefund(ResponseModel):
    amount: Decimal
    method: str
    status: FinancialStatus
    # Store credit made in the shop: the gift card's code, the shopper's to use.
    voucher_code: str | None = None


class TimelineEntry(ResponseModel):
    at: datetime
    action: str
    status: ProcessingStatus
    status_label: str
    by: str


class PortalRefundBreakdown(ResponseModel):
    """How the refund of the units received adds up: amount = lines_value - deductions -
    return_fee - retained_for_shipping - replaced_value (never below 0) + store_credit_bonus."""

    lines_value: Decimal
    deductions: Decimal
    return_fee: Decimal
    retained_for_shipping: Decimal
    # An exchange: what the replacements of the units received cost.
    replaced_value: Decimal
    store_credit_bonus: Decimal
    amount: Decimal


class PortalReturn(LabelledStatuses):
    """A return as its shopper follows it, labelled in their language."""

    reference: str
    order_number: str
    created_at: datetime
    currency: str
    items: list[PortalItem]
    tracking: Tracking | None
    return_instructions: str | None
    refunds: list[PortalRefund]
    # For one return, once items came back.
    refund_breakdown: PortalRefundBreakdown | None = None
    timeline: list[TimelineEntry] | None = None
    # How the page words the financial status: the status itself, or for an exchange
    # REPLACEMENT / REPLACEMENT_ORDERED (with `replacement_order`, its number, e.g. "#1002").
    financial_wording: str = ""
    replacement_order: str | None = None

    @classmethod
    def of(
        cls,
        rma: Rma,
        events: list[RmaEvent] | None = None,
        breakdown: RefundBreakdown | None = None,
    ) -> PortalReturn:
        locale = rma.customer.locale
        shipment = rma.latest_shipment
        wording, replacement_order = financial_wording(rma)
        return cls(
            reference=rma.return_reference,
            order_number=rma.order.number,
            created_at=rma.created_at,
            currency=rma.currency,
            **labelled_statuses(rma, locale),
            financial_wording=wording,
            replacement_order=replacement_order,
            items=[
                PortalItem(
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    reason=line.reason,
                    reason_label=label(line.reason, locale),
                    photos=line.photos,
                    photo_urls=photo_links(line.photos),
                    received_quantity=line.received_quantity,
                    received_states=line.received_states,
                    received_label=received_in_words(line, locale),
                    exchange_title=line.exchange.title if line.exchange else None,
                )
                for line in rma.lines
            ],
            tracking=Tracking.from_shipment(shipment, locale) if shipment else None,
            return_instructions=rma.return_instructions,
            refunds=[
                PortalRefund(
                    amount=r.amount, method=r.method, status=r.status, voucher_code=r.voucher_code
                )
                for r in rma.financial_resolutions
            ],
            refund_breakdown=None
            if breakdown is None
            else PortalRefundBreakdown.model_validate(
                breakdown.model_dump(exclude={"method", "maximum"})
            ),
            # Who acted is shown by role only: agents' names and emails stay internal.
            timeline=None
            if events is None
            else [
                TimelineEntry(
                    at=event.at,
                    action=event.action,
                    status=event.to_status,
                    status_label=label(event.to_status, locale),
                    by=event.actor.channel,
                )
                for event in events
            ],
        )


class PortalReturns(ResponseModel):
    returns: list[PortalReturn]


class PhotoUploadAnswer(ResponseModel):
    key: str
    url: str
    fields: dict[str, str]
    max_bytes: int

    @classmethod
    def of(cls, upload: PhotoUpload) -> PhotoUploadAnswer:
        return cls(key=upload.key, url=upload.url, fields=upload.fields, max_bytes=upload.max_bytes)
