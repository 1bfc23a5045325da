"""What a list of returns is narrowed to, and what typed search text names.

A listing is narrowed by one status of one of the four dimensions, by a customer, by an order,
or by a status and one of those two; with nothing, it is every return, newest first. A search
box takes a return reference, an email or an order number, typed as people type them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.references import order_key, parse_return_number
from chalicelib.domain.rma import Rma, email_key
from chalicelib.domain.statuses import (
    DeliveryStatus,
    FinancialStatus,
    FulfillmentStatus,
    ProcessingStatus,
)


class StatusDimension(StrEnum):
    PROCESSING = "processing"
    DELIVERY = "delivery"
    FINANCIAL = "financial"
    FULFILLMENT = "fulfillment"


DIMENSION_STATUSES: Mapping[StatusDimension, type[StrEnum]] = {
    StatusDimension.PROCESSING: ProcessingStatus,
    StatusDimension.DELIVERY: DeliveryStatus,
    StatusDimension.FINANCIAL: FinancialStatus,
    StatusDimension.FULFILLMENT: FulfillmentStatus,
}


def status_of(rma: Rma, dimension: StatusDimension) -> str:
    """The return's status in `dimension`."""
    return str(getattr(rma, f"{dimension}_status"))


@dataclass(frozen=True)
class StatusFilter:
    """One status of one dimension; the status must be one of that dimension's."""

    dimension: StatusDimension
    status: str

    def __post_init__(self) -> None:
        # Several dimensions share words (PENDING, CANCELED): the dimension says which it is.
        if self.status not in DIMENSION_STATUSES[self.dimension].__members__:
            raise ValueError(f"{self.status!r} is no {self.dimension} status")

    def matches(self, rma: Rma) -> bool:
        return status_of(rma, self.dimension) == self.status


@dataclass(frozen=True)
class ReturnsListing:
    """What one paged listing holds: with `customer` (an email key) or `order` (an order key),
    that search's returns, kept to `status` when there is one; else the returns in `status`;
    else every return."""

    status: StatusFilter | None = None
    customer: str | None = None
    order: str | None = None

    def __post_init__(self) -> None:
        if self.customer is not None and self.order is not None:
            raise ValueError("a listing searches by customer or by order, not both")


@dataclass(frozen=True)
class Search:
    """What typed search text may name: a customer's email, or a return number, an order
    number, or both (a shop's orders are numbered like its returns: `1042` may be either)."""

    email_key: str | None = None
    return_number: int | None = None
    order_key: str | None = None


def read_search(typed: str) -> Search:
    """`jane@example.com` names a customer; `R-001042` (or `r1042`) a return; `1042` and
    `#1042` a return or an order; any other text an order (platforms' numbers have letters)."""
    text = typed.strip()
    if "@" in text:
        return Search(email_key=email_key(text))
    number = parse_return_number(text)
    written_as_reference = number is not None and text.lstrip("# ").lower().startswith("r")
    return Search(return_number=number, order_key=None if written_as_reference else order_key(text))
