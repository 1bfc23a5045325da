"""What the local stand-in for Shopify sells and has sold: every demo order, paid in full by
card, with its line items, and the variants of the demo T-shirt a shopper may exchange for."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from chalicelib.domain.order import Order
from chalicelib.domain.rma import Rma
from local.shopify_standin import ShopifyStandIn, ShopLine

TEE_PRODUCT = "gid://shopify/Product/7001"
# The demo order's T-shirt is the M; the others are what an exchange may pick. XL costs more:
# under the policy's SAME_PRICE_ONLY an exchange cannot pick it.
TEE_VARIANTS = (
    ("gid://shopify/ProductVariant/70010", "Organic T-shirt / S", Decimal("25.00")),
    ("gid://shopify/ProductVariant/70011", "Organic T-shirt / M", Decimal("25.00")),
    ("gid://shopify/ProductVariant/70012", "Organic T-shirt / L", Decimal("25.00")),
    ("gid://shopify/ProductVariant/70013", "Organic T-shirt / XL", Decimal("27.00")),
)
TEE_M = TEE_VARIANTS[1][0]


def stock_demo_shop(shop: ShopifyStandIn, returns: Iterable[Rma], orders: list[Order]) -> None:
    """The portal's demo orders, and the orders behind the demo returns."""
    shop.add_variants(TEE_PRODUCT, list(TEE_VARIANTS))
    for order in orders:
        if order.external_id:
            shop.add_order(
                order.external_id,
                order.number,
                [
                    ShopLine(
                        line.sku,
                        line.quantity,
                        line.unit_price,
                        line.line_item_id or f"gid://shopify/LineItem/{order.number[1:]}{index}",
                        line.variant_id,
                    )
                    for index, line in enumerate(order.lines)
                ],
                currency=order.currency,
            )
    for rma in returns:
        if rma.order.external_id and rma.order.external_id not in shop.orders:
            shop.add_order(
                rma.order.external_id,
                rma.order.number,
                [
                    ShopLine(
                        line.sku,
                        line.quantity,
                        line.unit_price,
                        f"gid://shopify/LineItem/{rma.return_number}{index}",
                    )
                    for index, line in enumerate(rma.lines)
                ],
                currency=rma.currency,
            )
