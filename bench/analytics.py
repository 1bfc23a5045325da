"""What the console's analytics page costs over a year of counters, and what counting one
return event costs.

The table holds the local stack's demo year (local/demo_analytics.py: ~6 returns a day over the
demo catalog's 14 SKUs), loaded as the repository lays its items out (day items and the month
items summed from them). The page's DynamoDB work is its report's (the session is a signed
cookie, read without DynamoDB): measured for the console's last 12 months by week, judged
against a budget of seven Queries reading the range's day totals, the day items of the days at
its edges and the month items of its whole months, and nothing else. How many edge days there
are depends on the day of the month the bench runs on (about a month's worth in all). The read
capacity is estimated from the items' sizes by DynamoDB's rules (eventually consistent Query:
half a unit per 4 KB, per Query): moto's ConsumedCapacity is a constant, not a measure.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.budgets import Budget
from bench.counting import DynamoDBCallCounter, Usage
from bench.dataset import batch_write
from chalicelib.domain.analytics import (
    Counters,
    DayTotals,
    ReasonCount,
    ReturnIncrements,
    month_of,
    split_by_month,
)
from chalicelib.domain.statuses import ReturnReason
from chalicelib.pages.analytics_page import Period, read_choice
from chalicelib.repositories.analytics_counters import counter_items
from local.demo_analytics import demo_year

# Day totals; SKU x reason and sold each: the days before the first whole month, the whole
# months, the days after the last. None paged at this size.
PAGE_BUDGET_QUERIES = 7
# Counting one request of two lines: its mark, its day, its two SKU x reason counters and their
# two month counters.
EVENT_BUDGET = Budget(calls={"TransactWriteItems": 1}, max_items_written=6)
_QUERY_PAGE_BYTES = 1024 * 1024
_READ_UNIT_BYTES = 4096


@dataclass(frozen=True)
class RangeItems:
    """The counter items a range's report should read: nothing else."""

    day_totals: int
    # SKU x reason and sold items of the days no whole month covers.
    edge_day_items: int
    edge_days: int
    month_items: int
    months: int

    @property
    def total(self) -> int:
        return self.day_totals + self.edge_day_items + self.month_items


@dataclass(frozen=True)
class AnalyticsCost:
    today: date
    start: date
    items_loaded: int
    page: Usage
    page_budget: Budget
    page_items: RangeItems
    # How long moto took to answer the page's Queries, in this process.
    page_seconds: float
    # Estimated from the sizes of the items each Query read.
    read_units: float
    largest_query_bytes: int
    event: Usage
    # Whether the same event, delivered again, was counted again.
    counted_twice: bool

    @property
    def problems(self) -> list[str]:
        problems = [f"page: {p}" for p in self.page_budget.overruns(self.page)]
        problems += [f"event: {p}" for p in EVENT_BUDGET.overruns(self.event)]
        if self.largest_query_bytes > _QUERY_PAGE_BYTES:
            problems.append(f"a Query reads {self.largest_query_bytes:,} bytes: it pages")
        if self.counted_twice:
            problems.append("an event delivered again was counted again")
        return problems

    @property
    def ok(self) -> bool:
        return not self.problems


def measure_analytics(table_name: str) -> AnalyticsCost:
    """Call inside `moto_table`."""
    from chalicelib.repositories.aws import client
    from chalicelib.services import container

    today = datetime.now(UTC).date()
    year = demo_year(today)
    items = counter_items(year)
    dynamodb = client("dynamodb")
    batch_write(dynamodb, table_name, items)
    counter = DynamoDBCallCounter().attach(dynamodb)
    sizes = _QuerySizes().attach(dynamodb)

    choice = read_choice({"period": Period.MONTHS_12}, today)
    before = counter.usage()
    started = time.perf_counter()
    container.analytics_service().report(choice.start, choice.end, choice.granularity)
    page_seconds = time.perf_counter() - started
    page = counter.usage() - before
    page_items = range_items(year, choice.start, choice.end)

    increments = ReturnIncrements(
        today - timedelta(days=1),
        DayTotals(requested=1, units_requested=2, requested_value=Decimal("114.00")),
        {
            ("LIN-SHIRT-WHT-M", ReturnReason.SIZE_PROBLEM): ReasonCount(1, 1),
            ("CANVAS-TOTE-NAT", ReturnReason.DEFECTIVE): ReasonCount(1, 1),
        },
    )
    counters = container.analytics_counters()
    before = counter.usage()
    counters.add_return("bench:2", increments, now=datetime.now(UTC))
    event = counter.usage() - before
    counted_twice = counters.add_return("bench:2", increments, now=datetime.now(UTC))
    return AnalyticsCost(
        today=today,
        start=choice.start,
        items_loaded=len(items),
        page=page,
        page_budget=Budget(calls={"Query": PAGE_BUDGET_QUERIES}, max_items_read=page_items.total),
        page_items=page_items,
        page_seconds=page_seconds,
        # A Query reading nothing still costs the half unit of its first 4 KB.
        read_units=sum(max(1, math.ceil(size / _READ_UNIT_BYTES)) * 0.5 for size in sizes.sizes),
        largest_query_bytes=max(sizes.sizes, default=0),
        event=event,
        counted_twice=counted_twice,
    )


