"""The console's analytics page (`/console/analytics`) and its CSV (`/console/analytics.csv`),
behind the console's sign-in: both read the report of the chosen period from the analytics
counters (at most seven Queries, whatever the period); the page shows the order requests'
counters (claims by issue, cancellation requests) from the same day totals."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.console_auth import console_error_page, console_guard, console_page
from chalicelib.clock import utc_now
from chalicelib.domain.analytics_csv import report_csv
from chalicelib.pages.analytics_page import (
    ISSUE_NAMES,
    PERIOD_NAMES,
    analytics_view,
    read_choice,
)
from chalicelib.pages.routing import PageRouter

console_analytics = Blueprint(__name__)
pages = PageRouter(console_analytics, guard=console_guard, on_error=console_error_page)


@pages.get("/console/analytics")
def analytics() -> Response:
    from chalicelib.services import container

    request = console_analytics.current_request
    choice = read_choice(request.query_params, utc_now().date())
    report = container.analytics_service().report(choice.start, choice.end, choice.granularity)
    return console_page(
        request,
        "console/analytics.html.j2",
        title="Analytics",
        choice=choice,
        periods=PERIOD_NAMES,
        issue_names=ISSUE_NAMES,
        view=analytics_view(report),
    )


@pages.get("/console/analytics.csv")
def analytics_csv() -> Response:
    from chalicelib.services import container

    request = console_analytics.current_request
    choice = read_choice(request.query_params, utc_now().date())
    report = container.analytics_service().report(choice.start, choice.end, choice.granularity)
    name = f"returns-analytics-{choice.start}-{choice.end}-{choice.granularity}.csv"
    return Response(
        body=report_csv(report),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            # The merchant's figures: kept by no cache on the way.
            "Cache-Control": "no-store",
        },
    )
