"""Unit specification of the console's policy form: a policy shown in the form and sent back
unchanged is the same policy, and a problem of the policy lands under the field it is about."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from chalicelib.domain.policy import (
    AutoApprovalRules,
    ExchangePriceDifference,
    ExchangeShipping,
    ReasonRule,
    ReturnPolicy,
)
from chalicelib.domain.statuses import ProductState, ReturnReason
from chalicelib.pages.policy_form import changes_from, errors_by_field, fields_of

CUSTOM = ReturnPolicy(
    return_window_days=14,
    non_returnable_skus=["GIFT-CARD", "SAMPLE"],
    allowed_reasons=[ReturnReason.SIZE_PROBLEM, ReturnReason.DEFECTIVE],
    reason_rules={ReturnReason.DEFECTIVE: ReasonRule(photo_required=True)},
    auto_approval=AutoApprovalRules(
        enabled=False, max_order_value=None, blocklisted_emails=["serial@example.com"]
    ),
    return_fee=Decimal("4.90"),
    deductions_by_product_state={ProductState.WORE: Decimal("12.5")},
    agent_decision_timeout=timedelta(hours=36),
    store_credit_bonus_percent=Decimal("10"),
    exchange_ships=ExchangeShipping.ON_APPROVAL,
    exchange_price_difference=ExchangePriceDifference.SETTLE,
    shop_notifies_shopper=False,
)


@pytest.mark.parametrize("policy", [ReturnPolicy(), CUSTOM], ids=["default", "custom"])
def test_a_policy_sent_back_unchanged_is_the_same_policy(policy: ReturnPolicy) -> None:
    # Given the form filled with a policy
    fields = fields_of(policy)
    # When it is sent back as it is
    after = policy.with_changes(changes_from(fields, policy))
    # Then the policy is the same, a state without a deduction now saying 0
    expected = policy.model_dump()
    expected["deductions_by_product_state"] = {
        state: policy.deduction_percent(state) for state in ProductState
    }
    assert after.model_dump() == expected


def test_waits_are_typed_in_days() -> None:
    fields = fields_of(CUSTOM)
    assert fields["agent_decision_timeout"] == "1.5"
    fields["parcel_timeout"] = "0.25"
    after = CUSTOM.with_changes(changes_from(fields, CUSTOM))
    assert after.parcel_timeout == timedelta(hours=6)


def test_each_problem_lands_under_the_field_it_is_about() -> None:
    # Given a form with a negative window, a percent above 100 and a wait that is no number
    fields = fields_of(ReturnPolicy())
    fields.update(
        {
            "return_window_days": "-1",
            "deductions_by_product_state.WORE": "150",
            "refund_approval_timeout": "soon",
        }
    )
    # When the policy it makes is validated
    with pytest.raises(ValidationError) as refused:
        ReturnPolicy().with_changes(changes_from(fields, ReturnPolicy()))
    errors = errors_by_field(refused.value, fields)
    # Then each problem is under its field's name, in a sentence
    assert set(errors) == {
        "return_window_days",
        "deductions_by_product_state.WORE",
        "refund_approval_timeout",
    }
    assert errors["return_window_days"] == "Input should be greater than or equal to 0."
