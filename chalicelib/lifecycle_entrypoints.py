"""Entry point of the lifecycle's task Lambdas: one function, named by the task, runs the method
of `LifecycleTasks` of the same name with the state's payload."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ConcurrentModificationError, TransientError
from chalicelib.observability import logger, metrics
from chalicelib.services import container


def run_lifecycle_task(task: str, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run `task` for the RMA in `event`. Errors propagate, so that Step Functions retries what
    is transient and sends the rest to MarkAnomaly."""
    logger.append_keys(task=task, rma_id=event.get("rma_id"))
    if context is not None and hasattr(context, "aws_request_id"):
        logger.set_correlation_id(context.aws_request_id)
    try:
        result: dict[str, Any] = getattr(container.lifecycle_tasks(), task)(**event)
        logger.info("Lifecycle task done", extra={"result": result})
        return result
    except ConcurrentModificationError as error:
        # Someone changed the RMA between our read and write: reading again will see it.
        raise TransientError(str(error)) from error
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()
            metrics.clear_metrics()
        logger.remove_keys(["task", "rma_id"])
