"""Return analytics counters in DynamoDB. The only module that knows their items.

- Day totals: pk `STATS#DAY`, sk `<yyyy-mm-dd>`; one number attribute per `DayTotals` field,
  the order requests' (cancellation requests, claims by issue, claims' settlements) among them.
- Units returned per SKU and reason, per day: pk `STATS#REASON`, sk
  `<yyyy-mm-dd>#<sku>#<reason>`; per month: pk `STATS#REASON_MONTH`, sk
  `<yyyy-mm>#<sku>#<reason>`; `units`, `returns`.
- Units sold per SKU, per day: pk `STATS#SOLD`, sk `<yyyy-mm-dd>#<sku>`; per month: pk
  `STATS#SOLD_MONTH`, sk `<yyyy-mm>#<sku>`; `units`.
- Counted marks: pk `STATS#COUNTED#<event id>` (or `STATS#SOLD#<order key>`), sk `PART#<n>`.

Every counter is added to with `ADD`, in one transaction with the mark of what it counts, put
only if absent: an event or an order delivered again finds its mark and changes nothing. An
event's marks expire after `EVENT_MARK_RETENTION`, longer than the stream keeps and retries a
record; an order's never do, since a shop may send an order again months later. A day's SKU
counter and its month's are added in the same transaction, so that a month item is the sum of
its day items whenever it is read.

A range's day totals are one Query of their partition, its sort keys `between` the first day and
the last (paged only beyond DynamoDB's 1 MB a page): a year of day totals is 365 items of ~200
bytes. The SKU counters, which grow with the catalogue, are read from the month items for the
range's whole months (one Query of each kind) and from the day items for the days at its edges
(one Query of each kind per edge): at most seven Queries, and a year reads one month or so of
day items. Nothing here Scans. The partitions are each written by every counted event: at a few
returns a second that is far below a partition's 1,000 writes a second.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.domain.analytics import (
    Counters,
    DayTotals,
    RangeCounters,
    ReasonCount,
    RequestIncrements,
    ReturnIncrements,
    SaleIncrements,
    split_by_month,
)
from chalicelib.domain.references import order_key
from chalicelib.domain.statuses import ReturnReason
from chalicelib.repositories.dynamo import DynamoTable, raise_if_throttled
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE

_DAY = "STATS#DAY"
_REASON = "STATS#REASON"
_SOLD = "STATS#SOLD"
_REASON_MONTH = "STATS#REASON_MONTH"
_SOLD_MONTH = "STATS#SOLD_MONTH"
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
# Above every character a sort key of a day or a month holds after it: the `#` that follows it.
_AFTER_PERIOD = "$"

Counter = tuple[dict[str, str], Mapping[str, int | Decimal]]
# Counters written together: a SKU's day counter and its month's.
CounterGroup = list[Counter]


class AnalyticsCounters(DynamoTable):
    # --- writes ------------------------------------------------------------------------------

    def add_return(self, event_id: str, increments: ReturnIncrements, *, now: datetime) -> bool:
        """Add what one return event counts; False when that event was already counted."""
        groups = [[(_day_key(increments.day), increments.totals.counts())]]
        groups += [
            _reason_counters(increments.day, sku, reason, count)
            for (sku, reason), count in sorted(increments.by_sku_reason.items())
        ]
        expires_at = int((now + EVENT_MARK_RETENTION).timestamp())
        return self._add(f"{_COUNTED}{event_id}", groups, expires_at=expires_at)

    def add_order_request(
        self, event_id: str, increments: RequestIncrements, *, now: datetime
    ) -> bool:
        """Add what one order request event counts (to its day's totals only); False when that
        event was already counted."""
        groups = [[(_day_key(increments.day), increments.totals.counts())]]
        expires_at = int((now + EVENT_MARK_RETENTION).timestamp())
        return self._add(f"{_COUNTED}{event_id}", groups, expires_at=expires_at)

    def add_sale(self, number: str, increments: SaleIncrements) -> bool:
        """Add the units an order sold; False when that order was already counted."""
        groups = [
            _sold_counters(increments.day, sku, units)
            for sku, units in sorted(increments.units_by_sku.items())
        ]
        return self._add(f"{_ORDER_COUNTED}{order_key(number)}", groups, expires_at=None)

    def _add(self, mark: str, groups: list[CounterGroup], *, expires_at: int | None) -> bool:
        """Each part of up to 99 counters in one transaction with its mark, a group never cut
        across two parts. Whether anything was added: a part whose mark exists was counted
        before, and is left as it is."""
        added = False
        for part, chunk in enumerate(_parts(groups)):
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

    def counters(self, start: date, end: date) -> RangeCounters:
        """The counters of `start`..`end` (both included): the day totals of each day, and the
        SKU counters of its whole months from their month items and of the days at its edges
        from their day items (`split_by_month`); at most seven Queries, whatever the range."""
        split = split_by_month(start, end)
        spans = [
            (_REASON, _SOLD, first.isoformat(), last.isoformat()) for first, last in split.day_spans
        ]
        if split.months is not None:
            first, last = split.months
            spans.append((_REASON_MONTH, _SOLD_MONTH, _month(first), _month(last)))
        return RangeCounters.summed(
            dict(self._day_totals(start, end)),
            (
                ((sku, reason), count)
                for reasons, _, first, last in spans
                for (_, sku, reason), count in self._reasons(reasons, first, last)
            ),
            (
                (sku, units)
                for _, sold, first, last in spans
                for (_, sku), units in self._sold(sold, first, last)
            ),
        )

    def day_counters(self, start: date, end: date) -> Counters:
        """The day items of `start`..`end` (both included) as stored, no month item read: one
        Query per kind over every day of the range, what the month items are checked against."""
        first, last = start.isoformat(), end.isoformat()
        return Counters(
            days=dict(self._day_totals(start, end)),
            reasons={
                (date.fromisoformat(day), sku, reason): count
                for (day, sku, reason), count in self._reasons(_REASON, first, last)
            },
            sold={
                (date.fromisoformat(day), sku): units
                for (day, sku), units in self._sold(_SOLD, first, last)
            },
        )

    def _day_totals(self, start: date, end: date) -> Iterator[tuple[date, DayTotals]]:
        for item in self._query(_DAY, start.isoformat(), end.isoformat()):
            sort_key = item.pop(SORT_KEY)
            item.pop(PARTITION_KEY)
            yield date.fromisoformat(sort_key), _day_totals(item)

    def _reasons(
        self, partition: str, first: str, last: str
    ) -> Iterator[tuple[tuple[str, str, ReturnReason], ReasonCount]]:
        """The SKU x reason items of the days or months `first`..`last`, by day or month."""
        for item in self._query(partition, first, last):
            period, rest = item[SORT_KEY].split("#", 1)
            # SKUs may hold `#`; reasons never do.
            sku, reason = rest.rsplit("#", 1)
            count = ReasonCount(int(item.get("units", 0)), int(item.get("returns", 0)))
            yield (period, sku, ReturnReason(reason)), count

    def _sold(self, partition: str, first: str, last: str) -> Iterator[tuple[tuple[str, str], int]]:
        """The sold items of the days or months `first`..`last`, by day or month."""
        for item in self._query(partition, first, last):
            period, sku = item[SORT_KEY].split("#", 1)
            yield (period, sku), int(item.get("units", 0))

    def _query(self, partition: str, first: str, last: str) -> Iterator[dict[str, Any]]:
        """The items of `partition` whose sort keys start with a period `first`..`last`."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :first AND :last",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": self._to_dynamo(
                {
                    ":pk": partition,
                    ":first": first,
                    ":last": f"{last}{_AFTER_PERIOD}",
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
    transaction of `ADD`s a day would take minutes on moto. Each day's counters are laid out as
    its events add them (a SKU's day counter and its month's), summed per item: a month item
    is the sum of the days `counters` holds, so they must be all the days of each month they
    touch that the table will hold. Later events add to them."""
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    counted: list[Counter] = [
        (_day_key(day), totals.counts()) for day, totals in counters.days.items()
    ]
    counted += [
        counter
        for (day, sku, reason), count in counters.reasons.items()
        for counter in _reason_counters(day, sku, reason, count)
    ]
    counted += [
        counter
        for (day, sku), units in counters.sold.items()
        for counter in _sold_counters(day, sku, units)
    ]
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for key, amounts in counted:
        item = items.setdefault((key[PARTITION_KEY], key[SORT_KEY]), dict(key))
        for name, amount in amounts.items():
            item[name] = item.get(name, 0) + amount
    return [{name: serialize(value) for name, value in item.items()} for item in items.values()]


def _day_key(day: date) -> dict[str, str]:
    return {PARTITION_KEY: _DAY, SORT_KEY: day.isoformat()}


def _reason_key(partition: str, period: str, sku: str, reason: ReturnReason) -> dict[str, str]:
    return {PARTITION_KEY: partition, SORT_KEY: f"{period}#{sku}#{reason}"}


def _sold_key(partition: str, period: str, sku: str) -> dict[str, str]:
    return {PARTITION_KEY: partition, SORT_KEY: f"{period}#{sku}"}


def _month(day: date) -> str:
    return f"{day:%Y-%m}"


def _reason_amounts(count: ReasonCount) -> dict[str, int]:
    return {"units": count.units, "returns": count.returns}


def _reason_counters(day: date, sku: str, reason: ReturnReason, count: ReasonCount) -> CounterGroup:
    amounts = _reason_amounts(count)
    return [
        (_reason_key(_REASON, day.isoformat(), sku, reason), amounts),
        (_reason_key(_REASON_MONTH, _month(day), sku, reason), amounts),
    ]


def _sold_counters(day: date, sku: str, units: int) -> CounterGroup:
    return [
        (_sold_key(_SOLD, day.isoformat(), sku), {"units": units}),
        (_sold_key(_SOLD_MONTH, _month(day), sku), {"units": units}),
    ]


def _parts(groups: Iterable[CounterGroup]) -> Iterator[list[Counter]]:
    """The groups packed in order into parts of at most `_COUNTERS_PER_TRANSACTION` counters;
    one part, empty, when there are none (its mark still records the event as counted)."""
    part: list[Counter] = []
    for group in groups:
        if part and len(part) + len(group) > _COUNTERS_PER_TRANSACTION:
            yield part
            part = []
        part.extend(group)
    yield part


def _day_totals(item: dict[str, Any]) -> DayTotals:
    """A day item's counters; those never added to are absent from it, and zero."""
    known = DayTotals.__dataclass_fields__
    values: dict[str, Any] = {}
    for name, value in item.items():
        if name in known:
            kind = type(getattr(DayTotals(), name))
            values[name] = value if kind is Decimal else int(value)
    return DayTotals(**values)
