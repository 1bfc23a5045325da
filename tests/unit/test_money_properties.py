"""Properties of the money rules over generated orders, returns and receipts: SKUs named twice,
partial and mixed-state receipts, return fees, retained shipping and people's overrides.

Whatever is generated: a return has one line per SKU; no receipt credits more units than a SKU
returns; a refund is never negative, never more than the shopper paid for the units that came
back, and nothing without a receipt; every change is one version later with its log entry."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.domain.handling import ReceivedLine, approve_refund, receive_items
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import CENT, compute_refund
from chalicelib.domain.rma import Actor, Customer, OrderRef, Rma, RmaEvent, RmaLine
from chalicelib.domain.statuses import (
    Channel,
    ExpectedResolution,
    FinancialMethod,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)
from chalicelib.errors import InvalidRequestError

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PERSON = Actor(channel=Channel.ADMIN, name="Merchant")
SKUS = ("A", "B", "C", "D")

cents = st.integers(min_value=0, max_value=50_000).map(lambda n: Decimal(n) / 100)
percent = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 100)
# An exchange's replacement, worth more or less than what the shopper paid (or none).
exchanges = st.none() | st.builds(
    lambda price: {
        "variant_id": "gid://shopify/ProductVariant/1",
        "title": "L",
        "unit_price": price,
    },
    cents,
)
lines = st.lists(
    st.builds(
        lambda sku, quantity, price, exchange: {
            "sku": sku,
            "name": f"Item {sku}",
            "quantity": quantity,
            "unit_price": price,
            "reason": ReturnReason.SIZE_PROBLEM,
            "exchange": exchange,
        },
        st.sampled_from(SKUS),
        st.integers(min_value=1, max_value=5),
        cents,
        exchanges,
    ),
    min_size=1,
    max_size=4,
)
policies = st.builds(
    lambda fee, retained, deductions, bonus: ReturnPolicy(
        return_fee=fee,
        retained_amount_for_shipping=retained,
        deductions_by_product_state=dict(zip(ProductState, deductions, strict=True)),
        store_credit_bonus_percent=bonus,
    ),
    cents,
    cents,
    st.lists(percent, min_size=len(ProductState), max_size=len(ProductState)),
    percent,
)
# Receipts may name a SKU the return lacks, or more units than it returns.
receipts = st.lists(
    st.lists(
        st.builds(
            ReceivedLine,
            sku=st.sampled_from((*SKUS, "UNKNOWN")),
            quantity=st.integers(min_value=1, max_value=6),
            product_state=st.sampled_from(list(ProductState)),
        ),
        min_size=1,
        max_size=4,
    ),
    max_size=4,
)
terms = st.fixed_dictionaries(
    {
        "apply_return_fee": st.booleans(),
        "retained_amount_for_shipping": cents,
        "expected_resolution": st.sampled_from(list(ExpectedResolution)),
    }
)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def accepted_return(requested: list[dict[str, object]], return_terms: dict[str, object]) -> Rma:
    return Rma(
        id="0" * 32,
        return_number=1001,
        return_reference="R-001001",
        order=OrderRef(number="1001"),
        customer=Customer(email="jane.doe@example.com"),
        lines=[RmaLine.model_validate(line) for line in requested],
        processing_status=ProcessingStatus.ACCEPTED,
        created_at=NOW,
        updated_at=NOW,
        **return_terms,
    )


def assert_logged(before: Rma, after: Rma, event: RmaEvent) -> None:
    assert after.version == before.version + 1
    assert (event.rma_id, event.version) == (after.id, after.version)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    requested=lines,
    return_terms=terms,
    policy=policies,
    batches=receipts,
    override=st.none() | cents,
)
def test_no_generated_return_pays_more_than_the_units_that_came_back(
    requested: list[dict[str, object]],
    return_terms: dict[str, object],
    policy: ReturnPolicy,
    batches: list[list[ReceivedLine]],
    override: Decimal | None,
) -> None:
    skus = Counter(str(line["sku"]) for line in requested)
    if max(skus.values()) > 1:
        # A SKU named twice is refused, whatever else the request says
        with pytest.raises(ValidationError, match="one line only"):
            accepted_return(requested, return_terms)
        return
    rma = accepted_return(requested, return_terms)
    returned = {line.sku: line.quantity for line in rma.lines}

    for batch in batches:
        try:
            after, event = receive_items(rma, batch, actor=PERSON, at=NOW)
        except InvalidRequestError:
            continue  # refused whole: nothing recorded
        assert_logged(rma, after, event)
        rma = after
        # Never more units received than returned, per SKU
        for line in rma.lines:
            assert 0 <= line.received_quantity <= returned[line.sku]
            assert sum(line.received_states.values()) == line.received_quantity

    refund = compute_refund(rma, policy)
    credit = refund.method is FinancialMethod.VOUCHER
    bonus_rate = policy.store_credit_bonus_percent / 100 if credit else Decimal(0)
    # Never more than the received units cost, and for store credit the policy's bonus on that;
    # an exchange, whose replacement the shopper keeps, never more than the difference
    assert Decimal(0) <= refund.amount <= refund.maximum
    if rma.expected_resolution is ExpectedResolution.REPLACE:
        assert (
            refund.maximum
            == refund.amount
            == max(rma.received_value - refund.replaced_value, Decimal(0))
        )
        assert (refund.method is None) == (refund.amount == 0)
    else:
        assert refund.maximum == rma.received_value + _cents(rma.received_value * bonus_rate)
    assert refund.lines_value == rma.received_value
    before_bonus = max(
        refund.lines_value
        - refund.deductions
        - refund.return_fee
        - refund.retained_for_shipping
        - refund.replaced_value,
        Decimal(0),
    )
    assert refund.store_credit_bonus == _cents(before_bonus * bonus_rate)
    assert refund.amount == before_bonus + refund.store_credit_bonus
    if rma.received_value == 0:
        assert refund.amount == 0

    if override is None or refund.method is None:
        return
    if override > refund.maximum:
        # A person's amount above what the received units cost is refused, naming it
        with pytest.raises(InvalidRequestError) as refused:
            approve_refund(rma, override, refund, actor=PERSON, at=NOW, note=None)
        assert refused.value.details["field"] == "amount"
        return
    approved, event = approve_refund(rma, override, refund, actor=PERSON, at=NOW, note=None)
    assert_logged(rma, approved, event)
    assert [r.amount for r in approved.financial_resolutions] == [override]
    assert event.note is not None
    assert refund.explain(rma.currency) in event.note
