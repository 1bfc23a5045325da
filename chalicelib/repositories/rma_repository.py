"""RMAs and their action logs in DynamoDB. The only module that knows their keys.

Item layout (one partition per RMA, so an RMA and its log come back in one Query):

- RMA: pk `RMA#<id>`, sk `RMA`; customer-index `CUSTOMER#<email>` /
  `RMA#<OPEN|CLOSED>#<created>#<id>` (read backwards: open returns first, newest first, then
  closed ones: what the Gorgias widget shows in one Query);
  status-index `STATUS#<processing status>` / `<created>#<id>`.
- Action-log entry: pk `RMA#<id>`, sk `EVENT#<version, 6 digits>`.
- Reference: pk `REF#<return number>`, sk `REF`, holding the RMA id.
- Return event: one per change, in the change's transaction (layout in return_events.py).
- Counters: pk `COUNTER#RETURN_NUMBER` or `COUNTER#CUSTOMER#<email>`, sk `COUNTER`.
- Units claimed: pk `CLAIMS#<order key>`, sk `SKU#<sku>`, `claimed` the units of that order
  line live returns hold. Added in the transaction that opens a return, conditional on the
  order's quantity, and given back in the one that rejects, cancels or deletes it: two requests
  for the last unit cannot both succeed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.events import ReturnEvent
from chalicelib.domain.references import order_key
from chalicelib.domain.rma import Rma, RmaEvent, RmaLine
from chalicelib.domain.statuses import ProcessingStatus
from chalicelib.domain.transitions import TERMINAL_STATUSES
from chalicelib.errors import (
    ConcurrentModificationError,
    StoredDataError,
    UnitsAlreadyClaimedError,
)
from chalicelib.repositories.cursor_codec import CursorCodec
from chalicelib.repositories.dynamo import DynamoTable, raise_if_throttled
from chalicelib.repositories.return_events import event_document
from chalicelib.repositories.stored_data import report_stored_data_fault, validation_summary
from chalicelib.repositories.table_schema import (
    CUSTOMER_INDEX,
    CUSTOMER_INDEX_PK,
    CUSTOMER_INDEX_SK,
    PARTITION_KEY,
    SORT_KEY,
    STATUS_INDEX,
    STATUS_INDEX_PK,
    STATUS_INDEX_SK,
)

# References start at R-001001 so that early ones still read as return numbers, not as typos.
FIRST_RETURN_NUMBER = 1001
_RMA_SK = "RMA"
_EVENT_PREFIX = "EVENT#"
# Opening a return whose claim counters another transaction is writing at that instant.
_CREATE_ATTEMPTS = 3


@dataclass(frozen=True)
class RmaPage:
    items: list[Rma]
    cursor: str | None


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


def _openness(rma: Rma) -> str:
    # "OPEN" sorts after "CLOSED": a query read backwards meets the open returns first.
    return "CLOSED" if rma.processing_status in TERMINAL_STATUSES else "OPEN"


def _status_pk(status: ProcessingStatus) -> str:
    return f"STATUS#{status}"


def _claim_key(order_number: str, sku: str) -> dict[str, str]:
    return {PARTITION_KEY: f"CLAIMS#{order_key(order_number)}", SORT_KEY: f"SKU#{sku}"}


class RmaRepository(DynamoTable):
    def __init__(
        self, table_name: str, dynamodb: Any | None = None, *, cursors: CursorCodec | None = None
    ) -> None:
        super().__init__(table_name, dynamodb)
        # Without a stable secret, cursors hold within this process only (tests, tools).
        self._cursors = cursors if cursors is not None else CursorCodec(os.urandom(32))

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

    def create(self, rma: Rma, opening_entry: RmaEvent, event: ReturnEvent) -> None:
        """Store a new RMA, the units of its order it claims, its reference, its first log
        entry and its `return.created` event, all or nothing. Raises UnitsAlreadyClaimedError,
        naming the SKUs, when live returns already hold the units."""
        claims = [self._claim(rma, line, give_back=False) for line in rma.lines]
        writes = [
            *claims,
            self._put(self._rma_item(rma), condition=f"attribute_not_exists({PARTITION_KEY})"),
            self._put(
                {**_reference_key(rma.return_number), "rma_id": rma.id},
                condition=f"attribute_not_exists({PARTITION_KEY})",
            ),
            self._put(self._entry_item(opening_entry)),
            self._event_put(event),
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
        *entries: RmaEvent,
        read_version: int,
        event: ReturnEvent | None = None,
        gives_back_units: bool = False,
    ) -> None:
        """Write `rma`, its log entries and the return event of the change in one transaction,
        if the stored RMA is still at `read_version`; `gives_back_units` when the change ends
        its claim on the order's units (rejected, canceled, deleted).

        No entry (and no event) is for bookkeeping that is no action of anyone's (a task token
        kept for the lifecycle); several entries are for one write that moves an RMA more than
        one step. Raises ConcurrentModificationError when someone else wrote the RMA since it
        was read, and DependencyUnavailableError when DynamoDB throttled the write.
        """
        writes = [
            self._put(
                self._rma_item(rma),
                condition="version = :read_version",
                values={":read_version": read_version},
            )
        ]
        writes += [
            self._put(self._entry_item(entry), condition=f"attribute_not_exists({PARTITION_KEY})")
            for entry in entries
        ]
        if gives_back_units:
            writes += [self._claim(rma, line, give_back=True) for line in rma.lines]
        if event is not None:
            writes.append(self._event_put(event))
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
        """A customer's `limit` latest RMAs, the open ones first (each group newest first): one
        Query, at most `limit` items read. Items stored before the open/closed key part come
        after both groups, newest first, until they are written again."""
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
            query["ExclusiveStartKey"] = self._cursors.decode(
                cursor,
                attributes=(PARTITION_KEY, SORT_KEY, STATUS_INDEX_PK, STATUS_INDEX_SK),
                fixed={STATUS_INDEX_PK: _status_pk(status)},
            )
        response = self._dynamodb.query(**query)
        last_key = response.get("LastEvaluatedKey")
        return RmaPage(
            items=self._readable_rmas(response["Items"]),
            cursor=self._cursors.encode(last_key) if last_key else None,
        )

    # --- mapping -----------------------------------------------------------------------------

    def _rma_item(self, rma: Rma) -> dict[str, Any]:
        created = rma.created_at.isoformat()
        return {
            PARTITION_KEY: _rma_pk(rma.id),
            SORT_KEY: _RMA_SK,
            CUSTOMER_INDEX_PK: _customer_pk(rma.customer.email_key),
            CUSTOMER_INDEX_SK: f"RMA#{_openness(rma)}#{created}#{rma.id}",
            STATUS_INDEX_PK: _status_pk(rma.processing_status),
            STATUS_INDEX_SK: f"{created}#{rma.id}",
            **rma.model_dump(mode="json", exclude_none=True),
        }

    def _entry_item(self, entry: RmaEvent) -> dict[str, Any]:
        return {
            PARTITION_KEY: _rma_pk(entry.rma_id),
            SORT_KEY: f"{_EVENT_PREFIX}{entry.version:06d}",
            **entry.model_dump(mode="json", exclude_none=True),
        }

    def _event_put(self, event: ReturnEvent) -> dict[str, Any]:
        # Last in its transaction, and new: a version is written once.
        return self._put(event_document(event), condition=f"attribute_not_exists({PARTITION_KEY})")

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
