"""The Lambda entry point of the webhook deliveries' queue: each message names one delivery,
attempted once per receipt (services/webhook_delivery.py).

A failed attempt waits the retry schedule's next delay, which reaches hours: longer than SQS
lets a message be delayed (15 minutes). So the message is not sent again: its visibility
timeout is set to the delay, and the message is reported as failed, so that SQS keeps it and
hands it back once the delay is over. A delivery that is finished (delivered, given up on) is
deleted with its message. A message received more than MAX_RECEIVE_COUNT times (well above the
schedule's attempts: only crashes get it there) waits in the dead-letter queue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.observability import logger
from chalicelib.services import container

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

# app.py's name of the consumer: the deployment finds the function by it.
WEBHOOK_DELIVERY_FUNCTION_NAME = "deliver_webhooks"


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


def attempt_delivery(record: SQSRecord) -> None:
    from chalicelib.integrations.webhook_queue import delivery_of_message

    try:
        queued = delivery_of_message(record.body)
    except (ValueError, KeyError, TypeError):
        # It would fail on every retry: logged for a person, and dropped.
        logger.error("Unreadable webhook delivery dropped", extra={"message_id": record.message_id})
        return
    queue = container.webhook_queue()
    if queue is None:
        raise RuntimeError("WEBHOOK_DELIVERIES_QUEUE_URL is not set; no delivery can wait")
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
