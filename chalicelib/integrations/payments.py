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
    """What paid a resolution: the provider's reference (a refund's or gift card's id), a note
    for the action log, and the code of the store credit issued, if any. The note never holds
    that code whole: it is a bearer secret, kept on the resolution only."""

    reference: str
    note: str
    voucher_code: str | None = None


class PaymentProvider(Protocol):
    def refund(
        self, rma: Rma, resolution: FinancialResolution, *, idempotency_key: str
    ) -> PaymentReceipt:
        """Pay `resolution`. A second call with the same key must not pay again: Step
        Functions retries the task when the write after a payment fails."""
        ...


class ManualPayments:
    """The default: the merchant pays through their own back office; returns-desk records it."""

    def refund(
        self, rma: Rma, resolution: FinancialResolution, *, idempotency_key: str
    ) -> PaymentReceipt:
        return PaymentReceipt(
            reference=f"manual-{idempotency_key}",
            note=(
                f"{resolution.method} of {resolution.amount} {rma.currency} recorded as executed "
                "manually in the store's back office"
            ),
        )
