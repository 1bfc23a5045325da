"""The admin API for order requests: the merchant's systems list, read, accept and refuse
cancellation requests and claims."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.auth import admin_token_guard
from chalicelib.api.models.common import EmptyRequest
from chalicelib.api.models.order_requests import (
    ApproveRequestBody,
    ListRequestsQuery,
    OrderRequestDetail,
    OrderRequestPage,
    OrderRequestView,
    RejectRequestBody,
)
from chalicelib.api.routing import Router
from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel
from chalicelib.services import container

order_requests = Blueprint(__name__)
routes = Router(order_requests, guard=admin_token_guard, security="admin", tags=("admin",))
_ADMIN = Actor(channel=Channel.ADMIN)


@routes.get("/requests", summary="List cancellation requests and claims by status")
def list_requests(query: ListRequestsQuery) -> OrderRequestPage:
    page = container.order_request_service().listing(
        query.status, limit=query.limit, cursor=query.cursor
    )
    return OrderRequestPage(
        items=[OrderRequestView.of(r, for_shopper=False) for r in page.items],
        next_cursor=page.cursor,
    )


@routes.get("/requests/{reference}", summary="Read a cancellation request or a claim", errors=[404])
def get_request(reference: str) -> OrderRequestDetail:
    request, log = container.order_request_service().find(reference)
    return OrderRequestDetail.with_log(request, log, for_shopper=False)


@routes.post(
    "/requests/{reference}/approve",
    summary="Accept a cancellation request or a claim",
    errors=[400, 404, 409, 422],
)
def approve_request(reference: str, body: ApproveRequestBody) -> OrderRequestView:
    request = container.order_request_service().decide(
        reference,
        approve=True,
        actor=_ADMIN,
        note=body.note,
        resolution=body.expected_resolution,
        amount=body.amount,
    )
    return OrderRequestView.of(request, for_shopper=False)


@routes.post(
    "/requests/{reference}/reject",
    summary="Refuse a cancellation request or a claim",
    errors=[404, 409],
)
def reject_request(reference: str, body: RejectRequestBody) -> OrderRequestView:
    request = container.order_request_service().decide(
        reference, approve=False, actor=_ADMIN, note=body.reason
    )
    return OrderRequestView.of(request, for_shopper=False)


@routes.post(
    "/requests/{reference}/carry-out",
    summary="Carry out an accepted request now (after the shop failed it)",
    errors=[404, 409],
)
def carry_out_request(reference: str, body: EmptyRequest) -> OrderRequestView:
    request = container.order_request_service().carry_out_again(reference)
    return OrderRequestView.of(request, for_shopper=False)
