"""How much money a received return gives back, and in what form."""

from __future__ import annotations

from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal

from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.rma import DomainModel, Money, Rma
from chalicelib.domain.statuses import ExpectedResolution, FinancialMethod

CENT = Decimal("0.01")
_METHODS: dict[ExpectedResolution, FinancialMethod] = {
    ExpectedResolution.REFUND: FinancialMethod.REFUND,
    ExpectedResolution.VOUCHER: FinancialMethod.VOUCHER,
}


class RefundBreakdown(DomainModel):
    """amount = max(lines_value - deductions - return_fee - retained_for_shipping, 0)
    + store_credit_bonus."""

    lines_value: Money
    deductions: Money
    return_fee: Money
    retained_for_shipping: Money
    # Store credit only: the policy's bonus on what the credit replaces (a refund of the rest).
    store_credit_bonus: Money = Decimal("0.00")
    amount: Money
    # The most anyone may pay back for the units received: what the shopper paid for them, and
    # for store credit the policy's bonus on that too. A person's amount is bounded by it.
    maximum: Money
    # None when nothing is owed in money: the customer gets a replacement, or nothing.
    method: FinancialMethod | None

    def explain(self, currency: str) -> str:
        """The arithmetic in words, for the action log."""
        bonus = f", store credit bonus {self.store_credit_bonus}" if self.store_credit_bonus else ""
        return (
            f"{self.amount} {currency} (lines {self.lines_value}, deductions "
            f"{self.deductions}, return fee {self.return_fee}, retained for shipping "
            f"{self.retained_for_shipping}{bonus})"
        )


def compute_refund(rma: Rma, policy: ReturnPolicy) -> RefundBreakdown:
    """What `rma` gives back for the units actually received, each in the state it came back in:
    never more than the shopper paid for them (`lines_value`), never below zero."""
    lines_value = Decimal(0)
    deductions = Decimal(0)
    for line in rma.lines:
        lines_value += line.received_value
        for state, units in line.received_states.items():
            deductions += line.unit_price * units * policy.deduction_percent(state) / 100
    # Every term but the deductions is already in cents. Rounding the deductions half down is
    # rounding the amount half up, and keeps the breakdown adding up to the cent.
    deductions = deductions.quantize(CENT, ROUND_HALF_DOWN)
    return_fee = policy.return_fee if rma.apply_return_fee else Decimal(0)
    retained = rma.retained_amount_for_shipping
    amount = _cents(max(lines_value - deductions - return_fee - retained, Decimal(0)))
    method = payment_method(rma)
    bonus_percent = (
        policy.store_credit_bonus_percent if method is FinancialMethod.VOUCHER else Decimal(0)
    )
    # Each figure is rounded to the cent on its own, so that the breakdown adds up exactly.
    bonus = _cents(amount * bonus_percent / 100)
    return RefundBreakdown(
        lines_value=_cents(lines_value),
        deductions=deductions,
        return_fee=_cents(return_fee),
        retained_for_shipping=_cents(retained),
        store_credit_bonus=bonus,
        amount=amount + bonus,
        maximum=_cents(lines_value) + _cents(_cents(lines_value) * bonus_percent / 100),
        method=method,
    )


def payment_method(rma: Rma) -> FinancialMethod | None:
    """How the return is paid back in money, by its expected resolution; None when it is not."""
    return _METHODS.get(rma.expected_resolution)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)
