"""Links people click to reach a return, a cancellation request or a claim: the merchant
console's page of it."""

from __future__ import annotations

from urllib.parse import quote

from chalicelib.domain.order_requests import parse_request_reference
from chalicelib.settings import get_settings


def console_link(reference: str) -> str | None:
    """`<console>/returns/<reference>`, or `<console>/requests/<reference>` for a cancellation
    request's or a claim's (CONSOLE_URL, else PUBLIC_BASE_URL's console); None while no address
    is configured."""
    base = get_settings().console_page_url
    if not base:
        return None
    pages = "requests" if parse_request_reference(reference) is not None else "returns"
    return f"{base.rstrip('/')}/{pages}/{quote(reference)}"
