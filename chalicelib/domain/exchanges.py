"""Exchanges: a return whose expected resolution is REPLACE sends the shopper a replacement
instead of money. Which variants a shopper may choose, when the replacement is ordered, and what
a difference in price becomes. Pure: the shop is asked by the services.

- The replacement is the variant ordered, or another variant of the same product the shop has
  for sale: under SAME_PRICE_ONLY at the same price, under SETTLE at any price.
- "The same price" is the ordered variant's price in the shop today (a sale since the purchase
  changes both sides alike), or what the shopper paid when the shop no longer lists it.
- Under SETTLE, a cheaper replacement leaves the difference for the merchant to refund; a dearer
  one is ordered with the returned lines' value taken off and an invoice for the rest.
- The replacement is ordered once every line came back (ON_RECEIPT), or as soon as the return
  is approved (ON_APPROVAL, "ship before receipt").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.events import ReturnEvent, ReturnEventType
from chalicelib.domain.handling import every_line_received
from chalicelib.domain.order import OrderLine
from chalicelib.domain.policy import ExchangePriceDifference, ExchangeShipping, ReturnPolicy
from chalicelib.domain.rma import ExchangeChoice, Rma, RmaLine
from chalicelib.domain.statuses import ExpectedResolution
from chalicelib.errors import InvalidRequestError


@dataclass(frozen=True)
class VariantOption:
    """A variant of the product a line ordered, as the shop offers it now."""

    id: str
    title: str
    price: Decimal
    available: bool


@dataclass(frozen=True)
class ExchangeOption:
    """A variant a shopper may choose for a line, and what it costs more (or less) a unit."""

    variant: VariantOption
    difference: Decimal
    ordered: bool


def exchange_options(
    line: RmaLine | OrderLine, options: Iterable[VariantOption], policy: ReturnPolicy
) -> list[ExchangeOption]:
    """The variants `line` may be exchanged for, the one ordered first: those `choose_exchange`
    accepts."""
    offered = {option.id: option for option in options}
    same_price = _same_price(line, offered)
    settles = policy.exchange_price_difference is ExchangePriceDifference.SETTLE
    allowed = [
        ExchangeOption(option, option.price - line.unit_price, option.id == line.variant_id)
        for option in offered.values()
        if option.available and (settles or option.price == same_price)
    ]
    return sorted(allowed, key=lambda option: not option.ordered)


def choose_exchange(
    line: RmaLine,
    variant_id: str,
    options: Iterable[VariantOption],
    policy: ReturnPolicy,
) -> ExchangeChoice:
    """The exchange of `line` for `variant_id`, one of `options` (the variants of the ordered
    line's product); an InvalidRequestError saying why when the policy or the shop refuses it."""
    offered = {option.id: option for option in options}
    details = {"field": "lines", "sku": line.sku, "exchange_variant_id": variant_id}
    chosen = offered.get(variant_id)
    if chosen is None:
        raise InvalidRequestError(
            f"{line.sku} can only be exchanged for another variant of the same product; "
            f"{variant_id} is not one.",
            details,
        )
    if not chosen.available:
        raise InvalidRequestError(
            f"{chosen.title} is not available any more; choose another variant for {line.sku}.",
            details,
        )
    same_price = _same_price(line, offered)
    if (
        policy.exchange_price_difference is ExchangePriceDifference.SAME_PRICE_ONLY
        and chosen.price != same_price
    ):
        raise InvalidRequestError(
            f"{line.sku} can only be exchanged for a variant at the same price ({same_price}); "
            f"{chosen.title} costs {chosen.price}.",
            {**details, "price": str(chosen.price), "same_price": str(same_price)},
        )
    # Under SAME_PRICE_ONLY nothing is settled: the replacement is worth what the shopper paid,
    # even when the shop sells the product cheaper today.
    settles = policy.exchange_price_difference is ExchangePriceDifference.SETTLE
    worth = chosen.price if settles else line.unit_price
    return ExchangeChoice(variant_id=chosen.id, title=chosen.title, unit_price=worth)


def _same_price(line: RmaLine | OrderLine, offered: dict[str, VariantOption]) -> Decimal:
    ordered = offered.get(line.variant_id or "")
    return ordered.price if ordered is not None else line.unit_price


def price_difference(rma: Rma) -> Decimal:
    """What the replacements cost more (positive) or less (negative) than what the shopper paid
    for the returned units; 0 when every line is replaced by the same variant."""
    return sum(
        ((line.replacement_unit_price - line.unit_price) * line.quantity for line in rma.lines),
        Decimal("0"),
    )


def replacement_due(event: ReturnEvent, policy: ReturnPolicy) -> bool:
    """Whether `event` is the moment to order the replacement of an exchange: approved under
    ON_APPROVAL, every line received under ON_RECEIPT; never twice."""
    rma = event.rma
    if rma.expected_resolution is not ExpectedResolution.REPLACE or rma.replacement_order:
        return False
    if policy.exchange_ships is ExchangeShipping.ON_APPROVAL:
        return event.type is ReturnEventType.APPROVED
    return event.type is ReturnEventType.RECEIVED and every_line_received(rma)
