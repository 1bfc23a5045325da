"""Shopify webhooks: how they are signed, and the orders and fulfillments they carry.

Shopify signs every webhook with the app's webhook secret: `X-Shopify-Hmac-Sha256` is the
base64 HMAC-SHA256 of the raw body. Payloads are Shopify's REST Admin API resources (Order for the
`orders/*` topics, Fulfillment for `fulfillments/create` and `fulfillments/update`); only the
fields returns-desk keeps are read, any other is ignored, and any it reads may be missing.

How a Shopify order maps to an `Order`:
- number: `name` ("#1001"); external id: the order's GraphQL id (`gid://shopify/Order/<id>`).
- ordered_at: the calendar day of `created_at` in the shop's own offset, as the merchant sees it.
- lines: the ordered `quantity` (not `current_quantity`: what returns-desk already took back
  is counted by its own RMAs); the unit price paid, `price` less the line's
  `discount_allocations` (its own discounts and its share of the order's), in the shop
  currency (`currency`); the line's `name`
  (product and variant), its id standing in for a missing SKU. fulfilled_quantity: what the
  successful fulfillments shipped of the line. line_item_id and variant_id: the GraphQL ids of
  the line and of its variant (`gid://shopify/LineItem/<id>`, `gid://shopify/ProductVariant/
  <variant_id>`; none for a custom line, which has no variant): what an exchange orders by.
- delivered_at: the day the last parcel was delivered, that is the `updated_at` of each successful
  fulfillment whose carrier status (`shipment_status`) is `delivered`; None before.
- canceled_at: `cancelled_at`; total: `total_price` (what was charged, shipping and taxes in).
- shipping_address / billing_address: the name, then as lines `address1`, `address2`, `zip` and
  `city`, `country`. payment: the card's brand (`payment_details.credit_card_company`) and the
  last four digits of `payment_details.credit_card_number` (Shopify sends it masked,
  "•••• •••• •••• 4242"; nothing more of it is kept, and `credit_card_bin` is never read), and
  the gateway (`payment_gateway_names[0]`). An address or payment that cannot be read is left
  out: it never costs the order.
- final_sale: Shopify has no such flag. A line is final sale when it carries a line item property
  named `final_sale` or `_final_sale` (underscored properties are hidden from the shopper) whose
  value is `true`, `yes` or `1`; the storefront sets it on the items it sells as final sale.

What an order or a fulfillment tells of the order's timeline (domain/order_tracking.py):
- ORDERED at the order's `created_at`; PAID at its `processed_at` once `financial_status` says
  the money was taken (paid, partially paid, or refunded since), or on the `orders/paid` topic.
- For each successful fulfillment (named "#1001.1": the name tells parcels apart): SHIPPED at its
  `created_at`, and the milestone of its carrier status (`shipment_status` in_transit,
  out_for_delivery, delivered; the others are not milestones) at its `updated_at`, each with
  `tracking_company`, `tracking_number` and `tracking_url` (or the first of `tracking_numbers`
  and `tracking_urls`) and `estimated_delivery_at` when given.

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
from decimal import ROUND_DOWN, Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from chalicelib.domain.order import Order, PaymentSummary
from chalicelib.domain.order_tracking import Milestone, TrackingEvent
from chalicelib.domain.rma import Contact

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"

# Each carries a whole order; the fulfillment topics carry one fulfillment of an order.
PAID_TOPIC = "orders/paid"
ORDER_TOPICS = frozenset(
    {"orders/create", "orders/updated", PAID_TOPIC, "orders/fulfilled", "orders/cancelled"}
)
FULFILLMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
# The money was taken (and maybe given back since): the order was paid.
_PAID_STATUSES = frozenset({"paid", "partially_paid", "partially_refunded", "refunded"})
# A parcel's carrier status (`shipment_status`) that is a milestone of the timeline.
_SHIPMENT_MILESTONES = {
    "in_transit": Milestone.IN_TRANSIT,
    "out_for_delivery": Milestone.OUT_FOR_DELIVERY,
    "delivered": Milestone.DELIVERED,
}

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
_Model = TypeVar("_Model", bound=BaseModel)


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


class DiscountAllocation(_Payload):
    amount: Decimal


class ShopifyLineItem(_Payload):
    id: int
    sku: str | None = None
    name: str | None = None
    title: str | None = None
    variant_id: int | None = None
    quantity: int
    price: Decimal
    properties: Annotated[list[LineItemProperty], BeforeValidator(_none_as_empty)] = []
    # The line's share of every discount (its own and the order's), for all its units.
    discount_allocations: Annotated[list[DiscountAllocation], BeforeValidator(_none_as_empty)] = []

    @property
    def paid_unit_price(self) -> Decimal:
        """What the shopper paid for one unit: the price less the line's share of discounts,
        rounded down to the cent, so that what is given back for every unit is never more
        than what the line cost."""
        if self.quantity <= 0:
            return self.price
        discount = sum((a.amount for a in self.discount_allocations), Decimal("0"))
        paid = (self.price * self.quantity - discount) / self.quantity
        return max(paid, Decimal("0")).quantize(Decimal("0.01"), rounding=ROUND_DOWN)

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
            "unit_price": self.paid_unit_price,
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
    created_at: datetime | None = None
    updated_at: datetime
    line_items: Annotated[list[FulfilledLineItem], BeforeValidator(_none_as_empty)] = []
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_numbers: Annotated[list[str | None], BeforeValidator(_none_as_empty)] = []
    tracking_url: str | None = None
    tracking_urls: Annotated[list[str | None], BeforeValidator(_none_as_empty)] = []
    estimated_delivery_at: datetime | None = None

    def tracking_events(self) -> list[TrackingEvent]:
        """The parcel's milestones this fulfillment tells: none unless it shipped and is named."""
        parcel = _text(self.name)
        if not self.succeeded or parcel is None:
            return []
        tracking = {
            "fulfillment": parcel,
            "carrier": _text(self.tracking_company),
            "tracking_number": _text(self.tracking_number) or _first(self.tracking_numbers),
            "tracking_url": _text(self.tracking_url) or _first(self.tracking_urls),
            "estimated_delivery_at": self.estimated_delivery_at,
        }
        milestones = [(Milestone.SHIPPED, self.created_at or self.updated_at)]
        carrier_says = _SHIPMENT_MILESTONES.get((self.shipment_status or "").strip().lower())
        if carrier_says is not None:
            milestones.append((carrier_says, self.updated_at))
        events = (
            _valid(TrackingEvent, {"milestone": milestone, "at": at, **tracking})
            for milestone, at in milestones
        )
        return [event for event in events if event is not None]

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


