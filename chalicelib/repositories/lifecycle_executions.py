"""The return lifecycle's Step Functions executions: started per RMA, resumed by task token."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.observability import logger


class LifecycleExecutions:
    def __init__(self, state_machine_arn: str, stepfunctions: Any | None = None) -> None:
        from chalicelib.repositories.aws import client

        self._state_machine_arn = state_machine_arn
        self._sfn = stepfunctions if stepfunctions is not None else client("stepfunctions")

    def start(self, rma_id: str) -> None:
        """Start the lifecycle of an RMA. Named after the RMA, so a second start (a retried
        submit) cannot run a second lifecycle."""
        try:
            self._sfn.start_execution(
                stateMachineArn=self._state_machine_arn,
                name=rma_id,
                input=json.dumps({"rma_id": rma_id}),
            )
        except self._sfn.exceptions.ExecutionAlreadyExists:
            logger.info("Lifecycle already started", extra={"rma_id": rma_id})

    def succeed(self, task_token: str, output: dict[str, Any]) -> bool:
        """Resume a waiting step; False when the execution no longer waits on that token."""
        try:
            self._sfn.send_task_success(taskToken=task_token, output=json.dumps(output))
        except (self._sfn.exceptions.TaskTimedOut, self._sfn.exceptions.InvalidToken) as error:
            logger.warning("Lifecycle step no longer waiting", extra={"error": str(error)})
            return False
        return True

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        """End a waiting step with `error`, which the state machine catches by name."""
        try:
            self._sfn.send_task_failure(taskToken=task_token, error=error, cause=cause)
        except (self._sfn.exceptions.TaskTimedOut, self._sfn.exceptions.InvalidToken) as failure:
            logger.warning("Lifecycle step no longer waiting", extra={"error": str(failure)})
            return False
        return True
