"""Specification of what the console's list of returns may be asked for: search text read as an
email, a reference or an order number, and a status of one of the four dimensions."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.returns_listing import (
    ReturnsListing,
    Search,
    StatusDimension,
    StatusFilter,
    read_search,
)
from chalicelib.services.console_returns import ReturnsFilter


@pytest.mark.parametrize(
    ("typed", "search"),
    [
        (" Jane.Doe@Example.com ", Search(email_key="jane.doe@example.com")),
        ("R-001042", Search(return_number=1042)),
        (" r1042 ", Search(return_number=1042)),
        # Shops number orders like returns: a bare number may be either.
        ("1042", Search(return_number=1042, order_key="1042")),
        ("#1042", Search(return_number=1042, order_key="1042")),
        ("SHOP-77", Search(order_key="SHOP-77")),
    ],
)
def test_search_text_names_a_customer_a_return_or_an_order(typed: str, search: Search) -> None:
    assert read_search(typed) == search


def test_a_status_belongs_to_its_dimension() -> None:
    # Given words several dimensions share, and one only processing has
    assert StatusFilter(StatusDimension.DELIVERY, "CANCELED").status == "CANCELED"
    # Then a status of another dimension is refused
    with pytest.raises(ValueError, match="no fulfillment status"):
        StatusFilter(StatusDimension.FULFILLMENT, "REQUESTED")


def test_a_listing_searches_one_way_at_a_time() -> None:
    with pytest.raises(ValueError, match="not both"):
        ReturnsListing(customer="ana@example.com", order="5001")


def test_the_consoles_form_leaves_fields_empty_for_any() -> None:
    # Given the GET form with every field left at "any"
    returns_filter = ReturnsFilter.model_validate(
        {"dimension": "", "status": "", "query": "  ", "cursor": ""}
    )
    # Then nothing narrows the list
    assert returns_filter.status_filter is None
    assert returns_filter.query is None
    assert returns_filter.cursor is None


@pytest.mark.parametrize(
    "asked",
    [
        {"status": "REQUESTED"},
        {"dimension": "delivery"},
        {"dimension": "financial", "status": "REQUESTED"},
        {"dimension": "colour", "status": "RED"},
        {"limit": 51},
        {"limit": 0},
        {"query": "x" * 201},
    ],
)
def test_a_filter_the_list_cannot_serve_is_refused(asked: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ReturnsFilter.model_validate(asked)
