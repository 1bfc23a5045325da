"""Refund execution. The lifecycle asks a `PaymentProvider`; a payment platform integration is
another provider.

What is paid is a return's resolution or a claim's settlement: both are paid by the same code,
which reads them as a `PaymentSubject` (what a refund names: the order, the units, the
reference its note carries)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.order_requests import OrderRequest, Settlement
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


@dataclass(frozen=True)
class PaidUnits:
    """Units a refund names: a return's received units, a claim's claimed ones."""

    sku: str
    quantity: int
    # The shop's order line, when known (a claim's line keeps it); else found by SKU.
    line_item_id: str | None = None


@dataclass(frozen=True)
class PaymentSubject:
    """What a payment is for, as the payment code reads it, whether a return or a claim."""

    # "return" or "claim", as sentences name it.
    kind: str
    reference: str
    order_number: str
    # The shop's id of the order (`gid://shopify/Order/…`); None for an order from elsewhere.
    order_external_id: str | None
    currency: str
    units: tuple[PaidUnits, ...]

    @property
    def named(self) -> str:
        """How a sentence names it: "return R-001015", "claim C-000003"."""
        return f"{self.kind} {self.reference}"

    @property
    def label(self) -> str:
        """How a refund's note names it: "Return R-001015", "Claim C-000003"."""
        return f"{self.kind.capitalize()} {self.reference}"

    @classmethod
    def of(cls, paid: Rma | OrderRequest) -> PaymentSubject:
        if isinstance(paid, Rma):
            return cls(
                kind="return",
                reference=paid.return_reference,
                order_number=paid.order.number,
                order_external_id=paid.order.external_id,
                currency=paid.currency,
                units=tuple(
                    PaidUnits(sku=line.sku, quantity=line.received_quantity) for line in paid.lines
                ),
            )
        return cls(
            kind="claim" if paid.is_claim else "cancellation",
            reference=paid.reference,
            order_number=paid.order.number,
            order_external_id=paid.order.external_id,
            currency=paid.currency,
            units=tuple(
                PaidUnits(sku=line.sku, quantity=line.quantity, line_item_id=line.line_item_id)
                for line in paid.lines
            ),
        )


# A return's resolution, or a claim's settlement: the amount and how it is paid.
Owed = FinancialResolution | Settlement


class PaymentProvider(Protocol):
    def refund(
        self, paid: Rma | OrderRequest, resolution: Owed, *, idempotency_key: str
    ) -> PaymentReceipt:
        """Pay `resolution` of the return or claim `paid`. A second call with the same key
        must not pay again: Step Functions retries the task when the write after a payment
        fails, and a claim's settlement is retried likewise."""
        ...


class ManualPayments:
    """The default: the merchant pays through their own back office; returns-desk records it."""

    def refund(
        self, paid: Rma | OrderRequest, resolution: Owed, *, idempotency_key: str
    ) -> PaymentReceipt:
        return manual_receipt(resolution, paid.currency, idempotency_key)


def manual_receipt(resolution: Owed, currency: str, idempotency_key: str) -> PaymentReceipt:
    """The receipt of a payment the merchant makes in their own back office."""
    return PaymentReceipt(
        reference=f"manual-{idempotency_key}",
        note=(
            f"{resolution.method} of {resolution.amount} {currency} recorded as executed "
            "manually in the store's back office"
        ),
    )
