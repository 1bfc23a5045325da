"""The inspection queue: the returns bucket tells it of each warehouse upload, and the
`@app.on_sqs_message` consumer reads it in batches.

S3 (`inspections/*.csv|.jsonl|.ndjson`) → InspectionQueue → the consumer. A message that fails
MAX_RECEIVE_COUNT times moves to the dead-letter queue, whose alarm asks a person to look. The
local stack builds its queues and notification from the same functions, in the API's shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.inspection import UPLOAD_PREFIX, UPLOAD_SUFFIXES
from deploy.bucket import returns_bucket_arn
from deploy.cfn import Resource, get_att, policy_document, ref
from deploy.chalice_app import QueueConsumer
from deploy.queues import (
    DEAD_LETTER_RETENTION_SECONDS,
    VISIBILITY_TIMEOUT_FACTOR,
    consumer_of,
    queue_consumer_settings,
    queue_resource,
    redriven_queue_attributes,
)
from deploy.queues import dead_letter_queue_attributes as dead_letter_queue_attributes
from deploy.stage import StageNames

INSPECTION_QUEUE = "InspectionQueue"
INSPECTION_DEAD_LETTER_QUEUE = "InspectionDeadLetterQueue"
INSPECTION_QUEUE_POLICY = "InspectionQueuePolicy"
# app.py names the queue of `@app.on_sqs_message` from this variable, at import: Chalice builds
# the event source's ARN from that name, so the stage must set it to the queue created here.
QUEUE_NAME_VARIABLE = "INSPECTION_QUEUE_NAME"
# The name app.py gives the consumer: the template tells the queues' consumers apart by it.
CONSUMER_FUNCTION_NAME = "process_inspection_uploads"

# A file that fails five times in a row will fail again: let a person look at it.
MAX_RECEIVE_COUNT = 5
UPLOAD_EVENT = "s3:ObjectCreated:*"


class QueueNameMismatchError(ValueError):
    """The stage's INSPECTION_QUEUE_NAME is not the name of the queue the template creates."""


def inspection_consumer(consumers: list[QueueConsumer]) -> QueueConsumer:
    return consumer_of(consumers, CONSUMER_FUNCTION_NAME, "inspection uploads")


def check_queue_variable(variables: Mapping[str, str], names: StageNames) -> None:
    if variables.get(QUEUE_NAME_VARIABLE) != names.inspection_queue_name:
        raise QueueNameMismatchError(
            f"stage {names.stage!r} of .chalice/config.json must set {QUEUE_NAME_VARIABLE} to "
            f"{names.inspection_queue_name!r} (it is {variables.get(QUEUE_NAME_VARIABLE)!r}): "
            "Chalice subscribes the consumer to the queue of that name"
        )


def visibility_timeout(function_timeout_seconds: int) -> int:
    return VISIBILITY_TIMEOUT_FACTOR * function_timeout_seconds


def upload_key_filters() -> list[tuple[str, str]]:
    """(prefix, suffix) of the keys that notify: one pair per suffix, as S3 filters hold one
    suffix each, in lower and upper case since S3 matches them exactly (`BATCH.CSV` from a
    warehouse's Windows export is an upload too). Reports (`inspections/results/*.json`) match
    none of them."""
    return [
        (UPLOAD_PREFIX, spelled)
        for suffix in UPLOAD_SUFFIXES
        for spelled in (suffix, suffix.upper())
    ]


# --- CloudFormation ----------------------------------------------------------------------------


def inspection_queue_resources(names: StageNames, consumer: QueueConsumer) -> dict[str, Resource]:
    """The queue, its dead-letter queue, and the policy letting the returns bucket send."""
    return {
        INSPECTION_DEAD_LETTER_QUEUE: queue_resource(
            names.inspection_dead_letter_queue_name,
            MessageRetentionPeriod=DEAD_LETTER_RETENTION_SECONDS,
        ),
        INSPECTION_QUEUE: queue_resource(
            names.inspection_queue_name,
            VisibilityTimeout=visibility_timeout(consumer.timeout_seconds),
            RedrivePolicy={
                "deadLetterTargetArn": get_att(INSPECTION_DEAD_LETTER_QUEUE, "Arn"),
                "maxReceiveCount": MAX_RECEIVE_COUNT,
            },
        ),
        INSPECTION_QUEUE_POLICY: {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [ref(INSPECTION_QUEUE)],
                "PolicyDocument": policy_document(
                    {
                        "Sid": "ReturnsBucketUploads",
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": get_att(INSPECTION_QUEUE, "Arn"),
                        # The bucket by its fixed name, not by reference: the bucket waits for
                        # this policy (S3 checks it can send when the notification is set), so
                        # a reference back would close a cycle.
                        "Condition": {
                            "ArnEquals": {"aws:SourceArn": returns_bucket_arn(names)},
                            "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")},
                        },
                    }
                ),
            },
        },
    }


def notify_inspection_queue(bucket: Resource) -> Resource:
    """`bucket` sending its inspection uploads to the queue, once the queue lets it."""
    return {
        **bucket,
        "DependsOn": [INSPECTION_QUEUE_POLICY],
        "Properties": {
            **bucket["Properties"],
            "NotificationConfiguration": {
                "QueueConfigurations": [
                    {
                        "Event": UPLOAD_EVENT,
                        "Queue": get_att(INSPECTION_QUEUE, "Arn"),
                        "Filter": {"S3Key": {"Rules": _filter_rules(prefix, suffix)}},
                    }
                    for prefix, suffix in upload_key_filters()
                ]
            },
        },
    }


def consumer_settings(consumer: QueueConsumer) -> Resource:
    """Merged into Chalice's consumer function (see queues.py)."""
    return queue_consumer_settings(consumer, INSPECTION_QUEUE)


def inspection_queue_outputs() -> dict[str, Any]:
    return {
        "InspectionQueueUrl": {"Value": ref(INSPECTION_QUEUE)},
        "InspectionQueueName": {"Value": get_att(INSPECTION_QUEUE, "QueueName")},
        "InspectionDeadLetterQueueUrl": {"Value": ref(INSPECTION_DEAD_LETTER_QUEUE)},
        "InspectionDeadLetterQueueName": {
            "Value": get_att(INSPECTION_DEAD_LETTER_QUEUE, "QueueName")
        },
    }


def _filter_rules(prefix: str, suffix: str) -> list[dict[str, str]]:
    return [{"Name": "prefix", "Value": prefix}, {"Name": "suffix", "Value": suffix}]


# --- the same, in the shapes of the SQS and S3 APIs (the local stack) --------------------------


def queue_attributes(dead_letter_arn: str, visibility_timeout_seconds: int) -> dict[str, str]:
    return redriven_queue_attributes(dead_letter_arn, visibility_timeout_seconds, MAX_RECEIVE_COUNT)


def bucket_notification(queue_arn: str) -> dict[str, Any]:
    """PutBucketNotificationConfiguration's `NotificationConfiguration`."""
    return {
        "QueueConfigurations": [
            {
                "QueueArn": queue_arn,
                "Events": [UPLOAD_EVENT],
                "Filter": {"Key": {"FilterRules": _filter_rules(prefix, suffix)}},
            }
            for prefix, suffix in upload_key_filters()
        ]
    }
