"""Specification of an order's timeline (domain/order_tracking.py): each milestone once, the
first told of it, in the order an order and its parcels go through them, whatever order the
webhooks telling them arrived in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from chalicelib.domain.order_tracking import (
    Milestone,
    TrackingEvent,
    delivered_on,
    estimated_delivery_on,
    first_shipped_on,
    ordered_timeline,
)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def parcel(milestone: Milestone, day: int, name: str = "#1001.1", **fields: Any) -> TrackingEvent:
    tracking = {"carrier": "Colissimo", "tracking_number": "6A23456789012", **fields}
    return TrackingEvent(milestone=milestone, at=at(day), fulfillment=name, **tracking)


ORDERED = TrackingEvent(milestone=Milestone.ORDERED, at=at(1))
PAID = TrackingEvent(milestone=Milestone.PAID, at=at(1, 10))


def test_the_timeline_is_the_order_s_milestones_then_each_parcel_s_in_the_order_they_happen() -> (
    None
):
    # Given milestones told in a scrambled order, two parcels mixed
    told = [
        parcel(Milestone.DELIVERED, 5),
        parcel(Milestone.SHIPPED, 3, "#1001.2"),
        PAID,
        parcel(Milestone.IN_TRANSIT, 3),
        ORDERED,
        parcel(Milestone.SHIPPED, 2),
    ]
    # When they are put in order
    timeline = ordered_timeline(told)
    # Then the order's come first, then each parcel's as a parcel goes through them
    assert [(e.fulfillment, e.milestone) for e in timeline] == [
        (None, Milestone.ORDERED),
        (None, Milestone.PAID),
        ("#1001.1", Milestone.SHIPPED),
        ("#1001.1", Milestone.IN_TRANSIT),
        ("#1001.1", Milestone.DELIVERED),
        ("#1001.2", Milestone.SHIPPED),
    ]


def test_a_milestone_told_twice_is_shown_once_as_first_told() -> None:
    # Given the delivery told twice, the second time with another time and tracking number
    first = parcel(Milestone.DELIVERED, 5)
    again = parcel(Milestone.DELIVERED, 6, tracking_number="OTHER")
    # When the timeline is made
    timeline = ordered_timeline([ORDERED, first, again, ORDERED])
    # Then each is there once, as first told
    assert timeline == [ORDERED, first]


def test_the_same_milestone_of_two_parcels_is_two_milestones() -> None:
    one, two = parcel(Milestone.SHIPPED, 2), parcel(Milestone.SHIPPED, 2, "#1001.2")
    assert one.key != two.key
    assert ordered_timeline([two, one]) == [one, two]


def test_a_parcel_s_earlier_milestone_told_late_takes_its_place_before_the_later_one() -> None:
    # Given a parcel delivered, whose in-transit is told after its delivery
    delivered = parcel(Milestone.DELIVERED, 5)
    in_transit = parcel(Milestone.IN_TRANSIT, 3)
    # When the timeline is made
    timeline = ordered_timeline([delivered, in_transit])
    # Then the parcel is still delivered: in transit comes before, not after
    assert timeline == [in_transit, delivered]
    assert delivered_on(timeline) == date(2026, 11, 5)


def test_shipping_delivery_and_estimate_days_come_from_the_parcels() -> None:
    timeline = [
        ORDERED,
        parcel(Milestone.SHIPPED, 2, estimated_delivery_at=at(6)),
        parcel(Milestone.DELIVERED, 4),
        parcel(Milestone.IN_TRANSIT, 3, "#1001.2", estimated_delivery_at=at(7)),
        parcel(Milestone.DELIVERED, 8, "#1001.2"),
    ]
    assert first_shipped_on(timeline) == date(2026, 11, 2)
    assert delivered_on(timeline) == date(2026, 11, 8)
    assert estimated_delivery_on(timeline) == date(2026, 11, 7)
    assert (first_shipped_on([ORDERED]), delivered_on([ORDERED])) == (None, None)
    assert estimated_delivery_on([ORDERED]) is None
