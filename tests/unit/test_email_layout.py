"""Specification of the emails' layout: every email in the shop's look, its CSS inlined, a
button to follow the return, and the money paid back as the refund domain computed it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from pydantic import ValidationError

from chalicelib.domain.refunds import compute_refund
from chalicelib.domain.status_emails import StatusEmailKind, latest_paid
from chalicelib.domain.statuses import FinancialMethod
from chalicelib.notifications.brand import Brand, brand_from
from chalicelib.notifications.refund_summary import refund_summary
from chalicelib.notifications.status_emails import render_status_email
from chalicelib.settings_model import DEFAULT_BRAND_COLOR, Settings
from tests.email_samples import (
    BRAND,
    LOGO_URL,
    POLICY,
    REQUEST_EMAIL_KINDS,
    SIGN_IN_CODE,
    SampleEmail,
    a_return,
    every_email,
    paid,
    sign_in_email,
    status_email,
)

K = StatusEmailKind
EMAILS = every_email()
FOLLOW = "https://api.example.com/portal/?return=R-001042"
# The tag of an element that has a class, and its attributes.
_TAG = re.compile(r"<(\w+)\b([^>]*\bclass=\"([^\"]*)\"[^>]*)>")


def tags_of_class(html: str, name: str) -> list[str]:
    """The attributes of every element of class `name`."""
    return [match.group(2) for match in _TAG.finditer(html) if name in match.group(3).split()]


@pytest.fixture(params=EMAILS, ids=[f"{e.kind}-{e.locale}" for e in EMAILS])
def email(request: pytest.FixtureRequest) -> SampleEmail:
    return request.param


def test_every_kind_of_email_is_sampled_in_each_language() -> None:
    kinds = {(e.kind, e.locale) for e in EMAILS}
    assert {("sign-in-code", "en"), ("sign-in-code", "fr"), ("decision-reminder", "en")} <= kinds
    for kind in StatusEmailKind:
        sampled = f"status-{kind.lower().replace('_', '-')}"
        assert {(sampled, "en"), (sampled, "fr")} <= kinds
    for event_type in REQUEST_EMAIL_KINDS:
        sampled = f"request-{event_type.value.replace('.', '-')}"
        assert {(sampled, "en"), (sampled, "fr")} <= kinds


def test_each_email_is_the_layout_filled_in_with_its_css_inlined(email: SampleEmail) -> None:
    # Given any email, rendered
    html = email.html
    # Then it is a whole document in its language, every template expression filled in
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{email.locale}">' in html
    for leftover in ("{{", "}}", "{%", "%}"):
        assert leftover not in html
        assert leftover not in email.text
    # And the one style block left holds the phones' media queries alone: everything else is on
    # the elements, where every mail client reads it
    [style] = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert style.strip().startswith("@media only screen and (max-width: 620px)")
    assert style.count("{") == style.count("}")
    assert style.count("@media") == 1
    [container] = tags_of_class(html, "container")
    assert "max-width: 600px" in container
    assert f"border-top: 4px solid {BRAND.color}" in container
    # And the preheader hides in the body, the logo heads it and the footer closes it
    [preheader] = tags_of_class(html, "preheader")
    assert "display: none" in preheader
    [logo] = tags_of_class(html, "logo")
    assert f'src="{LOGO_URL}"' in logo
    assert f'alt="{BRAND.name}"' in logo


def test_nothing_is_loaded_but_the_merchants_logo(email: SampleEmail) -> None:
    # No external font, stylesheet or image: only the logo's address is ever fetched
    assert re.findall(r'\bsrc="([^"]*)"', email.html) == [LOGO_URL]
    for fetching in ("<link", "@import", "url(", "<script"):
        assert fetching not in email.html


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize("kind", list(StatusEmailKind))
def test_each_status_email_has_a_button_and_a_line_to_follow_the_return(
    kind: StatusEmailKind, locale: str
) -> None:
    # Given a status email, with the portal page's address known
    email = status_email(kind, locale)
    # Then its HTML has the button, styled on the element in the brand's colour
    [button] = tags_of_class(email.html, "button")
    assert f'href="{FOLLOW}"' in button
    assert "style=" in button
    assert "color: #ffffff" in button
    [cell] = tags_of_class(email.html, "button-cell")
    assert f"background-color: {BRAND.color}" in cell
    label = {"en": "Follow your return", "fr": "Suivre votre retour"}[locale]
    assert f">{label}</a>" in email.html
    # And its text the same link on a line of its own
    assert f"{label}{' :' if locale == 'fr' else ':'} {FOLLOW}\n" in email.text


def test_without_a_portal_address_there_is_no_button() -> None:
    email = render_status_email(K.APPROVED, a_return(), brand=Brand("Acme", "help@acme.example"))
    assert tags_of_class(email.html, "button") == []
    assert "portal" not in email.text


def test_the_portal_link_is_derived_from_the_public_address_when_not_set() -> None:
    settings = Settings(public_base_url="https://api.acme.example/", merchant_name="Acme")
    brand = brand_from(settings)
    assert brand.portal_url == "https://api.acme.example/portal/"
    assert brand.follow_link("R-001042") == "https://api.acme.example/portal/?return=R-001042"
    set_apart = Settings(portal_url="https://returns.acme.example/", public_base_url="https://x.y")
    assert brand_from(set_apart).portal_url == "https://returns.acme.example/"
    assert brand_from(Settings()).portal_url is None
    with_query = Brand("Acme", "h@acme.example", portal_url="https://acme.example/returns?lang=fr")
    assert with_query.follow_link("R-1") == "https://acme.example/returns?lang=fr&return=R-1"


@pytest.mark.parametrize("color", ["red", "#12345", "#1234567", "#12345g", "1f3a5f"])
def test_the_brand_colour_is_six_hex_digits(color: str) -> None:
    with pytest.raises(ValidationError):
        Settings(brand_color=color)


def test_the_brand_colour_and_logo_default_to_a_sober_look() -> None:
    brand = brand_from(Settings(brand_color="#AA3300"))
    assert brand.color == "#AA3300"
    assert brand_from(Settings()).color == DEFAULT_BRAND_COLOR
    assert brand_from(Settings()).logo_url is None
    with pytest.raises(ValidationError):
        Settings(brand_logo_url="javascript:alert(1)")


def test_without_a_logo_the_header_shows_the_merchants_name() -> None:
    email = render_status_email(K.APPROVED, a_return(), brand=Brand("Acme & Co", "h@acme.example"))
    [name] = tags_of_class(email.html, "shop-name")
    assert "font-weight: bold" in name
    assert ">Acme &amp; Co</div>" in email.html
    assert "<img" not in email.html


# --- The money --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [K.REFUND_ISSUED, K.VOUCHER_ISSUED, K.COMPLETED])
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_breakdown_adds_up_to_the_amount_paid_back(kind: StatusEmailKind, locale: str) -> None:
    # Given a return received with a worn shirt, a return fee and shipping costs kept, paid back
    email = status_email(kind, locale)
    assert email.rma is not None
    assert email.breakdown is not None
    resolution = latest_paid(email.rma)
    assert resolution is not None
    # When its money is summed up as the email shows it
    summary = refund_summary(email.rma, resolution, email.breakdown, locale)
    # Then the rows are the refund domain's figures, and add up to the amount paid back
    computed = compute_refund(email.rma, POLICY)
    amounts = [row.amount for row in summary.rows]
    assert amounts == [
        Decimal("90.00"),
        Decimal("20.00"),
        -computed.deductions,
        -Decimal("3.00"),
        -Decimal("4.95"),
    ]
    assert sum(amounts) == summary.total == resolution.amount == computed.amount
    # And both parts show every row and the total
    total = {"en": "93.05 EUR", "fr": "93,05 EUR"}[locale]
    deduction = {"en": "-9.00 EUR", "fr": "-9,00 EUR"}[locale]
    for part in (email.text, email.html):
        assert total in part
        assert deduction in part


def test_a_partial_refund_says_so() -> None:
    email = status_email(K.REFUND_ISSUED, "en")
    assert "We issued a partial refund for your return" in email.text
    assert "Total refunded: 93.05 EUR" in email.text


def test_an_amount_set_by_a_person_shows_as_an_adjustment_and_the_total_is_what_was_paid() -> None:
    # Given a refund a person set 5.00 above the computed amount
    rma = paid("en", FinancialMethod.REFUND, amount=Decimal("98.05"))
    # When its email is rendered
    email = status_email(K.REFUND_ISSUED, "en", rma)
    # Then an adjustment row makes the rows add up to what was paid
    assert "- Adjustment: 5.00 EUR" in email.text
    assert "= Total refunded: 98.05 EUR" in email.text


def test_store_credit_is_called_so() -> None:
    email = status_email(K.VOUCHER_ISSUED, "fr")
    assert "Votre avoir" in email.html
    assert "= Avoir : 93,05 EUR" in email.text


def test_emails_without_money_show_no_breakdown() -> None:
    for kind in (K.REQUEST_RECEIVED, K.APPROVED, K.PARCEL_RECEIVED, K.CANCELED):
        assert tags_of_class(status_email(kind, "en").html, "money") == []


# --- The sign-in code and the team's reminder -------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_the_sign_in_code_is_shown_big_in_a_monospace_block(locale: str) -> None:
    email = sign_in_email(locale)
    [code] = tags_of_class(email.html, "code")
    assert "monospace" in code
    assert "font-size: 36px" in code
    assert f">{SIGN_IN_CODE}</div>" in email.html
    assert f"{SIGN_IN_CODE}\n" in email.text
    # The only six digits in it are the code's: the local stack and the tests read it from there
    assert set(re.findall(r"\b\d{6}\b", email.html)) == {SIGN_IN_CODE}


def test_the_decision_reminder_lists_returns_stacked_to_fit_a_phone() -> None:
    email = next(e for e in EMAILS if e.kind == "decision-reminder")
    rows = tags_of_class(email.html, "overdue")
    assert len(rows) == 1
    assert email.html.count("R-00100") == 3
    assert "Maison Lune returns" in email.html
    assert "Maison Lune returns" in email.text
    assert "Questions?" not in email.text