class ShopifyAddress(_Payload):
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    zip: str | None = None
    city: str | None = None
    country: str | None = None
    country_code: str | None = None

    def as_contact(self) -> Contact | None:
        """The address as the portal shows it; None when blank or it cannot be read."""
        name = _text(self.name) or _text(f"{self.first_name or ''} {self.last_name or ''}")
        town = _text(f"{self.zip or ''} {self.city or ''}")
        parts = [self.address1, self.address2, town, self.country]
        lines = [text for part in parts if (text := _text(part))]
        if name is None and not lines:
            return None
        country = (self.country_code or "").strip().upper()
        return _valid(
            Contact,
            {
                "name": name,
                "address_lines": lines,
                "city": _text(self.city),
                "postal_code": _text(self.zip),
                "country": country if len(country) == 2 and country.isalpha() else None,
            },
        )


class ShopifyPaymentDetails(_Payload):
    credit_card_company: str | None = None
    # Masked by Shopify ("•••• •••• •••• 4242"); only its last four digits are ever kept.
    credit_card_number: str | None = None

    @property
    def last4(self) -> str | None:
        digits = [char for char in self.credit_card_number or "" if char in "0123456789"]
        return "".join(digits[-4:]) if len(digits) >= 4 else None


class ShopifyOrder(_Payload):
    id: int
    name: str
    email: str | None = None
    contact_email: str | None = None
    created_at: datetime
    updated_at: datetime
    processed_at: datetime | None = None
    cancelled_at: datetime | None = None
    financial_status: str | None = None
    currency: str
    total_price: Decimal | None = None
    customer_locale: str | None = None
    customer: ShopifyCustomer | None = None
    line_items: Annotated[list[ShopifyLineItem], BeforeValidator(_none_as_empty)]
    fulfillments: Annotated[list[ShopifyFulfillment], BeforeValidator(_none_as_empty)] = []
    shipping_address: ShopifyAddress | None = None
    billing_address: ShopifyAddress | None = None
    payment_details: ShopifyPaymentDetails | None = None
    payment_gateway_names: Annotated[list[str | None], BeforeValidator(_none_as_empty)] = []

    def tracking_events(self, *, paid: bool = False) -> list[TrackingEvent]:
        """The order's milestones this payload tells (`paid`: it came as orders/paid)."""
        events = [TrackingEvent(milestone=Milestone.ORDERED, at=self.created_at)]
        if paid or (self.financial_status or "").strip().lower() in _PAID_STATUSES:
            paid_at = self.processed_at or self.created_at
            events.append(TrackingEvent(milestone=Milestone.PAID, at=paid_at))
        for fulfillment in self.fulfillments:
            events.extend(fulfillment.tracking_events())
        return events

    def _payment(self) -> PaymentSummary | None:
        details = self.payment_details or ShopifyPaymentDetails()
        summary = _valid(
            PaymentSummary,
            {
                "gateway": _first(self.payment_gateway_names),
                "card_brand": _text(details.credit_card_company),
                "card_last4": details.last4,
            },
        )
        return summary if summary and summary.model_dump(exclude_none=True) else None

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
                "canceled_at": self.cancelled_at,
                "total": self.total_price,
                "shipping_address": self.shipping_address and self.shipping_address.as_contact(),
                "billing_address": self.billing_address and self.billing_address.as_contact(),
                "payment": self._payment(),
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


def _first(values: list[str | None]) -> str | None:
    return next((text for value in values if (text := _text(value))), None)


def _valid(model: type[_Model], fields: dict[str, Any]) -> _Model | None:
    """`fields` as a `model`; None when they cannot be one (a part of the order better left
    out than the order lost for it)."""
    try:
        return model.model_validate(fields)
    except ValidationError:
        return None


def _locale(value: str | None) -> str:
    """Shopify's `customer_locale` ("fr", "pt-BR", "es-419") as a Locale ("es"); "en" if none."""
    language, _, region = (value or "").strip().replace("_", "-").partition("-")
    if len(language) != 2 or not language.isalpha():
        return "en"
    return f"{language}-{region}" if len(region) == 2 and region.isalpha() else language
