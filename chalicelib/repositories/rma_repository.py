"""RMAs and their action logs in DynamoDB. The only module that knows their keys.

Item layout (one partition per RMA, so an RMA and its log come back in one Query):

- RMA: pk `RMA#<id>`, sk `RMA`; customer-index `CUSTOMER#<email>` /
  `RMA#<OPEN|CLOSED>#<created>#<id>` (read backwards: open returns first, newest first, then
  closed ones: what the Gorgias widget shows in one Query);
  status-index `STATUS#<processing status>` / `<created>#<id>`; delivery-index, financial-index
  and fulfillment-index alike, `DELIVERY#`, `FINANCIAL#`, `FULFILLMENT#<status>` /
  `<created>#<id>`; order-index `ORDER#<order key>` / `<created>#<id>`; month-index
  `RETURNS#<yyyy-mm of created>` / `<created>#<id>`. Every index key of the RMA is written with
  each version of it, so a change of status moves it between partitions in the same write.
- Action-log entry: pk `RMA#<id>`, sk `EVENT#<version, 6 digits>`.
- Reference: pk `REF#<return number>`, sk `REF`, holding the RMA id.
- Return event: one per change, in the change's transaction (layout in return_events.py).
- Counters: pk `COUNTER#RETURN_NUMBER` or `COUNTER#CUSTOMER#<email>`, sk `COUNTER`. The return
  number's counter also keeps `first_month`, the month the first return was opened in: where a
  listing of every return, walking the month-index backwards, ends.
- Units claimed: the units of each order line live returns hold (layout in order_units.py),
  added in the transaction that opens a return and given back in the one that rejects, cancels
  or deletes it.
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
from chalicelib.domain.returns_listing import (
    ReturnsListing,
    StatusDimension,
    StatusFilter,
    status_of,
)
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
from chalicelib.repositories.order_units import units_update
from chalicelib.repositories.return_events import event_document
from chalicelib.repositories.stored_data import report_stored_data_fault, validation_summary
from chalicelib.repositories.table_schema import (
    CUSTOMER_INDEX,
    CUSTOMER_INDEX_PK,
    CUSTOMER_INDEX_SK,
    DELIVERY_INDEX,
    DELIVERY_INDEX_PK,
    DELIVERY_INDEX_SK,
    FINANCIAL_INDEX,
    FINANCIAL_INDEX_PK,
    FINANCIAL_INDEX_SK,
    FULFILLMENT_INDEX,
    FULFILLMENT_INDEX_PK,
    FULFILLMENT_INDEX_SK,
    MONTH_INDEX,
    MONTH_INDEX_PK,
    MONTH_INDEX_SK,
    ORDER_INDEX,
    ORDER_INDEX_PK,
    ORDER_INDEX_SK,
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
_RETURN_NUMBER_COUNTER = "COUNTER#RETURN_NUMBER"
_FIRST_MONTH = "first_month"


@dataclass(frozen=True)
class _Index:
    """A secondary index of RMA items: its name, key attributes and partitions' prefix."""

    name: str
    partition_key: str
    sort_key: str
    prefix: str

    def partition(self, value: str) -> str:
        return f"{self.prefix}{value}"


_STATUS_INDEXES = {
    StatusDimension.PROCESSING: _Index(STATUS_INDEX, STATUS_INDEX_PK, STATUS_INDEX_SK, "STATUS#"),
    StatusDimension.DELIVERY: _Index(
        DELIVERY_INDEX, DELIVERY_INDEX_PK, DELIVERY_INDEX_SK, "DELIVERY#"
    ),
    StatusDimension.FINANCIAL: _Index(
        FINANCIAL_INDEX, FINANCIAL_INDEX_PK, FINANCIAL_INDEX_SK, "FINANCIAL#"
    ),
    StatusDimension.FULFILLMENT: _Index(
        FULFILLMENT_INDEX, FULFILLMENT_INDEX_PK, FULFILLMENT_INDEX_SK, "FULFILLMENT#"
    ),
}
_CUSTOMER = _Index(CUSTOMER_INDEX, CUSTOMER_INDEX_PK, CUSTOMER_INDEX_SK, "CUSTOMER#")
_ORDER = _Index(ORDER_INDEX, ORDER_INDEX_PK, ORDER_INDEX_SK, "ORDER#")
_MONTH = _Index(MONTH_INDEX, MONTH_INDEX_PK, MONTH_INDEX_SK, "RETURNS#")
_INDEXES = (_CUSTOMER, *_STATUS_INDEXES.values(), _ORDER, _MONTH)
_INDEX_ATTRIBUTES = tuple(a for index in _INDEXES for a in (index.partition_key, index.sort_key))


