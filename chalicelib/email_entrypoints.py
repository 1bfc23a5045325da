"""The Lambda entry points of the scheduled emails: status emails and the daily reminder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from chalicelib.observability import logger, metrics
from chalicelib.services import container


def run_status_emails(context: Any) -> dict[str, Any]:
    """Send the status emails due. Errors propagate (the next run picks up where this one
    stopped: what was not sent is still due)."""
    with _job("status_emails", context):
        run = container.status_email_job().run(seconds_left=_seconds_left(context))
        logger.info("Status emails run", extra={"result": asdict(run)})
        return asdict(run)


def run_decision_reminder(context: Any) -> dict[str, Any]:
    """Remind the support team of returns waiting for a decision too long."""
    with _job("decision_reminder", context):
        run = container.decision_reminder().run()
        logger.info("Decision reminder run", extra={"result": asdict(run)})
        return asdict(run)


@contextmanager
def _job(name: str, context: Any) -> Iterator[None]:
    logger.append_keys(job=name)
    if context is not None and hasattr(context, "aws_request_id"):
        logger.set_correlation_id(context.aws_request_id)
    try:
        yield
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()
            metrics.clear_metrics()
        logger.remove_keys(["job"])


def _seconds_left(context: Any) -> Callable[[], float]:
    """Seconds before the Lambda's timeout; without a Lambda context (local runs), no limit."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return lambda: float("inf")
    return lambda: remaining() / 1000
