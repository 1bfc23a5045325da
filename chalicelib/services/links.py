"""Links people click to reach a return: the merchant console's page of it."""

from __future__ import annotations

from urllib.parse import quote

from chalicelib.settings import get_settings


def console_link(reference: str) -> str | None:
    """`<console>/returns/<reference>` (CONSOLE_URL, else PUBLIC_BASE_URL's console), or None
    while no address is configured."""
    base = get_settings().console_page_url
    if not base:
        return None
    return f"{base.rstrip('/')}/returns/{quote(reference)}"
