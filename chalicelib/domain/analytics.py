"""Return analytics: the counters each return event, each order request event and each order
adds to, and the report a merchant reads from them.

Nothing here reads returns back: every figure is a sum of increments, kept per UTC day (and per
day x SKU x reason, and per day x SKU sold), so that a chart over a year reads a year of small
counters instead of every return. The SKU x reason and sold counters are kept per calendar
month too: they grow with the catalogue, and a range reads its whole months from the month
counters and only the days at its edges from the day counters (`split_by_month`). An event
adds to the day it happened on (and its month); a decision's or a refund's duration is counted
from the request, on the day of the decision or the refund. Money is Decimal throughout.

Order requests (cancellation requests and claims) are counted on the same day totals: a claim
by its issue when it is opened, a decision when it is made, a claim's settlement when it is
carried out. Their few counters (one per issue, not per SKU) ride on the day item the report
reads anyway, so they cost it nothing. Pure: no AWS here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from chalicelib.domain.events import ReturnEvent, ReturnEventType
from chalicelib.domain.order import Order
from chalicelib.domain.order_requests import (
    ClaimIssue,
    OrderRequestEvent,
    OrderRequestEventType,
)
from chalicelib.domain.references import order_key
from chalicelib.domain.statuses import (
    Channel,
    ExpectedResolution,
    FinancialMethod,
    FinancialStatus,
    ReturnReason,
)

# Resolutions in these states were paid out.
PAID = frozenset({FinancialStatus.REFUNDED, FinancialStatus.PARTIALLY_REFUNDED})
TOP_PAIRS = 20
RATE_PLACES = Decimal("0.0001")
# The day totals' counter of the claims opened for each issue.
CLAIM_ISSUE_COUNTERS: dict[ClaimIssue, str] = {
    issue: f"claims_{issue.value.lower()}" for issue in ClaimIssue
}


@dataclass(frozen=True)
class DayTotals:
    """What happened to returns and order requests on one day (or, summed, over a period)."""

    requested: int = 0
    units_requested: int = 0
    requested_value: Decimal = Decimal(0)
    approved: int = 0
    auto_approved: int = 0
    rejected: int = 0
    # Approvals and rejections, and the seconds from their requests to them.
    decided: int = 0
    decision_seconds: int = 0
    refunded: int = 0
    refund_value: Decimal = Decimal(0)
    refund_seconds: int = 0
    # Cancellation requests asked, accepted and refused.
    cancellations_requested: int = 0
    cancellations_accepted: int = 0
    cancellations_refused: int = 0
    # Claims opened, one counter per issue (`CLAIM_ISSUE_COUNTERS`), and decided.
    claims_not_received: int = 0
    claims_damaged: int = 0
    claims_wrong_item: int = 0
    claims_missing_item: int = 0
    claims_approved: int = 0
    claims_rejected: int = 0
    # Claims settled: what was paid back in money and in store credit, and replacements sent.
    claims_refund_value: Decimal = Decimal(0)
    claims_credit_value: Decimal = Decimal(0)
    claims_replaced: int = 0

    def __add__(self, other: DayTotals) -> DayTotals:
        return DayTotals(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    def counts(self) -> dict[str, int | Decimal]:
        """Every counter by name, zeros left out: what an increment adds."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    @property
    def claims_by_issue(self) -> dict[ClaimIssue, int]:
        return {issue: getattr(self, name) for issue, name in CLAIM_ISSUE_COUNTERS.items()}

    @property
    def claims_opened(self) -> int:
        return sum(self.claims_by_issue.values())

    @property
    def average_decision_seconds(self) -> float | None:
        return self.decision_seconds / self.decided if self.decided else None

    @property
    def average_refund_seconds(self) -> float | None:
        return self.refund_seconds / self.refunded if self.refunded else None

    @property
    def auto_approved_share(self) -> Decimal | None:
        """The share of approvals the automatic rules made, 0 to 1."""
        if not self.approved:
            return None
        return (Decimal(self.auto_approved) / self.approved).quantize(RATE_PLACES)


@dataclass(frozen=True)
class ReasonCount:
    """Units of one SKU returned for one reason, and in how many returns."""

    units: int = 0
    returns: int = 0

    def __add__(self, other: ReasonCount) -> ReasonCount:
        return ReasonCount(self.units + other.units, self.returns + other.returns)


