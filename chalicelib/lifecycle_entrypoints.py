"""Entry point of the lifecycle's task Lambdas: one function, named by the task, runs the method
of `LifecycleTasks` of the same name with the state's payload."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ConcurrentModificationError, TransientError
from chalicelib.observability import logger
from chalicelib.services import container


def run_lifecycle_task(task: str, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Run `task` for the RMA in `event`. Errors propagate, so that Step Functions retries what
    is transient and sends the rest to MarkAnomaly. (The Lambda context, the correlation id and
    the metrics are Powertools' middleware's: see observability.py.)"""
    with logger.append_context_keys(task=task, rma_id=event.get("rma_id")):
        try:
            result: dict[str, Any] = getattr(container.lifecycle_tasks(), task)(**event)
        except ConcurrentModificationError as error:
            # Someone changed the RMA between our read and write: reading again will see it.
            raise TransientError(str(error)) from error
        except TransientError as error:
            # Step Functions retries by the error's exact name: a provider's own transient error
            # (Shopify throttling) is retried as the TransientError it is.
            if type(error) is TransientError:
                raise
            raise TransientError(str(error)) from error
        logger.info("Lifecycle task done", extra={"result": result})
        return result
