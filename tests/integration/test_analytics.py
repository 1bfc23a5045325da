"""Specification of the analytics counters: returns opened and moved through the real API, their
events delivered from the table's stream to the app's consumer, add up to what a direct count
of those returns says; a redelivered event or order counts once; a range read from month
counters and the day counters at its edges is exactly what the day counters give; nothing
Scans, and a report is at most seven Queries whatever its range."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import handle_return_events
from bench.counting import DynamoDBCallCounter
from chalicelib.domain.analytics import (
    Counters,
    DayTotals,
    Granularity,
    ReasonCount,
    ReturnIncrements,
    SaleIncrements,
)
from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.rma import Rma
from chalicelib.domain.statuses import FinancialStatus, ReturnReason
from chalicelib.repositories.analytics_counters import AnalyticsCounters
from chalicelib.repositories.aws import client
from chalicelib.repositories.table_schema import table_definition
from chalicelib.services import container
from local.demo_analytics import demo_year, fill_demo_analytics
from local.stream_events import StreamDelivery, streams_client
from tests.console_support import sign_in
from tests.lifecycle_support import (
    ITEM_RECEIPT,
    REFUND_APPROVAL,
    admin_action,
    current,
    eventually,
    line,
    order_placed,
    receive,
    rma_when,
    submit_return,
    waiting_in,
)
from tests.support import ADMIN_AUTH, JSON, body, rma_payload

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def open_and_submit(api: Any, *lines: dict[str, Any]) -> str:
    """A return of `lines` opened and submitted through the admin API; its id."""
    payload = rma_payload(order=order_placed(days_ago=3), lines=list(lines))
    created = api.http.post("/rmas", headers={**ADMIN_AUTH, **JSON}, body=json.dumps(payload))
    assert created.status_code == 201, created.body
    rma_id: str = body(created)["id"]
    assert admin_action(api, rma_id, "submit").status_code == 200
    return rma_id


def refund_by_hand(api: Any, rma_id: str, amount: str) -> None:
    """Accept, receive the T-shirt worn, and have a person refund `amount` (no lifecycle)."""
    assert admin_action(api, rma_id, "accept").status_code == 200
    assert receive(api, rma_id, "WORE").status_code == 200
    response = admin_action(api, rma_id, "refund", {"amount": amount})
    assert response.status_code == 200, response.body


def today_report() -> Any:
    today = datetime.now(UTC).date()
    return container.analytics_service().report(today, today, Granularity.DAY)


def test_the_counters_add_up_to_a_direct_count_of_the_returns_made_through_the_api(
    api: Any, return_events: StreamDelivery
) -> None:
    # Given five returns requested through the admin API: one refunded 18.00 by a person, one
    # accepted, one rejected, two left waiting
    tee = line()
    mug = line(
        sku="MUG-STONE", name="Stone mug", quantity=2, unit_price="12.30", reason="DEFECTIVE"
    )
    refunded = open_and_submit(api, tee)
    accepted = open_and_submit(api, tee, mug)
    rejected = open_and_submit(api, mug)
    waiting = [open_and_submit(api, tee), open_and_submit(api, mug)]
    refund_by_hand(api, refunded, "18.00")
    assert admin_action(api, accepted, "accept").status_code == 200
    assert admin_action(api, rejected, "reject", {"note": "Outside the window"}).status_code == 200

    # When their events are delivered from the stream
    assert return_events.deliver().failed_batches == 0

    # Then the day's counters are what the returns themselves say
    rmas = [current(rma_id) for rma_id in (refunded, accepted, rejected, *waiting)]
    report = today_report()
    totals = report.totals
    assert totals.requested == len(rmas)
    assert totals.units_requested == sum(ln.quantity for r in rmas for ln in r.lines)
    assert totals.requested_value == sum((r.requested_value for r in rmas), Decimal(0))
    assert (totals.approved, totals.auto_approved, totals.rejected, totals.decided) == (2, 0, 1, 3)
    assert totals.refunded == 1
    assert totals.refund_value == paid(current(refunded)) == Decimal("18.00")
    by_pair = Counter[tuple[str, ReturnReason]]()
    for rma in rmas:
        by_pair.update({(ln.sku, ln.reason): ln.quantity for ln in rma.lines})
    assert {(p.sku, p.reason): p.units for p in report.top_pairs} == dict(by_pair)
    assert totals.decision_seconds >= 0
    assert totals.refund_seconds >= 0


def paid(rma: Rma) -> Decimal:
    statuses = {FinancialStatus.REFUNDED, FinancialStatus.PARTIALLY_REFUNDED}
    return sum((r.amount for r in rma.financial_resolutions if r.status in statuses), Decimal(0))


def test_events_delivered_again_from_the_start_of_the_stream_count_once(
    api: Any, return_events: StreamDelivery
) -> None:
    # Given two returns requested, their events delivered and counted
    for _ in range(2):
        open_and_submit(api, line())
    return_events.deliver()
    before = today_report().totals

    # When a consumer that lost its position reads the whole stream again
    again = StreamDelivery(streams_client(), os.environ["TABLE_NAME"], handle_return_events)
    assert again.deliver().records > 0

    # Then no counter moved
    assert today_report().totals == before
    assert before.requested == 2


def test_an_order_sent_again_by_the_shop_counts_its_units_sold_once(aws: None) -> None:
    # Given an order of 3 T-shirts and a mug, recorded, then sent again (a newer version too)
    orders = container.order_service()
    order = Order(
        number="#1001",
        source="shopify",
        source_updated_at=NOW,
        customer_email="jane@example.com",
        ordered_at=NOW.date(),
        lines=[
            OrderLine(sku="TEE-M", name="T-shirt", quantity=3, unit_price=Decimal("25")),
            OrderLine(sku="MUG", name="Mug", quantity=1, unit_price=Decimal("12")),
        ],
    )
    assert orders.record(order)
    assert not orders.record(order)
    assert orders.record(order.model_copy(update={"source_updated_at": NOW + timedelta(hours=1)}))

    # When the day's counters are read, and its month's
    counters = container.analytics_counters()
    day = counters.counters(NOW.date(), NOW.date())
    month = counters.counters(date(2026, 3, 1), date(2026, 3, 31))

    # Then the order's units count once in each
    assert day.sold == month.sold == {"TEE-M": 3, "MUG": 1}


def test_an_event_of_more_counters_than_a_transaction_holds_is_counted_whole_and_once(
    aws: None,
) -> None:
    # Given an event counting 100 SKUs (201 counters with its day's and the SKUs' months')
    skus = {(f"SKU-{n:03d}", ReturnReason.DEFECTIVE): ReasonCount(1, 1) for n in range(100)}
    increments = ReturnIncrements(NOW.date(), DayTotals(requested=1, units_requested=100), skus)
    counters = container.analytics_counters()
    transactions = TransactionsSeen().attach(client("dynamodb"))

    # When it is counted twice
    assert counters.add_return("rma:2", increments, now=NOW)
    assert not counters.add_return("rma:2", increments, now=NOW)

    # Then it took three transactions, each with a SKU's day counter and its month's together
    first_delivery = transactions.seen[:3]
    assert [len(t) for t in first_delivery] == [99 + 1, 98 + 1, 4 + 1]
    for writes in first_delivery:
        assert sku_counters(writes, "STATS#REASON") == sku_counters(writes, "STATS#REASON_MONTH")
    # And every counter holds it once, read by day and by month
    day = counters.counters(NOW.date(), NOW.date())
    month = counters.counters(date(2026, 3, 1), date(2026, 3, 31))
    assert day.days == {NOW.date(): DayTotals(requested=1, units_requested=100)}
    assert day.reasons == month.reasons == dict(skus)


class TransactionsSeen:
    """The writes of each TransactWriteItems a client sends."""

    def __init__(self) -> None:
        self.seen: list[list[dict[str, Any]]] = []

    def attach(self, dynamodb: Any) -> TransactionsSeen:
        dynamodb.meta.events.register(
            "before-parameter-build.dynamodb.TransactWriteItems",
            lambda params, **_: self.seen.append(params["TransactItems"]),
            unique_id="test-transactions-seen",
        )
        return self


def sku_counters(writes: list[dict[str, Any]], partition: str) -> list[str]:
    """The SKU x reason of each counter of `partition` the writes add to, its period left out."""
    keys = [w["Update"]["Key"] for w in writes if "Update" in w]
    return [k["sk"]["S"].split("#", 1)[1] for k in keys if k["pk"]["S"] == partition]


def test_counted_marks_of_events_expire_after_eight_days_and_orders_never(aws: None) -> None:
    # Given an event and an order counted
    counters = container.analytics_counters()
    counters.add_return("rma:2", ReturnIncrements(NOW.date(), DayTotals(requested=1)), now=NOW)
    counters.add_sale("#7", SaleIncrements(NOW.date(), {"TEE-M": 1}))

    # Then the event's mark expires eight days later (the stream's retries are long over),
    # and the order's, which a shop may send again months later, stays
    [event_mark] = marks("STATS#COUNTED#rma:2")
    [order_mark] = marks("STATS#SOLD#7")
    assert int(event_mark["expires_at"]["N"]) == int((NOW + timedelta(days=8)).timestamp())
    assert "expires_at" not in order_mark


def marks(partition: str) -> list[dict[str, Any]]:
    response = client("dynamodb").query(
        TableName=os.environ["TABLE_NAME"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": partition}},
    )
    return list(response["Items"])


def test_history_loaded_as_counter_items_reads_back_as_it_was_and_takes_later_events(
    aws: None,
) -> None:
    # Given the demo's year loaded whole, as the local stack loads it
    today = NOW.date()
    year = demo_year(today)
    fill_demo_analytics(os.environ["TABLE_NAME"], today)

    # When an event of its last day is counted on top
    last = today - timedelta(days=1)
    counters = container.analytics_counters()
    counters.add_return("rma:2", ReturnIncrements(last, DayTotals(requested=1)), now=NOW)

    # Then the day counters read back are the year's, plus the event
    first = today - timedelta(days=365)
    days = counters.day_counters(first, last)
    assert days.reasons == year.reasons
    assert days.sold == year.sold
    assert days.days == {**year.days, last: year.days[last] + DayTotals(requested=1)}
    # And the year read from its months and edge days (March 2025 from the 2nd, 1 March 2026) is
    # what its days add up to
    assert counters.counters(first, last) == days.over(first, last)
    assert counters.counters(first, last).reasons == year.over(first, last).reasons


def test_a_year_of_counters_is_read_from_months_and_edge_days_and_nothing_scans(
    api: Any, return_events: StreamDelivery
) -> None:
    # Given counters on every day of a year, and returns counted from their events
    counters = container.analytics_counters()
    first = date(2025, 3, 3)
    for n in range(365):
        day = first + timedelta(days=n)
        skus = {("TEE-M", ReturnReason.SIZE_PROBLEM): ReasonCount(1, 1)}
        counters.add_return(
            f"demo:{n}", ReturnIncrements(day, DayTotals(requested=1), skus), now=NOW
        )
    calls = DynamoDBCallCounter().attach(client("dynamodb"))
    open_and_submit(api, line())
    return_events.deliver()

    # When a year's report is read
    before = calls.usage()
    report = container.analytics_service().report(
        first, first + timedelta(days=364), Granularity.WEEK
    )
    read = calls.usage() - before

    # Then it is seven Queries (day totals; SKU x reason and sold each: the days of March 2025
    # from the 3rd, the months of April to February, the days of March 2026 to the 2nd),
    # reading 365 day totals, and of SKU x reason 29 + 2 day items and 11 month items
    assert read.calls == {"Query": 7}
    assert read.items_read == 365 + 29 + 2 + 11
    assert report.totals.requested == 365
    assert report.top_pairs[0].units == 365
    assert "Scan" not in calls.usage().calls


SKUS = ("TEE-M", "TEE#L", "MUG")
# Four months, across a year's end and a February.
FIRST_DAY = date(2025, 11, 20)
WINDOW_DAYS = 120
days_in_window = st.integers(0, WINDOW_DAYS - 1).map(lambda n: FIRST_DAY + timedelta(days=n))
returns_counted = st.builds(
    ReturnIncrements,
    days_in_window,
    st.builds(DayTotals, requested=st.just(1), units_requested=st.integers(1, 5)),
    st.dictionaries(
        st.tuples(st.sampled_from(SKUS), st.sampled_from(list(ReturnReason))),
        st.builds(ReasonCount, st.integers(1, 5), st.just(1)),
        max_size=3,
    ),
)
sales_counted = st.builds(
    SaleIncrements,
    days_in_window,
    st.dictionaries(st.sampled_from(SKUS), st.integers(1, 9), min_size=1, max_size=3),
)


@st.composite
def ranges(draw: st.DrawFn) -> tuple[date, date]:
    """Ranges from a day to a whole window, starting and ending anywhere in or around it."""
    start = FIRST_DAY + timedelta(days=draw(st.integers(-10, WINDOW_DAYS)))
    return start, start + timedelta(days=draw(st.integers(0, WINDOW_DAYS + 10)))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(returns_counted, max_size=12), st.lists(sales_counted, max_size=6), ranges())
def test_a_range_read_from_month_and_edge_day_counters_is_what_its_day_counters_give(
    aws: None,
    returns: list[ReturnIncrements],
    sales: list[SaleIncrements],
    period: tuple[date, date],
) -> None:
    # Given random events and orders counted into a table of their own
    table = f"analytics-{uuid4().hex}"
    client("dynamodb").create_table(**table_definition(table))
    counters = AnalyticsCounters(table)
    for n, increments in enumerate(returns):
        counters.add_return(f"rma:{n}", increments, now=NOW)
    for n, sale in enumerate(sales):
        counters.add_sale(f"#{n}", sale)

    # When a random range is read
    start, end = period
    read = counters.counters(start, end)

    # Then it is exactly what the range's day counters add up to, and what was counted
    assert read == counters.day_counters(start, end).over(start, end)
    assert read == counted(returns, sales).over(start, end)


def counted(returns: list[ReturnIncrements], sales: list[SaleIncrements]) -> Counters:
    """The day counters the increments add up to."""
    totals: dict[date, DayTotals] = {}
    reasons: dict[tuple[date, str, ReturnReason], ReasonCount] = {}
    sold: Counter[tuple[date, str]] = Counter()
    for increments in returns:
        totals[increments.day] = totals.get(increments.day, DayTotals()) + increments.totals
        for (sku, reason), count in increments.by_sku_reason.items():
            key = (increments.day, sku, reason)
            reasons[key] = reasons.get(key, ReasonCount()) + count
    for sale in sales:
        sold.update({(sale.day, sku): units for sku, units in sale.units_by_sku.items()})
    return Counters(totals, reasons, dict(sold))


def test_an_automatic_approval_and_the_workflow_refund_are_counted_as_such(
    api: Any, lifecycle: str
) -> None:
    # Given the lifecycle approves a return by its rules, and a person approves its refund
    rma = submit_return(api)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], "BRAND_NEW_WITH_LABEL").status_code == 200
    waiting_in(rma["id"], REFUND_APPROVAL)
    assert admin_action(api, rma["id"], "refund").status_code == 200

    # When the lifecycle has paid it and its events are delivered (by the lifecycle's pump)
    refunded = rma_when(
        rma["id"], lambda r: r.financial_status is FinancialStatus.REFUNDED, "refunded"
    )

    # Then the day counts one automatic approval and one refund of what was paid
    def counted() -> DayTotals | None:
        totals = today_report().totals
        return totals if totals.refunded else None

    totals = eventually(counted, "the refund counted")
    assert (totals.requested, totals.approved, totals.auto_approved) == (1, 1, 1)
    assert totals.refund_value == paid(refunded) == Decimal("25.00")


# --- the console's page and CSV -------------------------------------------------------------------


def test_the_analytics_page_shows_the_period_in_figures_charts_and_tables(
    console: Any, return_events: StreamDelivery
) -> None:
    # Given a signed-in merchant, and a return of a SKU whose name is markup
    open_and_submit(console, line(sku="<b>TEE</b>", quantity=2))
    return_events.deliver()
    cookie = sign_in(console)

    # When they open the analytics of the last 90 days by week
    page = console.http.get(
        "/console/analytics?period=90d&granularity=week", headers={"Cookie": cookie}
    )

    # Then the page shows the return in its figures, as accessible charts, the SKU escaped
    assert page.status_code == 200
    html = page.body.decode()
    # (returns per week, reasons, SKUs, and the order issues by type)
    assert html.count('role="img"') == 4
    assert '<option value="90d" selected>' in html
    assert "&lt;b&gt;TEE&lt;/b&gt;" in html
    assert "<b>TEE</b>" not in html
    assert "<dt>Returns requested</dt><dd>1</dd>" in html


def test_the_csv_is_the_report_of_the_chosen_period_as_an_attachment(
    console: Any, return_events: StreamDelivery
) -> None:
    open_and_submit(console, line())
    return_events.deliver()
    cookie = sign_in(console)

    answer = console.http.get("/console/analytics.csv?period=30d", headers={"Cookie": cookie})

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="returns-')
    assert "returns_requested,1\r\n" in answer.body.decode()


def test_the_analytics_pages_send_a_stranger_to_sign_in(console: Any) -> None:
    for path in ("/console/analytics", "/console/analytics.csv"):
        answer = console.http.get(path)
        assert answer.status_code == 303
        assert answer.headers["Location"].startswith("/console/login?next=")
