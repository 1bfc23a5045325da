"""The model of the chat-intake HTTP integration: Gorgias POSTs it on every new ticket message.

Gorgias disables an integration after 100 failed requests in a row, and renders its template for
every ticket, anonymous chats and SMS included: nothing it can send is refused. A value that is
empty, left unrendered or unreadable is taken as absent, and a body without a ticket or an email
is answered without queuing anything.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import EmailStr, Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator

from chalicelib.api.models.common import LenientRequestModel, ResponseModel


def _absent_unless_valid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """The value if it reads as its type, None otherwise: "", "{{ticket.id}}", "abc", true."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str) and (not value.strip() or "{{" in value):
        return None
    try:
        return handler(value.strip() if isinstance(value, str) else value)
    except ValidationError:
        return None


Lenient = WrapValidator(_absent_unless_valid)
# Gorgias's template renders `{{ticket.id}}` as a string, in quotes or not.
TicketId = Annotated[Annotated[int, Field(gt=0)] | None, Lenient]
Text = Annotated[Annotated[str, Field(max_length=40)] | None, Lenient]


class ChatMessageNotice(LenientRequestModel):
    """`{"ticket_id": "{{ticket.id}}", "customer_email": "{{ticket.customer.email}}",
    "channel": "{{ticket.channel}}", "language": "{{ticket.language}}"}`."""

    ticket_id: TicketId = None
    customer_email: Annotated[EmailStr | None, Lenient] = None
    channel: Text = None
    language: Text = None


class ChatMessageAccepted(ResponseModel):
    """Whether the message was handed to the chat intake (not without a ticket and an email,
    nor while the intake's queue is not configured)."""

    queued: bool
