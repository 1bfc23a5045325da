"""The Gorgias updates queue: the return events' consumer sends it each event Gorgias must hear
of, and the `@app.on_sqs_message` consumer (`send_gorgias_updates`) opens the ticket of a
return request or posts the note of a later step.

FIFO, one message group per return, so that a return's steps reach Gorgias in order (its
request's ticket before the notes on it). A message that keeps failing (Gorgias down, the
account's rate limit spent by other apps) comes back after the visibility timeout, for about
MAX_RECEIVE_COUNT times that, then waits in the dead-letter queue, whose alarm asks a person to
redrive it: a Gorgias outage delays notes and loses none. The local stack and the tests build
the same queues from these functions, in the SQS API's shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.gorgias_updates_entrypoint import GORGIAS_UPDATES_FUNCTION_NAME
from deploy.cfn import Resource, get_att, ref
from deploy.chalice_app import QueueConsumer
from deploy.queues import (
    check_queue_variables,
    consumer_of,
    queue_consumer_settings,
    redriven_queue_attributes,
    redriven_queue_resources,
)
from deploy.queues import (
    dead_letter_queue_attributes as plain_dead_letter_queue_attributes,
)
from deploy.queues import queue_url_variable as shared_queue_url_variable
from deploy.stage import StageNames

GORGIAS_UPDATES_QUEUE = "GorgiasUpdatesQueue"
GORGIAS_UPDATES_DEAD_LETTER_QUEUE = "GorgiasUpdatesDeadLetterQueue"
# app.py names the consumer's queue from this variable at import, as it does the inspections'.
QUEUE_NAME_VARIABLE = "GORGIAS_UPDATES_QUEUE_NAME"
# The return events' consumer sends to the queue at this URL (Settings.gorgias_updates_queue_url):
# the stage declares it, the template sets it to the queue's URL.
QUEUE_URL_VARIABLE = "GORGIAS_UPDATES_QUEUE_URL"
# Six minutes apart with the consumer's 60 s timeout: forty tries are four hours of a Gorgias
# outage before a person is asked to redrive.
MAX_RECEIVE_COUNT = 40
DEAD_LETTERS_REMEDY = (
    "each message is a return request's ticket or a step's note Gorgias did not take; once "
    "Gorgias answers again, redrive them (a ticket is told of a step once)"
)


def gorgias_updates_consumer(consumers: Sequence[QueueConsumer]) -> QueueConsumer:
    return consumer_of(consumers, GORGIAS_UPDATES_FUNCTION_NAME, "Gorgias updates")


def check_gorgias_queue_variables(variables: Mapping[str, str], names: StageNames) -> None:
    check_queue_variables(
        variables,
        names.stage,
        name_variable=QUEUE_NAME_VARIABLE,
        queue_name=names.gorgias_updates_queue_name,
        url_variable=QUEUE_URL_VARIABLE,
    )


# --- CloudFormation ----------------------------------------------------------------------------


def gorgias_updates_resources(names: StageNames, consumer: QueueConsumer) -> dict[str, Resource]:
    return redriven_queue_resources(
        GORGIAS_UPDATES_QUEUE,
        names.gorgias_updates_queue_name,
        GORGIAS_UPDATES_DEAD_LETTER_QUEUE,
        names.gorgias_updates_dead_letter_queue_name,
        consumer=consumer,
        max_receive_count=MAX_RECEIVE_COUNT,
        fifo=True,
    )


def consumer_settings(consumer: QueueConsumer) -> Resource:
    return queue_consumer_settings(consumer, GORGIAS_UPDATES_QUEUE)


def queue_url_variable() -> Resource:
    """Merged into the return events' consumer, the one function that sends to the queue."""
    return shared_queue_url_variable(QUEUE_URL_VARIABLE, GORGIAS_UPDATES_QUEUE)


def gorgias_updates_outputs() -> dict[str, Any]:
    return {
        "GorgiasUpdatesQueueUrl": {"Value": ref(GORGIAS_UPDATES_QUEUE)},
        "GorgiasUpdatesDeadLetterQueueUrl": {"Value": ref(GORGIAS_UPDATES_DEAD_LETTER_QUEUE)},
        "GorgiasUpdatesDeadLetterQueueName": {
            "Value": get_att(GORGIAS_UPDATES_DEAD_LETTER_QUEUE, "QueueName")
        },
    }


# --- the same, in the shapes of the SQS API (the local stack and the tests) --------------------


def dead_letter_queue_attributes() -> dict[str, str]:
    return plain_dead_letter_queue_attributes(fifo=True)


def queue_attributes(dead_letter_arn: str, visibility_timeout_seconds: int) -> dict[str, str]:
    return redriven_queue_attributes(
        dead_letter_arn, visibility_timeout_seconds, MAX_RECEIVE_COUNT, fifo=True
    )
