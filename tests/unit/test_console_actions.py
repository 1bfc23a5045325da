"""Unit specification of what a return's console page offers and how its forms read: the moves
the transition table allows and no other, the handling steps when the handling rules open
them, and typed quantities and amounts read or refused in words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.rma import Actor, Rma, revised
from chalicelib.domain.statuses import Channel, LifecycleStep, ProcessingStatus, ProductState
from chalicelib.domain.transitions import Action, decide
from chalicelib.errors import InvalidRequestError, InvalidTransitionError
from chalicelib.pages.console_actions import amount, offered, received_lines, version_read
from tests.unit.test_transitions import T0, an_rma

P = ProcessingStatus
MERCHANT = Actor(channel=Channel.ADMIN, email="ops@shop.example")
MOVES = {
    "approve": Action.ACCEPT,
    "reject": Action.REJECT,
    "hold": Action.HOLD,
    "resume": Action.RESUME,
    "cancel": Action.CANCEL,
}


def decidable(rma: Rma, action: Action) -> bool:
    """Whether the use case every move goes through (RmaService.act) would make it."""
    try:
        decide(rma, action, actor=MERCHANT, at=T0, note="A reason")
    except InvalidTransitionError:
        return False
    return True


@pytest.mark.parametrize("held_from", [None, P.REQUESTED, P.ACCEPTED])
@pytest.mark.parametrize("status", list(P))
def test_the_moves_offered_are_those_the_transition_table_allows(
    status: ProcessingStatus, held_from: ProcessingStatus | None
) -> None:
    # Given a return in any status (a held one held from where it may be)
    rma = an_rma(status, held_from=held_from if status is P.ON_HOLD else None)
    # Then each move is offered exactly when the use case would make it
    for name, action in MOVES.items():
        assert (name in offered(rma)) is decidable(rma, action), (status, held_from, name)


def test_a_return_held_while_waiting_for_a_decision_offers_the_decision() -> None:
    rma = an_rma(P.ON_HOLD, held_from=P.REQUESTED)
    assert offered(rma) == ["approve", "reject", "resume"]


def test_receipt_is_offered_while_units_are_out_and_the_refund_when_it_waits_for_a_person() -> None:
    # Given an approved return: its parcel may be recorded
    accepted = an_rma(P.ACCEPTED)
    assert "receive" in offered(accepted)
    # Given every unit in and the lifecycle waiting for the refund's approval
    line = revised(accepted.lines[0], received_states={ProductState.WORE: 1})
    waiting = revised(
        accepted,
        processing_status=P.PROCESSING,
        lines=[line],
        waiting_for=LifecycleStep.REFUND_APPROVAL,
        task_token="token",
    )
    # Then the refund is offered, no more receipt and no completion
    assert offered(waiting) == ["refund", "hold"]


def test_typed_quantities_and_states_are_read_per_sku_and_empty_ones_skipped() -> None:
    form = {
        "received-SKU-1": "2",
        "state-SKU-1": "WORE",
        "received-SKU-2": "",
        "state-SKU-2": "DAMAGED",
        "received-SKU-3": "0",
    }
    (line,) = received_lines(form)
    assert (line.sku, line.quantity, line.product_state) == ("SKU-1", 2, ProductState.WORE)


@pytest.mark.parametrize(
    "form",
    [{}, {"received-SKU-1": "two", "state-SKU-1": "WORE"}, {"received-SKU-1": "1"}],
    ids=["nothing", "not-a-number", "no-state"],
)
def test_a_receipt_form_that_says_nothing_usable_is_refused_in_words(form: dict[str, str]) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        received_lines(form)
    assert refused.value.details["field"] == "lines"


def test_an_amount_is_a_decimal_or_nothing_and_anything_else_is_refused() -> None:
    assert amount({"amount": " 12.50 "}) == Decimal("12.50")
    assert amount({"amount": ""}) is None
    # The amount the page suggested, left as it was, is the one computed
    assert amount({"amount": "12.50", "suggested_amount": "12.50"}) is None
    assert amount({"amount": "12.00", "suggested_amount": "12.50"}) == Decimal("12.00")
    for typed in ("12,50", "-3", "1.999", "١٢"):
        with pytest.raises(InvalidRequestError):
            amount({"amount": typed})


def test_a_form_without_the_version_it_was_read_at_is_refused() -> None:
    assert version_read({"version": "4"}) == 4
    with pytest.raises(InvalidRequestError):
        version_read({})
