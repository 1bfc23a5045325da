"""How much money a received return gives back, and in what form.

A refund or store credit gives back what the shopper paid for the units received, less what the
policy keeps (deductions by state, the return fee, shipping retained); store credit adds the
policy's bonus. An exchange gives back only what its replacements cost less than the units
received (a cheaper variant chosen under the policy's SETTLE), which is refunded in money; a
dearer replacement is invoiced by the shop instead (services/replacement_orders.py).

A claim (an order issue, nothing sent back) is settled by the same rules without a receipt:
what the shopper paid for the units claimed, plus the same store credit bonus, or a replacement
and no money (`claim_settlement`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal

from chalicelib.domain.order_requests import OrderRequest, Settlement
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.rma import DomainModel, Money, Rma
from chalicelib.domain.statuses import ExpectedResolution, FinancialMethod
from chalicelib.errors import InvalidRequestError

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
    credit = method is FinancialMethod.VOUCHER
    # Each figure is rounded to the cent on its own, so that the breakdown adds up exactly.
    bonus = store_credit_bonus(amount, policy) if credit else Decimal("0.00")
    paid = _cents(lines_value)
    return RefundBreakdown(
        lines_value=paid,
        deductions=deductions,
        return_fee=_cents(return_fee),
        retained_for_shipping=_cents(retained),
        store_credit_bonus=bonus,
        amount=amount + bonus,
        maximum=paid + (store_credit_bonus(paid, policy) if credit else Decimal("0.00")),
        method=method,
    )


def store_credit_bonus(amount: Decimal, policy: ReturnPolicy) -> Decimal:
    """The policy's bonus for taking `amount` as store credit instead of money, in cents."""
    return _cents(amount * policy.store_credit_bonus_percent / 100)


def check_person_amount(
    amount: Decimal, maximum: Decimal, *, subject: str, paid_for: str, currency: str, bonus: bool
) -> None:
    """A person's amount is bounded like a computed one: never more than `maximum`, what the
    shopper paid for `paid_for` (with the store credit bonus when `bonus`)."""
    if amount > maximum:
        with_bonus = " with the store credit bonus" if bonus else ""
        raise InvalidRequestError(
            f"A refund of {subject} is at most {maximum} {currency}, what the shopper paid for "
            f"{paid_for}{with_bonus}.",
            {"field": "amount", "maximum": str(maximum)},
        )


def claim_settlement(
    request: OrderRequest,
    policy: ReturnPolicy,
    *,
    resolution: ExpectedResolution | None = None,
    amount: Decimal | None = None,
) -> Settlement:
    """How the claim `request` is settled by `resolution` (the shopper's choice when None): a
    refund of what she paid for the units claimed, store credit of that plus the policy's
    bonus, or a replacement and no money. A person's `amount` replaces the computed one, and
    is bounded by it (never more than she paid, plus the bonus for store credit)."""
    chosen = resolution or request.resolution
    what = f"claim {request.reference}"
    if chosen is None:
        raise InvalidRequestError(f"Say how {what} is settled.", {"field": "resolution"})
    units = sum(line.quantity for line in request.lines)
    paid_for = f"the {units} unit{'s' if units != 1 else ''} claimed"
    paid = _cents(request.claimed_value)
    currency = request.currency
    if chosen is ExpectedResolution.REPLACE:
        if amount is not None:
            raise InvalidRequestError(
                f"Claim {request.reference} is settled by a replacement: nothing is paid back "
                "in money.",
                {"field": "amount"},
            )
        return Settlement(
            resolution=chosen,
            explanation=f"Replacement of {paid_for}: nothing is paid back in money.",
        )
    method = _METHODS.get(chosen)
    if method is None:
        raise InvalidRequestError(
            f"Claim {request.reference} cannot be settled by {chosen}.", {"field": "resolution"}
        )
    credit = method is FinancialMethod.VOUCHER
    bonus = store_credit_bonus(paid, policy) if credit else Decimal("0.00")
    maximum = paid + bonus
    kind = "Store credit" if credit else "Refund"
    percent = policy.store_credit_bonus_percent
    with_bonus = f" plus the store credit bonus of {percent}% ({bonus})" if bonus else ""
    if amount is not None:
        if amount < 0:
            raise InvalidRequestError("An amount is never negative.", {"field": "amount"})
        check_person_amount(
            amount, maximum, subject=what, paid_for=paid_for, currency=currency, bonus=bonus > 0
        )
        settled = _cents(amount)
        explanation = (
            f"{kind} of {settled} {currency} set by a person; computed {maximum} {currency}, "
            f"what the shopper paid for {paid_for}{with_bonus}."
        )
    else:
        settled = maximum
        explanation = (
            f"{kind} of {settled} {currency}: what the shopper paid for {paid_for} ({paid})"
            f"{with_bonus}."
        )
    return Settlement(resolution=chosen, amount=settled, method=method, explanation=explanation)


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
