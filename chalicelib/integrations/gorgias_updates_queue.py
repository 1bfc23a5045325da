"""The queue between the events of returns and of order requests (cancellation requests and
claims) and the Gorgias tickets and notes they make (services/gorgias_tickets.py): SQS FIFO,
one message group per return or request, so that its steps reach Gorgias in the order they
happened.

A message says what its event is about (`subject`: `return` or `order_request`) beside the
event itself. A message without a subject was queued before requests had tickets: a return's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from chalicelib.domain.events import ReturnEvent
from chalicelib.domain.order_requests import OrderRequestEvent


class ReturnUpdate(BaseModel):
    subject: Literal["return"] = "return"
    event: ReturnEvent


class OrderRequestUpdate(BaseModel):
    subject: Literal["order_request"] = "order_request"
    event: OrderRequestEvent


_UPDATE: TypeAdapter[ReturnUpdate | OrderRequestUpdate] = TypeAdapter(
    Annotated[ReturnUpdate | OrderRequestUpdate, Field(discriminator="subject")]
)


class GorgiasUpdatesQueue:
    def __init__(self, queue_url: str, sqs: Any | None = None) -> None:
        from chalicelib.repositories.aws import client

        self._queue_url = queue_url
        self._sqs = sqs if sqs is not None else client("sqs")

    def send(self, event: ReturnEvent | OrderRequestEvent) -> None:
        update: ReturnUpdate | OrderRequestUpdate
        if isinstance(event, OrderRequestEvent):
            update, group = OrderRequestUpdate(event=event), event.reference
        else:
            update, group = ReturnUpdate(event=event), event.rma_id
        self._sqs.send_message(
            QueueUrl=self._queue_url,
            MessageBody=update.model_dump_json(exclude_none=True),
            # A return's id (32 hex digits) and a request's reference (C-/X-) never meet.
            MessageGroupId=group,
            # The same event sent again (the stream retries a record) is dropped by SQS within
            # five minutes; the consumer tells a ticket of a step once after that.
            MessageDeduplicationId=event.id,
        )


def event_of_message(body: str) -> ReturnEvent | OrderRequestEvent:
    """The event a message carries; ValidationError when it carries none."""
    try:
        return _UPDATE.validate_json(body).event
    except ValidationError:
        # A message queued before messages said their subject: a bare return event.
        return ReturnEvent.model_validate_json(body)
