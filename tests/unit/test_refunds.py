"""Specification of the refund arithmetic: what a received return gives back, and in what form."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import RefundBreakdown, compute_refund
from chalicelib.domain.rma import Customer, ExchangeChoice, OrderRef, Rma, RmaLine
from chalicelib.domain.statuses import (
    ExpectedResolution,
    FinancialMethod,
    ProductState,
    ReturnReason,
)

S = ProductState
POLICY = ReturnPolicy(return_fee=Decimal("4.90"))
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def received(
    unit_price: str,
    quantity: int = 1,
    state: ProductState | None = S.BRAND_NEW_WITH_LABEL,
    received_quantity: int | None = None,
) -> RmaLine:
    """A line of `quantity` units, all of them received in `state` unless told otherwise."""
    return RmaLine(
        sku=f"SKU-{unit_price}",
        name="Item",
        quantity=quantity,
        unit_price=Decimal(unit_price),
        reason=ReturnReason.SIZE_PROBLEM,
        product_state=state,
        received_quantity=quantity if received_quantity is None else received_quantity,
    )


def rma(*lines: RmaLine, **terms: Any) -> Rma:
    return Rma(
        id="0" * 32,
        return_number=1001,
        return_reference="R-001001",
        order=OrderRef(number="#1001"),
        customer=Customer(email="jane.doe@example.com"),
        lines=list(lines),
        created_at=NOW,
        updated_at=NOW,
        **terms,
    )


def money(value: str) -> Decimal:
    return Decimal(value)


def test_items_back_as_new_are_refunded_in_full() -> None:
    # Given two units at 25.00 and one at 10.00, all back new with their label
    received_rma = rma(received("25.00", quantity=2), received("10.00"))
    # When the refund is computed
    refund = compute_refund(received_rma, POLICY)
    # Then everything is refunded, by the refund method
    assert refund == RefundBreakdown(
        lines_value=money("60.00"),
        deductions=money("0.00"),
        return_fee=money("0.00"),
        retained_for_shipping=money("0.00"),
        amount=money("60.00"),
        maximum=money("60.00"),
        method=FinancialMethod.REFUND,
    )


@pytest.mark.parametrize(
    ("state", "amount"),
    [
        (S.BRAND_NEW_WITH_LABEL, "50.00"),
        (S.BRAND_NEW_WITHOUT_LABEL, "45.00"),
        (S.WORE, "40.00"),
        (S.DAMAGED, "0.00"),
        (S.DEFECTIVE, "50.00"),
    ],
    ids=lambda value: value.value if isinstance(value, ProductState) else value,
)
def test_the_state_an_item_comes_back_in_decides_what_is_kept_back(
    state: ProductState, amount: str
) -> None:
    # Given one item at 50.00, received in `state`
    # When the refund is computed under the default deductions
    refund = compute_refund(rma(received("50.00", state=state)), POLICY)
    # Then the state's share is kept back and the rest refunded
    assert refund.amount == money(amount)
    assert refund.deductions == money("50.00") - money(amount)


def test_each_line_loses_the_share_of_its_own_state() -> None:
    # Given a worn item at 30.00, two label-less units at 20.00, and a damaged one at 15.00
    lines = (
        received("30.00", state=S.WORE),
        received("20.00", quantity=2, state=S.BRAND_NEW_WITHOUT_LABEL),
        received("15.00", state=S.DAMAGED),
    )
    # When the refund is computed
    refund = compute_refund(rma(*lines), POLICY)
    # Then 6.00 + 4.00 + 15.00 are kept back from 85.00
    assert (refund.lines_value, refund.deductions, refund.amount) == (
        money("85.00"),
        money("25.00"),
        money("60.00"),
    )


def test_the_deductions_follow_the_policy() -> None:
    # Given a policy keeping back 12.5% of worn items
    policy = ReturnPolicy(deductions_by_product_state={S.WORE: Decimal("12.5")})
    # When a worn item at 40.00 is refunded
    refund = compute_refund(rma(received("40.00", state=S.WORE)), policy)
    # Then 5.00 is kept back
    assert (refund.deductions, refund.amount) == (money("5.00"), money("35.00"))


def test_only_what_was_received_is_refunded() -> None:
    # Given three units asked back, of which two were received, and a line not received at all
    lines = (
        received("25.00", quantity=3, received_quantity=2),
        received("99.00", quantity=1, received_quantity=0, state=None),
    )
    # When the refund is computed
    refund = compute_refund(rma(*lines), POLICY)
    # Then only the two units received count
    assert (refund.lines_value, refund.amount) == (money("50.00"), money("50.00"))


@pytest.mark.parametrize(
    ("apply", "fee", "amount"), [(True, "4.90", "45.10"), (False, "0.00", "50.00")]
)
def test_the_return_fee_is_charged_only_when_the_return_says_so(
    apply: bool, fee: str, amount: str
) -> None:
    # Given a return of an item at 50.00, charged the 4.90 fee or not
    charged = rma(received("50.00"), apply_return_fee=apply)
    # When the refund is computed
    refund = compute_refund(charged, POLICY)
    # Then the fee comes off only when it applies
    assert (refund.return_fee, refund.amount) == (money(fee), money(amount))


def test_the_return_keeps_back_its_own_shipping_amount() -> None:
    # Given a return keeping back 6.50 for shipping, under a policy whose default is 3.00
    policy = POLICY.model_copy(update={"retained_amount_for_shipping": Decimal("3.00")})
    kept = rma(received("50.00"), retained_amount_for_shipping=Decimal("6.50"))
    # When the refund is computed
    refund = compute_refund(kept, policy)
    # Then the return's own amount is kept back
    assert (refund.retained_for_shipping, refund.amount) == (money("6.50"), money("43.50"))


def test_everything_comes_off_the_worn_value_fee_and_shipping_alike() -> None:
    # Given a worn item at 50.00, a return charged the 4.90 fee and keeping 5.00 for shipping
    everything = rma(
        received("50.00", state=S.WORE),
        apply_return_fee=True,
        retained_amount_for_shipping=Decimal("5.00"),
    )
    # When the refund is computed
    refund = compute_refund(everything, POLICY)
    # Then 50.00 - 10.00 - 4.90 - 5.00 is refunded
    assert refund == RefundBreakdown(
        lines_value=money("50.00"),
        deductions=money("10.00"),
        return_fee=money("4.90"),
        retained_for_shipping=money("5.00"),
        amount=money("30.10"),
        maximum=money("50.00"),
        method=FinancialMethod.REFUND,
    )


def test_a_refund_never_goes_below_zero() -> None:
    # Given a 3.00 item back worn, charged the 4.90 fee and keeping 5.00 for shipping
    costly = rma(
        received("3.00", state=S.WORE),
        apply_return_fee=True,
        retained_amount_for_shipping=Decimal("5.00"),
    )
    # When the refund is computed
    refund = compute_refund(costly, POLICY)
    # Then nothing is owed either way
    assert refund.amount == money("0.00")
    assert refund.deductions == money("0.60")


def test_nothing_received_refunds_nothing() -> None:
    # Given a return whose parcel held nothing
    empty = rma(received("50.00", received_quantity=0, state=None))
    # When / Then nothing is refunded
    assert compute_refund(empty, POLICY).amount == money("0.00")


@pytest.mark.parametrize(
    ("unit_price", "amount", "deductions"),
    [
        # 10% of 10.05 is 1.005: the refund, 9.045, rounds half up to 9.05.
        ("10.05", "9.05", "1.00"),
        # 10% of 10.15 is 1.015: 9.135 rounds to 9.14.
        ("10.15", "9.14", "1.01"),
        # 10% of 10.04 is 1.004: 9.036 rounds to 9.04.
        ("10.04", "9.04", "1.00"),
        # 10% of 10.06 is 1.006: 9.054 rounds to 9.05.
        ("10.06", "9.05", "1.01"),
    ],
)
def test_the_refund_is_rounded_to_the_cent_half_up_and_the_breakdown_adds_up(
    unit_price: str, amount: str, deductions: str
) -> None:
    # Given an item back without its label, kept back 10%, leaving a fraction of a cent
    refund = compute_refund(rma(received(unit_price, state=S.BRAND_NEW_WITHOUT_LABEL)), POLICY)
    # When / Then the refund is rounded half up, and the deductions are what it leaves
    assert (refund.amount, refund.deductions) == (money(amount), money(deductions))
    assert refund.lines_value - refund.deductions == refund.amount


def test_fractions_of_a_cent_add_up_across_lines_before_rounding() -> None:
    # Given three items at 0.05 back without their label: 0.005 kept back on each
    lines = [
        received("0.05", state=S.BRAND_NEW_WITHOUT_LABEL).model_copy(update={"sku": sku})
        for sku in ("A", "B", "C")
    ]
    # When the refund is computed
    refund = compute_refund(rma(*lines), POLICY)
    # Then 0.015 is kept back in all, not three rounded halves of a cent
    assert (refund.deductions, refund.amount) == (money("0.01"), money("0.14"))


def test_every_amount_is_given_in_cents() -> None:
    # Given / When a refund with no fee, nothing kept back and whole amounts
    refund = compute_refund(rma(received("20")), POLICY)
    # Then every amount still has two decimals, as money is written
    assert [str(value) for value in refund.model_dump().values() if isinstance(value, Decimal)] == [
        "20.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "20.00",
        "20.00",
    ]


@pytest.mark.parametrize(
    ("resolution", "method", "amount"),
    [
        (ExpectedResolution.REFUND, FinancialMethod.REFUND, "40.00"),
        (ExpectedResolution.VOUCHER, FinancialMethod.VOUCHER, "40.00"),
        (ExpectedResolution.REPLACE, None, "0.00"),
        (ExpectedResolution.NONE, None, "40.00"),
    ],
    ids=lambda value: value.value if isinstance(value, ExpectedResolution) else None,
)
def test_the_expected_resolution_decides_how_the_money_is_given_back(
    resolution: ExpectedResolution, method: FinancialMethod | None, amount: str
) -> None:
    # Given a worn item at 50.00, to be resolved by `resolution`
    resolved = rma(received("50.00", state=S.WORE), expected_resolution=resolution)
    # When the refund is computed
    refund = compute_refund(resolved, POLICY)
    # Then money goes back as a refund or a voucher, or not at all for a replacement of the same
    # item (worth what was paid for it) or nothing
    assert refund.method is method
    assert refund.amount == money(amount)


def exchanged(paid: str, replacement: str, quantity: int = 1) -> RmaLine:
    line = received(paid, quantity=quantity)
    choice = ExchangeChoice(
        variant_id="gid://shopify/ProductVariant/2", title="Navy / L", unit_price=money(replacement)
    )
    return line.model_copy(update={"exchange": choice})


def test_a_cheaper_replacement_gives_the_difference_back_in_money() -> None:
    # Given two 59.00 shirts back, exchanged for a variant at 49.00
    cheaper = rma(
        exchanged("59.00", "49.00", quantity=2), expected_resolution=ExpectedResolution.REPLACE
    )
    # When the money is computed
    refund = compute_refund(cheaper, POLICY)
    # Then 2 x 10.00 is refunded, no fee or deduction kept on an exchange
    assert (refund.lines_value, refund.replaced_value, refund.amount) == (
        money("118.00"),
        money("98.00"),
        money("20.00"),
    )
    assert (refund.deductions, refund.return_fee) == (money("0.00"), money("0.00"))
    assert refund.method is FinancialMethod.REFUND
    assert "replacements 98.00" in refund.explain("EUR")


def test_a_dearer_replacement_gives_nothing_back_the_shop_invoices_it() -> None:
    dearer = rma(exchanged("59.00", "69.00"), expected_resolution=ExpectedResolution.REPLACE)
    refund = compute_refund(dearer, POLICY)
    assert (refund.amount, refund.method) == (money("0.00"), None)


def test_store_credit_carries_the_policys_bonus_on_what_a_refund_would_pay() -> None:
    # Given a policy giving 10 % more as store credit, and a worn 50.00 item back for credit
    generous = POLICY.model_copy(update={"store_credit_bonus_percent": Decimal("10")})
    credit = rma(received("50.00", state=S.WORE), expected_resolution=ExpectedResolution.VOUCHER)
    # When the store credit is computed
    refund = compute_refund(credit, generous)
    # Then the bonus is 10 % of the 40.00 a refund would pay, and bounded like it
    assert refund.store_credit_bonus == money("4.00")
    assert refund.amount == money("44.00")
    assert refund.maximum == money("55.00")
    assert refund.method is FinancialMethod.VOUCHER
    assert "store credit bonus 4.00" in refund.explain("EUR")


def test_a_refund_in_money_gets_no_store_credit_bonus() -> None:
    # Given the same policy, and the same item back for a refund
    generous = POLICY.model_copy(update={"store_credit_bonus_percent": Decimal("10")})
    refund = compute_refund(rma(received("50.00", state=S.WORE)), generous)
    # Then no bonus is added, and no more than the item cost may be paid
    assert (refund.store_credit_bonus, refund.amount, refund.maximum) == (
        money("0.00"),
        money("40.00"),
        money("50.00"),
    )
