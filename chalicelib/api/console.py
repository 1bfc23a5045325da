"""The merchant console's pages (`/console/...`), behind the console's sign-in
(api/console_auth.py). Each page reads what it shows through the same services as the API, and
each action it offers is one of theirs."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.console_auth import console_error_page, console_guard
from chalicelib.pages.rendering import base_path, redirect
from chalicelib.pages.routing import PageRouter

console = Blueprint(__name__)
pages = PageRouter(console, guard=console_guard, on_error=console_error_page)


@pages.get("/console")
def home() -> Response:
    return redirect(f"{base_path(console.current_request)}/console/returns")
