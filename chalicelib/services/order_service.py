"""Orders: recorded from the shop (Shopify webhooks, the admin API), read by the return portal,
with the timeline of where each is (ordered, paid, each parcel shipped... delivered).

A shopper only ever learns about their own orders: an order of someone else's is "not found",
exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol

from chalicelib.clock import utc_now
from chalicelib.domain.order import Order, OrderDetails, email_key
from chalicelib.domain.order_tracking import TrackingEvent, delivered_on, ordered_timeline
from chalicelib.errors import NotFoundError


class OrderStore(Protocol):
    """What the service needs of storage (OrderRepository; a fake in tests)."""

    def get(self, number: str) -> Order | None: ...

    def upsert(self, order: Order) -> bool: ...

    def for_customer(self, email: str, limit: int = 50) -> list[Order]: ...

    def with_timeline(self, number: str) -> tuple[Order, list[TrackingEvent]] | None: ...

    def add_milestones(
        self, number: str, events: Sequence[TrackingEvent]
    ) -> list[TrackingEvent]: ...


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

    def order_with_timeline(self, number: str, email: str) -> tuple[Order, list[TrackingEvent]]:
        """The order `number` if it is `email`'s, and its timeline in the order it happened:
        one read. NotFoundError, the same, if it is not hers."""
        found = self._repository.with_timeline(number)
        if found is None or found[0].customer_key != email_key(email):
            raise _not_found(number)
        order, events = found
        return order, ordered_timeline(events)

    def timeline(self, number: str) -> list[TrackingEvent]:
        """Order `number`'s timeline, in the order it happened; NotFoundError if no such order."""
        found = self._repository.with_timeline(number)
        if found is None:
            raise _not_found(number)
        return ordered_timeline(found[1])

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

    def record_milestones(self, number: str, milestones: Sequence[TrackingEvent]) -> bool:
        """Add to order `number`'s timeline what it did not have yet; whether anything was new.
        A milestone told again changes nothing; an earlier one told after a later one takes
        its place before it."""
        return bool(self._repository.add_milestones(number, milestones))

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

    def record_fulfillment(
        self,
        number: str,
        milestones: Sequence[TrackingEvent],
        *,
        reported_at: datetime,
        external_id: str | None = None,
    ) -> bool | None:
        """What a fulfillment (a parcel) of order `number`, reported at `reported_at`, tells:
        its `milestones`, the day it was delivered among them. Whether that changed anything;
        None when no such order is stored (or the stored one is another shop order with the
        same number): a parcel cannot be followed without its order.

        The delivery counts once, as first told: told again, later or with another time, it
        moves nothing."""
        stored = self._repository.get(number)
        if stored is None or (external_id and stored.external_id not in (None, external_id)):
            return None
        added = self._repository.add_milestones(stored.number, milestones)
        day = delivered_on(added)
        delivered = day is not None and self._deliver(stored, day, reported_at)
        return bool(added) or delivered

    def _deliver(self, stored: Order, day: date, reported_at: datetime) -> bool:
        # The window runs from the last parcel's delivery.
        delivered_at = max(day, stored.delivered_at or day)
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
