"""The shoppers' portal, beyond returns: ask to cancel an order, report an issue with it (a
claim), and follow those requests."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.models.order_requests import (
    CancellationBody,
    ClaimBody,
    ClaimPhotoRequest,
    OrderRequestDetail,
    OrderRequestsView,
    OrderRequestView,
)
from chalicelib.api.models.portal import PhotoUploadAnswer
from chalicelib.api.portal import portal_idempotency_scope
from chalicelib.api.portal_auth import portal_session_guard, shopper_email
from chalicelib.api.routing import Router
from chalicelib.domain.statuses import ExpectedResolution
from chalicelib.services import container

portal_requests = Blueprint(__name__)
routes = Router(
    portal_requests, guard=portal_session_guard, security="portal", tags=("portal",), cors=True
)


def _shopper() -> str:
    return shopper_email(portal_requests.current_request)


@routes.post(
    "/portal/orders/{number}/cancellation",
    summary="Ask to cancel an order that has not shipped",
    status=201,
    errors=[404, 409],
    idempotency_scope=portal_idempotency_scope,
)
def request_cancellation(number: str, body: CancellationBody) -> OrderRequestView:
    request = container.order_request_service().request_cancellation(
        _shopper(), number, comment=body.comment
    )
    return OrderRequestView.of(request, for_shopper=True, locale=request.customer.locale)


@routes.post(
    "/portal/claim-photos",
    summary="Get a presigned upload for a photo of an order issue",
    status=201,
)
def add_claim_photo(body: ClaimPhotoRequest) -> PhotoUploadAnswer:
    upload = container.order_request_service().claim_photo_upload(_shopper(), body.content_type)
    return PhotoUploadAnswer.of(upload)


@routes.post(
    "/portal/orders/{number}/claims",
    summary="Report an issue with an order (no parcel comes back)",
    status=201,
    errors=[400, 404, 422],
    idempotency_scope=portal_idempotency_scope,
)
def open_claim(number: str, body: ClaimBody) -> OrderRequestView:
    request = container.order_request_service().open_claim(
        _shopper(),
        number,
        issue=body.issue,
        lines=body.claimed_lines(),
        resolution=ExpectedResolution(body.resolution),
        comment=body.comment,
    )
    return OrderRequestView.of(request, for_shopper=True, locale=request.customer.locale)


@routes.get("/portal/requests", summary="The shopper's cancellation requests and claims")
def list_shoppers_requests() -> OrderRequestsView:
    requests = container.order_request_service().for_shopper(_shopper())
    return OrderRequestsView(
        requests=[
            OrderRequestView.of(r, for_shopper=True, locale=r.customer.locale) for r in requests
        ]
    )


@routes.get(
    "/portal/requests/{reference}",
    summary="Follow a cancellation request or a claim",
    errors=[404],
)
def get_shoppers_request(reference: str) -> OrderRequestDetail:
    request, log = container.order_request_service().shoppers_request(_shopper(), reference)
    return OrderRequestDetail.with_log(request, log, for_shopper=True)
