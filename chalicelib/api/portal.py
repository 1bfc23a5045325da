"""The shoppers' return portal: their orders, their returns, nothing else."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from chalice import Blueprint, Response
from pydantic import Field

from chalicelib.api.http import Operation, json_response, parse_body, route
from chalicelib.api.idempotency import created_once
from chalicelib.api.portal_auth import portal_session_guard, shopper_email
from chalicelib.api.representations import (
    LabelledStatuses,
    ResponseModel,
    WidgetTracking,
    labelled_statuses,
)
from chalicelib.api.requests import RequestModel
from chalicelib.domain.labels import label, received_in_words
from chalicelib.domain.rma import (
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
from chalicelib.errors import NotFoundError
from chalicelib.services import container

if TYPE_CHECKING:
    from chalicelib.domain.order import Order
    from chalicelib.services.portal_service import ReturnableLine

portal = Blueprint(__name__)

# --- bodies ------------------------------------------------------------------------------------


class PortalReturnLine(RequestModel):
    sku: ShortText
    quantity: Quantity
    reason: ReturnReason
    comment: LongText | None = None


class CreatePortalReturn(RequestModel):
    order_number: ShortText
    lines: Annotated[list[PortalReturnLine], Field(min_length=1, max_length=100), one_line_per_sku]
    expected_resolution: ExpectedResolution = ExpectedResolution.REFUND
    comment: LongText | None = None


class PhotoRequest(RequestModel):
    sku: ShortText
    content_type: Literal["image/jpeg", "image/png", "image/webp", "image/heic"]


# --- answers -----------------------------------------------------------------------------------


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


class PortalOrder(ResponseModel):
    number: str
    ordered_at: date
    delivered_at: date | None
    currency: str
    lines: list[PortalOrderLine]

    @classmethod
    def of(cls, order: Order, lines: list[ReturnableLine]) -> PortalOrder:
        return cls(
            number=order.number,
            ordered_at=order.ordered_at,
            delivered_at=order.delivered_at,
            currency=order.currency,
            lines=[PortalOrderLine.of(line) for line in lines],
        )


class PortalOrders(ResponseModel):
    orders: list[PortalOrder]


class PortalItem(ResponseModel):
    sku: str
    name: str
    quantity: int
    reason: ReturnReason
    reason_label: str
    photos: list[str]
    received_quantity: int = 0
    # The units received in each state, and the same in words.
    received_states: dict[ProductState, int] = {}
    received_label: str = ""


class PortalRefund(ResponseModel):
    amount: Decimal
    method: str
    status: FinancialStatus


class TimelineEntry(ResponseModel):
    at: datetime
    action: str
    status: ProcessingStatus
    status_label: str
    by: str


class PortalReturn(LabelledStatuses):
    """A return as its shopper follows it, labelled in their language."""

    reference: str
    order_number: str
    created_at: datetime
    items: list[PortalItem]
    tracking: WidgetTracking | None
    return_instructions: str | None
    refunds: list[PortalRefund]
    timeline: list[TimelineEntry] | None = None

    @classmethod
    def of(cls, rma: Rma, events: list[RmaEvent] | None = None) -> PortalReturn:
        locale = rma.customer.locale
        shipment = rma.latest_shipment
        return cls(
            reference=rma.return_reference,
            order_number=rma.order.number,
            created_at=rma.created_at,
            **labelled_statuses(rma, locale),
            items=[
                PortalItem(
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    reason=line.reason,
                    reason_label=label(line.reason, locale),
                    photos=line.photos,
                    received_quantity=line.received_quantity,
                    received_states=line.received_states,
                    received_label=received_in_words(line, locale),
                )
                for line in rma.lines
            ],
            tracking=WidgetTracking.from_shipment(shipment, locale) if shipment else None,
            return_instructions=rma.return_instructions,
            refunds=[
                PortalRefund(amount=r.amount, method=r.method, status=r.status)
                for r in rma.financial_resolutions
            ],
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


# --- routes ------------------------------------------------------------------------------------


def _shopper() -> str:
    return shopper_email(portal.current_request)


@route(
    portal,
    "/portal/orders",
    guard=portal_session_guard,
    security="portal",
    summary="The shopper's orders, and what can be returned",
    tags=("portal",),
    responses={200: PortalOrders},
)
def list_orders() -> Response:
    orders = container.portal_service().orders(_shopper())
    return json_response(PortalOrders(orders=[PortalOrder.of(o, lines) for o, lines in orders]))


@route(
    portal,
    "/portal/orders/{number}",
    guard=portal_session_guard,
    security="portal",
    summary="One of the shopper's orders, line by line",
    tags=("portal",),
    responses={200: PortalOrder},
    errors=[404],
)
def get_order(number: str) -> Response:
    order, lines = container.portal_service().order(_shopper(), number)
    return json_response(PortalOrder.of(order, lines))


@route(
    portal,
    "/portal/returns",
    methods=["POST"],
    guard=portal_session_guard,
    security="portal",
    summary="Open a return",
    tags=("portal",),
    body=CreatePortalReturn,
    responses={201: PortalReturn},
    errors=[404, 422],
)
def create_return() -> Response:
    # A shopper's keys are theirs: the same key from two shoppers names two requests.
    return created_once(
        portal.current_request, f"portal:{_shopper()}", _create_return, portal.lambda_context
    )


def _create_return() -> Response:
    from chalicelib.services.portal_service import RequestedReturnLine

    request = parse_body(portal.current_request, CreatePortalReturn)
    rma = container.portal_service().open_return(
        _shopper(),
        request.order_number,
        [RequestedReturnLine(x.sku, x.quantity, x.reason, x.comment) for x in request.lines],
        expected_resolution=request.expected_resolution,
        comment=request.comment,
    )
    return json_response(PortalReturn.of(rma), 201)


@route(
    portal,
    "/portal/returns",
    guard=portal_session_guard,
    security="portal",
    summary="The shopper's returns",
    tags=("portal",),
    responses={200: PortalReturns},
)
def list_returns() -> Response:
    rmas = container.portal_service().returns(_shopper())
    return json_response(PortalReturns(returns=[PortalReturn.of(rma) for rma in rmas]))


@route(
    portal,
    "/portal/returns/{reference}",
    guard=portal_session_guard,
    security="portal",
    summary="Follow a return",
    tags=("portal",),
    responses={200: PortalReturn},
    errors=[404],
)
def get_return(reference: str) -> Response:
    rma, events = container.portal_service().follow(_shopper(), reference)
    return json_response(PortalReturn.of(rma, events))


@route(
    portal,
    "/portal/returns/{reference}/{action}",
    methods=["POST"],
    guard=portal_session_guard,
    security="portal",
    tags=("portal",),
    errors=[404, 409],
    actions={
        "photos": Operation(
            summary="Get a presigned upload for a photo of an item",
            body=PhotoRequest,
            responses={201: PhotoUploadAnswer},
        ),
        "cancel": Operation(summary="Cancel a return", responses={200: PortalReturn}),
        "submit": Operation(
            summary="Submit a return once its photos are in",
            responses={200: PortalReturn},
            errors=[400],
        ),
    },
)
def act_on_return(reference: str, action: str) -> Response:
    service = container.portal_service()
    if action == "photos":
        photo = parse_body(portal.current_request, PhotoRequest)
        upload = service.add_photo(_shopper(), reference, photo.sku, photo.content_type)
        return json_response(
            PhotoUploadAnswer(
                key=upload.key, url=upload.url, fields=upload.fields, max_bytes=upload.max_bytes
            ),
            201,
        )
    if action == "cancel":
        return json_response(PortalReturn.of(service.cancel(_shopper(), reference)))
    if action == "submit":
        return json_response(PortalReturn.of(service.submit(_shopper(), reference)))
    raise NotFoundError(
        f"Unknown action '{action}'.", {"action": action, "allowed": ["cancel", "photos", "submit"]}
    )
