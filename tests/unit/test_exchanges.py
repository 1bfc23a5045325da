"""Specification of an exchange's rules (domain/exchanges.py): which variants may be chosen,
what a difference in price becomes, and when the replacement is ordered."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.events import ReturnEvent, ReturnEventType
from chalicelib.domain.exchanges import (
    VariantOption,
    choose_exchange,
    exchange_options,
    price_difference,
    replacement_due,
)
from chalicelib.domain.policy import ExchangePriceDifference, ExchangeShipping, ReturnPolicy
from chalicelib.domain.refunds import compute_refund
from chalicelib.domain.rma import (
    Actor,
    Customer,
    ExchangeChoice,
    OrderRef,
    ReplacementOrder,
    Rma,
    RmaLine,
)
from chalicelib.domain.statuses import Channel, ExpectedResolution, ProductState, ReturnReason
from chalicelib.errors import InvalidRequestError

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
ORDERED = VariantOption("v-m", "Navy / M", Decimal("89.00"), True)
SAME_PRICE = VariantOption("v-l", "Navy / L", Decimal("89.00"), True)
DEARER = VariantOption("v-xl", "Navy / XL", Decimal("99.00"), True)
CHEAPER = VariantOption("v-grey", "Grey / M", Decimal("79.00"), True)
SOLD_OUT = VariantOption("v-s", "Navy / S", Decimal("89.00"), False)
OPTIONS = [SOLD_OUT, ORDERED, SAME_PRICE, DEARER, CHEAPER]
SETTLE = ReturnPolicy(exchange_price_difference=ExchangePriceDifference.SETTLE)


def a_line(**changes: Any) -> RmaLine:
    return RmaLine.model_validate(
        {
            "sku": "SWEATER-M",
            "name": "Sweater",
            "quantity": 2,
            "unit_price": "89.00",
            "reason": ReturnReason.SIZE_PROBLEM,
            "variant_id": "v-m",
            **changes,
        }
    )


def an_exchange(*lines: RmaLine, **changes: Any) -> Rma:
    return Rma(
        id="0" * 32,
        return_number=1042,
        return_reference="R-001042",
        order=OrderRef(number="#1001"),
        customer=Customer(email="jane@example.com"),
        lines=list(lines) or [a_line()],
        created_at=T0,
        updated_at=T0,
        **{"expected_resolution": ExpectedResolution.REPLACE, **changes},
    )


def an_event(kind: ReturnEventType, rma: Rma) -> ReturnEvent:
    return ReturnEvent(
        id=f"{rma.id}:{rma.version}",
        type=kind,
        rma_id=rma.id,
        version=rma.version,
        occurred_at=T0,
        actor=Actor(channel=Channel.ADMIN),
        rma=rma,
    )


# --- Which variants may be chosen ------------------------------------------------------------


def test_a_same_price_variant_of_the_product_is_kept_with_its_title_and_price() -> None:
    assert choose_exchange(a_line(), "v-l", OPTIONS, ReturnPolicy()) == ExchangeChoice(
        variant_id="v-l", title="Navy / L", unit_price=Decimal("89.00")
    )


@pytest.mark.parametrize(
    ("variant", "policy", "says"),
    [
        ("v-other-product", ReturnPolicy(), "is not one"),
        ("v-s", ReturnPolicy(), "Navy / S is not available any more"),
        ("v-s", SETTLE, "Navy / S is not available any more"),
        ("v-xl", ReturnPolicy(), "at the same price (89.00); Navy / XL costs 99.00"),
        ("v-grey", ReturnPolicy(), "at the same price (89.00); Grey / M costs 79.00"),
    ],
)
def test_a_variant_the_shop_or_the_policy_refuses_is_a_clear_invalid_request(
    variant: str, policy: ReturnPolicy, says: str
) -> None:
    with pytest.raises(InvalidRequestError, match=re.escape(says)) as refused:
        choose_exchange(a_line(), variant, OPTIONS, policy)
    assert refused.value.details["sku"] == "SWEATER-M"


@pytest.mark.parametrize("variant", ["v-xl", "v-grey"])
def test_under_settle_any_available_variant_of_the_product_may_be_chosen(variant: str) -> None:
    assert choose_exchange(a_line(), variant, OPTIONS, SETTLE).variant_id == variant


def test_the_same_price_is_the_ordered_variant_s_price_today_not_a_sale_price_paid() -> None:
    # Given a sweater bought on sale at 69.00, whose variants all cost 89.00 today
    line = a_line(unit_price="69.00")
    # Then a variant at today's price is the same price
    assert choose_exchange(line, "v-l", OPTIONS, ReturnPolicy()).variant_id == "v-l"


@pytest.mark.parametrize(
    ("paid", "today"),
    [("69.00", "89.00"), ("89.00", "79.00")],
    ids=["bought on sale", "on sale today"],
)
def test_under_same_price_only_nothing_is_settled_whatever_the_prices_today(
    paid: str, today: str
) -> None:
    # Given a sweater paid `paid`, whose variants all cost `today` in the shop now
    line = a_line(unit_price=paid)
    variants = [VariantOption(v.id, v.title, Decimal(today), v.available) for v in OPTIONS]
    # When another size is chosen under SAME_PRICE_ONLY and comes back
    chosen = choose_exchange(line, "v-l", variants, ReturnPolicy())
    exchanged = received(an_exchange(a_line(unit_price=paid, exchange=chosen.model_dump())), 2)
    # Then the replacement is worth what was paid: no money either way
    assert chosen.unit_price == Decimal(paid)
    assert price_difference(exchanged) == 0
    refund = compute_refund(exchanged, ReturnPolicy())
    assert (refund.amount, refund.method) == (Decimal("0.00"), None)


def test_the_options_offered_are_those_allowed_the_ordered_variant_first() -> None:
    offered = exchange_options(a_line(), OPTIONS, ReturnPolicy())
    assert [(o.variant.title, o.ordered, o.difference) for o in offered] == [
        ("Navy / M", True, Decimal("0.00")),
        ("Navy / L", False, Decimal("0.00")),
    ]
    settled = exchange_options(a_line(), OPTIONS, SETTLE)
    assert [(o.variant.title, o.difference) for o in settled] == [
        ("Navy / M", Decimal("0.00")),
        ("Navy / L", Decimal("0.00")),
        ("Navy / XL", Decimal("10.00")),
        ("Grey / M", Decimal("-10.00")),
    ]


# --- What a difference in price becomes ------------------------------------------------------


def test_the_price_difference_counts_every_unit_replaced() -> None:
    dearer = a_line(exchange=ExchangeChoice(variant_id="v-xl", title="XL", unit_price="99.00"))
    cheaper = a_line(
        sku="SCARF",
        quantity=1,
        unit_price="30.00",
        exchange=ExchangeChoice(variant_id="v-red", title="Red", unit_price="25.00"),
    )
    same = a_line(sku="HAT", quantity=3)
    assert price_difference(an_exchange(dearer, cheaper, same)) == Decimal("15.00")


# --- When the replacement is ordered ---------------------------------------------------------


def received(rma: Rma, units: int) -> Rma:
    line = rma.lines[0].model_copy(
        update={"received_states": {ProductState.BRAND_NEW_WITH_LABEL: units}}
    )
    return rma.model_copy(update={"lines": [line]})


@pytest.mark.parametrize(
    ("ships", "kind", "units_in", "due"),
    [
        (ExchangeShipping.ON_RECEIPT, ReturnEventType.APPROVED, 0, False),
        (ExchangeShipping.ON_RECEIPT, ReturnEventType.RECEIVED, 1, False),
        (ExchangeShipping.ON_RECEIPT, ReturnEventType.RECEIVED, 2, True),
        (ExchangeShipping.ON_APPROVAL, ReturnEventType.APPROVED, 0, True),
        (ExchangeShipping.ON_APPROVAL, ReturnEventType.RECEIVED, 2, False),
    ],
)
def test_the_replacement_is_due_at_receipt_of_every_unit_or_at_approval(
    ships: ExchangeShipping, kind: ReturnEventType, units_in: int, due: bool
) -> None:
    rma = received(an_exchange(), units_in)
    assert replacement_due(an_event(kind, rma), ReturnPolicy(exchange_ships=ships)) is due


def test_no_replacement_is_due_for_a_refund_nor_twice() -> None:
    refund = received(an_exchange(expected_resolution=ExpectedResolution.REFUND), 2)
    assert not replacement_due(an_event(ReturnEventType.RECEIVED, refund), ReturnPolicy())
    ordered = received(
        an_exchange(replacement_order=ReplacementOrder(name="#1002", created_at=T0)), 2
    )
    assert not replacement_due(an_event(ReturnEventType.RECEIVED, ordered), ReturnPolicy())


def test_a_return_stored_before_exchanges_reads_as_it_did() -> None:
    # Given a return as stored before lines had shop ids and exchanges had replacements
    stored = an_exchange().model_dump(mode="json")
    for line in stored["lines"]:
        for name in ("line_item_id", "variant_id", "exchange"):
            del line[name]
    del stored["replacement_order"]
    # Then it reads, with none of them
    rma = Rma.model_validate(stored)
    assert (rma.replacement_order, rma.lines[0].variant_id, rma.lines[0].exchange) == (
        None,
        None,
        None,
    )
