"""Status emails waiting to be sent: the outbox between the return and order request events
that make them due and the scheduled job that sends them. The only module that knows their items.

- Email: pk `EMAILS#<rma id>` (a return's) or `EMAILS#<reference>` (an order request's, `C-…` or
  `X-…`), sk `EMAIL#<version, 6 digits>` (the version of the change that made it due), holding
  the RMA (`rma`) or the request (`request`) as that change left it, the kind of email and the
  reason it quotes. A partition of its own, so that reading an RMA or a request with its log
  never reads its emails.
- While it waits: email-due-index `EMAIL_DUE` / `<changed>#<id or reference>#<version>`, a
  sparse index that holds nothing else. Sending it (or giving up on it) takes it out of the
  index; the item stays for a while, so that the event that made it due, delivered again,
  finds it there.
- A due email is held by one run of the job at a time: `claim` names the run, `claimed_until`
  (epoch seconds) is when another run may take it over.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.order_requests import OrderRequest
from chalicelib.domain.rma import Rma
from chalicelib.repositories.dynamo import DynamoTable
from chalicelib.repositories.stored_data import validation_summary
from chalicelib.repositories.table_schema import (
    EMAIL_DUE_INDEX,
    EMAIL_DUE_INDEX_PK,
    EMAIL_DUE_INDEX_SK,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
)

_EMAIL_DUE = "EMAIL_DUE"
_CLAIM_NAMES = {"#claim": "claim", "#until": "claimed_until"}
_UNCLAIMED = "(attribute_not_exists(#until) OR #until < :now)"
# Longer than the stream keeps an event (24 hours) and the consumer retries one.
SENT_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class DueStatusEmail:
    """A status email waiting to be sent, with the RMA (or the order request) as the change left
    it; both are None when that copy no longer reads as one, and `unreadable` says why."""

    # Where the email waits: opaque outside this module.
    item_key: dict[str, str]
    rma: Rma | None
    kind: str
    reason: str | None
    # Sends tried so far, this one's claim included once it is claimed.
    attempts: int
    unreadable: str | None = None
    request: OrderRequest | None = None

    @property
    def about(self) -> Rma | OrderRequest | None:
        """What the email tells of: a return, or a cancellation request or claim."""
        return self.rma or self.request

    @property
    def series(self) -> str:
        """Whose emails this one is among (one return's, or one request's): they go out in
        the order of their changes."""
        return self.item_key[PARTITION_KEY]


class EmailOutbox(DynamoTable):
    def add(self, about: Rma | OrderRequest, kind: str, reason: str | None = None) -> bool:
        """Make the email of `kind` due for the change that left `about` (a return, or an order
        request) as it is; False when that change's email was already made due (sent or not):
        a change owes one email."""
        key = about.id if isinstance(about, Rma) else about.reference
        item: dict[str, Any] = {
            PARTITION_KEY: f"EMAILS#{key}",
            SORT_KEY: f"EMAIL#{about.version:06d}",
            EMAIL_DUE_INDEX_PK: _EMAIL_DUE,
            EMAIL_DUE_INDEX_SK: f"{about.updated_at.isoformat()}#{key}#{about.version:06d}",
            "kind": kind,
        }
        if isinstance(about, Rma):
            # What the email shows; the lifecycle's token and the uploads log are no shopper's.
            item["rma"] = about.model_dump(
                mode="json", exclude_none=True, exclude={"task_token", "inspection_uploads"}
            )
        else:
            item["request"] = about.model_dump(mode="json", exclude_none=True)
        if reason:
            item["reason"] = reason
        return self._put_new(item)

    def due_status_emails(self, limit: int) -> Iterator[DueStatusEmail]:
        """At most `limit` due status emails, oldest change first, read a page at a time as they
        are consumed: the sparse index holds nothing else, so every item read is one to send."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": EMAIL_DUE_INDEX,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": EMAIL_DUE_INDEX_PK},
            "ExpressionAttributeValues": {":pk": {"S": _EMAIL_DUE}},
        }
        remaining = limit
        while remaining > 0:
            response = self._dynamodb.query(**query, Limit=remaining)
            for item in response["Items"]:
                yield self._to_due_email(item)
            remaining -= len(response["Items"])
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def claim_status_email(
        self, due: DueStatusEmail, *, claim: str, now: datetime, until: datetime
    ) -> bool:
        """Hold `due` for one run of the job until `until`, counting the attempt. False when it
        was sent, set aside, or is held by another run meanwhile (the index lags the table)."""
        return self._update_due_email(
            due,
            "SET #claim = :claim, #until = :until ADD #attempts :one",
            condition=f"attribute_exists(#due) AND {_UNCLAIMED}",
            values={":claim": claim, ":until": _epoch(until), ":now": _epoch(now), ":one": 1},
            names={**_CLAIM_NAMES, "#due": EMAIL_DUE_INDEX_PK, "#attempts": "attempts"},
        )

    def clear_status_email(self, due: DueStatusEmail, *, claim: str, sent_at: datetime) -> bool:
        """`due` was sent: out of the index, remembered as sent for SENT_RETENTION (so that a
        redelivered event does not make it due again), unless another run took it over."""
        return self._update_due_email(
            due,
            "SET sent_at = :sent, #expires = :expires REMOVE #due, #due_sk, #claim, #until",
            condition="#claim = :claim",
            values={
                ":claim": claim,
                ":sent": sent_at.isoformat(),
                ":expires": _epoch(sent_at + SENT_RETENTION),
            },
            names={
                **_CLAIM_NAMES,
                "#due": EMAIL_DUE_INDEX_PK,
                "#due_sk": EMAIL_DUE_INDEX_SK,
                "#expires": TTL_ATTRIBUTE,
            },
        )

    def release_status_email(self, due: DueStatusEmail, *, claim: str, count_try: bool) -> bool:
        """`due` could not be sent: leave it due for the next run, its claim's try counted or,
        when the failure says nothing of this email (SES throttling), not."""
        update = "REMOVE #claim, #until" if count_try else "REMOVE #claim, #until ADD #attempts :un"
        values: dict[str, Any] = {":claim": claim} if count_try else {":claim": claim, ":un": -1}
        names = _CLAIM_NAMES if count_try else {**_CLAIM_NAMES, "#attempts": "attempts"}
        return self._update_due_email(
            due, update, condition="#claim = :claim", values=values, names=names
        )

    def set_status_email_aside(
        self, due: DueStatusEmail, *, failed_at: datetime, expires_at: datetime, claim: str | None
    ) -> bool:
        """Stop trying `due`: out of the index, kept (until `expires_at`) as a record of the
        failure. `claim` is this run's hold on it, or None when it was not claimed."""
        condition = "#claim = :claim" if claim else f"attribute_exists(#due) AND {_UNCLAIMED}"
        values: dict[str, Any] = {":failed": failed_at.isoformat(), ":expires": _epoch(expires_at)}
        values.update({":claim": claim} if claim else {":now": _epoch(failed_at)})
        return self._update_due_email(
            due,
            "SET failed_at = :failed, #expires = :expires REMOVE #due, #due_sk, #claim, #until",
            condition=condition,
            values=values,
            names={
                **_CLAIM_NAMES,
                "#due": EMAIL_DUE_INDEX_PK,
                "#due_sk": EMAIL_DUE_INDEX_SK,
                "#expires": TTL_ATTRIBUTE,
            },
        )

    def _to_due_email(self, item: dict[str, Any]) -> DueStatusEmail:
        document = self._from_dynamo(item)
        rma, request, unreadable = None, None, None
        try:
            if "request" in document:
                request = OrderRequest.model_validate(document["request"])
            else:
                rma = Rma.model_validate(document["rma"])
        except ValidationError as error:
            unreadable = validation_summary(error)
        return DueStatusEmail(
            item_key={PARTITION_KEY: document[PARTITION_KEY], SORT_KEY: document[SORT_KEY]},
            rma=rma,
            kind=document["kind"],
            reason=document.get("reason"),
            attempts=int(document.get("attempts", 0)),
            unreadable=unreadable,
            request=request,
        )

    def _update_due_email(
        self,
        due: DueStatusEmail,
        update: str,
        *,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str],
    ) -> bool:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=self._to_dynamo(due.item_key),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=self._to_dynamo(values),
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())