def range_items(counters: Counters, start: date, end: date) -> RangeItems:
    """The items of `counters` (every day of each month they touch) that a read of `start`..
    `end` needs: the range's day totals, the SKU day items of the days no whole month of the
    range covers, and the SKU month items of its whole months."""
    split = split_by_month(start, end)
    months = split.months

    def at_edge(day: date) -> bool:
        return any(first <= day <= last for first, last in split.day_spans)

    def in_months(day: date) -> bool:
        return months is not None and months[0] <= month_of(day) <= months[1]

    reasons, sold = counters.reasons, counters.sold
    return RangeItems(
        day_totals=sum(start <= day <= end for day in counters.days),
        edge_day_items=sum(at_edge(day) for day, _, _ in reasons)
        + sum(at_edge(day) for day, _ in sold),
        edge_days=sum((last - first).days + 1 for first, last in split.day_spans),
        month_items=len({(month_of(day), sku, r) for day, sku, r in reasons if in_months(day)})
        + len({(month_of(day), sku) for day, sku in sold if in_months(day)}),
        months=0 if months is None else _months_between(*months),
    )


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


class _QuerySizes:
    """The size of what each Query read, by DynamoDB's item size rules."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def attach(self, client: Any) -> _QuerySizes:
        client.meta.events.register(
            "after-call.dynamodb.Query", self._on_query, unique_id="bench-query-sizes"
        )
        return self

    def _on_query(self, parsed: dict[str, Any], **_: Any) -> None:
        self.sizes.append(sum(_item_bytes(item) for item in parsed.get("Items", [])))


def _item_bytes(item: dict[str, Any]) -> int:
    """Attribute names in UTF-8, strings in UTF-8, numbers about one byte per two significant
    digits plus one (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
    CapacityUnitCalculations.html)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        elif "N" in value:
            digits = value["N"].lstrip("-").replace(".", "").strip("0") or "0"
            size += math.ceil(len(digits) / 2) + 1
    return size


def analytics_summary(cost: AnalyticsCost) -> str:
    calls = ", ".join(f"{n} {op}" for op, n in sorted(cost.page.calls.items()))
    verdict = "OK" if cost.ok else "FAIL: " + "; ".join(cost.problems)
    event_calls = ", ".join(f"{n} {op}" for op, n in sorted(cost.event.calls.items()))
    shape = cost.page_items
    return "\n".join(
        [
            f"Analytics: a year of counters up to {cost.today} ({cost.items_loaded:,} items, "
            f"day and month)",
            f"  page of the last 12 months by week ({cost.start} to {cost.today}): {calls}, "
            f"{cost.page.items_read:,} items read, ~{cost.read_units:g} read units (largest "
            f"Query {cost.largest_query_bytes / 1024:.0f} KB of 1 MB), {cost.page_seconds:.1f} s "
            f"on moto; target {cost.page_budget}",
            f"    = {shape.day_totals} day totals + {shape.edge_day_items:,} SKU items of the "
            f"{shape.edge_days} edge days + {shape.month_items} SKU items of {shape.months} "
            f"whole months",
            f"  counting a request of 2 lines: {event_calls}, {cost.event.items_written} "
            f"writes; delivered again: changes nothing (transaction cancelled on its mark)",
            f"  {verdict}",
        ]
    )
