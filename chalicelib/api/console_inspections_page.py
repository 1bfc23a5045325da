"""The warehouse's inspection uploads in the merchant console: the files processed, newest
first (`/console/inspections`), and each file's report with the rows refused and why
(`/console/inspections/report?file=...`)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.console_auth import console_error_page, console_guard, console_page
from chalicelib.errors import NotFoundError
from chalicelib.pages.routing import PageRouter

console_inspections_page = Blueprint(__name__)
pages = PageRouter(console_inspections_page, guard=console_guard, on_error=console_error_page)

FILES_A_PAGE = 25


@pages.get("/console/inspections")
def list_inspections() -> Response:
    from chalicelib.services import container

    request = console_inspections_page.current_request
    cursor = (request.query_params or {}).get("after")
    files, following = container.inspection_files().latest(FILES_A_PAGE, cursor)
    return console_page(
        request,
        "console/inspections.html.j2",
        title="Inspection uploads",
        files=files,
        following=following,
    )


@pages.get("/console/inspections/report")
def show_inspection_report() -> Response:
    from chalicelib.services import container

    request = console_inspections_page.current_request
    file_id = (request.query_params or {}).get("file", "")
    found = container.inspection_files().report(file_id) if file_id else None
    if found is None:
        raise NotFoundError("No inspection file of the list has that name.", {"file": file_id})
    listed, report = found
    return console_page(
        request,
        "console/inspection_report.html.j2",
        title=f"Inspection report of {listed.file_name}",
        listed=listed,
        report=report,
    )
