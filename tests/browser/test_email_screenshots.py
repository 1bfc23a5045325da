"""Every email as a mail client on a phone shows it: rendered in-process, loaded in Chromium at
375px wide, checked for the layout (logo, button, nothing wider than the screen, axe-clean) and
saved as build/screenshots/email-<kind>-<locale>.png."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.status_emails import StatusEmailKind
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    screenshot,
)
from tests.email_samples import BRAND, LOGO_URL, SampleEmail, every_email, status_email

# The order requests' emails share the status emails' template: one of them (the store credit
# with its code, the fullest) is enough here, each browser check costing seconds.
EMAILS = [
    email
    for email in every_email()
    if not email.kind.startswith("request-")
    or (email.kind, email.locale) == ("request-claim-resolved", "fr")
]
# The merchant's logo, served in place of the shop's: the tests reach no other host.
LOGO = f"""<svg xmlns="http://www.w3.org/2000/svg" width="180" height="48" viewBox="0 0 180 48">
<circle cx="24" cy="24" r="18" fill="{BRAND.color}"/>
<circle cx="31" cy="18" r="15" fill="#ffffff"/>
<text x="52" y="31" font-family="Georgia, serif" font-size="20" fill="{BRAND.color}">
Maison Lune</text></svg>"""


def show(page: Any, email: SampleEmail) -> None:
    """Load `email`'s HTML part as a mail client does: as a document of its own."""
    page.route(
        LOGO_URL,
        lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=LOGO),
    )
    page.set_content(email.html, wait_until="load")


@pytest.mark.parametrize("email", EMAILS, ids=[f"{e.kind}-{e.locale}" for e in EMAILS])
def test_each_email_fits_a_phone_with_its_logo_and_button(phone: Any, email: SampleEmail) -> None:
    # Given an email, When a phone shows it
    show(phone, email)
    # Then the merchant's logo heads it, loaded
    logo = phone.locator("img.logo")
    assert logo.is_visible()
    assert logo.evaluate("image => image.complete && image.naturalWidth > 0")
    # And status emails have the button to follow the return (a request's, the request), as
    # wide as the screen allows
    button = phone.locator("a.button")
    if email.kind.startswith(("status-", "request-")):
        assert button.is_visible()
        followed = (
            BRAND.follow_link("R-001042")
            if email.kind.startswith("status-")
            else BRAND.follow_link("C-000042", page="request")
        )
        assert button.get_attribute("href") == followed
        box = button.bounding_box()
        assert box is not None
        assert box["width"] >= PHONE["width"] - 2 * 16 - 1
    else:
        assert button.count() == 0
    # And nothing is wider than the screen, and nothing hinders reading it
    assert_no_horizontal_scroll(phone)
    assert_accessible(phone)
    screenshot(phone, f"email-{email.kind}-{email.locale}")


def test_the_sign_in_code_reads_big_and_monospace(phone: Any) -> None:
    email = next(e for e in EMAILS if e.kind == "sign-in-code")
    show(phone, email)
    code = phone.locator(".code")
    assert code.is_visible()
    style = code.evaluate(
        "element => [getComputedStyle(element).fontFamily, getComputedStyle(element).fontSize]"
    )
    assert "monospace" in style[0]
    assert float(style[1].removesuffix("px")) >= 28


def test_on_a_desktop_the_email_is_a_600px_column(browser: Any) -> None:
    # Given the refund email with its breakdown, When a desktop mail client shows it
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    try:
        page = context.new_page()
        show(page, status_email(StatusEmailKind.REFUND_ISSUED, "en"))
        # Then it is one centred column 600px wide, the total right-aligned in it
        box = page.locator("table.container").bounding_box()
        assert box is not None
        assert box["width"] == 600
        assert abs(box["x"] - (DESKTOP["width"] - 600) / 2) <= 1
        assert page.locator("tr.total td.amount").inner_text() == "93.05 EUR"
        screenshot(page, "email-status-refund-issued-en-desktop")
    finally:
        context.close()
