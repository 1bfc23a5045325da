"""The chat intake's queue: `POST /gorgias/events/message` puts each message event Gorgias sends
on it and answers at once; the worker (chat_entrypoint.py) reads the ticket later, at the pace
the Gorgias rate limit allows. The message names the ticket and nothing of its content: the
worker reads the messages themselves through the REST API."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from chalicelib.repositories.aws import client


class UnreadableChatEventError(ValueError):
    """A queued message that is not a chat event (a hand-made message, a bug): retrying it would
    fail the same way."""


@dataclass(frozen=True)
class ChatMessageEvent:
    """A new message on a Gorgias ticket, as the HTTP integration describes it."""

    ticket_id: int
    customer_email: str
    # Gorgias's channel of the ticket (`chat`, `email`, ...) and the language it detected.
    channel: str | None = None
    language: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str) -> ChatMessageEvent:
        try:
            document = json.loads(body)
            event = cls(
                ticket_id=document["ticket_id"],
                customer_email=document["customer_email"],
                channel=document.get("channel"),
                language=document.get("language"),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise UnreadableChatEventError("not a chat message event") from error
        if (
            not isinstance(event.ticket_id, int)
            or isinstance(event.ticket_id, bool)
            or event.ticket_id <= 0
            or not isinstance(event.customer_email, str)
            or "@" not in event.customer_email
        ):
            raise UnreadableChatEventError("a chat message event names a ticket and an email")
        return event


class ChatQueue:
    """Sends chat message events to the queue at `queue_url`."""

    def __init__(self, queue_url: str, sqs: Any | None = None) -> None:
        self._queue_url = queue_url
        self._sqs = sqs if sqs is not None else client("sqs")

    def send(self, event: ChatMessageEvent) -> None:
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=event.to_json())
