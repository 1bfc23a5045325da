"""How much money a received return gives back, and in what form.

A refund or store credit gives back what the shopper paid for the units received, less what the
policy keeps (deductions by state, the return fee, shipping retained); store credit adds the
policy's bonus. An exchange gives back only what its replacements cost less than the units
received (a cheaper variant chosen under the policy's SETTLE), which is refunded in money; a
dearer replacement is invoiced by the shop instead (services/replacement_orders.py).
"""

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
    """amount = max(lines_value - deductions - return_fee - retained_for_shipping
    - replaced_value, 0) + store_credit_bonus."""

    lines_value: Money
    deductions: Money
    return_fee: Money
    retained_for_shipping: Money
    # An exchange only: what the replacements of the units received cost (the same item again
    # at what the shopper paid, another variant at its price).
    replaced_value: Money = Decimal("0.00")
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
        replaced = f", replacements {self.replaced_value}" if self.replaced_value else ""
        return (
            f"{self.amount} {currency} (lines {self.lines_value}, deductions "
            f"{self.deductions}, return fee {self.return_fee}, retained for shipping "
            f"{self.retained_for_shipping}{replaced}{bonus})"
        )


def compute_refund(rma: Rma, policy: ReturnPolicy) -> RefundBreakdown:
    """What `rma` gives back for the units actually received, each in the state it came back in:
    never more than the shopper paid for them (`lines_value`), never below zero."""
    if rma.expected_resolution is ExpectedResolution.REPLACE:
        return _exchange_credit(rma)
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


def _exchange_credit(rma: Rma) -> RefundBreakdown:
    """An exchange's money: what the replacements of the units received cost less than those
    units, nothing kept back (the shopper keeps no item, so nothing is charged for one)."""
    lines_value = _cents(sum((line.received_value for line in rma.lines), Decimal(0)))
    replaced = _cents(replaced_value(rma))
    return RefundBreakdown(
        lines_value=lines_value,
        deductions=Decimal("0.00"),
        return_fee=Decimal("0.00"),
        retained_for_shipping=Decimal("0.00"),
        replaced_value=replaced,
        amount=max(lines_value - replaced, Decimal("0.00")),
        # The shopper keeps the replacement: no one may pay back more than the difference.
        maximum=max(lines_value - replaced, Decimal("0.00")),
        method=payment_method(rma),
    )


def replaced_value(rma: Rma) -> Decimal:
    """What the replacements of an exchange's units received cost: the variant chosen at its
    price, or the same item again at what the shopper paid for it."""
    return sum(
        (line.replacement_unit_price * line.received_quantity for line in rma.lines), Decimal(0)
    )


def payment_method(rma: Rma) -> FinancialMethod | None:
    """How the return is paid back in money, by its expected resolution; None when it is not.
    An exchange is paid back in money only what its cheaper replacements leave over."""
    if rma.expected_resolution is ExpectedResolution.REPLACE:
        received = sum((line.received_value for line in rma.lines), Decimal(0))
        return FinancialMethod.REFUND if received > replaced_value(rma) else None
    return _METHODS.get(rma.expected_resolution)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)
