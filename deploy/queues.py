"""SQS queues of the stack: the inspection uploads', the chat intake's, their dead letters and
the return events'. What every queue with a consumer shares is here, in CloudFormation's shapes
and in the SQS API's (the local stack creates the same queues)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from deploy.cfn import Resource, get_att, ref
from deploy.chalice_app import QueueConsumer

# The longest SQS keeps a message: time to notice the alarm and act on what waits.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60
# Lambda's advice for SQS event sources: a batch must not reappear to another poller while the
# function, throttled and retried, may still be working on it.
VISIBILITY_TIMEOUT_FACTOR = 6
# The consumers answer with the ids of the failed messages: the others are deleted.
PARTIAL_BATCH_RESPONSES = ["ReportBatchItemFailures"]


class QueueConsumerCountError(ValueError):
    """app.py does not declare exactly one consumer of a queue the template creates."""


class QueueVariableError(ValueError):
    """The stage does not name a queue as the template creates it, or does not declare the
    variable the template sets to its URL."""


def queue_resource(name: str, **properties: Any) -> Resource:
    """A queue encrypted with SSE-SQS: S3 and Lambda can send to it without a KMS key policy,
    and the functions need no kms: action."""
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {"QueueName": name, "SqsManagedSseEnabled": True, **properties},
    }


def consumer_of(
    consumers: Sequence[QueueConsumer], function_name: str, queue: str
) -> QueueConsumer:
    """The one `@app.on_sqs_message` function app.py names `function_name`, which reads `queue`.
    Several queues have consumers: each is told by the name app.py gives its function."""
    found = [consumer for consumer in consumers if consumer.name == function_name]
    if len(found) != 1:
        raise QueueConsumerCountError(
            f"the template wires the {queue} queue to one @app.on_sqs_message function named "
            f"{function_name!r}; app.py declares {len(found)} of its {len(consumers)} queue "
            f"consumers under that name: {[c.function_id for c in consumers]}"
        )
    return found[0]


def check_queue_variables(
    variables: Mapping[str, str],
    stage: str,
    *,
    name_variable: str,
    queue_name: str,
    url_variable: str,
) -> None:
    """The stage names the queue Chalice subscribes its consumer to (app.py reads the name at
    import), and declares the URL variable the template fills for the function that sends."""
    if variables.get(name_variable) != queue_name:
        raise QueueVariableError(
            f"stage {stage!r} of .chalice/config.json must set {name_variable} to "
            f"{queue_name!r} (it is {variables.get(name_variable)!r}): Chalice subscribes the "
            "consumer to the queue of that name"
        )
    if url_variable not in variables:
        raise QueueVariableError(
            f"stage {stage!r} of .chalice/config.json must declare {url_variable} "
            '(as ""): the template sets it to the queue\'s URL'
        )


def queue_url_variable(url_variable: str, queue_id: str) -> Resource:
    """Merged into the one function that sends to the queue: its URL, known once it exists."""
    return {"Properties": {"Environment": {"Variables": {url_variable: ref(queue_id)}}}}


def redriven_queue_resources(
    queue_id: str,
    queue_name: str,
    dead_letter_id: str,
    dead_letter_name: str,
    *,
    consumer: QueueConsumer,
    max_receive_count: int,
    fifo: bool = False,
) -> dict[str, Resource]:
    """A queue read by `consumer`, and the dead-letter queue a message moves to once it has been
    received `max_receive_count` times, kept there as long as SQS keeps anything. `fifo`: both
    are FIFO queues (a FIFO queue's dead letters must be)."""
    kind = {"FifoQueue": True} if fifo else {}
    return {
        dead_letter_id: queue_resource(
            dead_letter_name, MessageRetentionPeriod=DEAD_LETTER_RETENTION_SECONDS, **kind
        ),
        queue_id: queue_resource(
            queue_name,
            VisibilityTimeout=VISIBILITY_TIMEOUT_FACTOR * consumer.timeout_seconds,
            RedrivePolicy={
                "deadLetterTargetArn": get_att(dead_letter_id, "Arn"),
                "maxReceiveCount": max_receive_count,
            },
            **kind,
        ),
    }


def queue_consumer_settings(consumer: QueueConsumer, queue_id: str) -> Resource:
    """Merged into Chalice's consumer function: partial batch responses on the event source
    Chalice emits, and creation after the queue (Chalice names the queue by ARN, not by
    reference, so CloudFormation would not otherwise wait for it)."""
    return {
        "DependsOn": [queue_id],
        "Properties": {
            "Events": {
                consumer.event_id: {
                    "Properties": {"FunctionResponseTypes": PARTIAL_BATCH_RESPONSES}
                }
            }
        },
    }


# --- the same, in the shapes of the SQS API (the local stack and the tests) --------------------


def dead_letter_queue_attributes(*, fifo: bool = False) -> dict[str, str]:
    return {
        "SqsManagedSseEnabled": "true",
        "MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_SECONDS),
        **({"FifoQueue": "true"} if fifo else {}),
    }


def redriven_queue_attributes(
    dead_letter_arn: str,
    visibility_timeout_seconds: int,
    max_receive_count: int,
    *,
    fifo: bool = False,
) -> dict[str, str]:
    return {
        "SqsManagedSseEnabled": "true",
        "VisibilityTimeout": str(visibility_timeout_seconds),
        "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count}
        ),
        **({"FifoQueue": "true"} if fifo else {}),
    }
