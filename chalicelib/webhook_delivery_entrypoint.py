"""The Lambda entry point of the webhook deliveries' queue: each message names one delivery,
attempted once per receipt (services/webhook_delivery.py).

A failed attempt waits the retry schedule's next delay, which reaches hours: longer than SQS
lets a message be delayed (15 minutes). So the message is not sent again: its visibility
timeout is set to the delay, and the message is reported as failed, so that SQS keeps it and
hands it back once the delay is over. A delivery that is finished (delivered, given up on) is
deleted with its message. A message received more than MAX_RECEIVE_COUNT times (well above the
schedule's attempts: only crashes and timeouts get it there) waits in the dead-letter queue.

An attempt takes up to the sender's timeout. Before each one the consumer makes sure the
invocation has that long left, and some: a message it has no time for is reported failed
without an attempt and made visible again at once, for the next invocation. (Otherwise the
function would time out mid-batch, and every message of the batch, delivered ones included,
would come back after the queue's visibility timeout, one receipt nearer the dead letters.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.observability import logger
from chalicelib.services import container
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

# app.py's name of the consumer: the deployment finds the function by it.
WEBHOOK_DELIVERY_FUNCTION_NAME = "deliver_webhooks"
# Beyond the sender's timeout, what an attempt may take: reading and writing its delivery and
# endpoint, hiding its message, and a message given up for want of time.
ATTEMPT_MARGIN_SECONDS = 5


class NoTimeLeftError(Exception):
    """Too little of the invocation is left for another attempt: the message goes back to the
    queue unattempted."""


class RetryLaterError(Exception):
    """The delivery is tried again after `delay`: its message stays in the queue till then."""

    def __init__(self, delay: timedelta) -> None:
        super().__init__(f"next attempt in {delay}")
        self.delay = delay


def process_webhook_deliveries(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    return dict(
        process_partial_response(
            event=event,
            record_handler=attempt_delivery,
            # A batch whose every delivery waits for a retry is the schedule at work, not an
            # error of the function (its Errors alarm is for crashes).
            processor=BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
            context=context,
        )
    )


def attempt_time_ms(timeout_seconds: float) -> int:
    """The most one attempt takes, with a sender timing out after `timeout_seconds`."""
    return int((timeout_seconds + ATTEMPT_MARGIN_SECONDS) * 1000)


def attempt_delivery(record: SQSRecord, lambda_context: Any = None) -> None:
    """One message's attempt. Powertools passes Lambda's context (`lambda_context`, by that
    name), whose remaining time says whether an attempt still fits."""
    from chalicelib.integrations.webhook_queue import delivery_of_message

    queue = container.webhook_queue()
    if queue is None:
        raise RuntimeError("WEBHOOK_DELIVERIES_QUEUE_URL is not set; no delivery can wait")
    if lambda_context is not None:
        left_ms = lambda_context.get_remaining_time_in_millis()
        if left_ms < attempt_time_ms(get_settings().webhook_timeout_seconds):
            # Visible again now, not after the queue's visibility timeout.
            queue.retry_later(record.receipt_handle, 0)
            logger.info(
                "Webhook delivery left for the next invocation",
                extra={"message_id": record.message_id, "remaining_ms": left_ms},
            )
            raise NoTimeLeftError(f"{left_ms} ms left")
    try:
        queued = delivery_of_message(record.body)
    except (ValueError, KeyError, TypeError):
        # It would fail on every retry: logged for a person, and dropped.
        logger.error("Unreadable webhook delivery dropped", extra={"message_id": record.message_id})
        return
    with logger.append_context_keys(
        webhook_delivery=queued.delivery_id, webhook_endpoint=queued.endpoint_id
    ):
        delay = container.webhook_delivery().attempt(queued.endpoint_id, queued.delivery_id)
        if delay is None:
            return
        queue.retry_later(record.receipt_handle, _whole_seconds(delay))
        logger.info("Webhook delivery failed; retried later", extra={"delay": str(delay)})
        raise RetryLaterError(delay)


def _whole_seconds(delay: timedelta) -> int:
    # Rounded up: a retry never comes before the delay a receiver's Retry-After asked for.
    return -int(-delay.total_seconds() // 1)
