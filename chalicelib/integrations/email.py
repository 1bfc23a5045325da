"""Emails to shoppers. Services ask an `EmailSender`; `SesEmailSender` sends through Amazon SES
(moto's SES locally and in the tests, where sent messages can be read back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class EmailNotSentError(Exception):
    """The email service refused or could not take the message; `transient` when the same
    message may well go through later (throttling, an outage), rather than being refused."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


# SES's answers that say "not now" rather than "not this message".
_TRANSIENT_SES_ERRORS = frozenset(
    {"Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure"}
)


@dataclass(frozen=True)
class EmailMessage:
    subject: str
    text: str
    html: str
    # Where the shopper's replies go: the support inbox, so they land in Gorgias.
    reply_to: str | None = None
    # Which email this is (`sign-in-code`, `status-approved`, ...): an SES message tag, by which
    # sending events can be told apart, and which the local stack's outbox page shows.
    kind: str | None = None


class EmailSender(Protocol):
    def send(self, recipient: str, message: EmailMessage) -> None:
        """Send `message` to `recipient`; raises EmailNotSentError when it cannot."""
        ...


class SesEmailSender:
    def __init__(self, sender_email: str, ses: Any | None = None) -> None:
        from chalicelib.repositories.aws import client

        self._sender = sender_email
        self._ses = ses if ses is not None else client("ses")

    def send(self, recipient: str, message: EmailMessage) -> None:
        # Imported here: botocore's exceptions are only needed once an email goes out.
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._ses.send_email(
                Source=self._sender,
                Destination={"ToAddresses": [recipient]},
                Message={
                    "Subject": _utf8(message.subject),
                    "Body": {"Text": _utf8(message.text), "Html": _utf8(message.html)},
                },
                ReplyToAddresses=[message.reply_to] if message.reply_to else [],
                Tags=[{"Name": "kind", "Value": message.kind}] if message.kind else [],
            )
        except ClientError as error:
            # The error code only: SES messages may quote the recipient's address.
            code = error.response["Error"]["Code"]
            raise EmailNotSentError(
                f"SES refused the email: {code}", transient=code in _TRANSIENT_SES_ERRORS
            ) from error
        except BotoCoreError as error:
            raise EmailNotSentError(
                f"SES could not be reached: {type(error).__name__}", transient=True
            ) from error


def _utf8(data: str) -> dict[str, str]:
    return {"Data": data, "Charset": "UTF-8"}
