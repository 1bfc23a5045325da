"""Lambda's side of an SQS event source, for the local stack and the tests: receive a batch,
hand it to the handler as the event Lambda would build, and delete what the handler did not
report as failed (`ReportBatchItemFailures`), so failed messages come back like in AWS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Lambda's SQS event source reads at most 10 messages a batch.
MAX_BATCH = 10


def sqs_lambda_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda hands to an SQS-triggered function for `messages` (ReceiveMessage's)."""
    region = queue_arn.split(":")[3]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def deliver_batch(
    sqs: Any,
    queue_url: str,
    handler: Callable[[dict[str, Any], Any], Any],
    context: Any,
    *,
    wait_seconds: int = 0,
) -> int:
    """Receive up to one batch from `queue_url`, run `handler` on it, delete the messages it
    handled; returns how many were received. A handler that raises leaves the whole batch."""
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    received = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=MAX_BATCH,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
    ).get("Messages", [])
    if not received:
        return 0
    response = handler(sqs_lambda_event(received, queue_arn), context) or {}
    failed = {failure["itemIdentifier"] for failure in response.get("batchItemFailures", [])}
    handled = [m for m in received if m["MessageId"] not in failed]
    if handled:
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(handled)
            ],
        )
    return len(received)
