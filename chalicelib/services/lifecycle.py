"""How changes made by people reach the running lifecycle (Step Functions).

The lifecycle waits on people at three steps (agent decision, item receipt, refund approval),
each with a task token kept on the RMA. When a person's action completes the step, the token is
cleared in the same write as the action, then sent back, so a token is used at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.rma import Rma
from chalicelib.domain.statuses import LifecycleStep
from chalicelib.domain.transitions import Action
from chalicelib.repositories.lifecycle_executions import LifecycleExecutions

# The error a waiting step ends with when its return is canceled; the state machine catches it.
RETURN_CLOSED = "ReturnClosed"


@dataclass(frozen=True)
class Handoff:
    """What to send back to a waiting step: an output, or the name of the error it ends with."""

    output: dict[str, Any] | None = None
    error: str | None = None


def handoff_for(action: Action, waiting_for: LifecycleStep | None) -> Handoff | None:
    """Whether `action` completes the step the RMA waits in, and with what."""
    if waiting_for is None:
        return None
    if action is Action.CANCEL:
        return Handoff(error=RETURN_CLOSED)
    if waiting_for is LifecycleStep.AGENT_DECISION and action is Action.ACCEPT:
        return Handoff(output={"outcome": "APPROVED"})
    if waiting_for is LifecycleStep.AGENT_DECISION and action is Action.REJECT:
        return Handoff(output={"outcome": "REJECTED"})
    return None


class Lifecycle:
    def __init__(self, executions: LifecycleExecutions) -> None:
        self._executions = executions

    def start(self, rma: Rma) -> None:
        self._executions.start(rma.id)

    def hand_off(self, task_token: str, handoff: Handoff) -> bool:
        if handoff.error is not None:
            return self._executions.fail(task_token, handoff.error, "Closed by a person")
        return self._executions.succeed(task_token, handoff.output or {})
