"""Specification of the analytics of cancellation requests and claims: requests made and decided
through the service, their events delivered from the table's stream to the app's consumer, are
counted on their days (claims by issue, decisions, what settling a claim gave), once however
often the stream hands them over; the console's analytics page shows them, its report still at
most seven Queries and nothing Scanned."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app import handle_return_events
from bench.counting import DynamoDBCallCounter
from chalicelib.domain.analytics import DayTotals, Granularity, RequestIncrements
from chalicelib.domain.statuses import ExpectedResolution
from chalicelib.repositories.aws import client
from chalicelib.services import container
from local.stream_events import StreamDelivery, streams_client
from tests.console_support import sign_in
from tests.order_request_support import (
    AGENT,
    ask_cancellation,
    report_damage,
    report_wrong_item,
    store_janes_orders,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def orders(console: Any) -> None:
    store_janes_orders()


def today_totals() -> DayTotals:
    today = datetime.now(UTC).date()
    return container.analytics_service().report(today, today, Granularity.DAY).totals


def deliver_all(stream: StreamDelivery) -> None:
    """Deliver the stream until nothing new comes: a decision's settlement writes the events
    that say it was carried out."""
    while stream.deliver().records:
        pass


def test_requests_and_their_decisions_are_counted_on_their_day_once(
    orders: None, return_events: StreamDelivery
) -> None:
    # Given a damaged mug accepted as store credit, a wrong item refused, and a cancellation
    # request accepted, each through the service every entry point uses
    requests = container.order_request_service()
    damaged = report_damage(ExpectedResolution.REFUND)
    wrong = report_wrong_item()
    cancellation = ask_cancellation()
    requests.decide(
        damaged.reference, approve=True, actor=AGENT, resolution=ExpectedResolution.VOUCHER
    )
    requests.decide(wrong.reference, approve=False, actor=AGENT, note="Not ours")
    requests.decide(cancellation.reference, approve=True, actor=AGENT)

    # When their events are delivered from the stream, and what they set off is carried out
    deliver_all(return_events)

    # Then the day counts each issue reported, each decision, and the store credit given
    totals = today_totals()
    assert (totals.claims_damaged, totals.claims_wrong_item, totals.claims_opened) == (1, 1, 2)
    assert (totals.claims_approved, totals.claims_rejected) == (1, 1)
    assert (totals.cancellations_requested, totals.cancellations_accepted) == (1, 1)
    settled = requests.find(damaged.reference)[0].settlement
    assert settled is not None
    assert totals.claims_credit_value == settled.amount == Decimal("18.00")
    assert totals.claims_refund_value == 0
    # And no return was counted for them
    assert (totals.requested, totals.approved, totals.rejected) == (0, 0, 0)

    # When a consumer that lost its position reads the whole stream again
    again = StreamDelivery(streams_client(), os.environ["TABLE_NAME"], handle_return_events)
    assert again.deliver().records > 0

    # Then no counter moved
    assert today_totals() == totals


def test_an_event_counted_twice_by_the_store_counts_once(aws: None) -> None:
    counters = container.analytics_counters()
    increments = RequestIncrements(NOW.date(), DayTotals(claims_damaged=1))

    assert counters.add_order_request("C-000001:1", increments, now=NOW)
    assert not counters.add_order_request("C-000001:1", increments, now=NOW)

    day = counters.counters(NOW.date(), NOW.date())
    assert day.days == {NOW.date(): DayTotals(claims_damaged=1)}


def test_the_analytics_page_shows_order_issues_and_cancellations_within_its_queries(
    console: Any, orders: None, return_events: StreamDelivery
) -> None:
    # Given a year of day totals, a damaged mug and a cancellation request counted today
    counters = container.analytics_counters()
    today = datetime.now(UTC).date()
    for n in range(1, 365):
        day = today - timedelta(days=n)
        counters.add_order_request(
            f"history:{n}", RequestIncrements(day, DayTotals(cancellations_requested=1)), now=NOW
        )
    report_damage()
    ask_cancellation()
    deliver_all(return_events)
    cookie = sign_in(console)

    # When the merchant opens the last 12 months, the report's DynamoDB calls counted
    calls = DynamoDBCallCounter().attach(client("dynamodb"))
    before = calls.usage()
    container.analytics_service().report(today - timedelta(days=364), today, Granularity.WEEK)
    read = calls.usage() - before
    page = console.http.get(
        "/console/analytics?period=12m&granularity=week", headers={"Cookie": cookie}
    )

    # Then the report read the day totals it reads anyway: no more Queries, nothing Scanned
    assert read.calls["Query"] <= 7
    assert "Scan" not in calls.usage().calls
    # And the page shows the issue by its type, and the year's cancellation requests
    html = page.body.decode()
    assert page.status_code == 200
    assert "Order issues by type" in html
    assert "<dt>Order issues reported</dt><dd>1</dd>" in html
    assert "arrived damaged or defective: 1." in html
    assert "<dt>Cancellation requests</dt><dd>365</dd>" in html
