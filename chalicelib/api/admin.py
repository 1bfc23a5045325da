"""The admin API: the merchant's own systems create, read and move RMAs."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.http import (
    Operation,
    bearer_token_guard,
    json_response,
    parse_body,
    parse_query,
    route,
)
from chalicelib.api.idempotency import created_once
from chalicelib.api.representations import RmaEventsResponse, RmaPageResponse, RmaResource
from chalicelib.api.requests import (
    AdminActionRequest,
    ApproveRefundRequest,
    CreateRmaRequest,
    ListRmasQuery,
    ReceiveItemsRequest,
)
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action
from chalicelib.errors import NotFoundError
from chalicelib.services import container
from chalicelib.settings import get_settings

admin = Blueprint(__name__)
_guard = bearer_token_guard(lambda: get_settings().admin_api_token)

# The moves the admin API offers, by the last segment of their URL.
ADMIN_ACTIONS = {
    action.value: action
    for action in (
        Action.SUBMIT,
        Action.ACCEPT,
        Action.REJECT,
        Action.CANCEL,
        Action.HOLD,
        Action.RESUME,
    )
}


@route(
    admin,
    "/rmas",
    methods=["POST"],
    guard=_guard,
    security="admin",
    summary="Open a return",
    tags=("admin",),
    body=CreateRmaRequest,
    responses={201: RmaResource},
)
def create_rma() -> Response:
    return created_once(admin.current_request, "admin", _create_rma, admin.lambda_context)


def _create_rma() -> Response:
    request = parse_body(admin.current_request, CreateRmaRequest)
    # The merchant's system may open what the policy would refuse: the lifecycle rejects it,
    # with the reasons, once it is submitted.
    rma = container.intake().open(
        request.to_request(),
        actor=Actor(channel=Channel.ADMIN),
        check_eligibility=False,
        submit=False,
    )
    # The path as the caller sent it, so the stage prefix (`/api`) is kept behind API Gateway.
    collection = (admin.current_request.context or {}).get("path") or "/rmas"
    location = f"{collection.rstrip('/')}/{rma.return_reference}"
    return json_response(RmaResource.from_rma(rma), 201, {"Location": location})


@route(
    admin,
    "/rmas",
    guard=_guard,
    security="admin",
    summary="List returns in one status",
    tags=("admin",),
    query=ListRmasQuery,
    responses={200: RmaPageResponse},
)
def list_rmas() -> Response:
    query = parse_query(admin.current_request, ListRmasQuery)
    page = container.rma_service().list_by_status(
        query.status, limit=query.limit, cursor=query.cursor
    )
    return json_response(
        RmaPageResponse(
            items=[RmaResource.from_rma(rma) for rma in page.items], next_cursor=page.cursor
        )
    )


@route(
    admin,
    "/rmas/{rma}",
    guard=_guard,
    security="admin",
    summary="Read a return",
    tags=("admin",),
    responses={200: RmaResource},
    errors=[404],
)
def get_rma(rma: str) -> Response:
    return json_response(RmaResource.from_rma(container.rma_service().find(rma)))


@route(
    admin,
    "/rmas/{rma}/events",
    guard=_guard,
    security="admin",
    summary="Read a return's action log",
    tags=("admin",),
    responses={200: RmaEventsResponse},
    errors=[404],
)
def get_rma_events(rma: str) -> Response:
    found, events = container.rma_service().history(rma)
    return json_response(
        RmaEventsResponse(rma_id=found.id, reference=found.return_reference, events=events)
    )


# Steps of handling that are not plain status moves: they complete a lifecycle step, or finish
# by hand a return no lifecycle carries on.
HANDLING_ACTIONS = ("receive", "refund", "complete")


@route(
    admin,
    "/rmas/{rma}/{action}",
    methods=["POST"],
    guard=_guard,
    security="admin",
    tags=("admin",),
    responses={200: RmaResource},
    errors=[404, 409],
    actions={
        **{
            name: Operation(summary=f"{name.capitalize()} a return", body=AdminActionRequest)
            for name in ADMIN_ACTIONS
        },
        "receive": Operation(summary="Record what came back", body=ReceiveItemsRequest),
        "refund": Operation(summary="Approve the refund", body=ApproveRefundRequest),
        "complete": Operation(
            summary="Complete a return no lifecycle finishes", body=AdminActionRequest
        ),
    },
)
def act_on_rma(rma: str, action: str) -> Response:
    if action == "receive":
        updated = _receive(rma)
    elif action == "refund":
        updated = _approve_refund(rma)
    elif action == "complete":
        request = parse_body(admin.current_request, AdminActionRequest)
        updated = container.handling_service().complete(
            rma, actor=request.as_actor(), note=request.explanation
        )
    elif action in ADMIN_ACTIONS:
        request = parse_body(admin.current_request, AdminActionRequest)
        updated = container.rma_service().act(
            rma, ADMIN_ACTIONS[action], actor=request.as_actor(), note=request.explanation
        )
    else:
        allowed = sorted([*ADMIN_ACTIONS, *HANDLING_ACTIONS])
        raise NotFoundError(f"Unknown action '{action}'.", {"action": action, "allowed": allowed})
    return json_response(RmaResource.from_rma(updated))


def _receive(rma: str) -> Rma:
    receipt = parse_body(admin.current_request, ReceiveItemsRequest)
    return container.handling_service().receive(
        rma, receipt.received(), actor=receipt.as_actor(), note=receipt.explanation
    )


def _approve_refund(rma: str) -> Rma:
    approval = parse_body(admin.current_request, ApproveRefundRequest)
    return container.handling_service().approve_refund(
        rma, actor=approval.as_actor(), amount=approval.amount, note=approval.explanation
    )
