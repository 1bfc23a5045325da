"""Every status, reason and state has a label in each supported language; an exchange's
financial status reads as the replacement it gives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest

from chalicelib.domain import statuses
from chalicelib.domain.labels import financial_label, financial_wording, label
from chalicelib.domain.rma import (
    FinancialResolution,
    ReplacementOrder,
    ReplacementStatus,
    Rma,
    revised,
)
from chalicelib.domain.statuses import (
    ExpectedResolution,
    FinancialMethod,
    FinancialStatus,
    ProcessingStatus,
)
from tests.unit.test_transitions import an_rma

LABELLED = [
    statuses.ProcessingStatus,
    statuses.DeliveryStatus,
    statuses.FinancialStatus,
    statuses.FulfillmentStatus,
    statuses.ExpectedResolution,
    statuses.ReturnReason,
    statuses.ProductState,
    statuses.LineState,
]


@pytest.mark.parametrize("value", [v for enum in LABELLED for v in enum])
def test_every_value_has_an_english_and_a_french_label(value: StrEnum) -> None:
    english, french = label(value, "en"), label(value, "fr")
    assert english
    assert french
    assert english != value.value


def test_regional_locales_fall_back_to_their_language() -> None:
    status = statuses.ProcessingStatus.ACCEPTED
    assert label(status, "fr-CA") == label(status, "fr_FR") == "Approuvé"
    assert label(status, "de") == label(status, None) == "Approved"


def test_a_value_shared_by_several_dimensions_reads_in_each_dimensions_own_words() -> None:
    # CANCELED, PENDING, PROCESSING... exist in several enumerations with different meanings
    assert label(statuses.ProcessingStatus.CANCELED) == "Canceled"
    assert label(statuses.FulfillmentStatus.CANCELED) == "Inspection canceled"
    assert label(statuses.DeliveryStatus.PENDING) == "Not shipped yet"
    assert label(statuses.FinancialStatus.PENDING) == "Refund pending"
    assert label(statuses.ProcessingStatus.PROCESSING) == "In progress"


# --- An exchange's financial status ------------------------------------------------------------

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def a_return(resolution: ExpectedResolution, financial: FinancialStatus, **changes: Any) -> Rma:
    return revised(
        an_rma(ProcessingStatus.NEW),
        expected_resolution=resolution,
        financial_status=financial,
        **changes,
    )


ORDERED = ReplacementOrder(
    draft_order_id="gid://shopify/DraftOrder/1",
    order_id="gid://shopify/Order/2",
    name="#1002",
    created_at=T0,
)


@pytest.mark.parametrize("financial", [FinancialStatus.PENDING, FinancialStatus.NONE])
@pytest.mark.parametrize(("locale", "words"), [("en", "Replacement"), ("fr", "Échange")])
def test_an_exchange_owing_no_money_reads_replacement_where_a_refund_reads_pending(
    financial: FinancialStatus, locale: str, words: str
) -> None:
    # Given an exchange whose replacement is not ordered yet
    rma = a_return(ExpectedResolution.REPLACE, financial)
    # Then its financial status says what the shopper gets, not "Refund pending"
    assert financial_label(rma, locale) == words
    assert financial_wording(rma) == ("REPLACEMENT", None)


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "Replacement: order #1002"), ("fr-FR", "Échange : commande #1002")],
)
def test_an_exchange_whose_replacement_is_ordered_names_the_order(locale: str, words: str) -> None:
    rma = a_return(ExpectedResolution.REPLACE, FinancialStatus.NONE, replacement_order=ORDERED)
    assert financial_label(rma, locale) == words
    assert financial_wording(rma) == ("REPLACEMENT_ORDERED", "#1002")


def test_a_replacement_waiting_for_its_invoice_reads_replacement_without_a_number() -> None:
    invoiced = ReplacementOrder(
        status=ReplacementStatus.INVOICE_SENT,
        draft_order_id="gid://shopify/DraftOrder/1",
        name="#D7",
        created_at=T0,
    )
    rma = a_return(ExpectedResolution.REPLACE, FinancialStatus.NONE, replacement_order=invoiced)
    assert financial_label(rma, "en") == "Replacement"


@pytest.mark.parametrize(
    ("resolution", "financial", "words"),
    [
        (ExpectedResolution.REFUND, FinancialStatus.PENDING, "Refund pending"),
        (ExpectedResolution.VOUCHER, FinancialStatus.PENDING, "Refund pending"),
        # An exchange that did pay money back (a cheaper variant) says so.
        (ExpectedResolution.REPLACE, FinancialStatus.REFUNDED, "Refunded"),
    ],
)
def test_other_returns_keep_the_words_of_their_financial_status(
    resolution: ExpectedResolution, financial: FinancialStatus, words: str
) -> None:
    assert financial_label(a_return(resolution, financial), "en") == words


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", "Refund of the price difference pending"),
        ("fr", "Remboursement de la différence en attente"),
    ],
)
def test_a_cheaper_replacement_s_difference_waiting_to_be_paid_says_so(
    locale: str, words: str
) -> None:
    # Given an exchange for a cheaper variant, whose difference is owed in money
    owed = FinancialResolution(amount=Decimal("10.00"), method=FinancialMethod.REFUND)
    rma = a_return(
        ExpectedResolution.REPLACE,
        FinancialStatus.PENDING,
        financial_resolutions=[owed],
        replacement_order=ORDERED,
    )
    # Then the money still owed is what its financial status says
    assert financial_label(rma, locale) == words
