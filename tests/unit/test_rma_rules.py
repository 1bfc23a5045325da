"""What a stored return may hold: one line per SKU, received units per state, photos within
their limit, amounts and counts written as people write them, dates in order. Every new version
is validated whole, whichever code made it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.rma import (
    OrderRef,
    PendingPhoto,
    RmaLine,
    revised,
)
from chalicelib.domain.statuses import ProductState, ReturnReason
from tests.unit.test_refunds import rma

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
S = ProductState


def line(**fields: Any) -> RmaLine:
    return RmaLine.model_validate(
        {
            "sku": "TEE",
            "name": "T-shirt",
            "quantity": 2,
            "unit_price": "45.00",
            "reason": ReturnReason.SIZE_PROBLEM,
            **fields,
        }
    )


def refused_fields(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [".".join(map(str, problem["loc"])) for problem in error.value.errors()]


# --- lines ---------------------------------------------------------------------------------------


def test_a_return_holds_at_most_one_line_per_sku() -> None:
    with pytest.raises(ValidationError) as refused:
        rma(line(), line(quantity=1))
    assert refused_fields(refused) == ["lines"]
    assert "repeated: TEE" in str(refused.value)


def test_a_line_keeps_how_many_units_came_back_in_each_state() -> None:
    mixed = line(received_states={S.BRAND_NEW_WITH_LABEL: 1, S.WORE: 1})
    assert mixed.received_quantity == 2
    # Several states: no single one stands for the line
    assert mixed.product_state is None
    assert line(received_states={S.WORE: 2}).product_state is S.WORE


def test_a_line_stored_before_states_were_kept_per_unit_still_reads() -> None:
    legacy = line(received_quantity=2, product_state="WORE")
    assert legacy.received_states == {S.WORE: 2}


def test_a_stored_received_quantity_that_disagrees_with_the_states_is_refused() -> None:
    with pytest.raises(ValidationError, match="sum of received_states"):
        line(received_states={S.WORE: 1}, received_quantity=2)


def test_received_quantity_and_state_are_written_out_and_read_back() -> None:
    written = line(received_states={S.WORE: 1}).model_dump(mode="json")
    assert (written["received_quantity"], written["product_state"]) == (1, "WORE")
    assert RmaLine.model_validate(written).received_states == {S.WORE: 1}


def test_a_line_keeps_at_most_ten_photos_uploads_in_progress_included() -> None:
    pending = [PendingPhoto(key=f"p{n}", upload_expires_at=NOW) for n in range(3)]
    with pytest.raises(ValidationError, match="at most 10 photos"):
        line(photos=[f"k{n}" for n in range(8)], pending_photos=pending)


# --- values written as people write them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"quantity": True}, "quantity", id="a boolean quantity"),
        pytest.param({"unit_price": "١٢"}, "unit_price", id="non-ASCII digits"),
        pytest.param({"unit_price": "12.5e1"}, "unit_price", id="an exponent"),
        pytest.param({"sku": "\x00"}, "sku", id="a NUL SKU"),
        pytest.param({"name": "Tee\x00shirt"}, "name", id="a NUL inside a name"),
        pytest.param({"comment": "ok\x07"}, "comment", id="a bell in a comment"),
    ],
)
def test_values_no_one_could_read_back_are_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        line(**fields)
    assert refused_fields(refused) == [field]


def test_free_text_keeps_its_line_breaks() -> None:
    assert line(comment="Too small.\nPlease refund.").comment == "Too small.\nPlease refund."


def test_an_amount_in_plain_digits_is_read_as_written() -> None:
    assert line(unit_price=" 12.50 ").unit_price == Decimal("12.50")


def test_an_order_cannot_be_delivered_before_it_was_ordered() -> None:
    with pytest.raises(ValidationError, match="delivered_at must not be before ordered_at"):
        OrderRef(number="1001", ordered_at=date(2026, 11, 10), delivered_at=date(2026, 11, 9))


# --- every new version validated -----------------------------------------------------------------


def test_a_revised_version_is_validated_whole() -> None:
    # Given a line with ten photos, when a change adds an eleventh, then it is refused
    full = line(photos=[f"k{n}" for n in range(10)])
    with pytest.raises(ValidationError, match="at most 10"):
        revised(full, photos=[*full.photos, "k10"])


def test_no_code_makes_a_version_without_validating_it() -> None:
    # model_copy(update=...) skips validation: every change goes through `revised`
    sources = Path(__file__).parents[2] / "chalicelib"
    unvalidated = [
        f"{path.relative_to(sources)}:{number}"
        for path in sorted(sources.rglob("*.py"))
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\.model_copy\(\s*update", text) and path.name != "rma.py"
    ]
    assert unvalidated == []
