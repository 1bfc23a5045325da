"""The Lambda entry point of the Gorgias updates queue (SQS FIFO): each event of a return, a
cancellation request or a claim that Gorgias must hear of → a ticket for a request, an internal
note for a later step (services/gorgias_tickets.py).

FIFO batches are processed in order; a failed message goes back to the queue with the later
messages of the same return or request, so its steps never overtake one another, while
others' go on. A message that fails MAX_RECEIVE_COUNT times (Gorgias down for hours) waits in the
dead-letter queue, whose alarm asks a person to redrive it once Gorgias answers again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from chalicelib.observability import logger
from chalicelib.services import container

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

# app.py's name for the consumer, by which the template and the policies find it.
GORGIAS_UPDATES_FUNCTION_NAME = "send_gorgias_updates"


def process_gorgias_updates(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (
        SqsFifoPartialProcessor,
        process_partial_response,
    )

    return dict(
        process_partial_response(
            event=event,
            record_handler=apply_update,
            # One return's (or request's) failure holds back its own later steps, not others'.
            processor=SqsFifoPartialProcessor(skip_group_on_error=True),
            context=context,
        )
    )


def apply_update(record: SQSRecord) -> None:
    from chalicelib.integrations.gorgias_updates_queue import event_of_message

    try:
        event = event_of_message(record.body)
    except ValidationError:
        # It would fail on every retry: logged for a person, and dropped.
        logger.exception(
            "Unreadable Gorgias update dropped", extra={"message_id": record.message_id}
        )
        return
    updates = container.gorgias_ticket_updates()
    if updates is None:
        logger.warning("Gorgias is not configured; update dropped", extra={"event": event.id})
        return
    with logger.append_context_keys(event_id=event.id, event_type=str(event.type)):
        updates.apply(event)
