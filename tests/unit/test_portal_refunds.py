"""Specification of what a shopper reads of her money on the portal: the payments made, and the
code of store credit made in the shop, hers to use."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.api.models.admin import RmaResource
from chalicelib.api.models.portal import PortalReturn
from chalicelib.domain.rma import FinancialResolution, revised
from chalicelib.domain.statuses import FinancialMethod, FinancialStatus, ProcessingStatus
from tests.unit.test_transitions import an_rma


def test_store_credit_paid_as_a_gift_card_shows_its_code_to_the_shopper() -> None:
    # Given a return paid back as a gift card of the shop
    credit = FinancialResolution(
        amount=Decimal("27.50"),
        method=FinancialMethod.VOUCHER,
        status=FinancialStatus.REFUNDED,
        reference="gid://shopify/GiftCard/1023",
        voucher_code="K7QX2M4PLR9TB3WZ5NHD",
    )
    rma = revised(an_rma(ProcessingStatus.COMPLETE), financial_resolutions=[credit])
    # When the portal shows it
    [payment] = PortalReturn.of(rma).refunds
    # Then the shopper reads the amount and the code, not the shop's id of the card
    assert (payment.amount, payment.voucher_code) == (Decimal("27.50"), "K7QX2M4PLR9TB3WZ5NHD")
    assert "reference" not in payment.model_dump()


def test_the_admin_api_and_the_webhooks_name_a_gift_card_by_its_ending_only() -> None:
    # Given the same gift card on a return
    credit = FinancialResolution(
        amount=Decimal("27.50"),
        method=FinancialMethod.VOUCHER,
        status=FinancialStatus.REFUNDED,
        reference="gid://shopify/GiftCard/1023",
        voucher_code="K7QX2M4PLR9TB3WZ5NHD",
    )
    rma = revised(an_rma(ProcessingStatus.COMPLETE), financial_resolutions=[credit])
    # When the admin API (whose shape the webhooks deliver) shows it
    shown = RmaResource.from_rma(rma).model_dump_json()
    # Then the code, which pays whoever holds it, is not there; its last four characters are
    assert "K7QX2M4PLR9TB3WZ5NHD" not in shown
    assert '"voucher_code_ending":"5NHD"' in shown
