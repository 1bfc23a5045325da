"""Where an order is: its timeline, from what the shop's webhooks told returns-desk.

A timeline is a set of milestones, each recorded once: the order placed and paid, and for
each of its parcels (a fulfillment) shipped, in transit, out for delivery and delivered, with
the carrier, tracking number and link known at the time. A set, not a list of messages:
webhooks arrive twice and out of order, and adding a milestone already there, or an earlier
one after a later one, changes nothing of what is shown. Pure: no AWS here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum

from chalicelib.domain.rma import DomainModel, ShortText


class Milestone(StrEnum):
    ORDERED = "ORDERED"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"


# A parcel's milestones in the order they happen: what a parcel is at is the furthest one.
_RANK = {milestone: rank for rank, milestone in enumerate(Milestone)}
PARCEL_MILESTONES = (
    Milestone.SHIPPED,
    Milestone.IN_TRANSIT,
    Milestone.OUT_FOR_DELIVERY,
    Milestone.DELIVERED,
)


class TrackingEvent(DomainModel):
    milestone: Milestone
    at: datetime
    # The parcel's fulfillment as the shop names it ("#1001.1"); None for the order's own.
    fulfillment: ShortText | None = None
    carrier: ShortText | None = None
    tracking_number: ShortText | None = None
    tracking_url: ShortText | None = None
    # The carrier's estimate of the delivery, when it gave one.
    estimated_delivery_at: datetime | None = None

    @property
    def key(self) -> str:
        """What makes a milestone the same one when told again."""
        return f"{self.fulfillment or 'ORDER'}#{self.milestone}"


def ordered_timeline(events: Iterable[TrackingEvent]) -> list[TrackingEvent]:
    """Each milestone once (the first told), the order's first, then each parcel's in the
    order a parcel goes through them, whatever order they arrived in."""
    unique: dict[str, TrackingEvent] = {}
    for event in events:
        unique.setdefault(event.key, event)
    return sorted(
        unique.values(),
        key=lambda e: (e.fulfillment is not None, e.fulfillment or "", _RANK[e.milestone], e.at),
    )


def first_shipped_on(events: Sequence[TrackingEvent]) -> date | None:
    shipped = [e.at.date() for e in events if e.milestone in PARCEL_MILESTONES]
    return min(shipped, default=None)


def delivered_on(events: Sequence[TrackingEvent]) -> date | None:
    delivered = [e.at.date() for e in events if e.milestone is Milestone.DELIVERED]
    return max(delivered, default=None)


def estimated_delivery_on(events: Sequence[TrackingEvent]) -> date | None:
    """The latest estimate any parcel's carrier gave; None when none did."""
    estimates = [e.estimated_delivery_at.date() for e in events if e.estimated_delivery_at]
    return max(estimates, default=None)
