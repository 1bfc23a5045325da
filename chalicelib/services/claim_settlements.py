"""Carries out an approved claim's settlement in the shop: its money paid by the payment
provider returns use, or its replacement ordered by the exchanges' draft order code.

Idempotent on the claim's reference: the payment's key is `<reference>:settlement` (the
refund's note marker and the gift card's code are made from it, so a retry finds what an
earlier try paid), and the replacement's draft is tagged with the reference. A settlement
already carried out is returned as it is. A payment the provider declines for good
(PaymentDeclinedError) and Shopify busy (a TransientError) propagate: the caller decides.
"""

from __future__ import annotations

from chalicelib.domain.handling import fit_note
from chalicelib.domain.order_requests import OrderRequest, Settlement
from chalicelib.domain.rma import revised
from chalicelib.domain.statuses import ExpectedResolution, FinancialStatus
from chalicelib.integrations.payments import PaymentProvider
from chalicelib.services.replacement_orders import ClaimReplacements, replacement_note


class ClaimSettlements:
    def __init__(self, payments: PaymentProvider, replacements: ClaimReplacements) -> None:
        self._payments = payments
        self._replacements = replacements

    def settle(self, request: OrderRequest, settlement: Settlement) -> Settlement:
        """`settlement` of the claim `request`, carried out: paid (REFUNDED, with the
        provider's reference and a store credit's code) or its replacement ordered (NONE: no
        money moves). Its explanation gains what was done, for the claim's log."""
        if settlement.status is not FinancialStatus.PENDING:
            return settlement
        if settlement.resolution is ExpectedResolution.REPLACE:
            replacement = self._replacements.order_replacement(
                revised(request, settlement=settlement)
            )
            return revised(
                settlement,
                status=FinancialStatus.NONE,
                replacement_order=replacement,
                explanation=_joined(settlement.explanation, replacement_note(request, replacement)),
            )
        receipt = self._payments.refund(
            request, settlement, idempotency_key=settlement_key(request)
        )
        return revised(
            settlement,
            status=FinancialStatus.REFUNDED,
            reference=receipt.reference,
            voucher_code=receipt.voucher_code,
            explanation=_joined(settlement.explanation, f"{receipt.note}."),
        )


def settlement_key(request: OrderRequest) -> str:
    """The idempotency key of the claim's payment: one per claim, the same on every try."""
    return f"{request.reference}:settlement"


def _joined(*parts: str | None) -> str:
    return fit_note(" ".join(part for part in parts if part))