SkuReason = tuple[str, ReturnReason]


@dataclass(frozen=True)
class ReturnIncrements:
    """What one return event adds to the counters of its day."""

    day: date
    totals: DayTotals
    by_sku_reason: Mapping[SkuReason, ReasonCount] = field(default_factory=dict)


@dataclass(frozen=True)
class SaleIncrements:
    """The units of each SKU an order sold, on the day it was placed."""

    day: date
    units_by_sku: Mapping[str, int]


def return_increments(event: ReturnEvent) -> ReturnIncrements | None:
    """What `event` adds to the counters; None when it adds nothing."""
    rma = event.rma
    day = utc_day(event.occurred_at)
    since_request = _seconds_since_request(event)
    if event.type is ReturnEventType.REQUESTED:
        totals = DayTotals(
            requested=1,
            units_requested=sum(line.quantity for line in rma.lines),
            requested_value=rma.requested_value,
        )
        by_sku_reason = {
            (line.sku, line.reason): ReasonCount(units=line.quantity, returns=1)
            for line in rma.lines
        }
        return ReturnIncrements(day, totals, by_sku_reason)
    if event.type is ReturnEventType.APPROVED:
        automatic = event.actor.channel is Channel.WORKFLOW
        totals = DayTotals(
            approved=1,
            auto_approved=int(automatic),
            decided=1,
            decision_seconds=since_request,
        )
        return ReturnIncrements(day, totals)
    if event.type is ReturnEventType.REJECTED:
        totals = DayTotals(rejected=1, decided=1, decision_seconds=since_request)
        return ReturnIncrements(day, totals)
    if event.type is ReturnEventType.REFUNDED and _first_payment(event):
        totals = DayTotals(refunded=1, refund_value=paid_value(event), refund_seconds=since_request)
        return ReturnIncrements(day, totals)
    return None


@dataclass(frozen=True)
class RequestIncrements:
    """What one order request event adds to the totals of its day."""

    day: date
    totals: DayTotals


# Decisions, counted on the day they are made.
_REQUEST_DECISIONS: dict[OrderRequestEventType, DayTotals] = {
    OrderRequestEventType.CANCELLATION_REQUESTED: DayTotals(cancellations_requested=1),
    OrderRequestEventType.CANCELLATION_ACCEPTED: DayTotals(cancellations_accepted=1),
    OrderRequestEventType.CANCELLATION_REFUSED: DayTotals(cancellations_refused=1),
    OrderRequestEventType.CLAIM_APPROVED: DayTotals(claims_approved=1),
    OrderRequestEventType.CLAIM_REJECTED: DayTotals(claims_rejected=1),
}


def request_increments(event: OrderRequestEvent) -> RequestIncrements | None:
    """What `event` adds to the counters; None when it adds nothing (an update, a completed
    cancellation, a claim settled by nothing paid)."""
    day = utc_day(event.occurred_at)
    request = event.request
    if event.type is OrderRequestEventType.CLAIM_OPENED and request.issue is not None:
        return RequestIncrements(day, DayTotals(**{CLAIM_ISSUE_COUNTERS[request.issue]: 1}))
    if event.type is OrderRequestEventType.CLAIM_RESOLVED:
        totals = _settled(event)
        return RequestIncrements(day, totals) if totals.counts() else None
    decision = _REQUEST_DECISIONS.get(event.type)
    return RequestIncrements(day, decision) if decision is not None else None


def _settled(event: OrderRequestEvent) -> DayTotals:
    """What a claim's settlement gave: its money once paid, or a replacement."""
    settlement = event.request.settlement
    if settlement is None:
        return DayTotals()
    if settlement.resolution is ExpectedResolution.REPLACE:
        return DayTotals(claims_replaced=1)
    if settlement.status not in PAID:
        return DayTotals()
    if settlement.method is FinancialMethod.VOUCHER:
        return DayTotals(claims_credit_value=settlement.amount)
    return DayTotals(claims_refund_value=settlement.amount)


def paid_value(event: ReturnEvent) -> Decimal:
    """What the return as the event left it shows as paid back."""
    return sum((r.amount for r in event.rma.financial_resolutions if r.status in PAID), Decimal(0))


