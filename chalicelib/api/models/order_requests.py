"""The models of order requests (cancellation requests and claims): what a shopper sends and is
answered on the portal, and what the merchant's side (admin API, console, widget) reads."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from chalicelib.api.models.common import PhotoType, RequestModel, ResponseModel
from chalicelib.domain.labels import label
from chalicelib.domain.order_request_rules import ClaimedLine, Verdict
from chalicelib.domain.order_requests import (
    ClaimIssue,
    OrderRequest,
    OrderRequestEntry,
    OrderRequestKind,
    RequestStatus,
)
from chalicelib.domain.policy import ClaimRules
from chalicelib.domain.rma import (
    MAX_SHOPPER_PHOTOS,
    LongText,
    Money,
    Quantity,
    ShortText,
    one_line_per_sku,
)
from chalicelib.domain.statuses import ExpectedResolution, FinancialMethod, FinancialStatus

if TYPE_CHECKING:
    from chalicelib.services.order_requests import OrderOptions

# A claim is opened (and refused) in one transaction of at most 100 items: a units update
# per line, plus the claim, its log entry and its event.
MAX_CLAIM_LINES = 97
# What a shopper may ask a claim to be settled by (nothing given back is the team's decision).
ClaimResolution = Literal["REFUND", "VOUCHER", "REPLACE"]

# --- what a shopper sends --------------------------------------------------------------------


class CancellationBody(RequestModel):
    comment: LongText | None = None


class ClaimLineBody(RequestModel):
    sku: ShortText
    quantity: Quantity
    # Keys of photos uploaded through `POST /portal/claim-photos`.
    photos: Annotated[list[ShortText], Field(max_length=MAX_SHOPPER_PHOTOS)] = []


class ClaimBody(RequestModel):
    issue: ClaimIssue
    lines: Annotated[
        list[ClaimLineBody], Field(min_length=1, max_length=MAX_CLAIM_LINES), one_line_per_sku
    ]
    resolution: ClaimResolution = "REFUND"
    comment: LongText | None = None

    def claimed_lines(self) -> list[ClaimedLine]:
        return [ClaimedLine(x.sku, x.quantity, tuple(x.photos)) for x in self.lines]


# --- what the merchant's side sends ----------------------------------------------------------


class ApproveRequestBody(RequestModel):
    note: LongText | None = None
    # A claim only: settle it otherwise than the shopper asked, or for less than computed.
    resolution: ClaimResolution | None = None
    amount: Money | None = None

    @property
    def expected_resolution(self) -> ExpectedResolution | None:
        return ExpectedResolution(self.resolution) if self.resolution else None


class RejectRequestBody(RequestModel):
    # Told to the shopper: why not.
    reason: LongText


class ListRequestsQuery(RequestModel):
    status: RequestStatus = RequestStatus.OPEN
    limit: Annotated[int, Field(ge=1, le=100)] = 25
    cursor: Annotated[str, Field(max_length=2000)] | None = None


# --- answers ---------------------------------------------------------------------------------


class RequestLineView(ResponseModel):
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    photos: int


class SettlementView(ResponseModel):
    resolution: ExpectedResolution
    resolution_label: str
    amount: Decimal
    method: FinancialMethod | None
    status: FinancialStatus
    reference: str | None
    # The shopper sees the store credit's code; the merchant's side its last four characters.
    voucher_code: str | None = None
    voucher_code_ending: str | None = None
    replacement_order: str | None
    explanation: str | None


class OrderRequestView(ResponseModel):
    """A request as the shopper (portal) or the team (admin API, console) reads it."""

    reference: str
    kind: OrderRequestKind
    kind_label: str
    status: RequestStatus
    status_label: str
    order_number: str
    customer_email: str
    issue: ClaimIssue | None
    issue_label: str | None
    lines: list[RequestLineView]
    resolution: ExpectedResolution | None
    resolution_label: str | None
    comment: str | None
    # The agent's words: a refusal's reason is the shopper's answer.
    decision_note: str | None
    settlement: SettlementView | None
    # A cancellation accepted: canceled in the shop, or left to a person.
    canceled_in_shop: bool | None
    currency: str
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(
        cls, request: OrderRequest, *, for_shopper: bool, locale: str = "en"
    ) -> OrderRequestView:
        settlement = request.settlement
        code = settlement.voucher_code if settlement else None
        return cls(
            reference=request.reference,
            kind=request.kind,
            kind_label=label(request.kind, locale),
            status=request.status,
            status_label=label(request.status, locale),
            order_number=request.order.number,
            customer_email=request.customer.email,
            issue=request.issue,
            issue_label=label(request.issue, locale) if request.issue else None,
            lines=[
                RequestLineView(
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    photos=len(line.photos),
                )
                for line in request.lines
            ],
            resolution=request.resolution,
            resolution_label=label(request.resolution, locale) if request.resolution else None,
            comment=request.comment,
            decision_note=request.decision_note,
            settlement=None
            if settlement is None
            else SettlementView(
                resolution=settlement.resolution,
                resolution_label=label(settlement.resolution, locale),
                amount=settlement.amount,
                method=settlement.method,
                status=settlement.status,
                reference=settlement.reference,
                voucher_code=code if for_shopper else None,
                voucher_code_ending=code[-4:] if code and not for_shopper else None,
                replacement_order=settlement.replacement_order.name
                if settlement.replacement_order
                else None,
                explanation=settlement.explanation,
            ),
            canceled_in_shop=request.cancellation.in_shop if request.cancellation else None,
            currency=request.currency,
            created_at=request.created_at,
            updated_at=request.updated_at,
            version=request.version,
        )


class OrderRequestEntryView(ResponseModel):
    at: datetime
    action: str
    by: str
    channel: str
    from_status: RequestStatus | None
    to_status: RequestStatus
    note: str | None

    @classmethod
    def of(cls, entry: OrderRequestEntry) -> OrderRequestEntryView:
        return cls(
            at=entry.at,
            action=entry.action,
            by=entry.actor.display_name,
            channel=entry.actor.channel,
            from_status=entry.from_status,
            to_status=entry.to_status,
            note=entry.note,
        )


class OrderRequestDetail(OrderRequestView):
    log: list[OrderRequestEntryView]

    @classmethod
    def with_log(
        cls, request: OrderRequest, log: list[OrderRequestEntry], *, for_shopper: bool
    ) -> OrderRequestDetail:
        view = OrderRequestView.of(
            request,
            for_shopper=for_shopper,
            locale=request.customer.locale if for_shopper else "en",
        )
        return cls(**view.model_dump(), log=[OrderRequestEntryView.of(entry) for entry in log])


class OrderRequestsView(ResponseModel):
    requests: list[OrderRequestView]


class OrderRequestPage(ResponseModel):
    items: list[OrderRequestView]
    next_cursor: str | None


class OptionView(ResponseModel):
    """Whether something may be asked now, and why not in the shopper's language."""

    available: bool
    code: str | None
    reason: str | None

    @classmethod
    def of(cls, verdict: Verdict) -> OptionView:
        return cls(available=verdict.allowed, code=verdict.code, reason=verdict.reason)


class ClaimOptionView(OptionView):
    issue: ClaimIssue
    label: str
    photo_required: bool


class OrderActions(ResponseModel):
    """What the shopper may do with an order besides a return: cancel it, report an issue,
    and the requests already made for it."""

    cancellation: OptionView
    issues: list[ClaimOptionView]
    # How a reported issue may be settled, as the policy allows.
    resolutions: list[ExpectedResolution]
    requests: list[OrderRequestView]

    @classmethod
    def of(cls, options: OrderOptions, *, rules: ClaimRules, locale: str) -> OrderActions:
        photo_required = rules.photo_required
        return cls(
            resolutions=list(rules.resolutions),
            cancellation=OptionView.of(options.cancellation),
            issues=[
                ClaimOptionView(
                    issue=issue,
                    label=label(issue, locale),
                    photo_required=issue in photo_required,
                    **OptionView.of(verdict).model_dump(),
                )
                for issue, verdict in options.claims
            ],
            requests=[
                OrderRequestView.of(request, for_shopper=True, locale=locale)
                for request in options.requests
            ],
        )


class ClaimPhotoRequest(RequestModel):
    content_type: PhotoType
