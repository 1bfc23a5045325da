"""The webhook deliveries' queue: the return events' consumer sends it each delivery it stores,
and the `@app.on_sqs_message` consumer (`deliver_webhooks`) attempts it.

A failed attempt hides its message until the retry schedule's next try (the consumer sets the
message's visibility timeout: chalicelib/webhook_delivery_entrypoint.py), so a message is
received once per attempt: at most MAX_ATTEMPTS times while the schedule lasts. Beyond
MAX_RECEIVE_COUNT receipts (only crashes and timeouts get a message there) it waits in the
dead-letter queue, whose alarm asks a person to look. The local stack and the tests build the
same queues from these functions, in the SQS API's shapes.

No VPC for the consumer: it calls the merchant's endpoints on the public internet, and it needs
nothing private. Outside a VPC a Lambda function reaches the internet and none of the account's
private networks; the sender's SSRF guard (integrations/webhook_sender.py) refuses private,
loopback and metadata addresses, checked on each attempt after the name is resolved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.domain.webhooks import MAX_ATTEMPTS
from chalicelib.webhook_delivery_entrypoint import WEBHOOK_DELIVERY_FUNCTION_NAME
from deploy.cfn import Resource, deep_merge, get_att, ref
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

WEBHOOK_DELIVERIES_QUEUE = "WebhookDeliveriesQueue"
WEBHOOK_DELIVERIES_DEAD_LETTER_QUEUE = "WebhookDeliveriesDeadLetterQueue"
# app.py names the consumer's queue from this variable at import, as it does the inspections'.
QUEUE_NAME_VARIABLE = "WEBHOOK_DELIVERIES_QUEUE_NAME"
# The return events' consumer and the API (test webhooks, a person's retry) send to the queue at
# this URL (Settings.webhook_deliveries_queue_url), and the deliveries' consumer hides the
# messages it retries later there: the stage declares it, the template sets it to the queue's.
QUEUE_URL_VARIABLE = "WEBHOOK_DELIVERIES_QUEUE_URL"
# One receipt per attempt, and room for a few crashes besides.
MAX_RECEIVE_COUNT = MAX_ATTEMPTS + 5
# The schedule lasts about a day; an endpoint is disabled after three of failures: a message
# older than four days is one nobody will attempt again.
RETENTION_SECONDS = 4 * 24 * 60 * 60
DEAD_LETTERS_REMEDY = (
    "each message names a webhook delivery whose attempts kept crashing the consumer; fix the "
    "cause, then redrive them (a delivered one is not sent again)"
)


def webhook_deliveries_consumer(consumers: Sequence[QueueConsumer]) -> QueueConsumer:
    return consumer_of(consumers, WEBHOOK_DELIVERY_FUNCTION_NAME, "webhook deliveries")


def check_webhook_queue_variables(variables: Mapping[str, str], names: StageNames) -> None:
    check_queue_variables(
        variables,
        names.stage,
        name_variable=QUEUE_NAME_VARIABLE,
        queue_name=names.webhook_deliveries_queue_name,
        url_variable=QUEUE_URL_VARIABLE,
    )


# --- CloudFormation ----------------------------------------------------------------------------


def webhook_deliveries_resources(names: StageNames, consumer: QueueConsumer) -> dict[str, Resource]:
    resources = redriven_queue_resources(
        WEBHOOK_DELIVERIES_QUEUE,
        names.webhook_deliveries_queue_name,
        WEBHOOK_DELIVERIES_DEAD_LETTER_QUEUE,
        names.webhook_deliveries_dead_letter_queue_name,
        consumer=consumer,
        max_receive_count=MAX_RECEIVE_COUNT,
    )
    resources[WEBHOOK_DELIVERIES_QUEUE]["Properties"]["MessageRetentionPeriod"] = RETENTION_SECONDS
    return resources


def consumer_settings(consumer: QueueConsumer) -> Resource:
    """Partial batch responses, as every consumer; and the queue's URL, where the consumer
    hides the messages it retries later. Its `Ref` has CloudFormation create the queue first,
    which the other consumers need a DependsOn for (cfn-lint refuses both)."""
    settings = deep_merge(
        queue_consumer_settings(consumer, WEBHOOK_DELIVERIES_QUEUE), queue_url_variable()
    )
    del settings["DependsOn"]
    return settings


def queue_url_variable() -> Resource:
    """Merged into the functions that send to the queue, and into its consumer."""
    return shared_queue_url_variable(QUEUE_URL_VARIABLE, WEBHOOK_DELIVERIES_QUEUE)


def webhook_deliveries_outputs() -> dict[str, Any]:
    return {
        "WebhookDeliveriesQueueUrl": {"Value": ref(WEBHOOK_DELIVERIES_QUEUE)},
        "WebhookDeliveriesDeadLetterQueueUrl": {"Value": ref(WEBHOOK_DELIVERIES_DEAD_LETTER_QUEUE)},
        "WebhookDeliveriesDeadLetterQueueName": {
            "Value": get_att(WEBHOOK_DELIVERIES_DEAD_LETTER_QUEUE, "QueueName")
        },
    }


# --- the same, in the shapes of the SQS API (the local stack and the tests) --------------------


def queue_attributes(dead_letter_arn: str, visibility_timeout_seconds: int) -> dict[str, str]:
    return {
        **redriven_queue_attributes(dead_letter_arn, visibility_timeout_seconds, MAX_RECEIVE_COUNT),
        "MessageRetentionPeriod": str(RETENTION_SECONDS),
    }
