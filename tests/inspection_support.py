"""The warehouse's side of inspection uploads in tests: the returns bucket notifying a queue as
the deployment configures it, files dropped into it, and the queue handed to the app's handler
as Lambda's SQS event source would."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.inspection import UPLOAD_PREFIX, result_key
from chalicelib.repositories.aws import client
from deploy.inspections import (
    bucket_notification,
    dead_letter_queue_attributes,
    queue_attributes,
)
from local.sqs_events import LocalLambdaContext, deliver_batch

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
HEADER = "return_reference,sku,quantity_received,product_state,notes,photo_keys,received_at"


@dataclass(frozen=True)
class Inbox:
    bucket: str
    queue_url: str
    queue_arn: str

    def upload(self, name: str, content: str | bytes) -> str:
        """Drop a file under the inspections prefix; its key."""
        key = f"{UPLOAD_PREFIX}{name}"
        body = content.encode() if isinstance(content, str) else content
        # As the warehouse's tools do: S3's managed upload (PutObject for a file this size).
        client("s3").upload_fileobj(io.BytesIO(body), self.bucket, key)
        return key

    def deliver(self, handler: Handler | None = None) -> list[dict[str, Any]]:
        """Hand the waiting messages to the app's handler as Lambda does, a batch at a time,
        until the queue is empty or a batch reports failures. The handler's answers."""
        from app import process_inspection_uploads

        answers: list[dict[str, Any]] = []

        def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
            answers.append((handler or process_inspection_uploads)(event, context))
            return answers[-1]

        while deliver_batch(client("sqs"), self.queue_url, run, lambda_context()):
            if answers[-1].get("batchItemFailures"):
                break
        return answers

    def waiting(self) -> list[dict[str, Any]]:
        """The bodies of the messages on the queue (made visible again at once)."""
        received = client("sqs").receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [json.loads(message["Body"]) for message in received.get("Messages", [])]

    def report(self, key: str) -> dict[str, Any]:
        stored = client("s3").get_object(Bucket=self.bucket, Key=result_key(key))
        document: dict[str, Any] = json.loads(stored["Body"].read())
        return document


def lambda_context() -> LocalLambdaContext:
    return LocalLambdaContext(function_name="returns-desk-dev-process_inspection_uploads")


def csv_file(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def open_inbox() -> Inbox:
    """The returns bucket notifying a queue (with a dead-letter queue) of inspection files, as
    the deployment and the local stack configure them. The test event S3 sends when
    notifications are configured is left on the queue."""
    s3, sqs = client("s3"), client("sqs")
    bucket = os.environ["RETURNS_BUCKET"]
    s3.create_bucket(Bucket=bucket)
    dead_letters = sqs.create_queue(
        QueueName="inspections-dlq", Attributes=dead_letter_queue_attributes()
    )["QueueUrl"]
    # Visible again at once: a failed message comes back on the next receive.
    attributes = queue_attributes(_queue_arn(dead_letters), visibility_timeout_seconds=0)
    queue_url = sqs.create_queue(QueueName="inspections", Attributes=attributes)["QueueUrl"]
    queue_arn = _queue_arn(queue_url)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=bucket_notification(queue_arn)
    )
    return Inbox(bucket, queue_url, queue_arn)


def _queue_arn(queue_url: str) -> str:
    attributes = client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])
