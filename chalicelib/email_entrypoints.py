"""The Lambda entry points of the scheduled emails: status emails and the daily reminder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from chalicelib.observability import logger
from chalicelib.services import container

# The Lambda context, the correlation id and the metrics are Powertools' middleware's: see
# observability.py.


def run_status_emails(context: Any) -> dict[str, Any]:
    """Send the status emails due. Errors propagate (the next run picks up where this one
    stopped: what was not sent is still due)."""
    with logger.append_context_keys(job="status_emails"):
        run = container.status_email_job().run(seconds_left=_seconds_left(context))
        logger.info("Status emails run", extra={"result": asdict(run)})
        return asdict(run)


def run_decision_reminder(context: Any) -> dict[str, Any]:
    """Remind the support team of returns waiting for a decision too long."""
    with logger.append_context_keys(job="decision_reminder"):
        run = container.decision_reminder().run()
        logger.info("Decision reminder run", extra={"result": asdict(run)})
        return asdict(run)


def _seconds_left(context: Any) -> Callable[[], float]:
    """Seconds before the Lambda's timeout; without a Lambda context (local runs), no limit."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return lambda: float("inf")
    return lambda: remaining() / 1000
