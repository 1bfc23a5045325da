"""The route Gorgias calls on every new ticket message (the chat-intake HTTP integration): the
message is queued for the chat intake (services/chat_intake.py), which reads the ticket and
answers in the chat; the route answers 202 at once.

Only a wrong token is refused: Gorgias disables an integration after 100 failures in a row, and
sends this for every ticket, those without a customer email (anonymous chats, SMS) included.
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.auth import gorgias_token_guard
from chalicelib.api.models.chat import ChatMessageAccepted, ChatMessageNotice
from chalicelib.api.routing import Router
from chalicelib.observability import logger
from chalicelib.services import container

gorgias_chat = Blueprint(__name__)
routes = Router(gorgias_chat, guard=gorgias_token_guard, security="gorgias", tags=("gorgias",))


@routes.post(
    "/gorgias/events/message",
    summary="A new message on a Gorgias ticket, for the chat intake",
    status=202,
)
def message_created(body: ChatMessageNotice) -> ChatMessageAccepted:
    if body.ticket_id is None or body.customer_email is None:
        return ChatMessageAccepted(queued=False)
    queue = container.chat_queue()
    if queue is None:
        logger.warning("Chat message not queued: CHAT_INTAKE_QUEUE_URL is not set")
        return ChatMessageAccepted(queued=False)
    from chalicelib.integrations.chat_queue import ChatMessageEvent

    queue.send(
        ChatMessageEvent(
            ticket_id=body.ticket_id,
            customer_email=str(body.customer_email),
            channel=body.channel,
            language=body.language,
        )
    )
    return ChatMessageAccepted(queued=True)
