"""Return analytics: the return events' and the order request events' subscribers that keep the
counters, the count of the units each order sold, and the report the console reads from the
counters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from chalicelib.clock import utc_now
from chalicelib.domain.analytics import (
    AnalyticsReport,
    Granularity,
    RangeCounters,
    RequestIncrements,
    ReturnIncrements,
    SaleIncrements,
    build_report,
    request_increments,
    return_increments,
    sale_increments,
)
from chalicelib.domain.events import ReturnEvent
from chalicelib.domain.order import Order
from chalicelib.domain.order_requests import OrderRequestEvent


class CounterStore(Protocol):
    """What analytics needs of storage (AnalyticsCounters; a fake in tests)."""

    def add_return(self, event_id: str, increments: ReturnIncrements, *, now: datetime) -> bool: ...

    def add_order_request(
        self, event_id: str, increments: RequestIncrements, *, now: datetime
    ) -> bool: ...

    def add_sale(self, number: str, increments: SaleIncrements) -> bool: ...

    def counters(self, start: date, end: date) -> RangeCounters: ...


class ReturnAnalytics:
    """Idempotent on the event: the store counts an event id once, however often it comes."""

    name = "analytics"

    def __init__(self, counters: CounterStore, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._counters = counters
        self._clock = clock

    def __call__(self, event: ReturnEvent) -> None:
        increments = return_increments(event)
        if increments is not None:
            self._counters.add_return(event.id, increments, now=self._clock())


class OrderRequestAnalytics:
    """Counts cancellation requests and claims from their events; idempotent on the event as
    ReturnAnalytics is."""

    name = "order_request_analytics"

    def __init__(self, counters: CounterStore, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._counters = counters
        self._clock = clock

    def __call__(self, event: OrderRequestEvent) -> None:
        increments = request_increments(event)
        if increments is not None:
            self._counters.add_order_request(event.id, increments, now=self._clock())


class SalesCount:
    """Counts the units an order sold, once per order, whenever the shop sends it: counting on
    every delivery rather than on the first store only, so that a crash between storing the
    order and counting it is made good by the shop's next delivery of the order."""

    def __init__(self, counters: CounterStore) -> None:
        self._counters = counters

    def __call__(self, order: Order) -> None:
        self._counters.add_sale(order.number, sale_increments(order))


class AnalyticsService:
    def __init__(self, counters: CounterStore) -> None:
        self._counters = counters

    def report(self, start: date, end: date, granularity: Granularity) -> AnalyticsReport:
        """The report of `start`..`end`, both included: at most seven Queries, whatever the
        range (the store reads whole months from month counters)."""
        return build_report(self._counters.counters(start, end), start, end, granularity)
