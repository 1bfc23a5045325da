"""Units of one line back in different states are shown state by state, to agents, shoppers and
in the emails, in the reader's language."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.labels import received_in_words
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import compute_refund
from chalicelib.domain.status_emails import StatusEmailKind
from chalicelib.domain.statuses import ProductState
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.status_emails import render_status_email
from tests.unit.test_rma_rules import line, rma

MIXED = {ProductState.BRAND_NEW_WITH_LABEL: 1, ProductState.WORE: 1}


def test_the_states_of_a_lines_units_read_in_english_and_french() -> None:
    mixed = line(received_states=MIXED)
    assert received_in_words(mixed, "en") == "1 x New, with tags, 1 x Worn"
    assert received_in_words(mixed, "fr-FR") == "1 x Neuf, avec étiquette, 1 x Porté"


def test_a_line_with_nothing_received_says_nothing() -> None:
    assert received_in_words(line(), "en") == ""


def test_the_parcel_received_email_shows_each_lines_units_by_state() -> None:
    email = render_status_email(
        StatusEmailKind.PARCEL_RECEIVED,
        rma(line(received_states=MIXED)),
        brand=Brand("Acme", "support@acme.example"),
    )
    assert "2 x T-shirt (TEE): received 1 x New, with tags, 1 x Worn" in email.text
    assert "received 1 x New, with tags, 1 x Worn" in email.html


def test_two_rows_of_an_inspection_file_for_one_sku_keep_both_states() -> None:
    from tests.unit.test_inspection_receipt import a_return, receive, rows

    # Given an approved return of two 20.00 shirts, under the default deductions (worn: 20%)
    # When the warehouse's file reports one new and one worn, on two rows
    receipt = receive(a_return(), rows(("SHIRT", 1, "BRAND_NEW_WITH_LABEL"), ("SHIRT", 1, "WORE")))
    assert receipt.updated is not None
    shirt = receipt.updated.lines[0]
    # Then the line keeps both, and only the worn one is kept back 20% of
    assert shirt.received_states == {
        ProductState.BRAND_NEW_WITH_LABEL: 1,
        ProductState.WORE: 1,
    }
    refund = compute_refund(receipt.updated, ReturnPolicy())
    assert (refund.lines_value, refund.deductions, refund.amount) == (
        Decimal("40.00"),
        Decimal("4.00"),
        Decimal("36.00"),
    )