def utc_day(moment: datetime) -> date:
    """The UTC date of `moment`; a moment without a zone is taken as UTC, as the clock keeps it."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()


def _first_payment(event: ReturnEvent) -> bool:
    """A return is counted refunded once, when it is first paid: a later payment of a return
    already paid cannot be told apart from the earlier one in what the event carries."""
    return event.previous is None or event.previous.financial_status not in PAID


def _seconds_since_request(event: ReturnEvent) -> int:
    # A clock set back between request and decision is no negative duration.
    return max(0, int((event.occurred_at - event.rma.waiting_for_decision_since).total_seconds()))


def sale_increments(order: Order) -> SaleIncrements:
    units: dict[str, int] = defaultdict(int)
    for line in order.lines:
        units[line.sku] += line.quantity
    return SaleIncrements(order.ordered_at, dict(units))


# --- what the counters hold, and the report read from them ---------------------------------------


@dataclass(frozen=True)
class RangeCounters:
    """What the report of a range is built from: the totals of each day of the range, and the
    SKU x reason and sold counters summed over the whole range."""

    days: Mapping[date, DayTotals] = field(default_factory=dict)
    reasons: Mapping[SkuReason, ReasonCount] = field(default_factory=dict)
    sold: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def summed(
        cls,
        days: Mapping[date, DayTotals],
        reasons: Iterable[tuple[SkuReason, ReasonCount]],
        sold: Iterable[tuple[str, int]],
    ) -> RangeCounters:
        """The day totals, and the SKU x reason and sold counters of the range's parts (days,
        months) added up."""
        by_pair: dict[SkuReason, ReasonCount] = defaultdict(ReasonCount)
        for pair, count in reasons:
            by_pair[pair] += count
        by_sku: dict[str, int] = defaultdict(int)
        for sku, units in sold:
            by_sku[sku] += units
        return cls(dict(days), dict(by_pair), dict(by_sku))


@dataclass(frozen=True)
class Counters:
    """The counters of a period, as stored: per day, per day x SKU x reason, per day x SKU sold."""

    days: Mapping[date, DayTotals] = field(default_factory=dict)
    reasons: Mapping[tuple[date, str, ReturnReason], ReasonCount] = field(default_factory=dict)
    sold: Mapping[tuple[date, str], int] = field(default_factory=dict)

    def over(self, start: date, end: date) -> RangeCounters:
        """The counters of `start`..`end` (both included), summed from the days alone."""
        return RangeCounters.summed(
            {day: totals for day, totals in self.days.items() if start <= day <= end},
            (
                ((sku, reason), count)
                for (day, sku, reason), count in self.reasons.items()
                if start <= day <= end
            ),
            ((sku, units) for (day, sku), units in self.sold.items() if start <= day <= end),
        )


DaySpan = tuple[date, date]


@dataclass(frozen=True)
class MonthSplit:
    """How a range of days is read: the whole calendar months inside it (the first days of the
    first and last, None when it holds no whole month) from month counters, and the spans of
    days no whole month covers (at its edges: none, one or two) from day counters."""

    months: DaySpan | None
    day_spans: tuple[DaySpan, ...]


def month_of(day: date) -> date:
    """The first day of `day`'s month: what a month's counters are keyed by."""
    return day.replace(day=1)


def split_by_month(start: date, end: date) -> MonthSplit:
    """`start`..`end` (both included) as whole months and the days at its edges. A range that
    holds no whole month is one span of days (under two months' days, when it straddles two
    months); otherwise the days before its first whole month and after its last, if any."""
    if end < start:
        raise ValueError("end must not be before start")
    first_month = start if start.day == 1 else _next_month(start)
    # The first day after the last whole month: `end`'s month's first day, unless `end` ends it.
    after_months = month_of(end + timedelta(days=1))
    if first_month >= after_months:
        return MonthSplit(None, ((start, end),))
    spans: list[DaySpan] = []
    if start < first_month:
        spans.append((start, first_month - timedelta(days=1)))
    if after_months <= end:
        spans.append((after_months, end))
    return MonthSplit((first_month, month_of(after_months - timedelta(days=1))), tuple(spans))


def _next_month(day: date) -> date:
    # The 28th plus 4 days is in the next month, whatever the month.
    return month_of(day.replace(day=28) + timedelta(days=4))


def tally(events: Iterable[ReturnEvent], orders: Iterable[Order] = ()) -> Counters:
    """The counters `events` and `orders` add up to, each event and order counted once (as the
    repository counts them: by event id, by order number)."""
    days: dict[date, DayTotals] = defaultdict(DayTotals)
    reasons: dict[tuple[date, str, ReturnReason], ReasonCount] = defaultdict(ReasonCount)
    sold: dict[tuple[date, str], int] = defaultdict(int)
    for event in {event.id: event for event in events}.values():
        increments = return_increments(event)
        if increments is None:
            continue
        days[increments.day] += increments.totals
        for (sku, reason), count in increments.by_sku_reason.items():
            reasons[(increments.day, sku, reason)] += count
    for order in {order_key(order.number): order for order in orders}.values():
        sale = sale_increments(order)
        for sku, units in sale.units_by_sku.items():
            sold[(sale.day, sku)] += units
    return Counters(dict(days), dict(reasons), dict(sold))


class Granularity(StrEnum):
    DAY = "day"
    # Weeks start on Monday (ISO 8601); the first and last may be cut by the range.
    WEEK = "week"


@dataclass(frozen=True)
class Bucket:
    start: date
    totals: DayTotals


@dataclass(frozen=True)
class RankedReason:
    reason: ReturnReason
    units: int
    returns: int


@dataclass(frozen=True)
class RankedPair:
    sku: str
    reason: ReturnReason
    units: int
    returns: int


@dataclass(frozen=True)
class RankedSku:
    sku: str
    units: int
    returns: int


@dataclass(frozen=True)
class ReturnRate:
    sku: str
    returned_units: int
    sold_units: int

    @property
    def rate(self) -> Decimal:
        return (Decimal(self.returned_units) / self.sold_units).quantize(RATE_PLACES)


@dataclass(frozen=True)
class AnalyticsReport:
    start: date
    end: date
    granularity: Granularity
    buckets: list[Bucket]
    totals: DayTotals
    top_pairs: list[RankedPair]
    top_reasons: list[RankedReason]
    top_skus: list[RankedSku]
    # SKUs with sales known in the period, the highest rate first.
    return_rates: list[ReturnRate]


def bucket_start(day: date, granularity: Granularity) -> date:
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    return day


def build_report(
    counters: RangeCounters, start: date, end: date, granularity: Granularity
) -> AnalyticsReport:
    """The report of `start`..`end` (both included) from the range's counters; day totals
    outside the range are left out. Every bucket of the range is present, empty ones at zero,
    so that a chart shows the quiet days too."""
    if end < start:
        raise ValueError("end must not be before start")
    buckets: dict[date, DayTotals] = {}
    day = start
    while day <= end:
        buckets.setdefault(bucket_start(day, granularity), DayTotals())
        day += timedelta(days=1)
    for day, totals in counters.days.items():
        if start <= day <= end:
            key = bucket_start(day, granularity)
            buckets[key] = buckets[key] + totals
    pairs = counters.reasons
    by_reason: dict[ReturnReason, ReasonCount] = defaultdict(ReasonCount)
    by_sku: dict[str, ReasonCount] = defaultdict(ReasonCount)
    for (sku, reason), count in pairs.items():
        by_reason[reason] += count
        by_sku[sku] += count
    sold = counters.sold
    return AnalyticsReport(
        start=start,
        end=end,
        granularity=granularity,
        buckets=[Bucket(key, totals) for key, totals in sorted(buckets.items())],
        totals=sum(buckets.values(), DayTotals()),
        top_pairs=sorted(
            (RankedPair(sku, reason, c.units, c.returns) for (sku, reason), c in pairs.items()),
            key=lambda p: (-p.units, -p.returns, p.sku, p.reason),
        )[:TOP_PAIRS],
        top_reasons=sorted(
            (RankedReason(reason, c.units, c.returns) for reason, c in by_reason.items()),
            key=lambda r: (-r.units, -r.returns, r.reason),
        ),
        top_skus=sorted(
            (RankedSku(sku, c.units, c.returns) for sku, c in by_sku.items()),
            key=lambda s: (-s.units, -s.returns, s.sku),
        )[:TOP_PAIRS],
        return_rates=sorted(
            (ReturnRate(sku, by_sku[sku].units, units) for sku, units in sold.items() if units),
            key=lambda r: (-r.rate, r.sku),
        ),
    )
