"""Carrying out an approved claim's settlement in the shop, through the code that settles
returns: money through the payment provider (a refund on the order, or store credit), goods
through the exchanges' draft orders.

Idempotent on the claim's reference: the payment's key and the replacement's tag are made from
it, so a retry (the stream handing the approval over again, or the write after the payment
failing) finds what the first try did instead of paying or ordering twice.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.order_requests import OrderRequest, Settlement
from chalicelib.domain.rma import ReplacementOrder, fit_note, revised
from chalicelib.domain.statuses import ExpectedResolution, FinancialStatus
from chalicelib.integrations.payments import PaymentDeclinedError, PaymentProvider
from chalicelib.observability import logger
from chalicelib.services.replacement_orders import ClaimReplacements, replacement_note


def payment_key(request: OrderRequest) -> str:
    return f"claim-{request.reference}"


class ClaimSettlements:
    def __init__(self, payments: PaymentProvider, replacements: ClaimReplacements) -> None:
        self._payments = payments
        self._replacements = replacements

    def settle(
        self,
        request: OrderRequest,
        settlement: Settlement,
        *,
        keep_draft: Callable[[ReplacementOrder], None],
    ) -> Settlement:
        """`settlement` as carried out: paid (with the provider's reference and a store
        credit's code), its replacement ordered, or, when the shop refused the payment for
        good, EXECUTION_ERROR with why (a person settles it in the shop). `keep_draft` stores
        a replacement's draft order on the claim before it is completed."""
        if settlement.resolution is ExpectedResolution.REPLACE:
            replacement = self._replacements.order_replacement(request, keep_draft=keep_draft)
            return revised(
                settlement,
                replacement_order=replacement,
                status=FinancialStatus.NONE,
                explanation=replacement_note(request, replacement),
            )
        if settlement.amount <= 0:
            return revised(settlement, status=FinancialStatus.NONE)
        try:
            receipt = self._payments.refund(
                request, settlement, idempotency_key=payment_key(request)
            )
        except PaymentDeclinedError as declined:
            logger.warning(
                "The shop refused a claim's payment",
                extra={"reference": request.reference, "error": str(declined)},
            )
            return revised(
                settlement,
                status=FinancialStatus.EXECUTION_ERROR,
                explanation=fit_note(str(declined)),
            )
        return revised(
            settlement,
            status=FinancialStatus.REFUNDED,
            reference=receipt.reference,
            voucher_code=receipt.voucher_code,
            explanation=fit_note(receipt.note),
        )
