"""The merchant's outgoing webhooks in the console, read-only (`/console/webhooks`): each
endpoint, what it receives, whether it is enabled, disabled or failing, and its latest
deliveries. Endpoints are managed through the admin API."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.console_auth import console_error_page, console_guard, console_page
from chalicelib.pages.routing import PageRouter

console_webhooks_page = Blueprint(__name__)
pages = PageRouter(console_webhooks_page, guard=console_guard, on_error=console_error_page)

DELIVERIES_SHOWN = 10


@pages.get("/console/webhooks")
def list_webhook_endpoints() -> Response:
    from chalicelib.services import container

    request = console_webhooks_page.current_request
    endpoints = container.webhook_endpoint_service().overview(DELIVERIES_SHOWN)
    return console_page(
        request,
        "console/webhooks.html.j2",
        title="Webhooks",
        endpoints=endpoints,
        deliveries_shown=DELIVERIES_SHOWN,
    )
