"""Request bodies and query strings, validated before any service runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, StringConstraints

from chalicelib.domain.rma import (
    Actor,
    Contact,
    CurrencyCode,
    Customer,
    LongText,
    Money,
    OrderRef,
    Quantity,
    RmaDraft,
    ShortText,
    one_line_per_sku,
)
from chalicelib.domain.statuses import (
    Channel,
    ExpectedResolution,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)

if TYPE_CHECKING:
    from chalicelib.domain.handling import ReceivedLine
    from chalicelib.domain.intake import ReturnRequest
    from chalicelib.domain.policy import ReturnPolicy


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
    # A factory, not an instance: building one at import would build its validator too.
    agent: GorgiasAgentPayload = Field(default_factory=GorgiasAgentPayload)
    reason: Annotated[LongText | None, Optional] = None
    note: Annotated[LongText | None, Optional] = None

    @property
    def explanation(self) -> str | None:
        return self.reason or self.note


# --- Admin -----------------------------------------------------------------------------------


class CreateRmaLine(RequestModel):
    sku: ShortText
    name: ShortText
    quantity: Quantity
    unit_price: Money
    reason: ReturnReason
    comment: LongText | None = None
    ordered_quantity: Quantity | None = None
    final_sale: bool = False
    photos: Annotated[list[ShortText], Field(max_length=10)] = []


class CreateRmaRequest(RequestModel):
    """Open an RMA for lines of an order (the returns platform's `rmaOrderCreate`)."""

    order: OrderRef
    customer: Customer
    lines: Annotated[list[CreateRmaLine], Field(min_length=1, max_length=100), one_line_per_sku]
    expected_resolution: ExpectedResolution = ExpectedResolution.REFUND
    currency: CurrencyCode = "EUR"
    # The money terms of this return; each one left out comes from the return policy.
    apply_return_fee: bool | None = None
    retained_amount_for_shipping: Money | None = None
    auto_generate_financial_resolution: bool | None = None
    auto_execute_financial_resolution: bool | None = None
    sender: Contact | None = None
    delivery: Contact | None = None
    comment: LongText | None = None

    def to_request(self) -> ReturnRequest:
        from chalicelib.domain.intake import ReturnRequest

        return ReturnRequest.model_validate(self.model_dump())

    def to_draft(self, policy: ReturnPolicy | None = None) -> RmaDraft:
        """The draft the intake would open under `policy` (under none: the model's terms)."""
        return self.to_request().draft(policy)


class AdminActor(RequestModel):
    id: ShortText | None = None
    email: EmailStr | None = None
    name: ShortText | None = None


class AdminActionRequest(RequestModel):
    """Body of `POST /rmas/{ref}/{action}`; `reason` is required to reject."""

    reason: LongText | None = None
    note: LongText | None = None
    actor: AdminActor = Field(default_factory=AdminActor)

    def as_actor(self) -> Actor:
        return Actor(channel=Channel.ADMIN, **self.actor.model_dump())

    @property
    def explanation(self) -> str | None:
        return self.reason or self.note


class ApproveRefundRequest(AdminActionRequest):
    """Body of `POST /rmas/{ref}/refund`: the amount, to set or correct the computed one."""

    amount: Money | None = None


class ReceivedLinePayload(RequestModel):
    sku: ShortText
    quantity: Quantity
    product_state: ProductState


class ReceiveItemsRequest(AdminActionRequest):
    """Body of `POST /rmas/{ref}/receive`: what arrived and in which state."""

    lines: Annotated[list[ReceivedLinePayload], Field(min_length=1, max_length=100)]

    def received(self) -> list[ReceivedLine]:
        from chalicelib.domain.handling import ReceivedLine

        return [ReceivedLine(line.sku, line.quantity, line.product_state) for line in self.lines]


class ListRmasQuery(RequestModel):
    status: ProcessingStatus = ProcessingStatus.REQUESTED
    limit: Annotated[int, Field(ge=1, le=100)] = 25
    cursor: Annotated[str | None, StringConstraints(max_length=2000)] = None
