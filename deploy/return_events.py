"""The return events' stream: the table streams every item it writes, and the
`@app.on_dynamodb_record` consumer hands each return event to its subscribers.

app.py cannot name the stream (it exists once the table does), so Chalice's event source gets a
placeholder ARN, replaced here by the table's `StreamArn`; the same merge adds what Chalice's
decorator cannot say: a filter that lets only new return events invoke the function, partial
batch responses, bisection on error, bounded retries, and an on-failure destination. A batch
whose records keep failing is reported there (shard and sequence numbers, not the records
themselves) and alarms, instead of holding up its shard for a day.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.repositories.return_events import EVENT_PARTITION_PREFIX
from chalicelib.repositories.table_schema import PARTITION_KEY
from deploy.cfn import Resource, get_att, ref
from deploy.chalice_app import StreamConsumer
from deploy.queues import DEAD_LETTER_RETENTION_SECONDS, queue_resource
from deploy.stage import StageNames

RETURN_EVENTS_DEAD_LETTER_QUEUE = "ReturnEventsDeadLetterQueue"

# DynamoDB keeps a stream's records 24 hours; past that a record can be neither retried nor
# read again, so every limit below stays well inside it.
STREAM_RETENTION_SECONDS = 24 * 60 * 60
# Every subscriber is idempotent on the event id, so a retry is always safe; ten of them ride
# out a throttled call or a peer's short outage, and a record that fails ten times in a row
# (a bug, a return a subscriber cannot handle) stops holding up the events behind it in its
# shard. Splitting a failed batch in two does not count as a retry (Lambda developer guide,
# "Retain discarded records for a DynamoDB event source").
MAXIMUM_RETRY_ATTEMPTS = 10
# What cannot even be handed to the function (throttling, a broken deployment) is retried until
# this age only. Six hours covers an outage worth waiting for; it leaves 18 of the stream's 24
# hours to read again the records a parked batch names, once the cause is fixed.
MAXIMUM_RECORD_AGE_SECONDS = 6 * 60 * 60
# The consumer answers with the sequence number of the first record that failed: Lambda retries
# from there, without handing the records before it over again.
PARTIAL_BATCH_RESPONSES = ["ReportBatchItemFailures"]
# What a person does about a report in the dead-letter queue: it names the records (shard and
# sequence numbers), which stay readable in the stream for its 24 hours.
RETURN_EVENTS_REMEDY = (
    "each message names a batch of stream records (shard, sequence numbers); fix the cause, "
    "then deliver those records again within the stream's 24 hours"
)
# Records waiting this long (IteratorAge, in ms) mean a failing record is holding up its shard:
# partial batch failures are no function errors, so the Errors alarm does not see them.
ITERATOR_AGE_ALARM_MS = 15 * 60 * 1000


# The stream carries every write of the table; only a new event item is a return event
# (repositories/return_events.py's is_event_item). Lambda drops the other records before
# invoking the function (event filtering on the stream record's fields).
RETURN_EVENT_RECORDS = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {PARTITION_KEY: {"S": [{"prefix": EVENT_PARTITION_PREFIX}]}}},
}


class StreamConsumerCountError(ValueError):
    """app.py does not declare exactly one stream consumer, the return events'."""


class TableStreamMissingError(ValueError):
    """The table streams nothing, so the return events' consumer would read nothing."""


def return_events_consumer(consumers: list[StreamConsumer]) -> StreamConsumer:
    if len(consumers) != 1:
        raise StreamConsumerCountError(
            "the template wires one stream, the table's, to one @app.on_dynamodb_record "
            f"function; app.py declares {len(consumers)}: {[c.function_id for c in consumers]}"
        )
    return consumers[0]


def check_table_streams(table: Resource, table_id: str) -> None:
    if "StreamSpecification" not in table["Properties"]:
        raise TableStreamMissingError(
            f"{table_id} has no StreamSpecification (table_definition() enables none): the "
            "return events' consumer reads the table's stream"
        )


def return_events_resources(names: StageNames) -> dict[str, Resource]:
    """Where the batches the consumer gave up on are reported."""
    return {
        RETURN_EVENTS_DEAD_LETTER_QUEUE: queue_resource(
            names.return_events_dead_letter_queue_name,
            MessageRetentionPeriod=DEAD_LETTER_RETENTION_SECONDS,
        )
    }


def consumer_settings(consumer: StreamConsumer, table_id: str) -> Resource:
    """Merged into the DynamoDB event source Chalice gives the consumer (SAM's `DynamoDB` event,
    whose properties pass to the AWS::Lambda::EventSourceMapping it generates)."""
    return {
        "Properties": {
            "Events": {
                consumer.event_id: {
                    "Properties": {
                        "Stream": get_att(table_id, "StreamArn"),
                        "FilterCriteria": {
                            "Filters": [{"Pattern": json.dumps(RETURN_EVENT_RECORDS)}]
                        },
                        "FunctionResponseTypes": PARTIAL_BATCH_RESPONSES,
                        "BisectBatchOnFunctionError": True,
                        "MaximumRetryAttempts": MAXIMUM_RETRY_ATTEMPTS,
                        "MaximumRecordAgeInSeconds": MAXIMUM_RECORD_AGE_SECONDS,
                        # No `Type`: SAM only uses it to grant sqs:SendMessage to a role it
                        # creates, and Chalice creates the role (the policy file grants it).
                        "DestinationConfig": {
                            "OnFailure": {
                                "Destination": get_att(RETURN_EVENTS_DEAD_LETTER_QUEUE, "Arn")
                            }
                        },
                    }
                }
            }
        }
    }


def return_events_outputs() -> dict[str, Any]:
    return {
        "ReturnEventsDeadLetterQueueUrl": {"Value": ref(RETURN_EVENTS_DEAD_LETTER_QUEUE)},
        "ReturnEventsDeadLetterQueueName": {
            "Value": get_att(RETURN_EVENTS_DEAD_LETTER_QUEUE, "QueueName")
        },
    }
