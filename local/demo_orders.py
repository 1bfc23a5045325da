"""Orders for the shoppers' portal demo: what `make run` lets a shopper sign in with."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from chalicelib.domain.order import Order, OrderLine
from chalicelib.services.order_service import OrderService
from local.demo_shop import TEE_M
from local.seed import DEMO_CUSTOMER_EMAIL

# Jane's latest order: delivered three days ago, so inside the return window, with a line sold
# as final sale to show a line that cannot be returned and why.
DEMO_ORDER_NUMBER = "#4910"


def seed_demo_orders(orders: OrderService, today: date) -> list[Order]:
    now = datetime.now(UTC)
    recorded = [
        Order(
            number=DEMO_ORDER_NUMBER,
            # As Shopify's order webhooks record orders: the stand-in for Shopify sold it.
            external_id="gid://shopify/Order/4910",
            customer_email=DEMO_CUSTOMER_EMAIL,
            customer_name="Jane Doe",
            ordered_at=today - timedelta(days=6),
            delivered_at=today - timedelta(days=3),
            currency="EUR",
            lines=[
                OrderLine(
                    sku="TEE-ORGANIC-M",
                    name="Organic T-shirt (M)",
                    quantity=2,
                    unit_price=Decimal("25.00"),
                    line_item_id="gid://shopify/LineItem/49101",
                    variant_id=TEE_M,
                ),
                OrderLine(
                    sku="MUG-STONE",
                    name="Stoneware mug",
                    quantity=1,
                    unit_price=Decimal("14.00"),
                    line_item_id="gid://shopify/LineItem/49102",
                ),
                OrderLine(
                    sku="SCARF-SALE",
                    name="Silk scarf (final sale)",
                    quantity=1,
                    unit_price=Decimal("39.00"),
                    final_sale=True,
                ),
            ],
            source="admin",
            source_updated_at=now,
        ),
        Order(
            number="#4601",
            external_id="gid://shopify/Order/4601",
            customer_email=DEMO_CUSTOMER_EMAIL,
            customer_name="Jane Doe",
            ordered_at=today - timedelta(days=80),
            delivered_at=today - timedelta(days=76),
            currency="EUR",
            lines=[
                OrderLine(
                    sku="BOOTS-41",
                    name="Leather boots (41)",
                    quantity=1,
                    unit_price=Decimal("149.00"),
                )
            ],
            source="admin",
            source_updated_at=now,
        ),
    ]
    for order in recorded:
        orders.record(order)
    return recorded
