"""Orders for the shoppers' portal demo: what `make run` lets a shopper sign in with, each with
its summary (addresses, total, a Visa card by its last four digits) and its timeline as the
shop's webhooks would have told it (ordered, paid, shipped with Colissimo, in transit,
delivered)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from chalicelib.domain.order import Order, OrderLine, PaymentSummary
from chalicelib.domain.order_tracking import Milestone, TrackingEvent
from chalicelib.domain.rma import Contact
from chalicelib.services.order_service import OrderService
from local.demo_shop import TEE_M
from local.seed import DEMO_CUSTOMER_EMAIL

# Jane's latest order: delivered three days ago, so inside the return window, with a line sold
# as final sale to show a line that cannot be returned and why.
DEMO_ORDER_NUMBER = "#4910"
# Jane's order still waiting to ship (ordered two days ago): one she may still cancel.
UNFULFILLED_ORDER_NUMBER = "#4950"
# Jane's order of mugs delivered three days ago: one she may report arrived damaged.
RECENTLY_DELIVERED_ORDER_NUMBER = "#4930"

_JANE_S_ADDRESS = Contact(
    name="Jane Doe",
    address_lines=["18 rue des Martyrs", "3e étage", "75009 Paris", "France"],
    city="Paris",
    postal_code="75009",
    country="FR",
)
_VISA = PaymentSummary(gateway="shopify_payments", card_brand="Visa", card_last4="4242")


def seed_demo_orders(orders: OrderService, today: date) -> list[Order]:
    now = datetime.now(UTC)
    recorded = [
        _jane_s(
            DEMO_ORDER_NUMBER,
            ordered_at=today - timedelta(days=6),
            delivered_at=today - timedelta(days=3),
            lines=[
                OrderLine(
                    sku="TEE-ORGANIC-M",
                    name="Organic T-shirt (M)",
                    quantity=2,
                    unit_price=Decimal("25.00"),
                    fulfilled_quantity=2,
                    line_item_id="gid://shopify/LineItem/49101",
                    variant_id=TEE_M,
                ),
                OrderLine(
                    sku="MUG-STONE",
                    name="Stoneware mug",
                    quantity=1,
                    unit_price=Decimal("14.00"),
                    fulfilled_quantity=1,
                    line_item_id="gid://shopify/LineItem/49102",
                ),
                OrderLine(
                    sku="SCARF-SALE",
                    name="Silk scarf (final sale)",
                    quantity=1,
                    unit_price=Decimal("39.00"),
                    final_sale=True,
                    fulfilled_quantity=1,
                ),
            ],
            updated_at=now,
        ),
        _jane_s(
            "#4601",
            ordered_at=today - timedelta(days=80),
            delivered_at=today - timedelta(days=76),
            lines=[
                OrderLine(
                    sku="BOOTS-41",
                    name="Leather boots (41)",
                    quantity=1,
                    unit_price=Decimal("149.00"),
                    fulfilled_quantity=1,
                )
            ],
            updated_at=now,
        ),
        _jane_s(
            RECENTLY_DELIVERED_ORDER_NUMBER,
            ordered_at=today - timedelta(days=7),
            delivered_at=today - timedelta(days=3),
            lines=[
                OrderLine(
                    sku="MUG-001",
                    name="Ceramic mug",
                    quantity=2,
                    unit_price=Decimal("18.00"),
                    fulfilled_quantity=2,
                    line_item_id="gid://shopify/LineItem/49301",
                )
            ],
            updated_at=now,
        ),
        _jane_s(
            UNFULFILLED_ORDER_NUMBER,
            ordered_at=today - timedelta(days=2),
            delivered_at=None,
            lines=[
                OrderLine(
                    sku="TOTE-LINEN",
                    name="Linen tote bag",
                    quantity=1,
                    unit_price=Decimal("22.00"),
                    line_item_id="gid://shopify/LineItem/49501",
                )
            ],
            updated_at=now,
        ),
    ]
    for order in recorded:
        orders.record(order)
        orders.record_milestones(order.number, demo_timeline(order))
    return recorded


def _jane_s(
    number: str,
    *,
    ordered_at: date,
    delivered_at: date | None,
    lines: list[OrderLine],
    updated_at: datetime,
) -> Order:
    """An order of Jane's as the stand-in for Shopify sold it: shipped free, its total is its
    lines' (the stand-in's sale of it)."""
    return Order(
        number=number,
        # As Shopify's order webhooks record orders: the stand-in for Shopify sold it.
        external_id=f"gid://shopify/Order/{number.removeprefix('#')}",
        customer_email=DEMO_CUSTOMER_EMAIL,
        customer_name="Jane Doe",
        ordered_at=ordered_at,
        delivered_at=delivered_at,
        currency="EUR",
        lines=lines,
        total=sum((line.unit_price * line.quantity for line in lines), Decimal("0")),
        shipping_address=_JANE_S_ADDRESS,
        billing_address=_JANE_S_ADDRESS,
        payment=_VISA,
        # An order of the shop: what its fulfillments shipped is what may come back.
        source="shopify",
        source_updated_at=updated_at,
    )


def demo_timeline(order: Order) -> list[TrackingEvent]:
    """Ordered and paid in the morning; a fulfilled order's parcel shipped the next afternoon
    with Colissimo, in transit the morning after, delivered on its delivery day."""

    def on(day: date, hour: int, minute: int) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=UTC)

    events = [
        TrackingEvent(milestone=Milestone.ORDERED, at=on(order.ordered_at, 9, 12)),
        TrackingEvent(milestone=Milestone.PAID, at=on(order.ordered_at, 9, 13)),
    ]
    if order.fulfilled_units == 0 or order.delivered_at is None:
        return events
    code = f"6A{order.number.removeprefix('#'):0>11}"
    parcel = {
        "fulfillment": f"{order.number}.1",
        "carrier": "Colissimo",
        "tracking_number": code,
        "tracking_url": f"https://www.laposte.fr/outils/suivre-vos-envois?code={code}",
    }
    shipped_on = order.ordered_at + timedelta(days=1)
    return [
        *events,
        TrackingEvent(milestone=Milestone.SHIPPED, at=on(shipped_on, 16, 40), **parcel),
        TrackingEvent(
            milestone=Milestone.IN_TRANSIT,
            at=on(shipped_on + timedelta(days=1), 7, 55),
            **parcel,
        ),
        TrackingEvent(milestone=Milestone.DELIVERED, at=on(order.delivered_at, 11, 30), **parcel),
    ]
