"""Every status, reason and state has a label in each supported language."""

from __future__ import annotations

from enum import StrEnum

import pytest

from chalicelib.domain import statuses
from chalicelib.domain.labels import label

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
