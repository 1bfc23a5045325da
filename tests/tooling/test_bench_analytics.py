"""The analytics page's budget of `make bench`, so that `make test` guards it: a year of
counters read with three Queries of the year's items and nothing else, none of them paged, and
an event counted in one transaction, once."""

from __future__ import annotations

import os
from typing import Any

from bench.analytics import measure_analytics


def test_a_year_of_analytics_is_three_queries_and_an_event_one_transaction(aws: Any) -> None:
    # Given the demo year of counters; when the last 12 months are read and an event counted
    cost = measure_analytics(os.environ["TABLE_NAME"])
    # Then the page made three Queries, reading the year's counters only, on one page each
    assert cost.page.calls == {"Query": 3}
    assert cost.page.items_read == cost.items_loaded
    assert cost.largest_query_bytes < 1024 * 1024
    # And the event was one transaction of four writes, not counted again when redelivered
    assert cost.event.calls == {"TransactWriteItems": 1}
    assert not cost.counted_twice
    assert cost.ok
