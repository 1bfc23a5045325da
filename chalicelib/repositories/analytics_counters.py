"""Return analytics counters in DynamoDB. The only module that knows their items.

- Day totals: pk `STATS#DAY`, sk `<yyyy-mm-dd>`; one number attribute per `DayTotals` field.
- Units returned per SKU and reason: pk `STATS#REASON`, sk `<yyyy-mm-dd>#<sku>#<reason>`;
  `units`, `returns`.
- Units sold per SKU: pk `STATS#SOLD`, sk `<yyyy-mm-dd>#<sku>`; `units`.
- Counted marks: pk `STATS#COUNTED#<event id>` (or `STATS#SOLD#<order key>`), sk `PART#<n>`.

Every counter is added to with `ADD`, in one transaction with the mark of what it counts, put
only if absent: an event or an order delivered again finds its mark and changes nothing. An
event's marks expire after `EVENT_MARK_RETENTION`, longer than the stream keeps and retries a
record; an order's never do, since a shop may send an order again months later.

A range of days is one Query of a partition, its sort keys `between` the first day and the last
(paged only beyond DynamoDB's 1 MB a page): a year of day totals is 365 items of ~200 bytes.
Nothing here Scans. The three partitions are each written by every counted event: at a few
returns a second that is far below a partition's 1,000 writes a second.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.domain.analytics import (
    Counters,
    DayTotals,
    ReasonCount,
    ReturnIncrements,
    SaleIncrements,
)
from chalicelib.domain.references import order_key
from chalicelib.domain.statuses import ReturnReason
from chalicelib.repositories.dynamo import DynamoTable, raise_if_throttled
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE

_DAY = "STATS#DAY"
_REASON = "STATS#REASON"
_SOLD = "STATS#SOLD"
_COUNTED = "STATS#COUNTED#"
_ORDER_COUNTED = "STATS#SOLD#"
# Longer than the stream keeps a record (24 hours) and retries it, with a week to spare.
EVENT_MARK_RETENTION = timedelta(days=8)
# A transaction holds at most 100 writes: the mark and 99 counters.
_COUNTERS_PER_TRANSACTION = 99
# Two events of one day counted at once touch the same day item: DynamoDB cancels one of the
# two transactions, which is tried again after a short pause.
_CONFLICT_ATTEMPTS = 5
_CONFLICT_FIRST_PAUSE = 0.05
# Above every character a sort key of a day holds after the day: the `#` that follows it.
_AFTER_DAY = "$"

Counter = tuple[dict[str, str], Mapping[str, int | Decimal]]


class AnalyticsCounters(DynamoTable):
    # --- writes ------------------------------------------------------------------------------

    def add_return(self, event_id: str, increments: ReturnIncrements, *, now: datetime) -> bool:
        """Add what one return event counts; False when that event was already counted."""
        day = increments.day.isoformat()
        counters: list[Counter] = [
            ({PARTITION_KEY: _DAY, SORT_KEY: day}, increments.totals.counts()),
            *(
                (
                    {PARTITION_KEY: _REASON, SORT_KEY: f"{day}#{sku}#{reason}"},
                    {"units": count.units, "returns": count.returns},
                )
                for (sku, reason), count in sorted(increments.by_sku_reason.items())
            ),
        ]
        expires_at = int((now + EVENT_MARK_RETENTION).timestamp())
        return self._add(f"{_COUNTED}{event_id}", counters, expires_at=expires_at)

    def add_sale(self, number: str, increments: SaleIncrements) -> bool:
        """Add the units an order sold; False when that order was already counted."""
        day = increments.day.isoformat()
        counters: list[Counter] = [
            ({PARTITION_KEY: _SOLD, SORT_KEY: f"{day}#{sku}"}, {"units": units})
            for sku, units in sorted(increments.units_by_sku.items())
        ]
        return self._add(f"{_ORDER_COUNTED}{order_key(number)}", counters, expires_at=None)

    def _add(self, mark: str, counters: list[Counter], *, expires_at: int | None) -> bool:
        """Each part of up to 99 counters in one transaction with its mark. Whether anything was
        added: a part whose mark exists was counted before, and is left as it is."""
        added = False
        for part, start in enumerate(range(0, max(1, len(counters)), _COUNTERS_PER_TRANSACTION)):
            chunk = counters[start : start + _COUNTERS_PER_TRANSACTION]
            mark_item: dict[str, Any] = {PARTITION_KEY: mark, SORT_KEY: f"PART#{part}"}
            if expires_at is not None:
                mark_item[TTL_ATTRIBUTE] = expires_at
            writes = [self._mark_put(mark_item), *(self._add_update(*c) for c in chunk if c[1])]
            added = self._transact(writes) or added
        return added

    def _transact(self, writes: list[dict[str, Any]]) -> bool:
        """Whether the transaction was applied; False when its mark (the first write) exists."""
        attempt = 1
        while True:
            try:
                self._dynamodb.transact_write_items(TransactItems=writes)
                return True
            except self._dynamodb.exceptions.TransactionCanceledException as error:
                raise_if_throttled(error)
                reasons = error.response.get("CancellationReasons") or []
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    return False  # the mark exists: counted already
                conflict = any(r.get("Code") == "TransactionConflict" for r in reasons)
                if not conflict or attempt == _CONFLICT_ATTEMPTS:
                    raise
                time.sleep(_CONFLICT_FIRST_PAUSE * 2 ** (attempt - 1))
                attempt += 1

    def _mark_put(self, item: dict[str, Any]) -> dict[str, Any]:
        put = {
            "TableName": self._table,
            "Item": self._to_dynamo(item),
            "ConditionExpression": f"attribute_not_exists({PARTITION_KEY})",
        }
        return {"Put": put}

    def _add_update(
        self, key: dict[str, str], amounts: Mapping[str, int | Decimal]
    ) -> dict[str, Any]:
        names = {f"#c{n}": name for n, name in enumerate(amounts)}
        values = {f":c{n}": amount for n, amount in enumerate(amounts.values())}
        adds = ", ".join(f"#c{n} :c{n}" for n in range(len(amounts)))
        update = {
            "TableName": self._table,
            "Key": self._to_dynamo(key),
            "UpdateExpression": f"ADD {adds}",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": self._to_dynamo(values),
        }
        return {"Update": update}

    # --- reads -------------------------------------------------------------------------------

    def counters(self, start: date, end: date) -> Counters:
        """Every counter of `start`..`end` (both included): one Query per partition."""
        return Counters(
            days=dict(self._day_totals(start, end)),
            reasons=dict(self._reasons(start, end)),
            sold=dict(self._sold(start, end)),
        )

    def _day_totals(self, start: date, end: date) -> Iterator[tuple[date, DayTotals]]:
        for item in self._query(_DAY, start, end):
            sort_key = item.pop(SORT_KEY)
            item.pop(PARTITION_KEY)
            yield date.fromisoformat(sort_key), _day_totals(item)

    def _reasons(
        self, start: date, end: date
    ) -> Iterator[tuple[tuple[date, str, ReturnReason], ReasonCount]]:
        for item in self._query(_REASON, start, end):
            day, rest = item[SORT_KEY].split("#", 1)
            # SKUs may hold `#`; reasons never do.
            sku, reason = rest.rsplit("#", 1)
            count = ReasonCount(int(item.get("units", 0)), int(item.get("returns", 0)))
            yield (date.fromisoformat(day), sku, ReturnReason(reason)), count

    def _sold(self, start: date, end: date) -> Iterator[tuple[tuple[date, str], int]]:
        for item in self._query(_SOLD, start, end):
            day, sku = item[SORT_KEY].split("#", 1)
            yield (date.fromisoformat(day), sku), int(item.get("units", 0))

    def _query(self, partition: str, start: date, end: date) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :first AND :last",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": self._to_dynamo(
                {
                    ":pk": partition,
                    ":first": start.isoformat(),
                    ":last": f"{end.isoformat()}{_AFTER_DAY}",
                }
            ),
        }
        while True:
            response = self._dynamodb.query(**request)
            for item in response["Items"]:
                yield self._from_dynamo(item)
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def counter_items(counters: Counters) -> list[dict[str, Any]]:
    """The items holding `counters`, whole, in DynamoDB's typed values: for loading history
    in bulk (the local stack's demo year, the bench's table) with BatchWriteItem, where one
    transaction of `ADD`s a day would take minutes on moto. Later events add to them."""
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    documents: list[dict[str, Any]] = [
        {PARTITION_KEY: _DAY, SORT_KEY: day.isoformat(), **totals.counts()}
        for day, totals in counters.days.items()
    ]
    documents += [
        {
            PARTITION_KEY: _REASON,
            SORT_KEY: f"{day.isoformat()}#{sku}#{reason}",
            "units": count.units,
            "returns": count.returns,
        }
        for (day, sku, reason), count in counters.reasons.items()
    ]
    documents += [
        {PARTITION_KEY: _SOLD, SORT_KEY: f"{day.isoformat()}#{sku}", "units": units}
        for (day, sku), units in counters.sold.items()
    ]
    return [{name: serialize(value) for name, value in doc.items()} for doc in documents]


def _day_totals(item: dict[str, Any]) -> DayTotals:
    """A day item's counters; those never added to are absent from it, and zero."""
    known = DayTotals.__dataclass_fields__
    values: dict[str, Any] = {}
    for name, value in item.items():
        if name in known:
            kind = type(getattr(DayTotals(), name))
            values[name] = value if kind is Decimal else int(value)
    return DayTotals(**values)
