"""The analytics page's budget of `make bench`, so that `make test` guards it: the console's
last 12 months read with at most seven Queries (day totals; SKU x reason and sold each from the
days at the range's edges and the month items of its whole months), reading those items and
nothing else, none of them paged, and an event counted in one transaction, once."""

from __future__ import annotations

import os
from typing import Any

from bench.analytics import PAGE_BUDGET_QUERIES, measure_analytics


def test_a_year_of_analytics_reads_months_and_edge_days_and_an_event_one_transaction(
    aws: Any,
) -> None:
    # Given the demo year of counters; when the last 12 months are read and an event counted
    cost = measure_analytics(os.environ["TABLE_NAME"])
    # Then the page made at most seven Queries, reading the range's day totals, the SKU day
    # items of its edge days and the SKU month items of its whole months, on one page each
    assert cost.page.calls["Query"] <= PAGE_BUDGET_QUERIES
    assert set(cost.page.calls) == {"Query"}
    assert cost.page.items_read == cost.page_items.total
    # (365 days hold at least 11 whole months, and at most two partial months' days)
    assert cost.page_items.months >= 11
    assert cost.page_items.edge_days <= 60
    assert cost.largest_query_bytes < 1024 * 1024
    # And the event was one transaction of six writes, not counted again when redelivered
    assert cost.event.calls == {"TransactWriteItems": 1}
    assert cost.event.items_written == 6
    assert not cost.counted_twice
    assert cost.ok
