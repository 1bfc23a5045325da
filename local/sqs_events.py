"""Lambda's side of an SQS event source, for the local stack and the tests: receive a batch,
hand it to the handler as the event Lambda would build, and delete what the handler did not
report as failed (`ReportBatchItemFailures`), so failed messages come back like in AWS."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Lambda's SQS event source reads at most 10 messages a batch.
MAX_BATCH = 10


@dataclass
class LocalLambdaContext:
    """What handlers (and powertools) read from Lambda's context object: names, request id,
    and the time left before the function's timeout."""

    function_name: str
    timeout_seconds: float = 900
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return self.aws_request_id

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


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
