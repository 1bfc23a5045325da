"""The analytics report as CSV, for a spreadsheet: one section per table of the page, each
with its own header row, a blank line between sections.

Amounts are written as their Decimal text (`str`), so that `12.30` stays `12.30` and a sum read
back is exact; durations in whole seconds; rates and shares as fractions of 1 (`0.1250`). Text
that a spreadsheet would read as a formula is quoted with a leading `'`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from chalicelib.domain.analytics import AnalyticsReport

_Row = Sequence[object]
_FORMULA_STARTS = frozenset("=+-@\t\r")


def report_csv(report: AnalyticsReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    sections = (
        _summary(report),
        _buckets(report),
        _top_reasons(report),
        _top_pairs(report),
        _return_rates(report),
    )
    for index, rows in enumerate(sections):
        if index:
            writer.writerow([])
        writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    # A SKU such as `=HYPERLINK(...)` would run as a formula in the merchant's spreadsheet.
    if isinstance(value, str) and text[:1] in _FORMULA_STARTS:
        return f"'{text}"
    return text


def _summary(report: AnalyticsReport) -> Iterable[_Row]:
    totals = report.totals
    yield ("metric", "value")
    yield ("period_start", report.start.isoformat())
    yield ("period_end", report.end.isoformat())
    yield ("returns_requested", totals.requested)
    yield ("units_requested", totals.units_requested)
    yield ("requested_value", totals.requested_value)
    yield ("approved", totals.approved)
    yield ("auto_approved", totals.auto_approved)
    yield ("auto_approved_share", totals.auto_approved_share)
    yield ("rejected", totals.rejected)
    yield ("average_seconds_to_decision", _whole(totals.average_decision_seconds))
    yield ("refunded", totals.refunded)
    yield ("refund_value", totals.refund_value)
    yield ("average_seconds_to_refund", _whole(totals.average_refund_seconds))


def _buckets(report: AnalyticsReport) -> Iterable[_Row]:
    yield (
        f"{report.granularity}_start",
        "returns_requested",
        "units_requested",
        "requested_value",
        "approved",
        "auto_approved",
        "rejected",
        "refunded",
        "refund_value",
    )
    for bucket in report.buckets:
        t = bucket.totals
        yield (
            bucket.start.isoformat(),
            t.requested,
            t.units_requested,
            t.requested_value,
            t.approved,
            t.auto_approved,
            t.rejected,
            t.refunded,
            t.refund_value,
        )


def _top_reasons(report: AnalyticsReport) -> Iterable[_Row]:
    yield ("reason", "units_returned", "returns")
    for reason in report.top_reasons:
        yield (reason.reason, reason.units, reason.returns)


def _top_pairs(report: AnalyticsReport) -> Iterable[_Row]:
    yield ("sku", "reason", "units_returned", "returns")
    for pair in report.top_pairs:
        yield (pair.sku, pair.reason, pair.units, pair.returns)


def _return_rates(report: AnalyticsReport) -> Iterable[_Row]:
    yield ("sku", "units_returned", "units_sold", "return_rate")
    for rate in report.return_rates:
        yield (rate.sku, rate.returned_units, rate.sold_units, rate.rate)


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)
