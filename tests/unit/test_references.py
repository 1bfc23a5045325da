"""Specification of how typed return references are read."""

from __future__ import annotations

import pytest

from chalicelib.domain.references import format_reference, parse_return_number


@pytest.mark.parametrize(
    "typed",
    ["R-001042", "r-1042", "1042", "#1042", " R-001042 ", "R1042", "r 1042", "#R-001042", "001042"],
)
def test_every_way_people_type_a_reference_names_the_same_return(typed: str) -> None:
    assert parse_return_number(typed) == 1042


@pytest.mark.parametrize("typed", ["", "R-", "abc", "R-10x2", "1042-R", "0", "R-000000", "12.5"])
def test_anything_else_names_no_return(typed: str) -> None:
    assert parse_return_number(typed) is None


def test_references_are_zero_padded_to_six_digits() -> None:
    assert format_reference(1042) == "R-001042"
    assert format_reference(1234567) == "R-1234567"
