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
