"""Specification of carrying out a claim's settlement: money through the payment provider
returns use, under one key per claim; a replacement through the exchanges' ordering code; a
settlement carried out already left as it is. Small fakes of the Protocols, no network."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from chalicelib.domain.order_requests import (
    ClaimIssue,
    ClaimLine,
    OrderRequest,
    OrderRequestKind,
    Settlement,
)
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import claim_settlement
from chalicelib.domain.rma import Customer, OrderRef, ReplacementStatus, Rma
from chalicelib.domain.statuses import ExpectedResolution, FinancialStatus
from chalicelib.integrations.payments import Owed, PaymentReceipt
from chalicelib.services.claim_settlements import ClaimSettlements
from chalicelib.services.replacement_orders import ClaimReplacements

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class RecordingPayments:
    def __init__(self) -> None:
        self.paid: list[tuple[str, Decimal, str]] = []

    def refund(
        self, paid: Rma | OrderRequest, resolution: Owed, *, idempotency_key: str
    ) -> PaymentReceipt:
        reference = paid.reference if isinstance(paid, OrderRequest) else paid.return_reference
        self.paid.append((reference, resolution.amount, idempotency_key))
        return PaymentReceipt(
            reference="gid://shopify/GiftCard/1",
            note="Store credit of 27.50 EUR issued as Shopify gift card ending WXYZ",
            voucher_code="ABCDEFGHJKLMNPQRWXYZ",
        )


def a_claim(resolution: ExpectedResolution) -> OrderRequest:
    return OrderRequest(
        reference="C-000003",
        kind=OrderRequestKind.CLAIM,
        order=OrderRef(number="#4950"),
        customer=Customer(email="jane.doe@example.com"),
        issue=ClaimIssue.MISSING_ITEM,
        lines=[ClaimLine(sku="MUG", name="Blue mug", quantity=1, unit_price=Decimal("25.00"))],
        resolution=resolution,
        created_at=NOW,
        updated_at=NOW,
    )


def settler(payments: RecordingPayments) -> ClaimSettlements:
    return ClaimSettlements(payments, ClaimReplacements(None, clock=lambda: NOW))


def test_store_credit_is_paid_once_under_the_claims_key_and_kept_on_the_settlement() -> None:
    # Given an approved claim owed 27.50 of store credit
    claim = a_claim(ExpectedResolution.VOUCHER)
    policy = ReturnPolicy(store_credit_bonus_percent=Decimal("10"))
    settlement = claim_settlement(claim, policy)
    payments = RecordingPayments()

    # When it is settled
    settled = settler(payments).settle(claim, settlement)

    # Then the provider pays it under the claim's key, and the settlement keeps the receipt
    assert payments.paid == [("C-000003", Decimal("27.50"), "C-000003:settlement")]
    assert settled.status is FinancialStatus.REFUNDED
    assert settled.reference == "gid://shopify/GiftCard/1"
    assert settled.voucher_code == "ABCDEFGHJKLMNPQRWXYZ"
    assert settled.explanation == (
        "Store credit of 27.50 EUR: what the shopper paid for the 1 unit claimed (25.00) plus "
        "the store credit bonus of 10% (2.50). Store credit of 27.50 EUR issued as Shopify "
        "gift card ending WXYZ."
    )


def test_a_settlement_carried_out_already_is_not_paid_again() -> None:
    payments = RecordingPayments()
    done = Settlement(
        resolution=ExpectedResolution.REFUND,
        amount=Decimal("25.00"),
        status=FinancialStatus.REFUNDED,
    )
    assert settler(payments).settle(a_claim(ExpectedResolution.REFUND), done) == done
    assert payments.paid == []


def test_a_replacement_moves_no_money_and_says_who_orders_it() -> None:
    # Given a claim settled by a replacement, and no shop connected
    claim = a_claim(ExpectedResolution.REPLACE)
    payments = RecordingPayments()

    # When it is settled
    settled = settler(payments).settle(claim, claim_settlement(claim, ReturnPolicy()))

    # Then nothing is paid, and the merchant creates the replacement
    assert payments.paid == []
    assert settled.status is FinancialStatus.NONE
    assert settled.replacement_order is not None
    assert settled.replacement_order.status is ReplacementStatus.MERCHANT_TO_CREATE
    assert settled.explanation == (
        "Replacement of the 1 unit claimed: nothing is paid back in money. Replacement to be "
        "created by the merchant in the shop: 1 x Blue mug."
    )
