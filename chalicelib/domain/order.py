"""A customer's order, as the shop reports it: what the return portal and eligibility check
against (which lines, how many of each, when ordered and delivered, sold as final sale or not)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints, field_validator, model_validator

from chalicelib.domain.rma import (
    Contact,
    CurrencyCode,
    DomainModel,
    Locale,
    Money,
    Quantity,
    ShortText,
    email_key,
)


class OrderLine(DomainModel):
    sku: ShortText
    name: ShortText
    quantity: Quantity
    unit_price: Money
    # Sold as final sale: never returnable, whatever the policy says.
    final_sale: bool = False
    fulfilled_quantity: Annotated[int, Field(ge=0, le=10_000)] = 0
    # The shop's ids of the line and of the variant ordered (Shopify GraphQL ids), when known:
    # an exchange offers the variant's siblings and orders the replacement by variant.
    line_item_id: ShortText | None = None
    variant_id: ShortText | None = None

    @model_validator(mode="after")
    def _fulfilled_at_most_ordered(self) -> OrderLine:
        if self.fulfilled_quantity > self.quantity:
            raise ValueError("fulfilled_quantity cannot be more than quantity")
        return self


class PaymentSummary(DomainModel):
    """How an order was paid, as much as a shopper may be shown: the card's brand and last
    four digits, never more (nothing more is even kept)."""

    gateway: ShortText | None = None
    card_brand: ShortText | None = None
    card_last4: Annotated[str, StringConstraints(pattern=r"^\d{4}$")] | None = None


class OrderDetails(DomainModel):
    """Everything about an order but its identity and provenance: what the admin API's
    `PUT /orders/{number}` body carries."""

    external_id: ShortText | None = None
    customer_email: EmailStr
    customer_name: ShortText | None = None
    locale: Locale = "en"
    currency: CurrencyCode = "EUR"
    ordered_at: date
    # The day the (last) parcel was delivered; None until a carrier says so.
    delivered_at: date | None = None
    lines: Annotated[list[OrderLine], Field(min_length=1, max_length=250)]
    # When the shop canceled the order; None while it stands.
    canceled_at: datetime | None = None
    # The order summary the portal shows its shopper.
    total: Money | None = None
    shipping_address: Contact | None = None
    billing_address: Contact | None = None
    payment: PaymentSummary | None = None

    @property
    def fulfilled_units(self) -> int:
        return sum(line.fulfilled_quantity for line in self.lines)

    @property
    def unfulfilled(self) -> bool:
        return self.fulfilled_units == 0

    @property
    def fully_fulfilled(self) -> bool:
        return all(line.fulfilled_quantity >= line.quantity for line in self.lines)

    @model_validator(mode="after")
    def _delivered_after_ordered(self) -> OrderDetails:
        if self.delivered_at is not None and self.delivered_at < self.ordered_at:
            raise ValueError("delivered_at cannot be before ordered_at")
        return self


class Order(OrderDetails):
    # As people see and type it, e.g. "#1001".
    number: ShortText
    source: Literal["shopify", "admin"]
    # When the source last changed the order (Shopify's `updated_at`, or when the admin API
    # received it): of two versions of an order, the later one wins.
    source_updated_at: datetime

    @field_validator("source_updated_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        # Versions from different offsets must compare as instants; naive ones are taken as UTC.
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def customer_key(self) -> str:
        return email_key(self.customer_email)

    def shipped(self, line: OrderLine) -> int | None:
        """Units of `line` the shop says it shipped; None when its platform does not say (the
        admin API's orders carry no fulfillments). A Shopify order delivered without
        fulfillments on record shipped whole."""
        if self.source != "shopify":
            return None
        if self.fulfilled_units == 0 and self.delivered_at is not None:
            return line.quantity
        return line.fulfilled_quantity
