"""The lifecycle's subscriber to return events: how changes reach the running Step Functions
execution of a return.

A submitted return starts its lifecycle; a change that completes the step the lifecycle waits
in (an agent's decision, the last item received, a refund approved, a cancellation) sends the
step's token back. The change cleared the token in its own write and its event carries it, so
a token is used at most once by the app, and a hand-off that fails (throttling, an outage) is
retried by the stream until it is delivered: the request that made the change never waits for
Step Functions, nor fails because of it.
"""

from __future__ import annotations

from chalicelib.domain.events import ReturnEvent, ReturnEventType
from chalicelib.observability import logger
from chalicelib.repositories.lifecycle_executions import LifecycleExecutions


class LifecycleHandOffs:
    """Idempotent on the event: a lifecycle is named after its return (a second start finds it
    running), and a token already sent back is refused by Step Functions, which changes
    nothing."""

    name = "lifecycle"

    def __init__(self, executions: LifecycleExecutions) -> None:
        self._executions = executions

    def __call__(self, event: ReturnEvent) -> None:
        if event.type is ReturnEventType.REQUESTED:
            self._executions.start(event.rma_id)
        hand_off = event.hand_off
        if hand_off is None:
            return
        if hand_off.error is not None:
            delivered = self._executions.fail(
                hand_off.task_token, hand_off.error, "Closed by a person"
            )
        else:
            delivered = self._executions.succeed(hand_off.task_token, hand_off.output or {})
        if not delivered:
            logger.info("Hand-off already delivered or the step is over", extra={"event": event.id})
