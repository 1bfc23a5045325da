"""Approve or reject a return from a Gorgias ticket, as the agent who clicked.

Gorgias runs a widget button on its servers, unsigned, and tells the agent only "success" or
"something went wrong": the decision's outcome reaches the agent as the internal note on the
ticket (posted from the return events, see gorgias_tickets.py) and in the widget on refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel
from chalicelib.domain.ticket_notes import decision_sentence
from chalicelib.domain.transitions import Action, past_tense
from chalicelib.errors import DependencyUnavailableError, ForbiddenError
from chalicelib.observability import metrics
from chalicelib.services.rma_service import RmaService

if TYPE_CHECKING:
    from chalicelib.integrations.gorgias import GorgiasClient

DECISIONS = (Action.ACCEPT, Action.REJECT)
_METRIC_BY_DECISION = {Action.ACCEPT: "ReturnsApproved", Action.REJECT: "ReturnsRejected"}
# Who decided, when the button sent no agent (a template value rendered empty).
UNNAMED_AGENT = "a Gorgias agent"


class NoteDelivery(StrEnum):
    # The note follows from the return's event: on the ticket the button was clicked from and
    # on the return's own ticket, as soon as Gorgias takes it.
    QUEUED = "queued"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class Decision:
    rma: Rma
    message: str
    note: NoteDelivery


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

    def __init__(self, rmas: RmaService, gorgias: GorgiasClient | None = None) -> None:
        self._rmas = rmas
        self._gorgias = gorgias

    def decide(
        self,
        action: Action,
        typed_reference: str,
        *,
        agent: GorgiasAgent,
        ticket_id: int | None,
        note: str | None,
    ) -> Decision:
        if action not in DECISIONS:
            raise ValueError(f"{action} is not a decision")
        if self._gorgias is not None:
            agent = self._confirmed(agent)
        actor = Actor(
            channel=Channel.GORGIAS,
            id=str(agent.id) if agent.id is not None else None,
            email=agent.email,
            name=agent.name or (None if agent.email or agent.id else UNNAMED_AGENT),
            gorgias_ticket_id=ticket_id,
        )
        rma = self._rmas.act(typed_reference, action, actor=actor, note=note)
        metrics.add_metric(name=_METRIC_BY_DECISION[action], unit=MetricUnit.Count, value=1)
        message = decision_sentence(rma.return_reference, past_tense(action), actor, note)
        note_delivery = (
            NoteDelivery.NOT_CONFIGURED if self._gorgias is None else NoteDelivery.QUEUED
        )
        return Decision(rma=rma, message=message, note=note_delivery)

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
                f"Agents with the {role} role may not approve or reject returns.",
                {"agent_id": agent.id, "role": role},
            )
        return agent
