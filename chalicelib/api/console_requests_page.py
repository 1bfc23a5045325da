"""The merchant console's list of cancellation requests and claims (`/console/requests`): a tab
per status (waiting for an agent first, the default), the requests in it newest first, a page
at a time (one Query of the status index a page; never a Scan)."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.api.console_auth import console_context, console_error_page, console_guard
from chalicelib.domain.order_requests import RequestStatus
from chalicelib.errors import InvalidRequestError
from chalicelib.pages.rendering import page
from chalicelib.pages.request_views import (
    STATUS_TABS,
    RequestRow,
    next_page_link,
    request_rows,
)
from chalicelib.pages.routing import PageRouter

console_requests_page = Blueprint(__name__)
pages = PageRouter(console_requests_page, guard=console_guard, on_error=console_error_page)

PAGE_SIZE = 25
UNKNOWN_STATUS = "This list cannot be shown: choose one of the tabs."
UNREADABLE_PAGE = "This page of the list cannot be read any more: start again from the first page."


@pages.get("/console/requests")
def list_requests() -> Response:
    from chalicelib.services import container

    request = console_requests_page.current_request
    query = request.query_params or {}
    try:
        status = RequestStatus(query.get("status") or RequestStatus.OPEN)
    except ValueError:
        return _render(request, RequestStatus.OPEN, rows=[], status=400, problem=UNKNOWN_STATUS)
    cursor = query.get("cursor") or None
    try:
        found = container.order_request_service().listing(status, limit=PAGE_SIZE, cursor=cursor)
    except InvalidRequestError:
        return _render(request, status, rows=[], status=400, problem=UNREADABLE_PAGE)
    return _render(
        request,
        status,
        rows=request_rows(found.items),
        following=next_page_link(status, found.cursor),
        paged=cursor is not None,
    )


def _render(
    request: Request,
    shown: RequestStatus,
    *,
    rows: list[RequestRow],
    status: int = 200,
    problem: str | None = None,
    following: str | None = None,
    paged: bool = False,
) -> Response:
    context = console_context(
        request,
        title="Cancellations and order issues",
        tabs=STATUS_TABS,
        shown=shown,
        rows=rows,
        problem=problem,
        following=following,
        paged=paged,
    )
    return page("console/requests.html.j2", context, status=status)
