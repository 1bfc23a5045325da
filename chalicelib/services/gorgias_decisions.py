"""Approve or reject a return, a cancellation request or a claim from a Gorgias ticket, as the
agent who clicked. The agent types the reference: a return's (`R-001042`, `1042`) or a
request's (`C-000004`, `x3`).

Gorgias runs a widget button on its servers, unsigned, and tells the agent only "success" or
"something went wrong": the decision's outcome reaches the agent as the internal note on the
ticket (posted from the events, see gorgias_tickets.py) and in the widget on refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.domain.order_requests import OrderRequest, parse_request_reference
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel, ExpectedResolution
from chalicelib.domain.ticket_notes import decision_sentence
from chalicelib.domain.transitions import Action, past_tense
from chalicelib.errors import DependencyUnavailableError, ForbiddenError, InvalidRequestError
from chalicelib.observability import metrics
from chalicelib.services.rma_service import RmaService

if TYPE_CHECKING:
    from chalicelib.integrations.gorgias import GorgiasClient
    from chalicelib.services.order_requests import OrderRequestService

DECISIONS = (Action.ACCEPT, Action.REJECT)
_METRIC_BY_DECISION = {Action.ACCEPT: "ReturnsApproved", Action.REJECT: "ReturnsRejected"}
_REQUEST_METRIC_BY_DECISION = {
    Action.ACCEPT: "OrderRequestsApproved",
    Action.REJECT: "OrderRequestsRejected",
}
# Who decided, when the button sent no agent (a template value rendered empty).
UNNAMED_AGENT = "a Gorgias agent"


class NoteDelivery(StrEnum):
    # The note follows from the return's event: on the ticket the button was clicked from and
    # on the return's own ticket, as soon as Gorgias takes it.
    QUEUED = "queued"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class Decision:
    """What was decided: a return or a request (the other None), and the sentence its note
    says."""

    message: str
    note: NoteDelivery
    rma: Rma | None = None
    request: OrderRequest | None = None


@dataclass(frozen=True)
class GorgiasAgent:
    """The agent as the button names them: an unverified claim until Gorgias confirms it."""

    id: int | None = None
    email: str | None = None
    name: str | None = None


class GorgiasDecisionService:
    """Role check, then the transition.

    Without Gorgias API credentials (`gorgias` is None) there is no role to check and no note
    to post; the integration's secret header is then the only gate.
    """

    def __init__(
        self,
        rmas: RmaService,
        gorgias: GorgiasClient | None = None,
        *,
        requests: Callable[[], OrderRequestService] | None = None,
    ) -> None:
        self._rmas = rmas
        self._gorgias = gorgias
        # Built when a request is decided: most clicks are about returns.
        self._requests = requests

    def decide(
        self,
        action: Action,
        typed_reference: str,
        *,
        agent: GorgiasAgent,
        ticket_id: int | None,
        note: str | None,
        resolution: ExpectedResolution | None = None,
    ) -> Decision:
        """`resolution`: how a claim the agent approves is settled, when not as its shopper
        asked; nothing else takes one."""
        if action not in DECISIONS:
            raise ValueError(f"{action} is not a decision")
        request_reference = parse_request_reference(typed_reference)
        if resolution is not None and (request_reference is None or action is not Action.ACCEPT):
            raise InvalidRequestError(
                "A settlement goes with approving a claim only.", {"field": "resolution"}
            )
        if self._gorgias is not None:
            agent = self._confirmed(agent)
        actor = Actor(
            channel=Channel.GORGIAS,
            id=str(agent.id) if agent.id is not None else None,
            email=agent.email,
            name=agent.name or (None if agent.email or agent.id else UNNAMED_AGENT),
            gorgias_ticket_id=ticket_id,
        )
        if request_reference is not None:
            return self._decide_request(action, typed_reference, actor, note, resolution)
        rma = self._rmas.act(typed_reference, action, actor=actor, note=note)
        metrics.add_metric(name=_METRIC_BY_DECISION[action], unit=MetricUnit.Count, value=1)
        message = decision_sentence(rma.return_reference, past_tense(action), actor, note)
        note_delivery = (
            NoteDelivery.NOT_CONFIGURED if self._gorgias is None else NoteDelivery.QUEUED
        )
        return Decision(rma=rma, message=message, note=note_delivery)

    def _decide_request(
        self,
        action: Action,
        typed_reference: str,
        actor: Actor,
        note: str | None,
        resolution: ExpectedResolution | None,
    ) -> Decision:
        from chalicelib.domain.request_ticket_notes import request_decision_note

        if self._requests is None:
            raise RuntimeError("Order requests are not wired into the Gorgias decisions")
        if action is Action.REJECT and not (note and note.strip()):
            # The shopper reads it, as a return's rejection reason.
            raise InvalidRequestError(
                f"A reason is required to refuse {typed_reference.strip()}.", {"field": "reason"}
            )
        # As typed: a request not found is answered with what the agent typed.
        request = self._requests().decide(
            typed_reference,
            approve=action is Action.ACCEPT,
            actor=actor,
            note=note.strip() if note and note.strip() else None,
            resolution=resolution,
        )
        metrics.add_metric(name=_REQUEST_METRIC_BY_DECISION[action], unit=MetricUnit.Count, value=1)
        return Decision(
            request=request,
            message=request_decision_note(request, actor),
            note=NoteDelivery.NOT_CONFIGURED if self._gorgias is None else NoteDelivery.QUEUED,
        )

    def _confirmed(self, agent: GorgiasAgent) -> GorgiasAgent:
        """The agent as Gorgias knows them, refused unless their role may act. An agent the
        button did not name is let through: Gorgias itself keeps observers and lite agents
        from running integration actions, and the log says an unnamed agent decided."""
        from chalicelib.integrations.gorgias import (
            ACTING_ROLES,
            GorgiasUnavailableError,
            GorgiasUnknownUserError,
        )

        assert self._gorgias is not None
        if agent.id is None and agent.email is None:
            return agent
        try:
            if agent.id is not None:
                role = self._gorgias.user_role(agent.id)
            else:
                assert agent.email is not None
                user = self._gorgias.user_by_email(agent.email)
                role = user.role or self._gorgias.user_role(user.id)
                agent = GorgiasAgent(id=user.id, email=agent.email, name=agent.name or user.name)
        except GorgiasUnknownUserError as error:
            raise ForbiddenError(
                "Gorgias has no such agent.", {"agent_id": agent.id, "agent_email": agent.email}
            ) from error
        except GorgiasUnavailableError as error:
            # Fail closed: without the role we cannot tell an observer from a lead.
            raise DependencyUnavailableError(
                "Gorgias could not confirm the agent's role; try again in a moment.",
                {"reason": str(error)},
            ) from error
        if role not in ACTING_ROLES:
            raise ForbiddenError(
                f"Agents with the {role} role may not approve or reject returns or requests.",
                {"agent_id": agent.id, "role": role},
            )
        return agent
