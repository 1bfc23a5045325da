"""Specification of return analytics: what each return event and each order adds to the
counters, how a range is split into whole months and the days at its edges, the report read
from the counters, its CSV, and properties over generated histories: buckets add up to the
events, weeks to their days, a replay changes nothing, no refund counted is more than the
returns show as paid, and a range's months and edge days cover each of its days once."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.analytics import (
    AnalyticsReport,
    Counters,
    DayTotals,
    Granularity,
    MonthSplit,
    RangeCounters,
    ReasonCount,
    ReturnIncrements,
    SaleIncrements,
    build_report,
    month_of,
    paid_value,
    return_increments,
    sale_increments,
    split_by_month,
    tally,
)
from chalicelib.domain.analytics_csv import report_csv
from chalicelib.domain.events import ReturnEvent, ReturnEventType, StatusesBefore
from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.rma import Actor, Customer, FinancialResolution, OrderRef, Rma, RmaLine
from chalicelib.domain.statuses import (
    Channel,
    FinancialMethod,
    FinancialStatus,
    ProcessingStatus,
    ReturnReason,
)
from chalicelib.services.analytics import AnalyticsService, ReturnAnalytics, SalesCount
from chalicelib.services.order_service import OrderService

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
SHOPPER = Actor(channel=Channel.PORTAL, email="jane@example.com")
AGENT = Actor(channel=Channel.GORGIAS, id="7", name="Alex")
WORKFLOW = Actor(channel=Channel.WORKFLOW, name="Returns workflow")
R = ReturnReason


def a_line(
    sku: str = "TEE-M", quantity: int = 1, price: str = "25.00", reason: R = R.SIZE_PROBLEM
) -> RmaLine:
    return RmaLine(
        sku=sku, name=f"Item {sku}", quantity=quantity, unit_price=Decimal(price), reason=reason
    )


def an_rma(*lines: RmaLine, requested_at: datetime = T0, n: int = 1, **changes: Any) -> Rma:
    return Rma(
        id=f"{n:032x}",
        return_number=n,
        return_reference=f"R-{n:06d}",
        order=OrderRef(number="#1001"),
        customer=Customer(email="jane@example.com"),
        lines=list(lines) or [a_line()],
        processing_status=ProcessingStatus.REQUESTED,
        created_at=requested_at - timedelta(minutes=5),
        updated_at=requested_at,
        requested_at=requested_at,
    ).model_copy(update=changes)


def an_event(
    kind: ReturnEventType,
    rma: Rma,
    at: datetime,
    actor: Actor = AGENT,
    *,
    version: int = 2,
    previous: StatusesBefore | None = None,
) -> ReturnEvent:
    return ReturnEvent(
        id=f"{rma.id}:{version}",
        type=kind,
        rma_id=rma.id,
        version=version,
        occurred_at=at,
        actor=actor,
        previous=previous or StatusesBefore.of(rma),
        rma=rma,
    )


def refunded(rma: Rma, amount: str, status: FinancialStatus = FinancialStatus.REFUNDED) -> Rma:
    resolution = FinancialResolution(
        amount=Decimal(amount), method=FinancialMethod.REFUND, status=status
    )
    return rma.model_copy(
        update={"financial_status": status, "financial_resolutions": [resolution]}
    )


def a_refund(rma: Rma, amount: str, at: datetime, *, version: int = 6) -> ReturnEvent:
    """The event of `rma`, not paid yet, paid `amount` in full by the workflow at `at`."""
    paid = refunded(rma, amount)
    before = StatusesBefore.of(rma)
    return an_event(ReturnEventType.REFUNDED, paid, at, WORKFLOW, version=version, previous=before)


# --- what one event counts --------------------------------------------------------------------


def test_a_request_counts_one_return_its_units_and_value_and_each_sku_reason() -> None:
    # Given a return of 2 T-shirts at 25.00 (too small) and a mug at 12.30 (broken)
    rma = an_rma(
        a_line("TEE-M", 2, "25.00", R.SIZE_PROBLEM),
        a_line("MUG", 1, "12.30", R.DAMAGED_PRODUCT),
    )

    # When its request is counted
    increments = return_increments(an_event(ReturnEventType.REQUESTED, rma, T0, SHOPPER))

    # Then the day has one return, 3 units worth 62.30, and each line its SKU x reason
    assert increments == ReturnIncrements(
        day=T0.date(),
        totals=DayTotals(requested=1, units_requested=3, requested_value=Decimal("62.30")),
        by_sku_reason={
            ("TEE-M", R.SIZE_PROBLEM): ReasonCount(units=2, returns=1),
            ("MUG", R.DAMAGED_PRODUCT): ReasonCount(units=1, returns=1),
        },
    )


def test_an_approval_by_the_workflow_is_counted_as_automatic_with_its_time_to_decision() -> None:
    # Given a return requested at 09:00
    rma = an_rma()

    # When the workflow approves it 90 seconds later, and an agent approves another
    automatic = return_increments(
        an_event(ReturnEventType.APPROVED, rma, T0 + timedelta(seconds=90), WORKFLOW)
    )
    by_agent = return_increments(
        an_event(ReturnEventType.APPROVED, rma, T0 + timedelta(hours=2), AGENT)
    )

    # Then both are decisions with their durations; only the workflow's is automatic
    assert automatic is not None
    assert by_agent is not None
    assert automatic.totals == DayTotals(
        approved=1, auto_approved=1, decided=1, decision_seconds=90
    )
    assert by_agent.totals == DayTotals(approved=1, decided=1, decision_seconds=7200)


def test_a_rejection_is_a_decision_counted_on_the_day_it_was_made() -> None:
    # Given a return requested late on one day
    rma = an_rma(requested_at=datetime(2026, 3, 2, 23, 0, tzinfo=UTC))

    # When it is rejected two hours later, on the next UTC day
    at = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    increments = return_increments(an_event(ReturnEventType.REJECTED, rma, at))

    # Then the rejection counts on the day it was made
    assert increments == ReturnIncrements(
        date(2026, 3, 3), DayTotals(rejected=1, decided=1, decision_seconds=7200)
    )


def test_a_refund_counts_what_the_return_shows_as_paid_and_the_time_since_the_request() -> None:
    # Given a return paid back 41.50 of 50.00, three days after its request
    rma = refunded(an_rma(a_line(quantity=2)), "41.50", FinancialStatus.PARTIALLY_REFUNDED)
    before = StatusesBefore.of(an_rma())
    at = T0 + timedelta(days=3)

    # When the refund is counted
    increments = return_increments(
        an_event(ReturnEventType.REFUNDED, rma, at, WORKFLOW, previous=before)
    )

    # Then the day has one refund of exactly 41.50, three days after the request
    assert increments == ReturnIncrements(
        at.date(),
        DayTotals(refunded=1, refund_value=Decimal("41.50"), refund_seconds=3 * 86_400),
    )


def test_a_second_payment_of_a_return_already_paid_is_not_counted_again() -> None:
    # Given a return whose financial status was already REFUNDED before the event
    rma = refunded(an_rma(), "25.00")
    before = StatusesBefore.of(rma)

    # When another refund event of it arrives
    event = an_event(ReturnEventType.REFUNDED, rma, T0 + timedelta(days=4), previous=before)

    # Then it adds nothing: the return was counted refunded once, when first paid
    assert return_increments(event) is None


@pytest.mark.parametrize(
    "kind",
    [
        ReturnEventType.CREATED,
        ReturnEventType.LABEL_ISSUED,
        ReturnEventType.RECEIVED,
        ReturnEventType.REFUND_PENDING,
        ReturnEventType.COMPLETED,
        ReturnEventType.UPDATED,
    ],
)
def test_events_that_are_no_request_decision_or_refund_count_nothing(
    kind: ReturnEventType,
) -> None:
    assert return_increments(an_event(kind, an_rma(), T0)) is None


def test_a_decision_dated_before_its_request_counts_no_negative_time() -> None:
    # Given a decision whose clock reads earlier than the request's
    rma = an_rma()

    # When it is counted
    increments = return_increments(
        an_event(ReturnEventType.APPROVED, rma, T0 - timedelta(seconds=30))
    )

    # Then its time to decision is zero
    assert increments is not None
    assert increments.totals.decision_seconds == 0


def test_an_order_counts_its_units_per_sku_on_the_day_it_was_placed() -> None:
    order = an_order("#1001", date(2026, 3, 1), ("TEE-M", 2), ("MUG", 1))

    assert sale_increments(order) == SaleIncrements(date(2026, 3, 1), {"TEE-M": 2, "MUG": 1})


def an_order(number: str, on: date, *lines: tuple[str, int]) -> Order:
    return Order(
        number=number,
        source="shopify",
        source_updated_at=T0,
        customer_email="jane@example.com",
        ordered_at=on,
        lines=[
            OrderLine(sku=sku, name=sku, quantity=units, unit_price=Decimal("10"))
            for sku, units in lines
        ],
    )


# --- a range read as whole months and the days at its edges ----------------------------------


def test_the_last_twelve_months_are_eleven_whole_months_and_the_days_at_either_edge() -> None:
    # Given the console's 12 months up to 1 December 2026
    split = split_by_month(date(2025, 12, 2), date(2026, 12, 1))

    # Then January to November are read as months, December 2025 from the 2nd and 1 December
    # 2026 as days
    assert split == MonthSplit(
        months=(date(2026, 1, 1), date(2026, 11, 1)),
        day_spans=((date(2025, 12, 2), date(2025, 12, 31)), (date(2026, 12, 1), date(2026, 12, 1))),
    )


def test_a_range_of_whole_months_reads_no_day() -> None:
    assert split_by_month(date(2024, 2, 1), date(2024, 3, 31)) == MonthSplit(
        (date(2024, 2, 1), date(2024, 3, 1)), ()
    )


def test_a_range_with_no_whole_month_is_one_span_of_days_even_across_two_months() -> None:
    assert split_by_month(date(2026, 1, 15), date(2026, 2, 27)) == MonthSplit(
        None, ((date(2026, 1, 15), date(2026, 2, 27)),)
    )
    assert split_by_month(date(2026, 2, 1), date(2026, 2, 27)).months is None


def test_a_split_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="end must not be before start"):
        split_by_month(T0.date(), T0.date() - timedelta(days=1))


@settings(max_examples=300, deadline=None)
@given(
    st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(min_value=0, max_value=800),
)
def test_the_whole_months_and_the_edge_days_cover_each_day_of_the_range_once(
    start: date, length: int
) -> None:
    end = start + timedelta(days=length)

    split = split_by_month(start, end)

    covered: list[date] = []
    for first, last in split.day_spans:
        covered += [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if split.months is not None:
        month, last_month = split.months
        while month <= last_month:
            assert month_of(month) == month
            day = month
            while month_of(day) == month:
                covered.append(day)
                day += timedelta(days=1)
            month = day
    assert sorted(covered) == [start + timedelta(days=n) for n in range(length + 1)]
    assert len(split.day_spans) <= 2
    # Days are read only where no whole month covers them: at most two partial months' worth
    assert sum((last - first).days + 1 for first, last in split.day_spans) <= 60


# --- the report -------------------------------------------------------------------------------


def report_of(
    counters: Counters, start: date, end: date, granularity: Granularity
) -> AnalyticsReport:
    """The report of `start`..`end` from day counters, as a day-by-day read would give it."""
    return build_report(counters.over(start, end), start, end, granularity)


def test_a_report_has_every_bucket_of_its_range_the_quiet_ones_at_zero() -> None:
    # Given a single return requested on the 3rd
    counters = tally([an_event(ReturnEventType.REQUESTED, an_rma(), T0 + timedelta(days=1))])

    # When a week is read by day
    report = report_of(counters, T0.date(), T0.date() + timedelta(days=6), Granularity.DAY)

    # Then there are seven buckets, one of them with the return
    assert [b.totals.requested for b in report.buckets] == [0, 1, 0, 0, 0, 0, 0]


def test_weekly_buckets_start_on_monday_and_the_first_may_be_cut_by_the_range() -> None:
    # Given returns on Sunday 1 March and Monday 2 March
    sunday, monday = T0 - timedelta(days=1), T0
    counters = tally(
        [
            an_event(ReturnEventType.REQUESTED, an_rma(n=1), sunday),
            an_event(ReturnEventType.REQUESTED, an_rma(n=2), monday),
        ]
    )

    # When the days from Sunday to the next Sunday are read by week
    report = report_of(counters, sunday.date(), date(2026, 3, 8), Granularity.WEEK)

    # Then the week of 23 February holds Sunday's, the week of 2 March Monday's
    assert [(b.start, b.totals.requested) for b in report.buckets] == [
        (date(2026, 2, 23), 1),
        (date(2026, 3, 2), 1),
    ]


def test_return_rates_are_given_for_skus_with_known_sales_only_highest_first() -> None:
    # Given 3 T-shirts and a mug returned, 30 T-shirts and 4 mugs sold, a scarf never sold
    counters = tally(
        [
            an_event(
                ReturnEventType.REQUESTED,
                an_rma(a_line("TEE-M", 3), a_line("MUG", 1), a_line("SCARF", 1)),
                T0,
            )
        ],
        [an_order("#1", T0.date(), ("TEE-M", 30), ("MUG", 4))],
    )

    # When the day is read
    report = report_of(counters, T0.date(), T0.date(), Granularity.DAY)

    # Then the mug's rate (1/4) comes before the T-shirt's (3/30); the scarf has none
    assert [(r.sku, r.rate) for r in report.return_rates] == [
        ("MUG", Decimal("0.2500")),
        ("TEE-M", Decimal("0.1000")),
    ]


def test_top_reasons_and_pairs_rank_by_units_returned() -> None:
    events = [
        an_event(
            ReturnEventType.REQUESTED,
            an_rma(
                a_line("TEE-M", 3, reason=R.SIZE_PROBLEM),
                a_line("MUG", 1, reason=R.DEFECTIVE),
                n=1,
            ),
            T0,
        ),
        an_event(
            ReturnEventType.REQUESTED,
            an_rma(a_line("TEE-L", 2, reason=R.SIZE_PROBLEM), n=2),
            T0,
        ),
    ]

    report = report_of(tally(events), T0.date(), T0.date(), Granularity.DAY)

    assert [(r.reason, r.units, r.returns) for r in report.top_reasons] == [
        (R.SIZE_PROBLEM, 5, 2),
        (R.DEFECTIVE, 1, 1),
    ]
    assert [(p.sku, p.units) for p in report.top_pairs] == [("TEE-M", 3), ("TEE-L", 2), ("MUG", 1)]
    assert [s.sku for s in report.top_skus] == ["TEE-M", "TEE-L", "MUG"]


def test_averages_and_the_auto_approved_share_come_from_the_period_totals() -> None:
    totals = DayTotals(approved=4, auto_approved=1, decided=5, decision_seconds=500)

    assert totals.average_decision_seconds == 100
    assert totals.auto_approved_share == Decimal("0.2500")
    assert DayTotals().average_refund_seconds is None
    assert DayTotals().auto_approved_share is None


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="end must not be before start"):
        build_report(RangeCounters(), T0.date(), T0.date() - timedelta(days=1), Granularity.DAY)


# --- the CSV ----------------------------------------------------------------------------------


def test_the_csv_writes_amounts_exactly_and_quotes_what_a_spreadsheet_would_run() -> None:
    # Given a return of a SKU that reads as a formula, refunded 0.30
    rma = an_rma(a_line("=HYPERLINK(1)", 1, "0.30"))
    events = [
        an_event(ReturnEventType.REQUESTED, rma, T0, version=1),
        a_refund(rma, "0.30", T0),
    ]

    # When its day's report is written as CSV
    text = report_csv(report_of(tally(events), T0.date(), T0.date(), Granularity.DAY))
    rows = list(csv.reader(io.StringIO(text)))

    # Then the amounts are their exact decimal text, and the SKU is quoted as text
    assert ["refund_value", "0.30"] in rows
    assert ["requested_value", "0.30"] in rows
    assert ["'=HYPERLINK(1)", "SIZE_PROBLEM", "1", "1"] in rows
    assert ["day_start", "returns_requested", "units_requested", "requested_value", "approved",
            "auto_approved", "rejected", "refunded", "refund_value"] in rows  # fmt: skip


# --- the subscriber, the sales count and the service, with a fake store -------------------------


@dataclass
class FakeCounters:
    returns: list[tuple[str, ReturnIncrements]]
    sales: list[tuple[str, SaleIncrements]]

    def add_return(self, event_id: str, increments: ReturnIncrements, *, now: datetime) -> bool:
        self.returns.append((event_id, increments))
        return True

    def add_sale(self, number: str, increments: SaleIncrements) -> bool:
        self.sales.append((number, increments))
        return True

    def counters(self, start: date, end: date) -> RangeCounters:
        return RangeCounters(days={T0.date(): DayTotals(requested=2)})


def test_the_subscriber_hands_the_store_what_an_event_counts_under_the_event_id() -> None:
    store = FakeCounters([], [])
    subscriber = ReturnAnalytics(store, clock=lambda: T0)
    event = an_event(ReturnEventType.REQUESTED, an_rma(), T0)

    subscriber(event)
    subscriber(an_event(ReturnEventType.UPDATED, an_rma(), T0, version=3))

    assert subscriber.name == "analytics"
    assert store.returns == [(event.id, return_increments(event))]


class StaleOrders:
    """An order store holding a newer version of every order: nothing is stored again."""

    def get(self, number: str) -> Order | None:
        return None

    def upsert(self, order: Order) -> bool:
        return False

    def for_customer(self, email: str, limit: int = 50) -> list[Order]:
        return []


def test_an_order_is_counted_even_when_the_store_keeps_a_newer_version() -> None:
    # Given an order whose count may have failed after it was stored
    store = FakeCounters([], [])
    orders = OrderService(StaleOrders(), count_sale=SalesCount(store))
    order = an_order("#1001", T0.date(), ("TEE-M", 1))

    # When the shop sends it again
    stored = orders.record(order)

    # Then nothing is stored, and the store is asked to count it (it counts an order once)
    assert stored is False
    assert store.sales == [("#1001", sale_increments(order))]


def test_the_service_reads_the_counters_of_the_range_into_a_report() -> None:
    service = AnalyticsService(FakeCounters([], []))

    report = service.report(T0.date(), T0.date(), Granularity.WEEK)

    assert report.totals.requested == 2


# --- properties over generated histories ----------------------------------------------------------

SKUS = ("TEE-M", "TEE-L", "MUG", "SCARF")
START = date(2026, 1, 1)
DAYS = 60


@st.composite
def histories(draw: st.DrawFn) -> list[ReturnEvent]:
    """Returns requested over 60 days, each perhaps decided (by the workflow or an agent) and
    refunded some amount up to its value, each step an event."""
    events: list[ReturnEvent] = []
    for n in range(1, draw(st.integers(min_value=0, max_value=12)) + 1):
        skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=3, unique=True))
        lines = [
            a_line(
                sku,
                draw(st.integers(min_value=1, max_value=4)),
                str(Decimal(draw(st.integers(min_value=0, max_value=20_000))) / 100),
                draw(st.sampled_from(list(ReturnReason))),
            )
            for sku in skus
        ]
        requested_at = datetime.combine(START, datetime.min.time(), UTC) + timedelta(
            seconds=draw(st.integers(min_value=0, max_value=DAYS * 86_400 - 1))
        )
        rma = an_rma(*lines, requested_at=requested_at, n=n)
        events.append(an_event(ReturnEventType.REQUESTED, rma, requested_at, SHOPPER, version=2))
        outcome = draw(st.sampled_from(["none", "auto", "agent", "rejected"]))
        if outcome == "none":
            continue
        decided_at = requested_at + timedelta(seconds=draw(st.integers(0, 5 * 86_400)))
        kind = ReturnEventType.REJECTED if outcome == "rejected" else ReturnEventType.APPROVED
        actor = WORKFLOW if outcome == "auto" else AGENT
        events.append(an_event(kind, rma, decided_at, actor, version=3))
        if outcome != "rejected" and draw(st.booleans()):
            cents = draw(st.integers(0, int(rma.requested_value * 100)))
            at = decided_at + timedelta(seconds=draw(st.integers(0, 20 * 86_400)))
            events.append(a_refund(rma, str(Decimal(cents) / 100), at))
    return events


def every_day(counters: Counters) -> tuple[date, date]:
    days = [*counters.days, START]
    return min(days), max(days)


@settings(max_examples=150, deadline=None)
@given(histories(), st.sampled_from(list(Granularity)))
def test_the_buckets_add_up_to_the_events_counted_one_by_one(
    events: list[ReturnEvent], granularity: Granularity
) -> None:
    counters = tally(events)
    start, end = every_day(counters)

    report = report_of(counters, start, end, granularity)

    expected = DayTotals()
    for event in events:
        increments = return_increments(event)
        expected += increments.totals if increments else DayTotals()
    assert sum((b.totals for b in report.buckets), DayTotals()) == report.totals == expected
    assert report.totals.requested == sum(e.type is ReturnEventType.REQUESTED for e in events)
    assert report.totals.refunded == sum(e.type is ReturnEventType.REFUNDED for e in events)
    assert sum(r.units for r in report.top_reasons) == report.totals.units_requested


@settings(max_examples=150, deadline=None)
@given(histories())
def test_each_week_is_the_sum_of_its_days(events: list[ReturnEvent]) -> None:
    counters = tally(events)
    start, end = every_day(counters)

    days = report_of(counters, start, end, Granularity.DAY)
    weeks = report_of(counters, start, end, Granularity.WEEK)

    for week in weeks.buckets:
        in_week = [
            d.totals for d in days.buckets if week.start <= d.start < week.start + timedelta(7)
        ]
        assert sum(in_week, DayTotals()) == week.totals


@settings(max_examples=100, deadline=None)
@given(histories(), st.randoms(use_true_random=False))
def test_replaying_or_reordering_the_events_changes_no_counter(
    events: list[ReturnEvent], shuffler: random.Random
) -> None:
    replayed = [*events, *events]
    shuffler.shuffle(replayed)

    assert tally(replayed) == tally(events)


@settings(max_examples=150, deadline=None)
@given(histories())
def test_no_refund_counted_is_more_than_the_events_say_was_paid(
    events: list[ReturnEvent],
) -> None:
    counters = tally(events)
    start, end = every_day(counters)

    report = report_of(counters, start, end, Granularity.DAY)

    paid = sum((paid_value(e) for e in events if e.type is ReturnEventType.REFUNDED), Decimal(0))
    assert report.totals.refund_value <= paid
    assert report.totals.refund_value <= sum(
        (e.rma.requested_value for e in events if e.type is ReturnEventType.REQUESTED), Decimal(0)
    )
