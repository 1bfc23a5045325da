"""Approve or reject a return from a Gorgias ticket, as the agent who clicked."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action, past_tense
from chalicelib.errors import DependencyUnavailableError, ForbiddenError, InvalidRequestError
from chalicelib.observability import logger, metrics
from chalicelib.services.rma_service import RmaService

if TYPE_CHECKING:
    from chalicelib.integrations.gorgias import GorgiasClient

DECISIONS = (Action.ACCEPT, Action.REJECT)
_METRIC_BY_DECISION = {Action.ACCEPT: "ReturnsApproved", Action.REJECT: "ReturnsRejected"}


class NoteDelivery(StrEnum):
    POSTED = "posted"
    FAILED = "failed"
    NOT_CONFIGURED = "not_configured"
    NO_TICKET = "no_ticket"


@dataclass(frozen=True)
class Decision:
    rma: Rma
    message: str
    note: NoteDelivery


@dataclass(frozen=True)
class GorgiasAgent:
    id: int | None
    email: str | None
    name: str | None = None


class GorgiasDecisionService:
    """Role check, then the transition, then an internal note on the ticket.

    Without Gorgias API credentials (`gorgias` is None) there is no role to check and no note
    to post; the bearer token of the HTTP integration is then the only gate.
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
            self._check_role(agent)
        actor = Actor(
            channel=Channel.GORGIAS,
            id=str(agent.id) if agent.id is not None else None,
            email=agent.email,
            name=agent.name,
        )
        rma = self._rmas.act(typed_reference, action, actor=actor, note=note)
        metrics.add_metric(name=_METRIC_BY_DECISION[action], unit=MetricUnit.Count, value=1)
        message = f"Return {rma.return_reference} {past_tense(action)} by {actor.display_name}."
        if note:
            message += f" Reason: {note.strip()}"
        return Decision(rma=rma, message=message, note=self._post_note(ticket_id, message))

    def _check_role(self, agent: GorgiasAgent) -> None:
        from chalicelib.integrations.gorgias import (
            RESTRICTED_ROLES,
            GorgiasUnavailableError,
            GorgiasUnknownUserError,
        )

        assert self._gorgias is not None
        if agent.id is None:
            raise InvalidRequestError(
                "agent.id is required: it decides whether this agent may approve or reject.",
                {"field": "agent.id"},
            )
        try:
            role = self._gorgias.user_role(agent.id)
        except GorgiasUnknownUserError as error:
            raise ForbiddenError(
                f"Gorgias has no agent {agent.id}.", {"agent_id": agent.id}
            ) from error
        except GorgiasUnavailableError as error:
            # Fail closed: without the role we cannot tell an observer from a lead.
            raise DependencyUnavailableError(
                "Gorgias could not confirm the agent's role; try again in a moment.",
                {"reason": str(error)},
            ) from error
        if role in RESTRICTED_ROLES:
            raise ForbiddenError(
                f"Agents with the {role} role may not approve or reject returns.",
                {"agent_id": agent.id, "role": role},
            )

    def _post_note(self, ticket_id: int | None, message: str) -> NoteDelivery:
        if self._gorgias is None:
            return NoteDelivery.NOT_CONFIGURED
        if ticket_id is None:
            return NoteDelivery.NO_TICKET
        from chalicelib.integrations.gorgias import GorgiasUnavailableError

        try:
            self._gorgias.post_internal_note(ticket_id, message)
        except GorgiasUnavailableError as error:
            # The decision is already recorded in the action log; a Gorgias outage must not
            # undo or block it. The failure is logged and counted for alarms.
            logger.warning(
                "Internal note not posted", extra={"ticket_id": ticket_id, "reason": str(error)}
            )
            metrics.add_metric(name="GorgiasNoteFailures", unit=MetricUnit.Count, value=1)
            return NoteDelivery.FAILED
        return NoteDelivery.POSTED
