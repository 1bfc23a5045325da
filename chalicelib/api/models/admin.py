"""The admin API's models: the merchant's own systems open, list, read and move returns, and
read or change the return policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    ConfigDict,
    EmailStr,
    Field,
    RootModel,
    StringConstraints,
    computed_field,
    model_validator,
)

from chalicelib.api.models.common import RequestModel, ResponseModel, photo_links
from chalicelib.domain.labels import financial_label, label
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.returns_listing import StatusDimension, StatusFilter
from chalicelib.domain.rma import (
    Actor,
    Contact,
    CurrencyCode,
    Customer,
    FinancialResolution,
    LongText,
    Money,
    OrderRef,
    Quantity,
    Rma,
    RmaDraft,
    RmaEvent,
    ShortText,
    one_line_per_sku,
)
from chalicelib.domain.statuses import (
    Channel,
    DeliveryStatus,
    ExpectedResolution,
    FinancialStatus,
    FulfillmentStatus,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)

if TYPE_CHECKING:
    from chalicelib.domain.handling import ReceivedLine
    from chalicelib.domain.intake import ReturnRequest

# --- returns ---------------------------------------------------------------------------------


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
    # The shop's ids of the ordered line and its variant; left out, they come from the order
    # returns-desk holds under that number, when it holds it.
    line_item_id: ShortText | None = None
    variant_id: ShortText | None = None
    # An exchange (expected_resolution REPLACE) for another variant of the same product.
    exchange_variant_id: ShortText | None = None


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

        request = self.model_dump(exclude={"lines": {"__all__": {"exchange_variant_id"}}})
        chosen = {x.sku: x.exchange_variant_id for x in self.lines if x.exchange_variant_id}
        return ReturnRequest.model_validate({**request, "exchange_variants": chosen})

    def to_draft(self, policy: ReturnPolicy | None = None) -> RmaDraft:
        """The draft the intake would open under `policy` (under none: the model's terms)."""
        return self.to_request().draft(policy)


SearchText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ListRmasQuery(RequestModel):
    """`GET /rmas`: the returns in one status of one dimension (`status` is the processing
    status), those `q` finds (a reference, a customer's email or an order number), or both,
    newest first (a customer's: open ones first); `any_status=true` lists every return. With
    none of these, the REQUESTED ones, as the listing always did."""

    status: Annotated[
        ProcessingStatus | None,
        Field(description="Processing status; REQUESTED when no other filter nor q is given."),
    ] = None
    delivery_status: DeliveryStatus | None = None
    financial_status: FinancialStatus | None = None
    fulfillment_status: FulfillmentStatus | None = None
    q: Annotated[
        SearchText | None,
        Field(description="A return reference (R-001042, 1042), an email or an order number."),
    ] = None
    any_status: Annotated[
        bool, Field(description="true: every return, newest first, whatever its status.")
    ] = False
    limit: Annotated[int, Field(ge=1, le=100)] = 25
    cursor: Annotated[str | None, StringConstraints(max_length=2000)] = None

    @model_validator(mode="after")
    def _one_status_at_most(self) -> ListRmasQuery:
        given = [name for name, value in self._statuses().items() if value is not None]
        if len(given) > 1:
            raise ValueError(f"one status filter at a time, not {' and '.join(given)}")
        if given and self.any_status:
            raise ValueError("any_status lists every status: leave out the status filter")
        return self

    def status_filter(self) -> StatusFilter | None:
        """The status asked for; REQUESTED when neither a status, `q` nor `any_status` is."""
        for dimension, value in zip(StatusDimension, self._statuses().values(), strict=True):
            if value is not None:
                return StatusFilter(dimension, str(value))
        if self.q or self.any_status:
            return None
        return StatusFilter(StatusDimension.PROCESSING, ProcessingStatus.REQUESTED)

    def _statuses(self) -> dict[str, str | None]:
        # In StatusDimension's order: processing, delivery, financial, fulfillment.
        return {
            "status": self.status,
            "delivery_status": self.delivery_status,
            "financial_status": self.financial_status,
            "fulfillment_status": self.fulfillment_status,
        }


class AdminActor(RequestModel):
    id: ShortText | None = None
    email: EmailStr | None = None
    name: ShortText | None = None


class AdminActionRequest(RequestModel):
    """Body of the moves of a return (`POST /rmas/{rma}/accept`, `/reject`...); `reason` is
    required to reject."""

    reason: LongText | None = None
    note: LongText | None = None
    actor: AdminActor = Field(default_factory=AdminActor)

    def as_actor(self) -> Actor:
        return Actor(channel=Channel.ADMIN, **self.actor.model_dump())

    @property
    def explanation(self) -> str | None:
        return self.reason or self.note


class ApproveRefundRequest(AdminActionRequest):
    """Body of `POST /rmas/{rma}/refund`: the amount, to set or correct the computed one."""

    amount: Money | None = None


class ReceivedLinePayload(RequestModel):
    sku: ShortText
    quantity: Quantity
    product_state: ProductState


class ReceiveItemsRequest(AdminActionRequest):
    """Body of `POST /rmas/{rma}/receive`: what arrived and in which state."""

    lines: Annotated[list[ReceivedLinePayload], Field(min_length=1, max_length=100)]

    def received(self) -> list[ReceivedLine]:
        from chalicelib.domain.handling import ReceivedLine

        return [ReceivedLine(line.sku, line.quantity, line.product_state) for line in self.lines]


class ResolutionResource(FinancialResolution):
    """A financial resolution as the admin API and the webhooks show it."""

    # A gift card's code pays whoever holds it: it goes to the shopper (their email, their
    # portal), never into the merchant's lists, logs and webhook deliveries. Its ending names it.
    voucher_code: str | None = Field(default=None, exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def voucher_code_ending(self) -> str | None:
        return self.voucher_code[-4:] if self.voucher_code else None


class RmaResource(Rma):
    """The complete RMA for the admin API, with the label of each status beside it."""

    status_labels: dict[str, str]
    # A short-lived link to each uploaded photo, by SKU.
    photo_urls: dict[str, list[str]] = {}
    # The lifecycle's task token resumes a step: a capability, not information. Kept inside.
    task_token: str | None = Field(default=None, exclude=True)
    financial_resolutions: list[ResolutionResource] = []

    @classmethod
    def from_rma(cls, rma: Rma) -> RmaResource:
        return cls(
            **{
                **dict(rma),
                "financial_resolutions": [
                    ResolutionResource.model_validate(dict(resolution))
                    for resolution in rma.financial_resolutions
                ],
            },
            status_labels={
                "processing": label(rma.processing_status),
                "delivery": label(rma.delivery_status),
                "financial": financial_label(rma),
                "fulfillment": label(rma.fulfillment_status),
            },
            photo_urls={line.sku: photo_links(line.photos) for line in rma.lines if line.photos},
        )


class RmaPageResponse(ResponseModel):
    items: list[RmaResource]
    next_cursor: str | None


class RmaEventsResponse(ResponseModel):
    rma_id: str
    reference: str
    events: list[RmaEvent]


# --- the return policy -----------------------------------------------------------------------

# Optional to the parser only, so that a body without it is answered 428 (precondition
# required), which says what to do, rather than a 400 like any invalid field.
EditedVersion = Annotated[
    Annotated[int, Field(ge=0)] | None,
    Field(
        description="The version the policy was read at (GET /config/policy). Required: a "
        "change without it is refused with 428, one from an older version with 409."
    ),
]


class ReplacePolicyRequest(RequestModel):
    """Body of `PUT /config/policy`: the whole policy, and the version it was edited from."""

    policy: ReturnPolicy
    version: EditedVersion = None


class ChangePolicyRequest(RequestModel):
    """Body of `PATCH /config/policy`: the fields to change (objects field by field, any other
    value replaced, null clearing what may be empty), and the version they were decided on."""

    policy: dict[str, Any]
    version: EditedVersion = None


class PolicyResponse(ResponseModel):
    policy: ReturnPolicy
    version: int


# --- the API's own description ---------------------------------------------------------------


class OpenApiDocument(RootModel[dict[str, Any]]):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(defer_build=True)
