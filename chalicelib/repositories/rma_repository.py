"""RMAs and their action logs in DynamoDB. The only module that knows their keys.

Item layout (one partition per RMA, so an RMA and its log come back in one Query):

- RMA: pk `RMA#<id>`, sk `RMA`; customer-index `CUSTOMER#<email>` / `RMA#<created>#<id>`;
  status-index `STATUS#<processing status>` / `<created>#<id>`.
- Action-log entry: pk `RMA#<id>`, sk `EVENT#<version, 6 digits>`.
- Reference: pk `REF#<return number>`, sk `REF`, holding the RMA id.
- Status email due: pk `EMAILS#<id>`, sk `EMAIL#<version, 6 digits>`, written with the change
  that makes it due and holding the RMA as that change left it; email-due-index `EMAIL_DUE` /
  `<changed>#<id>#<version>` while it waits, which the email job deletes once sent. A partition
  of its own, so that reading an RMA with its log never reads its emails.
- Counters: pk `COUNTER#RETURN_NUMBER` or `COUNTER#CUSTOMER#<email>`, sk `COUNTER`.
- Units claimed: pk `CLAIMS#<order key>`, sk `SKU#<sku>`, `claimed` the units of that order
  line live returns hold. Added in the transaction that opens a return, conditional on the
  order's quantity, and given back in the one that rejects, cancels or deletes it: two requests
  for the last unit cannot both succeed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.references import order_key
from chalicelib.domain.rma import Rma, RmaEvent, RmaLine
from chalicelib.domain.statuses import ProcessingStatus
from chalicelib.errors import (
    ConcurrentModificationError,
    InvalidRequestError,
    StoredDataError,
    UnitsAlreadyClaimedError,
)
from chalicelib.repositories.dynamo import DynamoTable, raise_if_throttled
from chalicelib.repositories.table_schema import (
    CUSTOMER_INDEX,
    CUSTOMER_INDEX_PK,
    CUSTOMER_INDEX_SK,
    EMAIL_DUE_INDEX,
    EMAIL_DUE_INDEX_PK,
    EMAIL_DUE_INDEX_SK,
    PARTITION_KEY,
    SORT_KEY,
    STATUS_INDEX,
    STATUS_INDEX_PK,
    STATUS_INDEX_SK,
    TTL_ATTRIBUTE,
)

# References start at R-001001 so that early ones still read as return numbers, not as typos.
FIRST_RETURN_NUMBER = 1001
_RMA_SK = "RMA"
_EVENT_PREFIX = "EVENT#"
_EMAIL_PREFIX = "EMAIL#"
_EMAIL_DUE = "EMAIL_DUE"
# A due email is held by one run of the job at a time: `claim` names the run, `claimed_until`
# (epoch seconds) is when another run may take it over.
_CLAIM_NAMES = {"#claim": "claim", "#until": "claimed_until"}
# Opening a return whose claim counters another transaction is writing at that instant.
_CREATE_ATTEMPTS = 3
_UNCLAIMED = "(attribute_not_exists(#until) OR #until < :now)"


@dataclass(frozen=True)
class RmaPage:
    items: list[Rma]
    cursor: str | None


@dataclass(frozen=True)
class StatusEmailDue:
    """The status email a write makes due, and the rejection reason it quotes."""

    kind: str
    reason: str | None = None


@dataclass(frozen=True)
class DueStatusEmail:
    """A status email waiting to be sent, with the RMA as the change left it; `rma` is None
    when that copy no longer reads as an RMA, and `unreadable` says why."""

    # Where the email waits: opaque outside this module.
    item_key: dict[str, str]
    rma: Rma | None
    kind: str
    reason: str | None
    # Sends tried so far, this one's claim included once it is claimed.
    attempts: int
    unreadable: str | None = None


@dataclass(frozen=True)
class OldestRmas:
    items: list[Rma]
    # How many more match beyond `items`.
    more: int


def _rma_pk(rma_id: str) -> str:
    return f"RMA#{rma_id}"


def _reference_key(return_number: int) -> dict[str, str]:
    return {PARTITION_KEY: f"REF#{return_number}", SORT_KEY: "REF"}


def _customer_pk(email_key: str) -> str:
    return f"CUSTOMER#{email_key}"


def _status_pk(status: ProcessingStatus) -> str:
    return f"STATUS#{status}"


def _claim_key(order_number: str, sku: str) -> dict[str, str]:
    return {PARTITION_KEY: f"CLAIMS#{order_key(order_number)}", SORT_KEY: f"SKU#{sku}"}


class RmaRepository(DynamoTable):
    # --- numbering ---------------------------------------------------------------------------

    def allocate_return_number(self) -> int:
        """The next return number; atomic, so two RMAs never share one (gaps are possible)."""
        return FIRST_RETURN_NUMBER - 1 + self._increment("COUNTER#RETURN_NUMBER")

    def allocate_customer_return_count(self, email_key: str) -> int:
        return self._increment(f"COUNTER#{_customer_pk(email_key)}")

    def _increment(self, counter_pk: str) -> int:
        response = self._dynamodb.update_item(
            TableName=self._table,
            Key=self._key({PARTITION_KEY: counter_pk, SORT_KEY: "COUNTER"}),
            UpdateExpression="ADD #value :one",
            ExpressionAttributeNames={"#value": "value"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["value"]["N"])

    # --- writes ------------------------------------------------------------------------------

    def create(
        self, rma: Rma, opening_event: RmaEvent, *, email: StatusEmailDue | None = None
    ) -> None:
        """Store a new RMA, the units of its order it claims, its reference, its first log
        entry and the status email it makes due, all or nothing. Raises
        UnitsAlreadyClaimedError, naming the SKUs, when live returns already hold the units."""
        claims = [self._claim(rma, line, give_back=False) for line in rma.lines]
        writes = [
            *claims,
            self._put(self._rma_item(rma), condition=f"attribute_not_exists({PARTITION_KEY})"),
            self._put(
                {**_reference_key(rma.return_number), "rma_id": rma.id},
                condition=f"attribute_not_exists({PARTITION_KEY})",
            ),
            self._put(self._event_item(opening_event)),
            *self._due_email_puts(rma, email),
        ]
        for attempt in range(1, _CREATE_ATTEMPTS + 1):
            try:
                self._dynamodb.transact_write_items(TransactItems=writes)
                return
            except self._dynamodb.exceptions.TransactionCanceledException as error:
                raise_if_throttled(error)
                reasons = error.response.get("CancellationReasons") or []
                taken = [
                    line.sku
                    for line, reason in zip(rma.lines, reasons, strict=False)
                    if reason.get("Code") == "ConditionalCheckFailed"
                ]
                if taken:
                    raise UnitsAlreadyClaimedError(taken) from error
                # Another transaction was writing the same claim counter: nothing of this one
                # was applied, and trying again decides which of the two gets the units.
                conflict = any(r.get("Code") == "TransactionConflict" for r in reasons)
                if not conflict:
                    raise
                if attempt == _CREATE_ATTEMPTS:
                    raise ConcurrentModificationError(rma.return_reference) from error

    def save_transition(
        self,
        rma: Rma,
        *events: RmaEvent,
        read_version: int,
        email: StatusEmailDue | None = None,
        gives_back_units: bool = False,
    ) -> None:
        """Write `rma`, its log entries and the status email it makes due in one transaction,
        if the stored RMA is still at `read_version`; `gives_back_units` when the change ends
        its claim on the order's units (rejected, canceled, deleted).

        No event is for bookkeeping that is no action of anyone's (a task token kept for the
        lifecycle); several are for one write that moves an RMA more than one step. Raises
        ConcurrentModificationError when someone else wrote the RMA since it was read, and
        DependencyUnavailableError when DynamoDB throttled the write.
        """
        writes = [
            self._put(
                self._rma_item(rma),
                condition="version = :read_version",
                values={":read_version": read_version},
            )
        ]
        writes += [
            self._put(self._event_item(event), condition=f"attribute_not_exists({PARTITION_KEY})")
            for event in events
        ]
        writes += self._due_email_puts(rma, email)
        if gives_back_units:
            writes += [self._claim(rma, line, give_back=True) for line in rma.lines]
        try:
            self._dynamodb.transact_write_items(TransactItems=writes)
        except self._dynamodb.exceptions.TransactionCanceledException as error:
            raise_if_throttled(error)
            raise ConcurrentModificationError(rma.return_reference) from error

    def _claim(self, rma: Rma, line: RmaLine, *, give_back: bool) -> dict[str, Any]:
        """The update that claims the line's units of its order (or gives them back). A claim
        is conditional on the units the order has left, when the line says how many it has."""
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(_claim_key(rma.order.number, line.sku)),
            "UpdateExpression": "ADD #claimed :units",
            "ExpressionAttributeNames": {"#claimed": "claimed"},
        }
        values: dict[str, int] = {":units": -line.quantity if give_back else line.quantity}
        ordered = line.ordered_quantity
        if not give_back and ordered is not None and line.quantity <= ordered:
            update["ConditionExpression"] = "attribute_not_exists(#claimed) OR #claimed <= :room"
            values[":room"] = ordered - line.quantity
        update["ExpressionAttributeValues"] = self._to_dynamo(values)
        return {"Update": update}

    # --- reads -------------------------------------------------------------------------------

    def get(self, rma_id: str) -> Rma | None:
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=self._key({PARTITION_KEY: _rma_pk(rma_id), SORT_KEY: _RMA_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return self._to_rma(item) if item else None

    def find_id_by_return_number(self, return_number: int) -> str | None:
        response = self._dynamodb.get_item(
            TableName=self._table, Key=self._key(_reference_key(return_number)), ConsistentRead=True
        )
        item = response.get("Item")
        return self._from_dynamo(item)["rma_id"] if item else None

    def find_by_return_numbers(self, return_numbers: Iterable[int]) -> dict[int, Rma]:
        """The RMAs of those return numbers that exist, by number: their reference items, then
        the RMAs, each read with BatchGetItem (100 keys a call), strongly consistent."""
        references = self._batch_get([_reference_key(n) for n in dict.fromkeys(return_numbers)])
        rma_ids = [self._from_dynamo(item)["rma_id"] for item in references]
        items = self._batch_get([{PARTITION_KEY: _rma_pk(i), SORT_KEY: _RMA_SK} for i in rma_ids])
        return {rma.return_number: rma for rma in self._readable_rmas(items)}

    def get_with_events(self, rma_id: str) -> tuple[Rma | None, list[RmaEvent]]:
        """An RMA and its whole action log, oldest first, in one Query of its partition."""
        items = self._query_all(
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
            ExpressionAttributeValues={":pk": {"S": _rma_pk(rma_id)}},
            ConsistentRead=True,
        )
        rma = next((self._to_rma(i) for i in items if i[SORT_KEY]["S"] == _RMA_SK), None)
        events = [
            RmaEvent.model_validate(self._body(i))
            for i in items
            if i[SORT_KEY]["S"].startswith(_EVENT_PREFIX)
        ]
        return rma, events

    def latest_for_customer(self, email_key: str, limit: int) -> list[Rma]:
        """A customer's `limit` newest RMAs: one Query, at most `limit` items read."""
        response = self._dynamodb.query(
            TableName=self._table,
            IndexName=CUSTOMER_INDEX,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :rma)",
            ExpressionAttributeNames={"#pk": CUSTOMER_INDEX_PK, "#sk": CUSTOMER_INDEX_SK},
            ExpressionAttributeValues={
                ":pk": {"S": _customer_pk(email_key)},
                ":rma": {"S": "RMA#"},
            },
            ScanIndexForward=False,
            Limit=limit,
        )
        return self._readable_rmas(response["Items"])

    def list_by_status(
        self, status: ProcessingStatus, *, limit: int, cursor: str | None = None
    ) -> RmaPage:
        """One page of the RMAs in `status`, newest first; pass the returned cursor for more."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": STATUS_INDEX_PK},
            "ExpressionAttributeValues": {":pk": {"S": _status_pk(status)}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            query["ExclusiveStartKey"] = _decode_cursor(cursor, _status_pk(status))
        response = self._dynamodb.query(**query)
        last_key = response.get("LastEvaluatedKey")
        return RmaPage(
            items=self._readable_rmas(response["Items"]),
            cursor=_encode_cursor(last_key) if last_key else None,
        )

    # --- mapping -----------------------------------------------------------------------------

    def _rma_item(self, rma: Rma) -> dict[str, Any]:
        created = rma.created_at.isoformat()
        return {
            PARTITION_KEY: _rma_pk(rma.id),
            SORT_KEY: _RMA_SK,
            CUSTOMER_INDEX_PK: _customer_pk(rma.customer.email_key),
            CUSTOMER_INDEX_SK: f"RMA#{created}#{rma.id}",
            STATUS_INDEX_PK: _status_pk(rma.processing_status),
            STATUS_INDEX_SK: f"{created}#{rma.id}",
            **rma.model_dump(mode="json", exclude_none=True),
        }

    def _event_item(self, event: RmaEvent) -> dict[str, Any]:
        return {
            PARTITION_KEY: _rma_pk(event.rma_id),
            SORT_KEY: f"{_EVENT_PREFIX}{event.version:06d}",
            **event.model_dump(mode="json", exclude_none=True),
        }

    def _to_rma(self, item: dict[str, Any]) -> Rma:
        """The RMA an item holds; StoredDataError when it no longer reads as one."""
        try:
            return Rma.model_validate(self._body(item))
        except ValidationError as error:
            key = f"{item[PARTITION_KEY]['S']}/{item[SORT_KEY]['S']}"
            raise StoredDataError(key, validation_summary(error)) from error

    def _readable_rmas(self, items: list[dict[str, Any]]) -> list[Rma]:
        """The RMAs of `items` that read; each one that does not is reported (logged with its
        key, counted) and left out, so that one bad item never hides the others."""
        rmas = []
        for item in items:
            try:
                rmas.append(self._to_rma(item))
            except StoredDataError as fault:
                report_stored_data_fault(fault)
        return rmas

    def _body(self, item: dict[str, Any]) -> dict[str, Any]:
        """The stored model without the table's own key attributes."""
        document = self._from_dynamo(item)
        for attribute in (
            PARTITION_KEY,
            SORT_KEY,
            CUSTOMER_INDEX_PK,
            CUSTOMER_INDEX_SK,
            STATUS_INDEX_PK,
            STATUS_INDEX_SK,
        ):
            document.pop(attribute, None)
        return document

    # --- scheduled jobs: status emails and returns waiting for a decision ---------------------

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

    def clear_status_email(self, due: DueStatusEmail, *, claim: str) -> bool:
        """`due` was sent: forget it, unless another run took it over (False)."""
        try:
            self._dynamodb.delete_item(
                TableName=self._table,
                Key=self._key(due.item_key),
                ConditionExpression="#claim = :claim",
                ExpressionAttributeNames={"#claim": _CLAIM_NAMES["#claim"]},
                ExpressionAttributeValues=self._to_dynamo({":claim": claim}),
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

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

    def oldest_in_status(
        self,
        status: ProcessingStatus,
        *,
        waiting_since_before: datetime,
        limit: int,
        held_from: ProcessingStatus | None = None,
    ) -> OldestRmas:
        """The `limit` oldest RMAs in `status` waiting for a decision since before
        `waiting_since_before`, by creation, and how many more there are; `held_from` keeps only
        ON_HOLD ones held from it. The index is sorted by creation, which comes first: it
        bounds the Query, and a filter drops the returns submitted since."""
        before = waiting_since_before.astimezone(UTC).isoformat()
        filters = ["(attribute_not_exists(requested_at) OR requested_at < :requested_before)"]
        values: dict[str, Any] = {
            ":pk": {"S": _status_pk(status)},
            # The index key holds isoformat(); the RMA's own dates are pydantic's ("...Z").
            ":before": {"S": before},
            ":requested_before": {"S": before.replace("+00:00", "Z")},
        }
        if held_from is not None:
            filters.append("held_from = :held_from")
            values[":held_from"] = {"S": str(held_from)}
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#pk = :pk AND #sk < :before",
            "FilterExpression": " AND ".join(filters),
            "ExpressionAttributeNames": {"#pk": STATUS_INDEX_PK, "#sk": STATUS_INDEX_SK},
            "ExpressionAttributeValues": values,
        }
        items: list[Rma] = []
        while True:
            response = self._dynamodb.query(**query, Limit=limit - len(items))
            items += self._readable_rmas(response["Items"])
            if len(items) >= limit or "LastEvaluatedKey" not in response:
                break
            # A filter may leave a page short: read on until `limit` are found.
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        more = 0
        # Counted, not kept: the reminder names the oldest and says how many more.
        while "LastEvaluatedKey" in response:
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            response = self._dynamodb.query(**query, Select="COUNT")
            more += response["Count"]
        return OldestRmas(items=items, more=more)

    def _due_email_puts(self, rma: Rma, email: StatusEmailDue | None) -> list[dict[str, Any]]:
        if email is None:
            return []
        return [self._put(self._due_email_item(rma, email))]

    def _due_email_item(self, rma: Rma, email: StatusEmailDue) -> dict[str, Any]:
        changed = rma.updated_at.isoformat()
        item = {
            **_email_key(rma),
            EMAIL_DUE_INDEX_PK: _EMAIL_DUE,
            EMAIL_DUE_INDEX_SK: f"{changed}#{rma.id}#{rma.version:06d}",
            "kind": email.kind,
            # What the email shows; the lifecycle's token and the uploads log are no shopper's.
            "rma": rma.model_dump(
                mode="json", exclude_none=True, exclude={"task_token", "inspection_uploads"}
            ),
        }
        if email.reason:
            item["reason"] = email.reason
        return item

    def _to_due_email(self, item: dict[str, Any]) -> DueStatusEmail:
        document = self._from_dynamo(item)
        rma, unreadable = None, None
        try:
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
                Key=self._key(due.item_key),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=self._to_dynamo(values),
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # --- low level ---------------------------------------------------------------------------

    def _put(
        self,
        document: dict[str, Any],
        *,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": self._to_dynamo(document)}
        if condition:
            put["ConditionExpression"] = condition
        if values:
            put["ExpressionAttributeValues"] = self._to_dynamo(values)
        return {"Put": put}

    def _key(self, key: dict[str, str]) -> dict[str, Any]:
        return self._to_dynamo(key)

    def _query_all(self, **query: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self._dynamodb.query(TableName=self._table, **query)
            items.extend(response["Items"])
            if "LastEvaluatedKey" not in response:
                return items
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def validation_summary(error: ValidationError) -> str:
    """Where and what kind of error only: the values may be the shopper's."""
    return "; ".join(
        f"{'.'.join(map(str, detail['loc']))}: {detail['type']}"
        for detail in error.errors(include_url=False, include_input=False)
    )


def report_stored_data_fault(fault: StoredDataError) -> None:
    """Log and count an unreadable item: the `StoredItemsUnreadable` alarm watches the count."""
    from aws_lambda_powertools.metrics import MetricUnit

    from chalicelib.observability import logger, metrics

    logger.error(
        "Stored item unreadable", extra={"item_key": fault.key, "problems": fault.problems}
    )
    metrics.add_metric(name="StoredItemsUnreadable", unit=MetricUnit.Count, value=1)


def _email_key(rma: Rma) -> dict[str, str]:
    return {PARTITION_KEY: f"EMAILS#{rma.id}", SORT_KEY: f"{_EMAIL_PREFIX}{rma.version:06d}"}


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _encode_cursor(last_evaluated_key: dict[str, Any]) -> str:
    plain = {name: value["S"] for name, value in last_evaluated_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, expected_status_pk: str) -> dict[str, Any]:
    """The ExclusiveStartKey a cursor stands for; refuses cursors from another listing."""
    expected = {PARTITION_KEY, SORT_KEY, STATUS_INDEX_PK, STATUS_INDEX_SK}
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        plain = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise _bad_cursor() from error
    if (
        not isinstance(plain, dict)
        or set(plain) != expected
        or not all(isinstance(v, str) for v in plain.values())
        or plain[STATUS_INDEX_PK] != expected_status_pk
    ):
        raise _bad_cursor()
    return {name: {"S": value} for name, value in plain.items()}


def _bad_cursor() -> InvalidRequestError:
    return InvalidRequestError("The cursor is not one this listing returned.", {"field": "cursor"})
