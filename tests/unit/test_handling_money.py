"""Specification of a received return's money: what is owed is recorded, a person approves or
sets the refund within what the received units cost, and the payment settles it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.handling import (
    approve_refund,
    record_refund,
    refund_approved,
    resolve_financial,
)
from chalicelib.domain.refunds import RefundBreakdown
from chalicelib.domain.rma import Actor, FinancialResolution, Rma, RmaLine
from chalicelib.domain.statuses import (
    Channel,
    ExpectedResolution,
    FinancialMethod,
    FinancialStatus,
    LifecycleStep,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)
from chalicelib.errors import InvalidRequestError
from tests.unit.test_transitions import an_rma

P = ProcessingStatus
F = FinancialStatus
AGENT = Actor(channel=Channel.ADMIN, id="42", name="Sam")
AT = datetime(2026, 11, 6, 10, 0, tzinfo=UTC)
# What the refund rules computed for the return below: both shirts back, one worn.
COMPUTED = RefundBreakdown(
    lines_value=Decimal("40.00"),
    deductions=Decimal("8.00"),
    return_fee=Decimal("2.00"),
    retained_for_shipping=Decimal("0.00"),
    amount=Decimal("30.00"),
    maximum=Decimal("40.00"),
    method=FinancialMethod.REFUND,
)
EXPLAINED = "30.00 EUR (lines 40.00, deductions 8.00, return fee 2.00, retained for shipping 0.00)"


def paid(
    amount: str, status: FinancialStatus = F.PENDING, *, approved: bool = False
) -> FinancialResolution:
    return FinancialResolution(
        amount=Decimal(amount), method=FinancialMethod.REFUND, status=status, approved=approved
    )


def a_return(*resolutions: FinancialResolution, **fields: Any) -> Rma:
    """R-001042 (version 3): two shirts at 20.00 (40.00 requested), both received."""
    line = RmaLine(
        sku="SHIRT",
        name="Shirt",
        quantity=2,
        unit_price=Decimal("20.00"),
        reason=ReturnReason.SIZE_PROBLEM,
        received_states={ProductState.WORE: 1, ProductState.BRAND_NEW_WITH_LABEL: 1},
    )
    return an_rma(P.PROCESSING).model_copy(
        update={"lines": [line], "financial_resolutions": list(resolutions), **fields}
    )


def waiting_for_approval(*resolutions: FinancialResolution, **fields: Any) -> Rma:
    return a_return(
        *resolutions, waiting_for=LifecycleStep.REFUND_APPROVAL, task_token="token-9", **fields
    )


# --- What is owed ---------------------------------------------------------------------------


def test_a_refund_owed_is_added_to_the_resolutions_and_pending() -> None:
    # Given a return that was refunded something already
    earlier = paid("5.00", F.REFUNDED)
    rma = a_return(earlier, financial_status=F.REFUNDED)
    # When what is owed now is resolved
    owed = paid("30.00")
    updated, event = resolve_financial(rma, owed, actor=AGENT, at=AT, note="Computed")
    # Then it is pending beside the earlier one, one version later, with its log entry
    assert updated.financial_resolutions == [earlier, owed]
    assert updated.financial_status is F.PENDING
    assert (updated.version, event.version, event.action, event.note) == (
        4,
        4,
        "resolve_financial",
        "Computed",
    )
    assert (event.actor, event.at, event.to_status) == (AGENT, AT, P.PROCESSING)


def test_a_return_owed_nothing_in_money_has_no_financial_status() -> None:
    # Given a return replaced rather than refunded
    rma = a_return()
    # When it is resolved without money
    updated, _ = resolve_financial(rma, None, actor=AGENT, at=AT, note="Replacement")
    # Then nothing is owed, and no resolution is recorded
    assert updated.financial_status is F.NONE
    assert updated.financial_resolutions == []


# --- The payment ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pending", "status"),
    [
        (("40.00",), F.REFUNDED),
        (("25.00", "15.00"), F.REFUNDED),
        (("39.99",), F.PARTIALLY_REFUNDED),
        (("30.00",), F.PARTIALLY_REFUNDED),
    ],
    ids=["in-full", "in-full-in-two", "a-cent-short", "after-deductions"],
)
def test_a_payment_is_a_full_refund_only_when_it_covers_what_was_requested(
    pending: tuple[str, ...], status: FinancialStatus
) -> None:
    # Given a return of 40.00 with pending resolutions
    rma = a_return(*(paid(amount) for amount in pending))
    # When they are paid
    updated, event = record_refund(rma, actor=AGENT, at=AT, note="Paid by Stripe")
    # Then each, and the return, are refunded in full or in part
    assert updated.financial_status is status
    assert [r.status for r in updated.financial_resolutions] == [status] * len(pending)
    assert (updated.version, event.action, event.note, event.actor) == (
        4,
        "execute_refund",
        "Paid by Stripe",
        AGENT,
    )


def test_a_payment_settles_only_what_was_pending() -> None:
    # Given a return refunded 40.00 once, then owed 10.00 more
    settled = paid("40.00", F.REFUNDED)
    rma = a_return(settled, paid("10.00"))
    # When the 10.00 is paid
    updated, _ = record_refund(rma, actor=AGENT, at=AT, note="Paid")
    # Then the earlier payment is as it was, and 10.00 of 40.00 is a partial refund
    assert updated.financial_resolutions == [settled, paid("10.00", F.PARTIALLY_REFUNDED)]
    assert updated.financial_status is F.PARTIALLY_REFUNDED


# --- A person's approval --------------------------------------------------------------------


def test_approving_the_computed_refund_ends_the_wait_and_logs_the_arithmetic() -> None:
    # Given a return whose lifecycle waits for a person to approve the computed refund
    rma = waiting_for_approval(paid("30.00"), financial_status=F.PENDING)
    # When a person approves it as it is, with a note
    updated, event = approve_refund(
        rma, None, COMPUTED, actor=AGENT, at=AT, note="Checked the photos"
    )
    # Then the computed resolution is kept, and the lifecycle no longer waits
    assert updated.financial_resolutions == [paid("30.00", approved=True)]
    assert (updated.waiting_for, updated.task_token) == (None, None)
    # And the log entry says it was approved, how it was computed, and the note
    assert (updated.version, event.version, event.action) == (4, 4, "approve_refund")
    assert (event.actor, event.at) == (AGENT, AT)
    assert event.note == f"Refund approved; computed {EXPLAINED}; Checked the photos"


def test_a_person_sets_the_amount_in_place_of_the_computed_one() -> None:
    # Given a return with an earlier payment and a computed refund pending
    settled = paid("5.00", F.REFUNDED)
    rma = waiting_for_approval(settled, paid("30.00"))
    # When a person sets 35.00 instead
    updated, event = approve_refund(rma, Decimal("35.00"), COMPUTED, actor=AGENT, at=AT, note=None)
    # Then that amount replaces the computed one, to be paid as a refund
    assert updated.financial_resolutions == [settled, paid("35.00", approved=True)]
    assert updated.financial_status is F.PENDING
    assert (updated.waiting_for, updated.task_token) == (None, None)
    # And the log sets it beside the computed one
    assert event.note == f"Refund of 35.00 EUR set by a person; computed {EXPLAINED}"


def test_a_voucher_return_gets_the_amount_a_person_sets_as_a_voucher() -> None:
    rma = waiting_for_approval(
        financial_status=F.NONE, expected_resolution=ExpectedResolution.VOUCHER
    )
    updated, _ = approve_refund(rma, Decimal("12.00"), COMPUTED, actor=AGENT, at=AT, note=None)
    assert updated.financial_resolutions == [
        FinancialResolution(amount=Decimal("12.00"), method=FinancialMethod.VOUCHER, approved=True)
    ]
    assert updated.financial_status is F.PENDING


def test_a_person_may_refund_up_to_what_the_received_units_cost() -> None:
    updated, _ = approve_refund(
        waiting_for_approval(), Decimal("40.00"), COMPUTED, actor=AGENT, at=AT, note=None
    )
    assert updated.financial_resolutions == [paid("40.00", approved=True)]


def test_a_person_may_not_refund_more_than_the_received_units_cost() -> None:
    # Given a return whose received units cost 40.00
    rma = waiting_for_approval(paid("30.00"))
    # When a person sets 40.01, Then it is refused with the most that may be refunded
    with pytest.raises(InvalidRequestError) as refused:
        approve_refund(rma, Decimal("40.01"), COMPUTED, actor=AGENT, at=AT, note=None)
    assert refused.value.details == {"field": "amount", "maximum": "40.00"}
    assert "R-001042" in refused.value.message
    assert "40.00 EUR" in refused.value.message


@pytest.mark.parametrize("resolution", [ExpectedResolution.REPLACE, ExpectedResolution.NONE])
def test_no_amount_may_be_set_on_a_return_not_paid_back_in_money(
    resolution: ExpectedResolution,
) -> None:
    rma = waiting_for_approval(expected_resolution=resolution)
    with pytest.raises(InvalidRequestError) as refused:
        approve_refund(rma, Decimal("10.00"), COMPUTED, actor=AGENT, at=AT, note=None)
    assert refused.value.details == {"field": "amount"}
    assert refused.value.message == (
        f"Return R-001042 expects {resolution.value}: nothing is paid back in money."
    )


@pytest.mark.parametrize(
    "resolutions", [(), (paid("30.00", F.REFUNDED),)], ids=["none", "only-settled"]
)
def test_approving_without_an_amount_needs_a_computed_refund_pending(
    resolutions: tuple[FinancialResolution, ...],
) -> None:
    # Given a return with no refund pending
    rma = waiting_for_approval(*resolutions)
    # When a person approves without giving an amount, Then they are asked for one
    with pytest.raises(InvalidRequestError) as refused:
        approve_refund(rma, None, COMPUTED, actor=AGENT, at=AT, note=None)
    assert refused.value.details == {"field": "amount"}
    assert "R-001042" in refused.value.message


def test_an_approval_stays_on_the_resolution_for_a_lifecycle_that_waits_again() -> None:
    # Given a computed refund waiting for a person
    waiting = waiting_for_approval(paid("30.00"), financial_status=F.PENDING)
    assert not refund_approved(waiting)
    # When a person approves it (the lifecycle's wait may have run out meanwhile)
    approved, _ = approve_refund(waiting, None, COMPUTED, actor=AGENT, at=AT, note=None)
    # Then the approval is kept until the refund is paid
    assert refund_approved(approved)
    assert not refund_approved(record_refund(approved, actor=AGENT, at=AT, note="paid")[0])
