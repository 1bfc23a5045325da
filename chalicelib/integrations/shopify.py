"""Shopify webhooks: how they are signed, and the orders and fulfillments they carry.

Shopify signs every webhook with the app's webhook secret: `X-Shopify-Hmac-Sha256` is the
base64 HMAC-SHA256 of the raw body. Payloads are Shopify's REST Admin API resources (Order for the
`orders/*` topics, Fulfillment for `fulfillments/update`); only the fields returns-desk keeps are
read, any other is ignored.

How a Shopify order maps to an `Order`:
- number: `name` ("#1001"); external id: the order's GraphQL id (`gid://shopify/Order/<id>`).
- ordered_at: the calendar day of `created_at` in the shop's own offset, as the merchant sees it.
- lines: the ordered `quantity` (not `current_quantity`: what returns-desk already took back
  is counted by its own RMAs); `price` in the shop currency (`currency`); the line's `name`
  (product and variant), its id standing in for a missing SKU. fulfilled_quantity: what the
  successful fulfillments shipped of the line. line_item_id and variant_id: the GraphQL ids of
  the line and of its variant (`gid://shopify/LineItem/<id>`, `gid://shopify/ProductVariant/
  <variant_id>`; none for a custom line, which has no variant): what an exchange orders by.
- delivered_at: the day the last parcel was delivered, that is the `updated_at` of each successful
  fulfillment whose carrier status (`shipment_status`) is `delivered`; None before.
- final_sale: Shopify has no such flag. A line is final sale when it carries a line item property
  named `final_sale` or `_final_sale` (underscored properties are hidden from the shopper) whose
  value is `true`, `yes` or `1`; the storefront sets it on the items it sells as final sale.

How much of a webhook is read: at most MAX_BODY_BYTES (hashed for the signature, then parsed),
nested at most MAX_NESTING_DEPTH arrays and objects deep (measured before the recursive JSON
parser sees it). Shopify's order payloads are a few kilobytes and about ten levels deep.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from chalicelib.domain.order import Order

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"

# Each carries a whole order; the fulfillment topic carries one fulfillment of an order.
ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/fulfilled"})
FULFILLMENT_TOPIC = "fulfillments/update"

# Room for the largest orders Shopify sends (hundreds of lines, each with its taxes, discounts
# and fulfillments), well under the 6 MB a Lambda invocation carries.
MAX_BODY_BYTES = 4 * 1024 * 1024
# Shopify's deepest paths (order → fulfillments → line items → tax lines → price set → shop
# money) are about ten levels; a parser recursing a thousand levels down runs out of stack.
MAX_NESTING_DEPTH = 32

# A JSON string, escapes included: the brackets inside one are text, not structure.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OPENING = frozenset(b"[{")

_FINAL_SALE_PROPERTIES = frozenset({"final_sale", "_final_sale"})
_TRUE_VALUES = frozenset({"true", "yes", "1"})
_TEXT_LIMIT = 200  # ShortText's


def sign(secret: str, body: bytes) -> str:
    """The `X-Shopify-Hmac-Sha256` value Shopify sends with `body`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_is_valid(secret: str | None, body: bytes, signature: str | None) -> bool:
    """Whether `signature` is Shopify's for `body`; never without a secret configured."""
    if not secret or not signature:
        return False
    # compare_digest keeps the comparison time independent of where the signatures differ.
    return hmac.compare_digest(sign(secret, body).encode(), signature.strip().encode())


def nesting_depth(body: bytes) -> int:
    """How deep arrays and objects nest in the JSON `body`, without parsing it: in linear time,
    without recursion. (Of a malformed body, a number the parser will refuse the body anyway.)"""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_A_BRACKET)
    depth = deepest = 0
    for bracket in brackets:
        depth += 1 if bracket in _OPENING else -1
        deepest = max(deepest, depth)
    return deepest


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


class _Payload(BaseModel):
    # Shopify adds fields to its payloads over API versions: read what we know, ignore the rest.
    model_config = ConfigDict(extra="ignore", defer_build=True)


class LineItemProperty(_Payload):
    name: str
    value: Any = None


