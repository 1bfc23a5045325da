"""The queue of outgoing webhook deliveries (SQS standard, with a dead-letter queue): a message
names one delivery, stored in the table with the body every attempt sends. The consumer
(webhook_delivery_entrypoint.py) makes an attempt per receipt and, on a failure, hides the
message for the schedule's next delay."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

# SQS's own limit on a message's delay; longer waits are the consumer's visibility timeouts.
MAX_DELAY_SECONDS = 900
# SQS's longest visibility timeout: the longest a failed delivery's message can be hidden.
MAX_VISIBILITY_SECONDS = 12 * 60 * 60


class QueuedDelivery(NamedTuple):
    endpoint_id: str
    delivery_id: str


class WebhookQueue:
    def __init__(self, queue_url: str, sqs: Any | None = None) -> None:
        from chalicelib.repositories.aws import client

        self._queue_url = queue_url
        self._sqs = sqs if sqs is not None else client("sqs")

    def send(self, delivery: QueuedDelivery, *, delay_seconds: int = 0) -> None:
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=message_of(delivery),
            DelaySeconds=min(max(delay_seconds, 0), MAX_DELAY_SECONDS),
        )

    def send_all(self, deliveries: list[QueuedDelivery]) -> None:
        """One call per ten deliveries; a delivery SQS refused raises, so the caller (the
        stream) retries the event, whose deliveries are the same ones again."""
        for start in range(0, len(deliveries), 10):
            batch = deliveries[start : start + 10]
            answer = self._sqs.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(index), "MessageBody": message_of(delivery)}
                    for index, delivery in enumerate(batch)
                ],
            )
            if answer.get("Failed"):
                raise RuntimeError(f"SQS refused {len(answer['Failed'])} webhook deliveries")

    def retry_later(self, receipt_handle: str, delay_seconds: int) -> None:
        """Hide a received message for `delay_seconds` (at most SQS's 12 hours): once its
        consumer reports it failed, it comes back then, for the next attempt."""
        self._sqs.change_message_visibility(
            QueueUrl=self._queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=min(max(delay_seconds, 0), MAX_VISIBILITY_SECONDS),
        )


def message_of(delivery: QueuedDelivery) -> str:
    return json.dumps(delivery._asdict(), separators=(",", ":"))


def delivery_of_message(body: str) -> QueuedDelivery:
    """The delivery a message names; ValueError or KeyError when it names none."""
    data = json.loads(body)
    return QueuedDelivery(str(data["endpoint_id"]), str(data["delivery_id"]))
