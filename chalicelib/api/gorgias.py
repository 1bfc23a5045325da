"""Routes Gorgias calls: the sidebar widget (an HTTP integration) and its Approve and Reject
buttons (action buttons of the widget, form-encoded), for returns, cancellation requests and
claims alike."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint

from chalicelib.api.auth import gorgias_token_guard
from chalicelib.api.models.gorgias import (
    DecisionResponse,
    GorgiasDecisionRequest,
    WidgetQuery,
    WidgetRequest,
    WidgetResponse,
    WidgetReturn,
)
from chalicelib.api.routing import Router
from chalicelib.domain.transitions import Action
from chalicelib.observability import metrics
from chalicelib.services import container
from chalicelib.services.gorgias_decisions import GorgiasAgent
from chalicelib.settings import get_settings

gorgias = Blueprint(__name__)
routes = Router(gorgias, guard=gorgias_token_guard, security="gorgias", tags=("gorgias",))
# A restricted or unknown agent (403), no such return or request (404), not awaiting a
# decision (409), Gorgias unable to tell the agent's role (503).
_DECISION_ERRORS = (403, 404, 409, 503)


@routes.get(
    "/gorgias/widget",
    summary="A customer's latest returns, cancellation requests and claims, for the ticket sidebar",
)
def widget(query: WidgetQuery) -> WidgetResponse:
    metrics.add_metric(name="WidgetRenders", unit=MetricUnit.Count, value=1)
    size = get_settings().widget_size
    if query.email is None:
        return WidgetResponse.of(None, [], 0, size)
    rmas, total = container.rma_service().latest_for_customer(query.email, size)
    returns = [WidgetReturn.from_rma(rma, query.locale) for rma in rmas]
    # One more than shown, in the same Query: whether there are more than the widget shows.
    found = container.order_request_service().for_customer(query.email, limit=size + 1)
    requests = [WidgetRequest.from_request(r, query.locale) for r in found[:size]]
    return WidgetResponse.of(
        query.email, returns, total, size, requests, more_requests=len(found) > size
    )


@routes.post(
    "/gorgias/actions/approve",
    summary="An agent approves a return, a cancellation request or a claim",
    errors=_DECISION_ERRORS,
    forms=True,
)
def approve(body: GorgiasDecisionRequest) -> DecisionResponse:
    return _decide(Action.ACCEPT, body)


@routes.post(
    "/gorgias/actions/reject",
    summary="An agent rejects a return, a cancellation request or a claim",
    errors=_DECISION_ERRORS,
    forms=True,
)
def reject(body: GorgiasDecisionRequest) -> DecisionResponse:
    return _decide(Action.REJECT, body)


def _decide(action: Action, request: GorgiasDecisionRequest) -> DecisionResponse:
    decision = container.gorgias_decisions().decide(
        action,
        request.rma,
        agent=GorgiasAgent(id=request.agent_id, email=request.agent_email, name=request.agent_name),
        ticket_id=request.ticket_id,
        note=request.explanation,
        resolution=request.resolution,
    )
    return DecisionResponse(
        message=decision.message,
        note=decision.note,
        rma=WidgetReturn.from_rma(decision.rma) if decision.rma else None,
        request=WidgetRequest.from_request(decision.request) if decision.request else None,
    )
