"""Specification of what eligibility counts as already returned: the units of an order that its
other returns still claim, and the line of a return as the rules read it."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from chalicelib.domain.eligibility import RequestedLine, already_returned
from chalicelib.domain.rma import OrderRef, Rma, RmaLine
from chalicelib.domain.statuses import ProcessingStatus, ReturnReason
from tests.unit.test_transitions import an_rma

P = ProcessingStatus
ORDER = "#1001"


def a_line(sku: str, quantity: int, **fields: object) -> RmaLine:
    return RmaLine(
        sku=sku,
        name=sku.title(),
        quantity=quantity,
        unit_price=Decimal("10.00"),
        reason=ReturnReason.SIZE_PROBLEM,
        **fields,
    )


def a_return(
    rma_id: str,
    *lines: RmaLine,
    order: str = ORDER,
    status: ProcessingStatus = P.REQUESTED,
) -> Rma:
    return an_rma(status).model_copy(
        update={"id": rma_id, "order": OrderRef(number=order), "lines": list(lines)}
    )


def test_the_units_of_every_return_of_the_order_are_counted_per_sku() -> None:
    # Given two returns of the order, one of them with two lines
    returns = [
        a_return("a", a_line("SHIRT", 1), a_line("MUG", 2)),
        a_return("b", a_line("SHIRT", 2), status=P.COMPLETE),
    ]
    # When the units already returned are counted
    claimed = already_returned(ORDER, returns)
    # Then each SKU has the units of all of them
    assert claimed == Counter({"SHIRT": 3, "MUG": 2})


def test_the_returns_of_other_orders_claim_nothing() -> None:
    # Given a return of another order
    returns = [a_return("a", a_line("SHIRT", 1), order="#1002")]
    # When the units of this order are counted, Then there are none
    assert already_returned(ORDER, returns) == Counter()


def test_the_return_being_checked_does_not_count_against_itself() -> None:
    # Given the return being checked and another of the same order
    returns = [a_return("this", a_line("SHIRT", 2)), a_return("other", a_line("SHIRT", 1))]
    # When the units are counted for that return
    claimed = already_returned(ORDER, returns, excluding="this")
    # Then only the other one's count
    assert claimed == Counter({"SHIRT": 1})


@pytest.mark.parametrize("status", [P.REJECTED, P.CANCELED, P.DELETED])
def test_a_return_that_let_go_of_its_units_claims_nothing(status: ProcessingStatus) -> None:
    # Given a return of the order that was rejected, canceled or deleted
    returns = [a_return("a", a_line("SHIRT", 1), status=status)]
    # When the units are counted, Then its units may be asked for again
    assert already_returned(ORDER, returns) == Counter()


@pytest.mark.parametrize(
    "status", [P.NEW, P.REQUESTED, P.ACCEPTED, P.PROCESSING, P.ON_HOLD, P.ANOMALY, P.COMPLETE]
)
def test_a_return_still_under_way_or_complete_claims_its_units(status: ProcessingStatus) -> None:
    returns = [a_return("a", a_line("SHIRT", 1), status=status)]
    assert already_returned(ORDER, returns) == Counter({"SHIRT": 1})


def test_a_line_of_a_return_is_read_with_nothing_returned_before_unless_told() -> None:
    # Given a line of a return sold as final sale
    line = a_line("SHIRT", 1, final_sale=True, ordered_quantity=1)
    # When it is read as a requested line without a count of earlier returns
    requested = RequestedLine.from_rma_line(line)
    # Then none were returned before, and it is still final sale
    assert requested.already_returned == 0
    assert requested.final_sale is True
