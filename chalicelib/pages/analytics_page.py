"""What the console's analytics page shows: the period a merchant picks, and the report read
for it put in words, figures and charts. Pure: the view reads the report, this lays it out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from markupsafe import Markup

from chalicelib.domain.analytics import AnalyticsReport, DayTotals, Granularity
from chalicelib.domain.labels import label
from chalicelib.domain.order_requests import ClaimIssue
from chalicelib.pages.charts import SeriesPoint, bar_list, series_chart

CENT = Decimal("0.01")
# The console's words (domain/labels.py), in English like the rest of it.
ISSUE_NAMES: dict[ClaimIssue, str] = {issue: label(issue, "en") for issue in ClaimIssue}


class Period(StrEnum):
    DAYS_30 = "30d"
    DAYS_90 = "90d"
    MONTHS_12 = "12m"


PERIOD_NAMES = {
    Period.DAYS_30: "Last 30 days",
    Period.DAYS_90: "Last 90 days",
    Period.MONTHS_12: "Last 12 months",
}
_PERIOD_DAYS = {Period.DAYS_30: 30, Period.DAYS_90: 90, Period.MONTHS_12: 365}
# A year by day is 365 bars too thin to read: by week unless the merchant asks otherwise.
_DEFAULT_GRANULARITY = {
    Period.DAYS_30: Granularity.DAY,
    Period.DAYS_90: Granularity.WEEK,
    Period.MONTHS_12: Granularity.WEEK,
}


@dataclass(frozen=True)
class Choice:
    """The period and granularity a merchant picked, and the dates they cover (today included)."""

    period: Period
    granularity: Granularity
    start: date
    end: date

    @property
    def query(self) -> str:
        return f"period={self.period}&granularity={self.granularity}"


def read_choice(query: Mapping[str, str] | None, today: date) -> Choice:
    """The choice a page's query asks for; what it does not say, or says wrongly (a link
    edited by hand), falls back to the last 30 days."""
    query = query or {}
    try:
        period = Period(query.get("period", Period.DAYS_30))
    except ValueError:
        period = Period.DAYS_30
    try:
        granularity = Granularity(query.get("granularity", _DEFAULT_GRANULARITY[period]))
    except ValueError:
        granularity = _DEFAULT_GRANULARITY[period]
    start = today - timedelta(days=_PERIOD_DAYS[period] - 1)
    return Choice(period, granularity, start, today)


@dataclass(frozen=True)
class Figure:
    name: str
    value: str


@dataclass(frozen=True)
class AnalyticsView:
    figures: list[Figure]
    series: Markup
    reasons: Markup
    skus: Markup
    # Order requests: claims by issue and what settling them gave, cancellation requests.
    claim_figures: list[Figure]
    issues: Markup
    cancellation_figures: list[Figure]
    report: AnalyticsReport


def analytics_view(report: AnalyticsReport) -> AnalyticsView:
    totals = report.totals
    share = totals.auto_approved_share
    figures = [
        Figure("Returns requested", str(totals.requested)),
        Figure("Units requested", str(totals.units_requested)),
        Figure("Value requested", money(totals.requested_value)),
        Figure("Approved", str(totals.approved)),
        Figure("Approved automatically", percent(share) if share is not None else "none yet"),
        Figure("Rejected", str(totals.rejected)),
        Figure("Average time to decision", duration(totals.average_decision_seconds)),
        Figure("Refunded", str(totals.refunded)),
        Figure("Value refunded", money(totals.refund_value)),
        Figure("Average time to refund", duration(totals.average_refund_seconds)),
    ]
    per = "day" if report.granularity is Granularity.DAY else "week"
    busiest = max(report.buckets, key=lambda b: b.totals.requested, default=None)
    summary = (
        f"{totals.requested} returns requested and {money(totals.refund_value)} refunded from "
        f"{report.start:%d %b %Y} to {report.end:%d %b %Y}, per {per}."
    )
    if busiest is not None and busiest.totals.requested:
        summary += f" Most returns: {busiest.totals.requested}, the {per} of {busiest.start:%d %b}."
    series = series_chart(
        [
            SeriesPoint(bucket_label(b.start), b.totals.requested, b.totals.refund_value)
            for b in report.buckets
        ],
        chart_id="returns-per-bucket",
        title=f"Returns and value refunded per {per}",
        description=summary,
        bar_name="returns requested",
        line_name="value refunded",
        format_line=money,
    )
    reasons = bar_list(
        [(r.reason.replace("_", " ").capitalize(), r.units) for r in report.top_reasons],
        chart_id="top-reasons",
        title="Units returned by reason",
        description=_ranking_words(
            [(r.reason.replace("_", " ").lower(), r.units) for r in report.top_reasons]
        ),
    )
    skus = bar_list(
        [(s.sku, s.units) for s in report.top_skus],
        chart_id="top-skus",
        title="Units returned by SKU, top 20",
        description=_ranking_words([(s.sku, s.units) for s in report.top_skus]),
    )
    return AnalyticsView(
        figures,
        series,
        reasons,
        skus,
        claim_figures=_claim_figures(totals),
        issues=_issues_chart(totals),
        cancellation_figures=[
            Figure("Cancellation requests", str(totals.cancellations_requested)),
            Figure("Accepted", str(totals.cancellations_accepted)),
            Figure("Refused", str(totals.cancellations_refused)),
        ],
        report=report,
    )


def _claim_figures(totals: DayTotals) -> list[Figure]:
    return [
        Figure("Order issues reported", str(totals.claims_opened)),
        Figure("Accepted", str(totals.claims_approved)),
        Figure("Refused", str(totals.claims_rejected)),
        Figure("Value refunded", money(totals.claims_refund_value)),
        Figure("Value given as store credit", money(totals.claims_credit_value)),
        Figure("Replacements sent", str(totals.claims_replaced)),
    ]


def _issues_chart(totals: DayTotals) -> Markup:
    rows = [(ISSUE_NAMES[issue], count) for issue, count in totals.claims_by_issue.items()]
    reported = [(name.lower(), count) for name, count in rows if count]
    description = (
        "; ".join(f"{name}: {count}" for name, count in reported) + "."
        if reported
        else "No order issue reported in this period."
    )
    return bar_list(
        rows,
        chart_id="order-issues",
        title="Order issues reported, by type",
        description=description,
    )


def bucket_label(start: date) -> str:
    return f"{start:%d %b}"


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT):,}"


def percent(share: Decimal) -> str:
    return f"{share * 100:.1f} %"


def duration(seconds: float | None) -> str:
    """`2 d 4 h`, `3 h 20 min`, `45 min`; "none yet" when nothing was measured."""
    if seconds is None:
        return "none yet"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def _ranking_words(rows: list[tuple[str, int]]) -> str:
    if not rows:
        return "No units returned in this period."
    leading = ", ".join(f"{label} ({units} units)" for label, units in rows[:3])
    return f"{len(rows)} in all; the most returned: {leading}."
