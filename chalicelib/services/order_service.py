"""Orders: recorded from the shop (Shopify webhooks, the admin API), read by the return portal.

A shopper only ever learns about their own orders: an order of someone else's is "not found",
exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from chalicelib.clock import utc_now
from chalicelib.domain.order import Order, OrderDetails, email_key
from chalicelib.errors import NotFoundError


class OrderStore(Protocol):
    """What the service needs of storage (OrderRepository; a fake in tests)."""

    def get(self, number: str) -> Order | None: ...

    def upsert(self, order: Order) -> bool: ...

    def for_customer(self, email: str, limit: int = 50) -> list[Order]: ...


class OrderService:
    def __init__(
        self,
        repository: OrderStore,
        *,
        clock: Callable[[], datetime] = utc_now,
        count_sale: Callable[[Order], None] | None = None,
    ) -> None:
        self._repository = repository
        self._clock = clock
        # Adds the units an order sold to the analytics, once per order however often called.
        self._count_sale = count_sale

    def find(self, number: str) -> Order:
        order = self._repository.get(number)
        if order is None:
            raise _not_found(number)
        return order

    def find_for_customer(self, number: str, email: str) -> Order:
        """The order `number` if it is `email`'s; NotFoundError, the same, if it is not."""
        order = self._repository.get(number)
        if order is None or order.customer_key != email_key(email):
            raise _not_found(number)
        return order

    def belongs_to(self, number: str, email: str) -> bool:
        """Whether order `number` is `email`'s (the portal login's check)."""
        try:
            self.find_for_customer(number, email)
        except NotFoundError:
            return False
        return True

    def customer_locale(self, number: str) -> str | None:
        """The language of order `number`'s customer; None when the order is not known."""
        order = self._repository.get(number)
        return order.locale if order else None

    def for_customer(self, email: str) -> list[Order]:
        """The customer's most recent orders, newest first."""
        return self._repository.for_customer(email)

    def record(self, order: Order) -> bool:
        """Store `order` unless a version as new or newer is stored; whether it was stored.
        Its sale is counted whether stored or not: a delivery whose count failed after the
        order was stored is made good by the next delivery, which stores nothing."""
        stored = self._repository.upsert(order)
        if self._count_sale is not None:
            self._count_sale(order)
        return stored

    def put(self, number: str, details: OrderDetails) -> Order:
        """An order another platform sends through the admin API, as received now; the order
        stored afterwards (a newer one only if the shop's own clock is ahead of ours)."""
        order = Order(
            **{field: getattr(details, field) for field in OrderDetails.model_fields},
            number=number,
            source="admin",
            source_updated_at=self._clock(),
        )
        return order if self.record(order) else self.find(number)

    def record_delivery(
        self,
        number: str,
        delivered_on: date,
        reported_at: datetime,
        external_id: str | None = None,
    ) -> bool | None:
        """A parcel of order `number` was delivered on `delivered_on`, as reported at
        `reported_at`; whether that changed the stored order, None when no such order is stored
        (or the stored one is another shop order with the same number)."""
        stored = self._repository.get(number)
        if stored is None or (external_id and stored.external_id not in (None, external_id)):
            return None
        # The window runs from the last parcel's delivery.
        delivered_at = max(delivered_on, stored.delivered_at or delivered_on)
        if delivered_at == stored.delivered_at:
            return False
        updated = Order.model_validate(
            {
                **stored.model_dump(),
                "delivered_at": delivered_at,
                "source_updated_at": reported_at,
            }
        )
        return self.record(updated)


def _not_found(number: str) -> NotFoundError:
    return NotFoundError(f"No order matches '{number}'.", {"order": number})
