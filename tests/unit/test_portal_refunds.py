"""Specification of what a shopper reads of store credit: how much more it is worth, and its
code, hers to use (the merchant's lists and webhooks name the card by its ending only)."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.api.models.admin import RmaResource
from chalicelib.api.models.portal import PortalReturn, PortalTerms
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.rma import FinancialResolution, Rma, revised
from chalicelib.domain.statuses import FinancialMethod, FinancialStatus, ProcessingStatus
from tests.unit.test_transitions import an_rma

CODE = "K7QX2M4PLR9TB3WZ5NHD"


def paid_as_a_gift_card() -> Rma:
    """A return paid back as a gift card of the shop."""
    credit = FinancialResolution(
        amount=Decimal("27.50"),
        method=FinancialMethod.VOUCHER,
        status=FinancialStatus.REFUNDED,
        reference="gid://shopify/GiftCard/1023",
        voucher_code=CODE,
    )
    return revised(an_rma(ProcessingStatus.COMPLETE), financial_resolutions=[credit])


def test_store_credit_paid_as_a_gift_card_shows_its_code_to_the_shopper() -> None:
    # When the portal shows a return paid as a gift card
    [payment] = PortalReturn.of(paid_as_a_gift_card()).refunds
    # Then the shopper reads the amount and the code, not the shop's id of the card
    assert (payment.amount, payment.voucher_code) == (Decimal("27.50"), CODE)
    assert "reference" not in payment.model_dump()


def test_the_admin_api_and_the_webhooks_name_a_gift_card_by_its_ending_only() -> None:
    # When the admin API (whose shape the webhooks deliver) shows the same return
    shown = RmaResource.from_rma(paid_as_a_gift_card()).model_dump_json()
    # Then the code, which pays whoever holds it, is not there; its last four characters are
    assert CODE not in shown
    assert '"voucher_code_ending":"5NHD"' in shown


def test_the_shopper_is_told_how_much_more_store_credit_is_worth() -> None:
    # Given a policy giving 10 % more as store credit
    generous = ReturnPolicy(store_credit_bonus_percent=Decimal("10"))
    # Then the portal's terms say so, beside the resolutions a shopper may choose
    terms = PortalTerms.of(generous, photo_max_bytes=1024)
    assert terms.store_credit_bonus_percent == Decimal("10")
    assert PortalTerms.of(ReturnPolicy(), photo_max_bytes=1024).store_credit_bonus_percent == 0
