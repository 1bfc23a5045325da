"""Refund execution. The lifecycle asks a `PaymentProvider`; a payment platform integration is
another provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.rma import FinancialResolution, Rma


class PaymentDeclinedError(Exception):
    """The payment provider refused the refund for good; retrying will not help."""


@dataclass(frozen=True)
class PaymentReceipt:
    reference: str
    note: str


class PaymentProvider(Protocol):
    def refund(self, rma: Rma, resolution: FinancialResolution) -> PaymentReceipt: ...


class ManualPayments:
    """The default: the merchant pays through their own back office; returns-desk records it."""

    def refund(self, rma: Rma, resolution: FinancialResolution) -> PaymentReceipt:
        return PaymentReceipt(
            reference=f"manual-{rma.return_reference}",
            note=(
                f"{resolution.method} of {resolution.amount} {rma.currency} recorded as executed "
                "manually in the store's back office"
            ),
        )
