"""Units of one line back in different states are shown state by state, to agents, shoppers and
in the emails, in the reader's language."""

from __future__ import annotations

from chalicelib.domain.labels import received_in_words
from chalicelib.domain.status_emails import StatusEmailKind
from chalicelib.domain.statuses import ProductState
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
        merchant_name="Acme",
        support_email="support@acme.example",
    )
    assert "2 x T-shirt (TEE): received 1 x New, with tags, 1 x Worn" in email.text
    assert "received 1 x New, with tags, 1 x Worn" in email.html
