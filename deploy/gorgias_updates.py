"""The Gorgias updates queue: the return events' subscriber sends it each event Gorgias must
hear of, and the `@app.on_sqs_message` consumer opens the ticket or posts the note.

FIFO, one message group per return, so that a return's steps reach Gorgias in order (its
request's ticket before the notes on it). A message that keeps failing (Gorgias down, the
account's rate limit spent by other apps) is retried with the visibility timeout as backoff for
about MAX_RECEIVE_COUNT times the timeout, then waits in the dead-letter queue for a redrive: a
Gorgias outage delays the notes and loses none. The local stack builds the same queues in the
API's shapes.
"""

from __future__ import annotations

import json
from typing import Any

from deploy.cfn import Resource, get_att, ref
from deploy.queues import DEAD_LETTER_RETENTION_SECONDS, queue_resource
from deploy.stage import StageNames

GORGIAS_UPDATES_QUEUE = "GorgiasUpdatesQueue"
GORGIAS_UPDATES_DEAD_LETTER_QUEUE = "GorgiasUpdatesDeadLetterQueue"
# app.py names the consumer's queue from this variable at import, as it does the inspections'.
QUEUE_NAME_VARIABLE = "GORGIAS_UPDATES_QUEUE_NAME"
QUEUE_URL_VARIABLE = "GORGIAS_UPDATES_QUEUE_URL"
# Six minutes between tries (six times the consumer's timeout, Lambda's advice for SQS): forty
# tries are four hours of a Gorgias outage before a person is asked to redrive.
MAX_RECEIVE_COUNT = 40
VISIBILITY_TIMEOUT_FACTOR = 6
# The consumer answers with the ids of the failed messages (and, FIFO, those after them).
PARTIAL_BATCH_RESPONSES = ["ReportBatchItemFailures"]


def queue_name(names: StageNames) -> str:
    return f"{names.prefix}-gorgias-updates.fifo"


def dead_letter_queue_name(names: StageNames) -> str:
    # A FIFO queue's dead letters go to a FIFO queue.
    return f"{names.prefix}-gorgias-updates-dlq.fifo"


def gorgias_updates_resources(names: StageNames, timeout_seconds: int) -> dict[str, Resource]:
    return {
        GORGIAS_UPDATES_DEAD_LETTER_QUEUE: queue_resource(
            dead_letter_queue_name(names),
            FifoQueue=True,
            MessageRetentionPeriod=DEAD_LETTER_RETENTION_SECONDS,
        ),
        GORGIAS_UPDATES_QUEUE: queue_resource(
            queue_name(names),
            FifoQueue=True,
            VisibilityTimeout=VISIBILITY_TIMEOUT_FACTOR * timeout_seconds,
            RedrivePolicy={
                "deadLetterTargetArn": get_att(GORGIAS_UPDATES_DEAD_LETTER_QUEUE, "Arn"),
                "maxReceiveCount": MAX_RECEIVE_COUNT,
            },
        ),
    }


def consumer_settings(event_id: str) -> Resource:
    """Merged into Chalice's consumer function: partial batch responses, and creation after the
    queue (Chalice names it by ARN, not by reference)."""
    return {
        "DependsOn": [GORGIAS_UPDATES_QUEUE],
        "Properties": {
            "Events": {event_id: {"Properties": {"FunctionResponseTypes": PARTIAL_BATCH_RESPONSES}}}
        },
    }


def queue_url_variable() -> dict[str, Any]:
    """The queue's URL, for the functions that send to it (the return events' consumer)."""
    return {QUEUE_URL_VARIABLE: ref(GORGIAS_UPDATES_QUEUE)}


def gorgias_updates_outputs() -> dict[str, Any]:
    return {
        "GorgiasUpdatesQueueUrl": {"Value": ref(GORGIAS_UPDATES_QUEUE)},
        "GorgiasUpdatesDeadLetterQueueUrl": {"Value": ref(GORGIAS_UPDATES_DEAD_LETTER_QUEUE)},
    }


# --- the same, in the shapes of the SQS API (the local stack and the tests) -------------------


def dead_letter_queue_attributes() -> dict[str, str]:
    return {
        "FifoQueue": "true",
        "SqsManagedSseEnabled": "true",
        "MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_SECONDS),
    }


def queue_attributes(dead_letter_arn: str, visibility_timeout_seconds: int) -> dict[str, str]:
    return {
        "FifoQueue": "true",
        "SqsManagedSseEnabled": "true",
        "VisibilityTimeout": str(visibility_timeout_seconds),
        "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
        ),
    }
