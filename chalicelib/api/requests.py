"""Request bodies and query strings, validated before any service runs."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, StringConstraints

from chalicelib.domain.rma import (
    Actor,
    Contact,
    CurrencyCode,
    Customer,
    LongText,
    Money,
    OrderRef,
    RmaDraft,
    RmaLine,
    ShortText,
)
from chalicelib.domain.statuses import Channel, ExpectedResolution, ProcessingStatus, ReturnReason


def _blank_as_none(value: Any) -> Any:
    """Gorgias renders a template variable with no value as an empty string."""
    return None if isinstance(value, str) and not value.strip() else value


Optional = BeforeValidator(_blank_as_none)
PositiveId = Annotated[int, Field(gt=0)]
TypedReference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class LenientRequestModel(BaseModel):
    """For what Gorgias sends: its admins write these bodies by hand, extra keys included."""

    model_config = ConfigDict(extra="ignore", defer_build=True)


# --- Gorgias ---------------------------------------------------------------------------------


class WidgetQuery(LenientRequestModel):
    email: EmailStr
    locale: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2}([-_][a-zA-Z]{2})?$")] = "en"


class GorgiasAgentPayload(LenientRequestModel):
    id: Annotated[PositiveId | None, Optional] = None
    email: Annotated[EmailStr | None, Optional] = None
    name: Annotated[ShortText | None, Optional] = None


class GorgiasDecisionRequest(LenientRequestModel):
    """Body of the Approve / Reject actions."""

    rma: TypedReference
    ticket_id: Annotated[PositiveId | None, Optional] = None
    agent: GorgiasAgentPayload = GorgiasAgentPayload()
    reason: Annotated[LongText | None, Optional] = None
    note: Annotated[LongText | None, Optional] = None

    @property
    def explanation(self) -> str | None:
        return self.reason or self.note


# --- Admin -----------------------------------------------------------------------------------


class CreateRmaLine(RequestModel):
    sku: ShortText
    name: ShortText
    quantity: Annotated[int, Field(ge=1, le=10_000)]
    unit_price: Money
    reason: ReturnReason
    comment: LongText | None = None
    photos: Annotated[list[ShortText], Field(max_length=10)] = []


class CreateRmaRequest(RequestModel):
    """Open an RMA for lines of an order (the returns platform's `rmaOrderCreate`)."""

    order: OrderRef
    customer: Customer
    lines: Annotated[list[CreateRmaLine], Field(min_length=1, max_length=100)]
    expected_resolution: ExpectedResolution = ExpectedResolution.REFUND
    currency: CurrencyCode = "EUR"
    apply_return_fee: bool = False
    retained_amount_for_shipping: Money = Decimal("0")
    auto_generate_financial_resolution: bool = True
    auto_execute_financial_resolution: bool = False
    sender: Contact | None = None
    delivery: Contact | None = None
    comment: LongText | None = None

    def to_draft(self) -> RmaDraft:
        return RmaDraft(
            order=self.order,
            customer=self.customer,
            lines=[RmaLine(**line.model_dump()) for line in self.lines],
            expected_resolution=self.expected_resolution,
            currency=self.currency,
            apply_return_fee=self.apply_return_fee,
            retained_amount_for_shipping=self.retained_amount_for_shipping,
            auto_generate_financial_resolution=self.auto_generate_financial_resolution,
            auto_execute_financial_resolution=self.auto_execute_financial_resolution,
            sender=self.sender,
            delivery=self.delivery,
            comment=self.comment,
        )


class AdminActor(RequestModel):
    id: ShortText | None = None
    email: EmailStr | None = None
    name: ShortText | None = None


class AdminActionRequest(RequestModel):
    """Body of `POST /rmas/{ref}/{action}`; `reason` is required to reject."""

    reason: LongText | None = None
    note: LongText | None = None
    actor: AdminActor = AdminActor()

    def as_actor(self) -> Actor:
        return Actor(channel=Channel.ADMIN, **self.actor.model_dump())

    @property
    def explanation(self) -> str | None:
        return self.reason or self.note


class ListRmasQuery(RequestModel):
    status: ProcessingStatus = ProcessingStatus.REQUESTED
    limit: Annotated[int, Field(ge=1, le=100)] = 25
    cursor: Annotated[str | None, StringConstraints(max_length=2000)] = None
