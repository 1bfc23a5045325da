"""What the console's analytics page costs over a year of counters, and what counting one
return event costs.

The table holds the local stack's demo year (local/demo_analytics.py: ~6 returns a day over the
demo catalog's 14 SKUs), loaded as the repository lays its items out. The page's DynamoDB work
is its report's (the session is a signed cookie, read without DynamoDB): measured for the last
12 months by week, judged against a budget of three Queries reading the range's counters and
nothing else. The read capacity is estimated from the items' sizes by DynamoDB's rules
(eventually consistent Query: half a unit per 4 KB, per Query): moto's ConsumedCapacity is a
constant, not a measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.budgets import Budget
from bench.counting import DynamoDBCallCounter, Usage
from bench.dataset import batch_write
from chalicelib.domain.analytics import (
    DayTotals,
    Granularity,
    ReasonCount,
    ReturnIncrements,
)
from chalicelib.domain.statuses import ReturnReason
from chalicelib.repositories.analytics_counters import counter_items
from local.demo_analytics import demo_year

# One Query per partition (day totals, SKU x reason, sold), none paged at this size.
PAGE_BUDGET_QUERIES = 3
# Counting one request of two lines: its mark, its day, its two SKU x reason counters.
EVENT_BUDGET = Budget(calls={"TransactWriteItems": 1}, max_items_written=4)
_QUERY_PAGE_BYTES = 1024 * 1024
_READ_UNIT_BYTES = 4096


@dataclass(frozen=True)
class AnalyticsCost:
    today: date
    items_loaded: int
    page: Usage
    page_budget: Budget
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

    start, end = today - timedelta(days=365), today - timedelta(days=1)
    before = counter.usage()
    container.analytics_service().report(start, end, Granularity.WEEK)
    page = counter.usage() - before

    increments = ReturnIncrements(
        end,
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
        items_loaded=len(items),
        page=page,
        # The year loaded is the range read: nothing beyond its counters.
        page_budget=Budget(calls={"Query": PAGE_BUDGET_QUERIES}, max_items_read=len(items)),
        read_units=sum(math.ceil(size / _READ_UNIT_BYTES) * 0.5 for size in sizes.sizes),
        largest_query_bytes=max(sizes.sizes, default=0),
        event=event,
        counted_twice=counted_twice,
    )


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
    return "\n".join(
        [
            f"Analytics: a year of counters up to {cost.today} ({cost.items_loaded:,} items)",
            f"  page of the last 12 months by week: {calls}, {cost.page.items_read:,} items "
            f"read, ~{cost.read_units:g} read units (largest Query "
            f"{cost.largest_query_bytes / 1024:.0f} KB of 1 MB); target {cost.page_budget}",
            f"  counting a request of 2 lines: {event_calls}, {cost.event.items_written} "
            f"writes; delivered again: changes nothing (transaction cancelled on its mark)",
            f"  {verdict}",
        ]
    )
