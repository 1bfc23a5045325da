"""The admin API: the merchant's own systems open, read and move RMAs."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.auth import admin_token_guard
from chalicelib.api.models.admin import (
    AdminActionRequest,
    ApproveRefundRequest,
    CreateRmaRequest,
    ListRmasQuery,
    ReceiveItemsRequest,
    RmaEventsResponse,
    RmaPageResponse,
    RmaResource,
)
from chalicelib.api.routing import Created, Router
from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action
from chalicelib.services import container

admin = Blueprint(__name__)
routes = Router(admin, guard=admin_token_guard, security="admin", tags=("admin",))
# No such return (404); its status does not allow the move, or someone moved it meanwhile (409).
_MOVE_ERRORS = (404, 409)


@routes.post(
    "/rmas", summary="Open a return", status=201, idempotency_scope=lambda request: "admin"
)
def create_rma(body: CreateRmaRequest) -> Created[RmaResource]:
    # The merchant's system may open what the policy would refuse: the lifecycle rejects it,
    # with the reasons, once it is submitted.
    rma = container.intake().open(
        body.to_request(), actor=Actor(channel=Channel.ADMIN), check_eligibility=False, submit=False
    )
    # The path as the caller sent it, so the stage prefix (`/api`) is kept behind API Gateway.
    collection = (admin.current_request.context or {}).get("path") or "/rmas"
    return Created(RmaResource.from_rma(rma), f"{collection.rstrip('/')}/{rma.return_reference}")


@routes.get("/rmas", summary="List returns by a status of any dimension, or search them")
def list_rmas(query: ListRmasQuery) -> RmaPageResponse:
    page = container.console_returns().page(
        status=query.status_filter(), query=query.q, limit=query.limit, cursor=query.cursor
    )
    return RmaPageResponse(
        items=[RmaResource.from_rma(rma) for rma in page.items], next_cursor=page.cursor
    )


@routes.get("/rmas/{rma}", summary="Read a return", errors=[404])
def get_rma(rma: str) -> RmaResource:
    return RmaResource.from_rma(container.rma_service().find(rma))


@routes.get("/rmas/{rma}/events", summary="Read a return's action log", errors=[404])
def get_rma_events(rma: str) -> RmaEventsResponse:
    found, events = container.rma_service().history(rma)
    return RmaEventsResponse(rma_id=found.id, reference=found.return_reference, events=events)


# --- moves of the processing status ----------------------------------------------------------


@routes.post("/rmas/{rma}/submit", summary="Submit a return", errors=_MOVE_ERRORS)
def submit_rma(rma: str, body: AdminActionRequest) -> RmaResource:
    return _move(rma, Action.SUBMIT, body)


@routes.post("/rmas/{rma}/accept", summary="Accept a return", errors=_MOVE_ERRORS)
def accept_rma(rma: str, body: AdminActionRequest) -> RmaResource:
    return _move(rma, Action.ACCEPT, body)


@routes.post("/rmas/{rma}/reject", summary="Reject a return", errors=_MOVE_ERRORS)
def reject_rma(rma: str, body: AdminActionRequest) -> RmaResource:
    return _move(rma, Action.REJECT, body)


@routes.post("/rmas/{rma}/cancel", summary="Cancel a return", errors=_MOVE_ERRORS)
def cancel_rma(rma: str, body: AdminActionRequest) -> RmaResource:
    return _move(rma, Action.CANCEL, body)


@routes.post("/rmas/{rma}/hold", summary="Hold a return", errors=_MOVE_ERRORS)
def hold_rma(rma: str, body: AdminActionRequest) -> RmaResource:
    return _move(rma, Action.HOLD, body)


@routes.post("/rmas/{rma}/resume", summary="Resume a return", errors=_MOVE_ERRORS)
def resume_rma(rma: str, body: AdminActionRequest) -> RmaResource:
    return _move(rma, Action.RESUME, body)


def _move(rma: str, action: Action, request: AdminActionRequest) -> RmaResource:
    moved = container.rma_service().act(
        rma, action, actor=request.as_actor(), note=request.explanation
    )
    return RmaResource.from_rma(moved)


# --- steps of handling: they complete a lifecycle step, or finish by hand a return no lifecycle
# carries on ---------------------------------------------------------------------------------


@routes.post("/rmas/{rma}/receive", summary="Record what came back", errors=_MOVE_ERRORS)
def receive_items(rma: str, body: ReceiveItemsRequest) -> RmaResource:
    received = container.handling_service().receive(
        rma, body.received(), actor=body.as_actor(), note=body.explanation
    )
    return RmaResource.from_rma(received)


@routes.post("/rmas/{rma}/refund", summary="Approve the refund", errors=_MOVE_ERRORS)
def approve_refund(rma: str, body: ApproveRefundRequest) -> RmaResource:
    approved = container.handling_service().approve_refund(
        rma, actor=body.as_actor(), amount=body.amount, note=body.explanation
    )
    return RmaResource.from_rma(approved)


@routes.post(
    "/rmas/{rma}/complete", summary="Complete a return no lifecycle finishes", errors=_MOVE_ERRORS
)
def complete_rma(rma: str, body: AdminActionRequest) -> RmaResource:
    completed = container.handling_service().complete(
        rma, actor=body.as_actor(), note=body.explanation
    )
    return RmaResource.from_rma(completed)
