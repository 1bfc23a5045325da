"""Specification of a claim's settlement: what an order issue gives back, and in what form,
computed by the same rules as a return's refund (domain/refunds.py), without a receipt."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.order_requests import (
    ClaimIssue,
    ClaimLine,
    OrderRequest,
    OrderRequestKind,
)
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import CENT, claim_settlement, store_credit_bonus
from chalicelib.domain.rma import Customer, OrderRef
from chalicelib.domain.statuses import ExpectedResolution, FinancialMethod
from chalicelib.errors import InvalidRequestError

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
R = ExpectedResolution


def claim_line(unit_price: str = "25.00", quantity: int = 2, sku: str = "MUG-BLUE") -> ClaimLine:
    return ClaimLine(sku=sku, name="Blue mug", quantity=quantity, unit_price=Decimal(unit_price))


def a_claim(
    *lines: ClaimLine, resolution: ExpectedResolution | None = R.REFUND, currency: str = "EUR"
) -> OrderRequest:
    return OrderRequest(
        reference="C-000003",
        kind=OrderRequestKind.CLAIM,
        order=OrderRef(number="#4950", external_id="gid://shopify/Order/734509473"),
        customer=Customer(email="jane.doe@example.com"),
        currency=currency,
        issue=ClaimIssue.DAMAGED,
        lines=list(lines) or [claim_line()],
        resolution=resolution,
        created_at=NOW,
        updated_at=NOW,
    )


def test_a_refund_gives_back_what_the_shopper_paid_for_the_units_claimed() -> None:
    # Given two mugs at 25.00 and a third line at 9.99, claimed for a refund
    claim = a_claim(claim_line("25.00", 2), claim_line("9.99", 1, sku="SAUCER"))

    # When its settlement is computed
    settlement = claim_settlement(claim, ReturnPolicy())

    # Then it refunds the 59.99 paid, and says how it came to that
    assert settlement.resolution is R.REFUND
    assert settlement.method is FinancialMethod.REFUND
    assert settlement.amount == Decimal("59.99")
    assert settlement.explanation == (
        "Refund of 59.99 EUR: what the shopper paid for the 3 units claimed (59.99)."
    )


def test_store_credit_adds_the_policys_bonus_rounded_as_a_returns() -> None:
    # Given a claim of 33.33 settled in store credit under a 7.5 % bonus
    claim = a_claim(claim_line("33.33", 1), resolution=R.VOUCHER)
    policy = ReturnPolicy(store_credit_bonus_percent=Decimal("7.5"))

    # When its settlement is computed
    settlement = claim_settlement(claim, policy)

    # Then the bonus is the returns' own (2.49975 rounded half up to 2.50)
    assert store_credit_bonus(Decimal("33.33"), policy) == Decimal("2.50")
    assert settlement.method is FinancialMethod.VOUCHER
    assert settlement.amount == Decimal("35.83")
    assert settlement.explanation == (
        "Store credit of 35.83 EUR: what the shopper paid for the 1 unit claimed (33.33) plus "
        "the store credit bonus of 7.5% (2.50)."
    )


def test_a_replacement_pays_nothing_in_money() -> None:
    # Given a claim settled by a replacement
    claim = a_claim(resolution=R.REPLACE)

    # When its settlement is computed
    settlement = claim_settlement(claim, ReturnPolicy())

    # Then no money moves
    assert settlement.resolution is R.REPLACE
    assert settlement.amount == Decimal("0")
    assert settlement.method is None
    assert settlement.explanation == (
        "Replacement of the 2 units claimed: nothing is paid back in money."
    )


def test_an_agent_may_settle_otherwise_than_the_shopper_asked() -> None:
    # Given a claim asking for a replacement
    claim = a_claim(resolution=R.REPLACE)

    # When an agent settles it by a refund instead
    settlement = claim_settlement(claim, ReturnPolicy(), resolution=R.REFUND)

    # Then the refund is computed
    assert settlement.resolution is R.REFUND
    assert settlement.amount == Decimal("50.00")


def test_a_persons_amount_up_to_the_maximum_is_kept_and_explained() -> None:
    # Given a claim of 50.00 in store credit with a 10 % bonus
    claim = a_claim(resolution=R.VOUCHER)
    policy = ReturnPolicy(store_credit_bonus_percent=Decimal("10"))

    # When a person settles it at the most it may give, then at less
    most = claim_settlement(claim, policy, amount=Decimal("55.00"))
    less = claim_settlement(claim, policy, amount=Decimal("20"))

    # Then both are kept, and the log says what was computed
    assert most.amount == Decimal("55.00")
    assert less.amount == Decimal("20.00")
    assert less.explanation == (
        "Store credit of 20.00 EUR set by a person; computed 55.00 EUR, what the shopper paid "
        "for the 2 units claimed plus the store credit bonus of 10% (5.00)."
    )


def test_a_persons_amount_above_the_maximum_is_refused_as_a_returns_is() -> None:
    # Given a claim of 50.00 for a refund
    claim = a_claim()

    # When a person sets 50.01
    with pytest.raises(InvalidRequestError) as refused:
        claim_settlement(claim, ReturnPolicy(), amount=Decimal("50.01"))

    # Then it is refused with the ceiling, as an amount above a return's is
    assert refused.value.details == {"field": "amount", "maximum": "50.00"}
    assert refused.value.message == (
        "A refund of claim C-000003 is at most 50.00 EUR, what the shopper paid for the "
        "2 units claimed."
    )


@pytest.mark.parametrize(
    ("resolution", "amount", "field"),
    [
        (R.REPLACE, Decimal("10"), "amount"),
        (R.REFUND, Decimal("-1"), "amount"),
        (None, None, "resolution"),
    ],
)
def test_what_cannot_settle_a_claim_is_refused(
    resolution: ExpectedResolution | None, amount: Decimal | None, field: str
) -> None:
    # Given a claim whose shopper named no settlement
    claim = a_claim(resolution=None)

    # When it is settled by a replacement with money, a negative amount, or nothing at all
    with pytest.raises(InvalidRequestError) as refused:
        claim_settlement(claim, ReturnPolicy(), resolution=resolution, amount=amount)

    # Then it is refused, naming the field
    assert refused.value.details["field"] == field


# --- properties ------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=500_000).map(lambda n: Decimal(n) / 100)
claim_lines = st.lists(
    st.builds(
        lambda price, quantity: ClaimLine(
            sku="SKU", name="Item", quantity=quantity, unit_price=price
        ),
        cents,
        st.integers(min_value=1, max_value=50),
    ),
    min_size=1,
    max_size=6,
)
bonus_percents = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 100)
resolutions = st.sampled_from([R.REFUND, R.VOUCHER, R.REPLACE])


@given(claim_lines, bonus_percents, resolutions, st.none() | cents)
def test_a_settlement_is_never_negative_nor_above_what_was_paid_plus_the_bonus(
    lines: list[ClaimLine],
    percent: Decimal,
    resolution: ExpectedResolution,
    persons_amount: Decimal | None,
) -> None:
    claim = a_claim(*lines, resolution=resolution)
    policy = ReturnPolicy(store_credit_bonus_percent=percent)
    paid = claim.claimed_value
    ceiling = paid + (store_credit_bonus(paid, policy) if resolution is R.VOUCHER else 0)
    amount = None if resolution is R.REPLACE else persons_amount
    if amount is not None and amount > ceiling:
        # Only a person's amount above the ceiling is refused, and the ceiling is told.
        with pytest.raises(InvalidRequestError) as refused:
            claim_settlement(claim, policy, amount=amount)
        assert Decimal(refused.value.details["maximum"]) == ceiling
        return
    settlement = claim_settlement(claim, policy, amount=amount)
    assert settlement.amount >= 0
    assert settlement.amount <= ceiling
    assert settlement.amount == settlement.amount.quantize(CENT)
    assert isinstance(settlement.amount, Decimal)
    if resolution is R.REPLACE:
        assert settlement.amount == 0
        assert settlement.method is None
    elif amount is None:
        assert settlement.amount == ceiling
