"""The Lambda entry point of the chat intake (Gorgias → POST /gorgias/events/message → SQS → here).

Each SQS message names a ticket with a new message. Messages succeed or fail one by one
(partial batch responses): a message whose ticket Gorgias could not be read or answered for
(a 429, an outage) goes back to the queue alone, and to the dead-letter queue once it has failed
MAX_RECEIVE_COUNT times (deploy/chat_intake.py). Handling one twice is safe: the ticket's
conversation remembers what was read and done (services/chat_intake.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.observability import logger
from chalicelib.services import container

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

# app.py's name of the consumer: the deployment finds the function by it (deploy/chat_intake.py).
CHAT_INTAKE_FUNCTION_NAME = "handle_chat_messages"
# What a run may hold a ticket's conversation for when Lambda does not say how long is left.
_LEASE_MARGIN_SECONDS = 5.0


def process_chat_messages(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Handle each chat message event of the batch; the failed ones are reported back to SQS.
    (The Lambda context, the correlation id and the metrics are Powertools' middleware's: see
    observability.py.)"""
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    service = container.chat_intake()
    if service is None:
        # Nothing can be read or answered without the REST API: the messages are dropped (a
        # retry would fail the same way until someone configures the credentials).
        logger.warning(
            "Chat messages dropped: no Gorgias API credentials (GORGIAS_SUBDOMAIN, "
            "GORGIAS_API_EMAIL, GORGIAS_API_KEY)",
            extra={"messages": len(event.get("Records") or [])},
        )
        return {"batchItemFailures": []}

    def handle(record: SQSRecord) -> None:
        from chalicelib.integrations.chat_queue import ChatMessageEvent, UnreadableChatEventError

        try:
            chat_event = ChatMessageEvent.from_json(record.body)
        except UnreadableChatEventError:
            # Retrying would fail the same way: logged (not its body: a customer's email).
            logger.error("Unreadable chat message event dropped", extra={"id": record.message_id})
            return
        with logger.append_context_keys(ticket_id=chat_event.ticket_id):
            outcome = service.handle(chat_event, lease_seconds=_lease_seconds(context))
            logger.info("Chat message handled", extra={"outcome": outcome.value})

    return dict(
        process_partial_response(
            event=event,
            record_handler=handle,
            processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )
    )


def _lease_seconds(context: Any) -> float:
    """How long a run may hold a conversation: until shortly after its function would time
    out, so that a run that dies with it lets the ticket go."""
    from chalicelib.services.chat_intake import DEFAULT_LEASE_SECONDS

    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return DEFAULT_LEASE_SECONDS
    return remaining() / 1000 + _LEASE_MARGIN_SECONDS
