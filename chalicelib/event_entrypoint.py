"""The Lambda entry point of return events (and order requests' events): the table's stream →
each event's subscribers.

The stream carries every write of the table; only new event items (see
repositories/return_events.py) are events, and the event source's filter keeps the others from
invoking the function at all in AWS. Records succeed or fail one by one (partial batch
responses): Lambda retries from the first failed record, halving the batch on each error, and
sends what still fails after its retries to the on-failure queue, whose alarm asks a person to
look. A record that is retried reaches every subscriber again; each is idempotent on the
event's id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.errors import StoredDataError
from chalicelib.observability import logger
from chalicelib.services import container

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )


def process_return_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Deliver each return event of the batch; the failed records are reported to Lambda. (The
    app's middleware gives it the Lambda context's log keys and flushes its metrics.)"""
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    return dict(
        process_partial_response(
            event=event,
            record_handler=deliver_record,
            processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
            context=context,
        )
    )


def deliver_record(record: DynamoDBRecord) -> None:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecordEventName,
    )

    from chalicelib.repositories.return_events import event_from_image, is_event_item
    from chalicelib.repositories.stored_data import report_stored_data_fault

    stream = record.dynamodb
    if (
        record.event_name is not DynamoDBRecordEventName.INSERT
        or stream is None
        or not is_event_item(stream.keys)
    ):
        return
    try:
        event = event_from_image(stream.new_image)
    except StoredDataError as fault:
        # It would fail on every retry and hold back the returns behind it: reported (logged,
        # counted, alarmed) and left in the table, where it stays for a week to be looked at.
        report_stored_data_fault(fault)
        return
    from chalicelib.domain.order_requests import OrderRequestEvent

    with logger.append_context_keys(event_id=event.id, event_type=str(event.type)):
        if isinstance(event, OrderRequestEvent):
            container.order_request_event_dispatcher().deliver(event)
        else:
            container.return_event_dispatcher().deliver(event)