class ShopifyLineItem(_Payload):
    id: int
    sku: str | None = None
    name: str | None = None
    title: str | None = None
    variant_id: int | None = None
    quantity: int
    price: Decimal
    properties: Annotated[list[LineItemProperty], BeforeValidator(_none_as_empty)] = []

    @property
    def final_sale(self) -> bool:
        return any(
            prop.name.strip().lower() in _FINAL_SALE_PROPERTIES
            and str(prop.value).strip().lower() in _TRUE_VALUES
            for prop in self.properties
        )

    def as_order_line(self, fulfilled: int) -> dict[str, Any]:
        return {
            "sku": _text(self.sku) or f"SHOPIFY-LINE-{self.id}",
            "name": _text(self.name) or _text(self.title),
            "quantity": self.quantity,
            "unit_price": self.price,
            "final_sale": self.final_sale,
            "fulfilled_quantity": min(fulfilled, self.quantity),
            "line_item_id": f"gid://shopify/LineItem/{self.id}",
            "variant_id": (
                None
                if self.variant_id is None
                else f"gid://shopify/ProductVariant/{self.variant_id}"
            ),
        }


class FulfilledLineItem(_Payload):
    id: int
    quantity: int


class ShopifyFulfillment(_Payload):
    order_id: int | None = None
    # "<order name>.<n>" for the order's n-th fulfillment, e.g. "#1001.1".
    name: str | None = None
    status: str | None = None
    shipment_status: str | None = None
    updated_at: datetime
    line_items: Annotated[list[FulfilledLineItem], BeforeValidator(_none_as_empty)] = []

    @property
    def succeeded(self) -> bool:
        """Shipped (neither cancelled nor failed)."""
        return self.status == "success"

    @property
    def delivered_on(self) -> date | None:
        """The day the carrier delivered the parcel, in the shop's offset; None before."""
        if self.succeeded and self.shipment_status == "delivered":
            return self.updated_at.date()
        return None

    @property
    def order_number(self) -> str | None:
        """The number of the order this fulfillment belongs to, read from its name."""
        order, dot, sequence = (self.name or "").strip().rpartition(".")
        return order if dot and order and sequence.isdigit() else None

    @property
    def order_external_id(self) -> str | None:
        return _order_gid(self.order_id) if self.order_id is not None else None


class ShopifyCustomer(_Payload):
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class ShopifyOrder(_Payload):
    id: int
    name: str
    email: str | None = None
    contact_email: str | None = None
    created_at: datetime
    updated_at: datetime
    currency: str
    customer_locale: str | None = None
    customer: ShopifyCustomer | None = None
    line_items: Annotated[list[ShopifyLineItem], BeforeValidator(_none_as_empty)]
    fulfillments: Annotated[list[ShopifyFulfillment], BeforeValidator(_none_as_empty)] = []

    def to_order(self) -> Order:
        """The order as returns-desk keeps it; a ValidationError when it cannot be one (no
        email to tie it to a customer, no line items...)."""
        shipped: Counter[int] = Counter()
        for fulfillment in (f for f in self.fulfillments if f.succeeded):
            for item in fulfillment.line_items:
                shipped[item.id] += item.quantity
        deliveries = [day for f in self.fulfillments if (day := f.delivered_on) is not None]
        customer = self.customer or ShopifyCustomer()
        return Order.model_validate(
            {
                "number": self.name,
                "external_id": _order_gid(self.id),
                "customer_email": self.email or self.contact_email or customer.email,
                "customer_name": _text(f"{customer.first_name or ''} {customer.last_name or ''}"),
                "locale": _locale(self.customer_locale),
                "currency": self.currency.upper(),
                "ordered_at": self.created_at.date(),
                "delivered_at": max(deliveries, default=None),
                "lines": [line.as_order_line(shipped[line.id]) for line in self.line_items],
                "source": "shopify",
                "source_updated_at": self.updated_at,
            }
        )


def _order_gid(order_id: int) -> str:
    return f"gid://shopify/Order/{order_id}"


def _text(value: str | None) -> str | None:
    """Trimmed to what a ShortText holds; None when blank."""
    text = (value or "").strip()[:_TEXT_LIMIT].strip()
    return text or None


def _locale(value: str | None) -> str:
    """Shopify's `customer_locale` ("fr", "pt-BR", "es-419") as a Locale ("es"); "en" if none."""
    language, _, region = (value or "").strip().replace("_", "-").partition("-")
    if len(language) != 2 or not language.isalpha():
        return "en"
    return f"{language}-{region}" if len(region) == 2 and region.isalpha() else language