@dataclass(frozen=True)
class RmaPage:
    items: list[Rma]
    cursor: str | None


@dataclass(frozen=True)
class Backfilled:
    """What a backfill of index attributes did."""

    rewritten: int
    # Already as this version writes them.
    current: int
    # Written by someone else meanwhile, with their index attributes: left alone.
    changed_meanwhile: int


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
    return _CUSTOMER.partition(email_key)


def _openness(rma: Rma) -> str:
    # "OPEN" sorts after "CLOSED": a query read backwards meets the open returns first.
    return "CLOSED" if rma.processing_status in TERMINAL_STATUSES else "OPEN"


def _status_pk(status: ProcessingStatus) -> str:
    return _STATUS_INDEXES[StatusDimension.PROCESSING].partition(status)


def _month(created: str) -> str:
    """`yyyy-mm` of an isoformat timestamp: the month-index partition it falls in."""
    return created[:7]


def _month_before(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def _counter_key(counter_pk: str) -> dict[str, str]:
    return {PARTITION_KEY: counter_pk, SORT_KEY: "COUNTER"}


def _index_attributes(rma: Rma) -> dict[str, str]:
    """The key attributes of every index an RMA is in, as this version of it has them."""
    created = rma.created_at.isoformat()
    newest_first = f"{created}#{rma.id}"
    attributes = {
        _CUSTOMER.partition_key: _customer_pk(rma.customer.email_key),
        _CUSTOMER.sort_key: f"RMA#{_openness(rma)}#{newest_first}",
        _ORDER.partition_key: _ORDER.partition(order_key(rma.order.number)),
        _ORDER.sort_key: newest_first,
        _MONTH.partition_key: _MONTH.partition(_month(created)),
        _MONTH.sort_key: newest_first,
    }
    for dimension, index in _STATUS_INDEXES.items():
        attributes[index.partition_key] = index.partition(status_of(rma, dimension))
        attributes[index.sort_key] = newest_first
    return attributes


def _cursor_attributes(index: _Index) -> tuple[str, ...]:
    """What a key of `index` (a cursor's ExclusiveStartKey) names: the table's and the index's."""
    return PARTITION_KEY, SORT_KEY, index.partition_key, index.sort_key


def _index_key(index: _Index, item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in _cursor_attributes(index)}


class RmaRepository(DynamoTable):
    def __init__(
        self, table_name: str, dynamodb: Any | None = None, *, cursors: CursorCodec | None = None
    ) -> None:
        super().__init__(table_name, dynamodb)
        # Without a stable secret, cursors hold within this process only (tests, tools).
        self._cursors = cursors if cursors is not None else CursorCodec(os.urandom(32))

    # --- numbering ---------------------------------------------------------------------------

    def allocate_return_number(self, opened_at: datetime) -> int:
        """The next return number, for a return opened at `opened_at`; atomic, so two RMAs
        never share one (gaps are possible). The first one also marks the month of the first
        return, in the same write."""
        update = self._increment(
            _RETURN_NUMBER_COUNTER,
            first_month=_month(opened_at.isoformat()),
        )
        return FIRST_RETURN_NUMBER - 1 + update

    def allocate_customer_return_count(self, email_key: str) -> int:
        return self._increment(f"COUNTER#{_customer_pk(email_key)}")

    def _increment(self, counter_pk: str, *, first_month: str | None = None) -> int:
        expression = "ADD #value :one"
        names = {"#value": "value"}
        values: dict[str, Any] = {":one": {"N": "1"}}
        if first_month is not None:
            expression += " SET #first = if_not_exists(#first, :month)"
            names["#first"] = _FIRST_MONTH
            values[":month"] = {"S": first_month}
        response = self._dynamodb.update_item(
            TableName=self._table,
            Key=self._key(_counter_key(counter_pk)),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
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
        """The update that claims the line's units of its order (or gives them back)."""
        return units_update(
            self._table,
            self._to_dynamo,
            order_number=rma.order.number,
            sku=line.sku,
            quantity=line.quantity,
            ordered=line.ordered_quantity,
            give_back=give_back,
        )

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

    def page(
        self, listing: ReturnsListing, *, limit: int, cursor: str | None, now: datetime
    ) -> RmaPage:
        """One page of `listing`, newest first (a customer's: open ones first, each group
        newest first, as the customer index keeps them for the widget); pass the returned
        cursor for the next. Never a Scan:

        - a customer's or an order's returns: one Query of its index; with a status too, that
          Query filters on it and reads on until the page is full (a search finds few returns);
        - the returns in a status: one Query of that dimension's index;
        - every return: the month index read backwards from `now`'s month, one Query a month,
          until the page is full or the month of the first return (read from its counter, once,
          when a page runs out of a month) is passed.
        """
        if listing.customer is not None:
            partition = (_CUSTOMER, _customer_pk(listing.customer))
        elif listing.order is not None:
            partition = (_ORDER, _ORDER.partition(listing.order))
        elif listing.status is not None:
            index = _STATUS_INDEXES[listing.status.dimension]
            return self._page_of(index, index.partition(listing.status.status), limit, cursor)
        else:
            return self._page_of_months(limit, cursor, now)
        return self._page_of(*partition, limit, cursor, status=listing.status)

    def _page_of(
        self,
        index: _Index,
        partition: str,
        limit: int,
        cursor: str | None,
        *,
        status: StatusFilter | None = None,
    ) -> RmaPage:
        start = None
        if cursor:
            start = self._cursors.decode(
                cursor, attributes=_cursor_attributes(index), fixed={index.partition_key: partition}
            )
        items, last_key = self._read_partition(index, partition, limit, start, status=status)
        return self._rma_page(items, last_key)

    def _page_of_months(self, limit: int, cursor: str | None, now: datetime) -> RmaPage:
        start = None
        month = _month(now.isoformat())
        if cursor:
            # Signed by this codec: only a key of the month index can have these attributes.
            start = self._cursors.decode(cursor, attributes=_cursor_attributes(_MONTH), fixed={})
            month = start[_MONTH.partition_key]["S"].removeprefix(_MONTH.prefix)
        items: list[dict[str, Any]] = []
        first_month: str | None = None
        while True:
            found, last_key = self._read_partition(
                _MONTH, _MONTH.partition(month), limit - len(items), start
            )
            items += found
            if last_key is not None:
                return self._rma_page(items, last_key)
            if len(items) == limit:
                # The page ends with the month: the next one starts after its last return.
                return self._rma_page(items, _index_key(_MONTH, items[-1]))
            first_month = first_month or self._first_month()
            if first_month is None or month <= first_month:
                return self._rma_page(items, None)
            month, start = _month_before(month), None

    def _read_partition(
        self,
        index: _Index,
        partition: str,
        limit: int,
        start: dict[str, Any] | None,
        *,
        status: StatusFilter | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Up to `limit` items of one index partition, newest first, after `start`, and the key
        to go on from when the partition may hold more."""
        names = {"#pk": index.partition_key}
        values: dict[str, Any] = {":pk": {"S": partition}}
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index.name,
            "KeyConditionExpression": "#pk = :pk",
            "ScanIndexForward": False,
        }
        if status is not None:
            query["FilterExpression"] = "#status = :status"
            names["#status"] = f"{status.dimension}_status"
            values[":status"] = {"S": status.status}
        query["ExpressionAttributeNames"] = names
        query["ExpressionAttributeValues"] = values
        if start is not None:
            query["ExclusiveStartKey"] = start
        items: list[dict[str, Any]] = []
        while True:
            response = self._dynamodb.query(**query, Limit=limit - len(items))
            items += response["Items"]
            last_key = response.get("LastEvaluatedKey")
            # A filter (or DynamoDB's 1 MB a call) may leave a call short: read on.
            if last_key is None or len(items) >= limit:
                return items, last_key
            query["ExclusiveStartKey"] = last_key

    def _first_month(self) -> str | None:
        """The month the first return was opened in; None before any was."""
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=self._key(_counter_key(_RETURN_NUMBER_COUNTER)),
            ProjectionExpression="#first",
            ExpressionAttributeNames={"#first": _FIRST_MONTH},
        )
        first = response.get("Item", {}).get(_FIRST_MONTH)
        return first["S"] if first else None

    def _rma_page(self, items: list[dict[str, Any]], last_key: dict[str, Any] | None) -> RmaPage:
        return RmaPage(
            items=self._readable_rmas(items),
            cursor=self._cursors.encode(last_key) if last_key else None,
        )

    # --- mapping -----------------------------------------------------------------------------

    def _rma_item(self, rma: Rma) -> dict[str, Any]:
        return {
            PARTITION_KEY: _rma_pk(rma.id),
            SORT_KEY: _RMA_SK,
            **_index_attributes(rma),
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
        for attribute in (PARTITION_KEY, SORT_KEY, *_INDEX_ATTRIBUTES):
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

    # --- upgrades ----------------------------------------------------------------------------

    def backfill_index_attributes(self) -> Backfilled:
        """Give every stored RMA the index attributes this version writes (indexes added since
        it was last written), and the return number's counter the month of the oldest return.

        Every RMA is in the processing status index: one paged Query per status reads them
        all, never a Scan. Only the index attributes are set, conditional on the version read:
        an RMA written meanwhile got them from that write and is left alone.
        """
        rewritten = current = changed_meanwhile = 0
        oldest: str | None = None
        for status in ProcessingStatus:
            for item in self._each_item(
                IndexName=STATUS_INDEX,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": STATUS_INDEX_PK},
                ExpressionAttributeValues={":pk": {"S": _status_pk(status)}},
            ):
                rma = self._readable_rmas([item])
                if not rma:
                    continue
                attributes = _index_attributes(rma[0])
                month = _month(rma[0].created_at.isoformat())
                oldest = month if oldest is None else min(oldest, month)
                if all(item.get(name) == {"S": value} for name, value in attributes.items()):
                    current += 1
                elif self._set_index_attributes(rma[0], attributes):
                    rewritten += 1
                else:
                    changed_meanwhile += 1
        if oldest is not None:
            self._mark_first_month(oldest)
        return Backfilled(rewritten, current, changed_meanwhile)

    def _set_index_attributes(self, rma: Rma, attributes: dict[str, str]) -> bool:
        names = {f"#a{n}": name for n, name in enumerate(attributes)}
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=self._key({PARTITION_KEY: _rma_pk(rma.id), SORT_KEY: _RMA_SK}),
                UpdateExpression="SET "
                + ", ".join(f"#a{n} = :a{n}" for n in range(len(attributes))),
                ConditionExpression="version = :version",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    ":version": {"N": str(rma.version)},
                    **{f":a{n}": {"S": value} for n, value in enumerate(attributes.values())},
                },
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _mark_first_month(self, month: str) -> None:
        """Keep `month` as the first return's, unless the counter knows an earlier one."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=self._key(_counter_key(_RETURN_NUMBER_COUNTER)),
                UpdateExpression="SET #first = :month",
                ConditionExpression="attribute_not_exists(#first) OR #first > :month",
                ExpressionAttributeNames={"#first": _FIRST_MONTH},
                ExpressionAttributeValues={":month": {"S": month}},
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return

    # --- low level ---------------------------------------------------------------------------

    def _key(self, key: dict[str, str]) -> dict[str, Any]:
        return self._to_dynamo(key)

    def _query_all(self, **query: Any) -> list[dict[str, Any]]:
        return list(self._each_item(**query))
