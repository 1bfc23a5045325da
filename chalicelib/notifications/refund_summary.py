"""What a refund or store credit email shows of the money: each returned line's value, what the
policy kept back, and the total paid, which is always the RMA's paid resolution.

The figures are `domain/refunds.py`'s breakdown, never recomputed here; when the amount paid is
not the one computed (a person set it, or the policy changed since), one adjustment row says
by how much, so that the rows always add up to what the shopper received.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.refunds import RefundBreakdown
from chalicelib.domain.rma import FinancialResolution, Rma
from chalicelib.domain.statuses import FinancialMethod


@dataclass(frozen=True)
class MoneyRow:
    label: str
    # Signed: what the row adds to the total.
    amount: Decimal
    shown: str
    # Units of a returned line, which the templates write before its name as the items list does.
    quantity: int | None = None


@dataclass(frozen=True)
class RefundSummary:
    title: str
    rows: list[MoneyRow]
    total_label: str
    total: Decimal
    total_shown: str
    # Store credit made in the shop: its code, which the shopper types at checkout.
    code_label: str = ""
    voucher_code: str | None = None


def refund_summary(
    rma: Rma, paid: FinancialResolution, breakdown: RefundBreakdown | None, lang: str
) -> RefundSummary:
    """The rows of `paid`, in `lang`; with no `breakdown` (unknown), the total alone."""
    wording = _WORDING[lang]
    rows: list[MoneyRow] = []
    if breakdown is not None:
        rows = [
            _row(line.name, line.received_value, rma.currency, lang, line.received_quantity)
            for line in rma.lines
            if line.received_quantity
        ]
        kept = [
            (wording.deductions, breakdown.deductions),
            (wording.return_fee, breakdown.return_fee),
            (wording.retained_for_shipping, breakdown.retained_for_shipping),
            (wording.replaced_value, breakdown.replaced_value),
        ]
        rows += [_row(label, -amount, rma.currency, lang) for label, amount in kept if amount]
        if breakdown.store_credit_bonus:
            rows.append(
                _row(wording.store_credit_bonus, breakdown.store_credit_bonus, rma.currency, lang)
            )
        adjustment = paid.amount - sum((row.amount for row in rows), Decimal(0))
        if adjustment:
            rows.append(_row(wording.adjustment, adjustment, rma.currency, lang))
    return paid_summary(
        paid.method, paid.amount, rma.currency, lang, voucher_code=paid.voucher_code, rows=rows
    )


def paid_summary(
    method: FinancialMethod,
    amount: Decimal,
    currency: str,
    lang: str,
    *,
    voucher_code: str | None = None,
    rows: list[MoneyRow] | None = None,
) -> RefundSummary:
    """`amount` paid back by `method`, in `lang`: its `rows`, or the total alone (a claim's
    settlement, which nothing was kept back from)."""
    wording = _WORDING[lang]
    return RefundSummary(
        title=wording.titles[method],
        rows=rows or [],
        total_label=wording.totals[method],
        total=amount,
        total_shown=money(amount, currency, lang),
        code_label=wording.voucher_code,
        voucher_code=voucher_code,
    )


def money(amount: Decimal, currency: str, lang: str) -> str:
    """`12.50 EUR`, `-2.00 EUR`; `12,50 EUR` in French."""
    figure = f"{amount:.2f}"
    return f"{figure.replace('.', ',')} {currency}" if lang == "fr" else f"{figure} {currency}"


def _row(
    label: str, amount: Decimal, currency: str, lang: str, quantity: int | None = None
) -> MoneyRow:
    return MoneyRow(label, amount, money(amount, currency, lang), quantity)


@dataclass(frozen=True)
class _Wording:
    deductions: str
    return_fee: str
    retained_for_shipping: str
    replaced_value: str
    store_credit_bonus: str
    voucher_code: str
    adjustment: str
    titles: dict[FinancialMethod, str]
    totals: dict[FinancialMethod, str]


_WORDING = {
    "en": _Wording(
        deductions="Deduction for the items' condition",
        return_fee="Return fee",
        retained_for_shipping="Shipping costs kept",
        replaced_value="Replacement sent",
        store_credit_bonus="Bonus for choosing store credit",
        voucher_code="Your gift card code, to use at checkout",
        adjustment="Adjustment",
        titles={
            FinancialMethod.REFUND: "Your refund",
            FinancialMethod.VOUCHER: "Your store credit",
        },
        totals={FinancialMethod.REFUND: "Total refunded", FinancialMethod.VOUCHER: "Store credit"},
    ),
    "fr": _Wording(
        deductions="Déduction pour l'état des articles",
        return_fee="Frais de retour",
        retained_for_shipping="Frais de port retenus",
        replaced_value="Article de remplacement envoyé",
        store_credit_bonus="Bonus pour le choix d'un avoir",
        voucher_code="Le code de votre carte cadeau, à saisir lors du paiement",
        adjustment="Ajustement",
        titles={
            FinancialMethod.REFUND: "Votre remboursement",
            FinancialMethod.VOUCHER: "Votre avoir",
        },
        totals={FinancialMethod.REFUND: "Total remboursé", FinancialMethod.VOUCHER: "Avoir"},
    ),
}
