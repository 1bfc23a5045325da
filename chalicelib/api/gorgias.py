"""Routes called by the Gorgias HTTP integrations: the sidebar widget and its two actions."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, Response

from chalicelib.api.http import bearer_token_guard, json_response, parse_body, parse_query, route
from chalicelib.api.representations import (
    DecisionResponse,
    WidgetCustomer,
    WidgetResponse,
    WidgetReturn,
)
from chalicelib.api.requests import GorgiasDecisionRequest, WidgetQuery
from chalicelib.domain.transitions import Action
from chalicelib.observability import metrics
from chalicelib.services import container
from chalicelib.services.gorgias_decisions import GorgiasAgent
from chalicelib.settings import get_settings

gorgias = Blueprint(__name__)
_guard = bearer_token_guard(lambda: get_settings().gorgias_widget_token)
# A restricted or unknown agent (403), no such return (404), not awaiting a decision (409),
# Gorgias unable to tell the agent's role (503).
_DECISION_ERRORS = (403, 404, 409, 503)


@route(
    gorgias,
    "/gorgias/widget",
    guard=_guard,
    security="gorgias",
    summary="A customer's latest returns, for the ticket sidebar",
    tags=("gorgias",),
    query=WidgetQuery,
    responses={200: WidgetResponse},
)
def widget() -> Response:
    query = parse_query(gorgias.current_request, WidgetQuery)
    rmas, total = container.rma_service().latest_for_customer(
        query.email, get_settings().widget_size
    )
    metrics.add_metric(name="WidgetRenders", unit=MetricUnit.Count, value=1)
    return json_response(
        WidgetResponse(
            customer=WidgetCustomer(email=query.email),
            returns=[WidgetReturn.from_rma(rma, query.locale) for rma in rmas],
            total=total,
        )
    )


@route(
    gorgias,
    "/gorgias/actions/approve",
    methods=["POST"],
    guard=_guard,
    security="gorgias",
    summary="An agent approves a return",
    tags=("gorgias",),
    body=GorgiasDecisionRequest,
    responses={200: DecisionResponse},
    errors=_DECISION_ERRORS,
)
def approve() -> Response:
    return _decide(Action.ACCEPT)


@route(
    gorgias,
    "/gorgias/actions/reject",
    methods=["POST"],
    guard=_guard,
    security="gorgias",
    summary="An agent rejects a return",
    tags=("gorgias",),
    body=GorgiasDecisionRequest,
    responses={200: DecisionResponse},
    errors=_DECISION_ERRORS,
)
def reject() -> Response:
    return _decide(Action.REJECT)


def _decide(action: Action) -> Response:
    request = parse_body(gorgias.current_request, GorgiasDecisionRequest)
    decision = container.gorgias_decisions().decide(
        action,
        request.rma,
        agent=GorgiasAgent(**request.agent.model_dump()),
        ticket_id=request.ticket_id,
        note=request.explanation,
    )
    return json_response(
        DecisionResponse(
            message=decision.message, note=decision.note, rma=WidgetReturn.from_rma(decision.rma)
        )
    )
