"""The merchant console's list of returns (`/console/returns`): a GET form filtering on a status
of any dimension or searching by reference, email or order number, and the returns it finds,
newest first, a page at a time (services/console_returns.py; never a Scan)."""

from __future__ import annotations

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import ValidationError

from chalicelib.api.console_auth import console_context, console_error_page, console_guard
from chalicelib.pages.rendering import page
from chalicelib.pages.returns_list import (
    Asked,
    ReturnRow,
    newer_link,
    older_link,
    return_rows,
    status_choices,
)
from chalicelib.pages.routing import PageRouter

console_returns_page = Blueprint(__name__)
pages = PageRouter(console_returns_page, guard=console_guard, on_error=console_error_page)

UNREADABLE = (
    "This filter cannot be used: choose a status from the list, and search with at most 200 "
    "characters."
)


@pages.get("/console/returns")
def list_returns() -> Response:
    from chalicelib.services import container
    from chalicelib.services.console_returns import ReturnsFilter

    request = console_returns_page.current_request
    asked = Asked.from_query_string(request.query_params or {})
    try:
        returns_filter = ReturnsFilter.model_validate(asked.filter_fields)
    except ValidationError:
        return _render(request, asked, rows=[], status=400, problem=UNREADABLE)
    found = container.console_returns().list(returns_filter)
    return _render(
        request,
        asked,
        rows=return_rows(found.items),
        older=older_link(asked, found.cursor),
        newer=newer_link(asked),
    )


def _render(
    request: Request,
    asked: Asked,
    *,
    rows: list[ReturnRow],
    status: int = 200,
    problem: str | None = None,
    older: str | None = None,
    newer: str | None = None,
) -> Response:
    context = console_context(
        request,
        title="Returns",
        asked=asked,
        choices=status_choices(),
        rows=rows,
        problem=problem,
        older=older,
        newer=newer,
    )
    return page("console/returns.html.j2", context, status=status)
