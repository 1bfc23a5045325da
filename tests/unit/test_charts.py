"""Specification of the analytics page's charts and layout: SVG images with a title and a
description, every label escaped, on round scales, and the period a merchant picks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from chalicelib.domain.analytics import DayTotals, Granularity, RangeCounters, build_report
from chalicelib.pages.analytics_page import Period, analytics_view, duration, read_choice
from chalicelib.pages.charts import SeriesPoint, bar_list, series_chart

TODAY = date(2026, 3, 31)


def test_a_series_chart_is_an_image_named_and_described_for_screen_readers() -> None:
    svg = series_chart(
        [SeriesPoint("02 Mar", 3, Decimal("12.50")), SeriesPoint("03 Mar", 0, Decimal(0))],
        chart_id="returns",
        title="Returns per day",
        description="3 returns",
        bar_name="returns",
        line_name="refunded",
    )

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 720 260"')
    assert 'role="img" aria-labelledby="returns-title returns-desc"' in svg
    assert '<title id="returns-title">Returns per day</title>' in svg
    assert '<desc id="returns-desc">3 returns</desc>' in svg
    assert 'width="100%"' in svg
    # Nothing the pages' Content-Security-Policy would block: no script, no inline style.
    assert "<script" not in svg
    assert "style=" not in svg


def test_every_label_of_a_chart_is_escaped() -> None:
    svg = bar_list(
        [('<img src=x onerror="alert(1)">', 3)],
        chart_id='x" onload="alert(1)',
        title="<script>",
        description="&",
    )

    assert "<img" not in svg
    assert "<script>" not in svg
    assert 'x" onload' not in svg
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in svg


def test_scales_end_on_round_figures_whose_quarters_are_whole() -> None:
    svg = series_chart(
        [SeriesPoint("02 Mar", 7, Decimal("130.00"))],
        chart_id="c",
        title="t",
        description="d",
        bar_name="returns",
        line_name="refunded",
    )

    # 7 returns on a scale of 8 (gridlines 2, 4, 6), 130.00 on one of 200 (50, 100, 150)
    for tick in (">2<", ">4<", ">6<", ">8<", ">50<", ">100<", ">150<", ">200<"):
        assert tick in svg


def test_an_empty_period_draws_empty_charts_and_says_so() -> None:
    report = build_report(RangeCounters(), TODAY, TODAY, Granularity.DAY)

    view = analytics_view(report)

    assert "No units returned in this period." in view.reasons
    assert [f.value for f in view.figures if f.name == "Average time to decision"] == ["none yet"]


def test_the_period_picked_covers_its_days_up_to_today() -> None:
    choice = read_choice({"period": "90d", "granularity": "day"}, TODAY)

    assert (choice.period, choice.granularity) == (Period.DAYS_90, Granularity.DAY)
    assert (choice.start, choice.end) == (date(2026, 1, 1), TODAY)


def test_a_year_is_shown_by_week_unless_asked_by_day_and_a_bad_query_falls_back() -> None:
    assert read_choice({"period": "12m"}, TODAY).granularity is Granularity.WEEK
    fallback = read_choice({"period": "forever", "granularity": "hour"}, TODAY)
    assert (fallback.period, fallback.granularity) == (Period.DAYS_30, Granularity.DAY)


def test_durations_read_in_the_largest_units_that_matter() -> None:
    assert duration(45 * 60) == "45 min"
    assert duration(3 * 3600 + 20 * 60) == "3 h 20 min"
    assert duration(2 * 86_400 + 4 * 3600 + 59) == "2 d 4 h"
    assert duration(None) == "none yet"


def test_the_summary_names_the_busiest_bucket() -> None:
    counters = RangeCounters(days={date(2026, 3, 30): DayTotals(requested=4)})
    report = build_report(counters, date(2026, 3, 29), TODAY, Granularity.DAY)

    view = analytics_view(report)

    assert "Most returns: 4, the day of 30 Mar." in view.series
