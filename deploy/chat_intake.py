"""The chat intake's queue: `POST /gorgias/events/message` (the API) sends it each new Gorgias
ticket message, and the `@app.on_sqs_message` consumer (`handle_chat_messages`) reads the ticket
and answers in the chat.

API → ChatIntakeQueue → the consumer. A message the consumer could not handle (Gorgias rate
limited or down) comes back after the visibility timeout, six times the consumer's timeout;
after MAX_RECEIVE_COUNT receipts it moves to the dead-letter queue, whose alarm asks a person to
look (and redrive once Gorgias answers again: the intake resumes where it stopped). The local
stack builds the same queues from these functions, in the SQS API's shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.chat_entrypoint import CHAT_INTAKE_FUNCTION_NAME
from deploy.cfn import Resource, get_att, ref
from deploy.chalice_app import QueueConsumer
from deploy.queues import (
    check_queue_variables,
    consumer_of,
    queue_consumer_settings,
    redriven_queue_attributes,
    redriven_queue_resources,
)
from deploy.queues import queue_url_variable as shared_queue_url_variable
from deploy.stage import StageNames

CHAT_INTAKE_QUEUE = "ChatIntakeQueue"
CHAT_INTAKE_DEAD_LETTER_QUEUE = "ChatIntakeDeadLetterQueue"
# app.py names the consumer's queue from this variable at import, as it does the inspections'.
QUEUE_NAME_VARIABLE = "CHAT_INTAKE_QUEUE_NAME"
# The API sends to the queue at this URL (Settings.chat_intake_queue_url). The stage declares
# it; the template sets it to the queue's URL, known only once the queue exists.
QUEUE_URL_VARIABLE = "CHAT_INTAKE_QUEUE_URL"
# Five tries, six minutes apart with the consumer's 60 s: half an hour of a Gorgias outage, then
# the message waits for a person. A customer waiting longer is better answered by an agent.
MAX_RECEIVE_COUNT = 5
DEAD_LETTERS_REMEDY = (
    "each message names a ticket whose new messages were not read; once Gorgias answers again, "
    "redrive them (the intake resumes where it stopped, and opens no return twice)"
)


def chat_intake_consumer(consumers: Sequence[QueueConsumer]) -> QueueConsumer:
    return consumer_of(consumers, CHAT_INTAKE_FUNCTION_NAME, "chat intake")


def check_chat_queue_variables(variables: Mapping[str, str], names: StageNames) -> None:
    check_queue_variables(
        variables,
        names.stage,
        name_variable=QUEUE_NAME_VARIABLE,
        queue_name=names.chat_intake_queue_name,
        url_variable=QUEUE_URL_VARIABLE,
    )


# --- CloudFormation ----------------------------------------------------------------------------


def chat_intake_queue_resources(names: StageNames, consumer: QueueConsumer) -> dict[str, Resource]:
    return redriven_queue_resources(
        CHAT_INTAKE_QUEUE,
        names.chat_intake_queue_name,
        CHAT_INTAKE_DEAD_LETTER_QUEUE,
        names.chat_intake_dead_letter_queue_name,
        consumer=consumer,
        max_receive_count=MAX_RECEIVE_COUNT,
    )


def consumer_settings(consumer: QueueConsumer) -> Resource:
    return queue_consumer_settings(consumer, CHAT_INTAKE_QUEUE)


def queue_url_variable() -> Resource:
    """Merged into the API handler, the one function that sends to the queue. (The consumer,
    which refers to the queue by ARN, waits for it through DependsOn instead.)"""
    return shared_queue_url_variable(QUEUE_URL_VARIABLE, CHAT_INTAKE_QUEUE)


def chat_intake_outputs() -> dict[str, Any]:
    return {
        "ChatIntakeQueueUrl": {"Value": ref(CHAT_INTAKE_QUEUE)},
        "ChatIntakeDeadLetterQueueUrl": {"Value": ref(CHAT_INTAKE_DEAD_LETTER_QUEUE)},
        "ChatIntakeDeadLetterQueueName": {
            "Value": get_att(CHAT_INTAKE_DEAD_LETTER_QUEUE, "QueueName")
        },
    }


# --- the same, in the shapes of the SQS API (the local stack and the tests) --------------------


def queue_attributes(dead_letter_arn: str, visibility_timeout_seconds: int) -> dict[str, str]:
    return redriven_queue_attributes(dead_letter_arn, visibility_timeout_seconds, MAX_RECEIVE_COUNT)
