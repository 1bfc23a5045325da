"""The queue between the return events and the Gorgias tickets and notes they make
(services/gorgias_tickets.py): SQS FIFO, one message group per return, so that a return's
steps reach Gorgias in the order they happened."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.events import ReturnEvent


class GorgiasUpdatesQueue:
    def __init__(self, queue_url: str, sqs: Any | None = None) -> None:
        from chalicelib.repositories.aws import client

        self._queue_url = queue_url
        self._sqs = sqs if sqs is not None else client("sqs")

    def send(self, event: ReturnEvent) -> None:
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=event.model_dump_json(exclude_none=True),
            MessageGroupId=event.rma_id,
            # The same event sent again (the stream retries a record) is dropped by SQS within
            # five minutes; the consumer tells a ticket of a step once after that.
            MessageDeduplicationId=event.id,
        )


def event_of_message(body: str) -> ReturnEvent:
    return ReturnEvent.model_validate_json(body)
