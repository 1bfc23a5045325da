"""Whose emails these are: the merchant's name, logo, colour, support address and portal page,
as the settings give them, passed to every email's rendering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from chalicelib.settings_model import DEFAULT_BRAND_COLOR

if TYPE_CHECKING:
    from chalicelib.settings_model import Settings


@dataclass(frozen=True)
class Brand:
    name: str
    support_email: str
    # `#rrggbb`, validated by the settings.
    color: str = DEFAULT_BRAND_COLOR
    logo_url: str | None = None
    # The portal page; None leaves the emails without a button to it.
    portal_url: str | None = None

    def follow_link(self, reference: str, *, page: str = "return") -> str | None:
        """The portal page opening return `reference` (or, `page` "request", the cancellation
        request or claim) once the shopper has signed in."""
        if not self.portal_url:
            return None
        joiner = "&" if "?" in self.portal_url else "?"
        return f"{self.portal_url}{joiner}{urlencode({page: reference})}"


def brand_from(settings: Settings) -> Brand:
    return Brand(
        name=settings.merchant_name,
        support_email=settings.support_email,
        color=settings.brand_color,
        logo_url=settings.brand_logo_url,
        portal_url=settings.portal_page_url,
    )
