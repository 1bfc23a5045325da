"""What Lambda's event source mapping does for a DynamoDB stream, done locally: read the table's
stream shard by shard, in order, keep the records its filter lets through, hand each batch to
the consumer, and resume after the records it took, from the first one it reported failed.

The local stack pumps it on a thread; tests call `deliver()` to drain it at a chosen moment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from local.sqs_events import LocalLambdaContext

Handler = Callable[[dict[str, Any], Any], Any]

log = logging.getLogger("local.stream_events")

# As the deployed event source (app.py): records handed to one invocation.
BATCH_SIZE = 25
# A batch that fails this many times in a row stops the draining of a test, which then sees
# what was not delivered; the pump of the local stack keeps trying, as Lambda does until the
# records' maximum age.
DRAIN_ATTEMPTS = 5


@dataclass(frozen=True)
class Delivery:
    """What one drain did: records handed to the consumer, and batches it failed (in part)."""

    records: int = 0
    failed_batches: int = 0


class StreamDelivery:
    def __init__(
        self,
        streams: Any,
        table_name: str,
        handler: Handler,
        *,
        function_name: str = "handle_return_events",
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._streams = streams
        self._table_name = table_name
        self._handler = handler
        self._function_name = function_name
        self._batch_size = batch_size
        # The sequence number of the last record each shard's consumer is done with.
        self._done: dict[str, str] = {}
        # One delivery at a time: the pump's thread and a test's drain share the position.
        self._lock = threading.Lock()

    def deliver(self, *, attempts: int = DRAIN_ATTEMPTS) -> Delivery:
        """Hand every record not yet taken to the consumer, a batch at a time, retrying a
        failed batch from its first failed record up to `attempts` times in a row."""
        records = failed = 0
        with self._lock:
            stream_arn = self._stream_arn()
            for shard_id in self._shard_ids(stream_arn):
                failures_in_a_row = 0
                while failures_in_a_row < attempts:
                    read = self._read(stream_arn, shard_id)
                    if not read:
                        break
                    # As the event source's filter does: the rest never invokes the function.
                    batch = [record for record in read if is_return_event_record(record)]
                    taken = self._hand_over(batch) if batch else 0
                    records += len(batch)
                    if taken < len(batch):
                        failed += 1
                        failures_in_a_row += 1
                        # Done with what came before the first record that failed.
                        last_done = read.index(batch[taken]) - 1
                    else:
                        failures_in_a_row = 0
                        last_done = len(read) - 1
                    if last_done >= 0:
                        self._done[shard_id] = read[last_done]["dynamodb"]["SequenceNumber"]
        return Delivery(records=records, failed_batches=failed)

    def skip_what_is_there(self) -> int:
        """Take every record the stream holds now as delivered (history written before the
        consumer existed, as an event source mapping created at LATEST would). How many."""
        skipped = 0
        with self._lock:
            stream_arn = self._stream_arn()
            for shard_id in self._shard_ids(stream_arn):
                while batch := self._read(stream_arn, shard_id):
                    skipped += len(batch)
                    self._done[shard_id] = batch[-1]["dynamodb"]["SequenceNumber"]
        return skipped

    def _stream_arn(self) -> str:
        streams = self._streams.list_streams(TableName=self._table_name)["Streams"]
        return str(streams[0]["StreamArn"])

    def _shard_ids(self, stream_arn: str) -> list[str]:
        description = self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description["Shards"]]

    def _read(self, stream_arn: str, shard_id: str) -> list[dict[str, Any]]:
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self._done[shard_id]}
            if shard_id in self._done
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self._streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard_id, **position
        )["ShardIterator"]
        records = self._streams.get_records(ShardIterator=iterator, Limit=self._batch_size)
        return [lambda_record(record, stream_arn) for record in records["Records"]]

    def _hand_over(self, batch: list[dict[str, Any]]) -> int:
        """How many records of `batch`, from its start, the consumer is done with."""
        context = LocalLambdaContext(function_name=self._function_name)
        try:
            response = self._handler({"Records": batch}, context) or {}
        except Exception:
            log.exception("%s failed on a batch; it is retried", self._function_name)
            return 0
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        for index, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failed:
                return index
        return len(batch)


def is_return_event_record(record: dict[str, Any]) -> bool:
    """What the deployed event source's filter lets through (deploy/return_events.py): new
    return event items."""
    from chalicelib.repositories.return_events import EVENT_PARTITION_PREFIX
    from chalicelib.repositories.table_schema import PARTITION_KEY

    partition = record["dynamodb"]["Keys"].get(PARTITION_KEY, {}).get("S", "")
    return record["eventName"] == "INSERT" and partition.startswith(EVENT_PARTITION_PREFIX)


def streams_client() -> Any:
    """A DynamoDB Streams client moto answers: botocore now sends calls naming a stream ARN to
    an endpoint of the stream's account (`<account>.streams-ddb.<region>...`), which moto does
    not serve; the regional endpoint is the same service."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")
    )


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record as GetRecords returns it, as Lambda hands it over: with its stream's ARN, and
    the creation time in epoch seconds rather than the SDK's datetime."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": stream, "eventSourceARN": stream_arn}
