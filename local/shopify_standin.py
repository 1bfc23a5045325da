"""A stand-in for a Shopify shop on the laptop (`make run` without a real shop).

It answers the Admin GraphQL calls returns-desk makes (`order`, `refundCreate`, `shop`,
`giftCardCreate`, `giftCards`, `productVariant`, `draftOrders`, `draftOrder`, `draftOrderCreate`,
`draftOrderComplete`, `draftOrderInvoiceSend`, `orderCancel`) in the shapes of Shopify's
documentation, keeps the shop's orders, refunds, gift cards and draft orders in memory, and
prints each change as one `[shopify]` line. An order canceled shows its `cancelledAt`, and a
second `orderCancel` of it is refused, as Shopify refuses it. A repeated `@idempotent` key
answers the first call's result, as Shopify does.
An order shows the refunds made of it (`refunds`, with their note and total) and their REFUND
transactions, as Shopify's does, so a retry finds the refund an earlier try made.

Which call it is, it reads from the operation's root field in the query text: it is a stand-in,
not a GraphQL server. Nothing is checked (no token, no cost, no rate limit).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any

from local.background_server import BackgroundServer

SHOP_DOMAIN = "returns-desk-demo.myshopify.com"
_IDEMPOTENT_KEY = re.compile(r'@idempotent\(key:\s*"([^"]+)"\)')
_ROOT_FIELDS = (
    "orderCancel",
    "refundCreate",
    "giftCardCreate",
    "draftOrderCreate",
    "draftOrderComplete",
    "draftOrderInvoiceSend",
    "draftOrders",
    "draftOrder",
    "giftCards",
    "productVariant",
    "order",
    "shop",
)
_ROOT_FIELD = re.compile(r"\{\s*(" + "|".join(_ROOT_FIELDS) + r")\b")
_TAG = re.compile(r"tag:'([^']+)'")


@dataclass
class ShopLine:
    sku: str
    quantity: int
    price: Decimal
    id: str
    variant_id: str | None = None
    refunded: int = 0


@dataclass
class ShopOrder:
    id: str
    name: str
    currency: str
    lines: list[ShopLine]
    transactions: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    # A MailingAddress as Shopify shows it (a claim's replacement ships there).
    shipping_address: dict[str, Any] | None = None
    cancelled_at: str | None = None


@dataclass(frozen=True)
class Variant:
    id: str
    title: str
    price: Decimal
    product_id: str
    available: bool = True


class ShopifyStandIn:
    """The server, its shop, and the lines it printed (`log`, for the tests)."""

    def __init__(self, port: int = 0, *, currency: str = "EUR", echo: bool = True) -> None:
        self.currency = currency
        self.orders: dict[str, ShopOrder] = {}
        self.variants: dict[str, Variant] = {}
        self.gift_cards: dict[str, dict[str, Any]] = {}
        self.draft_orders: dict[str, dict[str, Any]] = {}
        self.log: list[str] = []
        self._answers: dict[str, dict[str, Any]] = {}
        self._echo = echo
        self._lock = threading.Lock()
        self._ids = itertools.count(1001)
        self._server = BackgroundServer(_handler(self), port, "shopify-standin")

    def start(self) -> ShopifyStandIn:
        self._server.start()
        return self

    @property
    def api_url(self) -> str:
        """The shop's base URL, as `SHOPIFY_API_URL` takes it."""
        return self._server.origin

    def stop(self) -> None:
        self._server.stop()

    # --- the shop's contents -------------------------------------------------------------------

    def add_order(
        self,
        order_id: str,
        name: str,
        lines: list[ShopLine],
        *,
        currency: str | None = None,
        shipping_address: dict[str, Any] | None = None,
    ) -> None:
        """An order paid in full by card: one successful SALE of its lines' total."""
        total = sum((line.price * line.quantity for line in lines), Decimal("0"))
        order = ShopOrder(
            order_id, name, currency or self.currency, lines, shipping_address=shipping_address
        )
        order.transactions.append(
            self._transaction("SALE", total, order.currency, gateway="shopify_payments")
        )
        with self._lock:
            self.orders[order_id] = order

    def add_variants(self, product_id: str, variants: list[tuple[str, str, Decimal]]) -> None:
        """A product's variants: (variant gid, title, price)."""
        with self._lock:
            for variant_id, title, price in variants:
                self.variants[variant_id] = Variant(variant_id, title, price, product_id)

    # --- GraphQL -------------------------------------------------------------------------------

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        query = str(body.get("query") or "")
        variables = body.get("variables") or {}
        key = _IDEMPOTENT_KEY.search(query)
        with self._lock:
            if key and key.group(1) in self._answers:
                return self._answers[key.group(1)]
            root = _ROOT_FIELD.search(query)
            handler = getattr(self, f"_{root.group(1)}", None) if root else None
            if handler is None:
                return {"errors": [{"message": "The stand-in does not know this query"}]}
            answer = {"data": handler(variables)}
            if key:
                self._answers[key.group(1)] = answer
            return answer

    def _order(self, variables: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(str(variables.get("id")))
        if order is None:
            return {"order": None}
        return {
            "order": {
                "id": order.id,
                "name": order.name,
                "currencyCode": order.currency,
                "presentmentCurrencyCode": order.currency,
                "lineItems": {
                    "nodes": [
                        {
                            "id": line.id,
                            "sku": line.sku,
                            "quantity": line.quantity,
                            "refundableQuantity": line.quantity - line.refunded,
                        }
                        for line in order.lines
                    ]
                },
                "transactions": order.transactions,
                "refunds": order.refunds,
                "cancelledAt": order.cancelled_at,
                "shippingAddress": order.shipping_address,
            }
        }

    def _orderCancel(self, variables: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(str(variables.get("orderId")))
        if order is None:
            return _cancel_refused(["orderId"], "Order does not exist", "NOT_FOUND")
        if order.cancelled_at is not None:
            return _cancel_refused(["orderId"], "Order has already been cancelled", "INVALID")
        order.cancelled_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        refund = bool((variables.get("refundMethod") or {}).get("originalPaymentMethodsRefund"))
        job_id = f"gid://shopify/Job/{uuid.uuid4()}"
        done = [
            word
            for word, asked in (
                ("refunded", refund),
                ("restocked", bool(variables.get("restock"))),
                ("customer notified", bool(variables.get("notifyCustomer"))),
            )
            if asked
        ]
        self._print(
            f"orderCancel {order.name} ({variables.get('reason')}): "
            f"{', '.join(done) or 'no refund, no restock'} ({job_id})"
        )
        return {"orderCancel": {"job": {"id": job_id, "done": False}, "orderCancelUserErrors": []}}

    def _refundCreate(self, variables: dict[str, Any]) -> dict[str, Any]:
        refund_input = variables.get("input") or {}
        order = self.orders.get(str(refund_input.get("orderId")))
        if order is None:
            return _refused("refundCreate", ["orderId"], "Order does not exist")
        by_id = {line.id: line for line in order.lines}
        for item in refund_input.get("refundLineItems") or []:
            line = by_id.get(item.get("lineItemId"))
            if line is not None:
                line.refunded += int(item.get("quantity") or 0)
        made = [
            self._transaction(
                "REFUND",
                Decimal(str(t["amount"])),
                order.currency,
                gateway=t.get("gateway", ""),
                parent=t.get("parentId"),
            )
            for t in refund_input.get("transactions") or []
        ]
        order.transactions.extend(made)
        refund_id = f"gid://shopify/Refund/{next(self._ids)}"
        amount = sum((Decimal(t["amountSet"]["shopMoney"]["amount"]) for t in made), Decimal(0))
        order.refunds.append(
            {
                "id": refund_id,
                "note": refund_input.get("note"),
                "totalRefundedSet": {
                    "shopMoney": {"amount": f"{amount:.2f}", "currencyCode": order.currency}
                },
            }
        )
        self._print(f"refundCreate on {order.name}: {amount} {order.currency} ({refund_id})")
        return {
            "refundCreate": {
                "refund": {"id": refund_id, "transactions": {"nodes": made}},
                "userErrors": [],
            }
        }

    def _shop(self, variables: dict[str, Any]) -> dict[str, Any]:
        return {"shop": {"currencyCode": self.currency}}

    def _giftCardCreate(self, variables: dict[str, Any]) -> dict[str, Any]:
        card_input = variables.get("input") or {}
        code = str(card_input.get("code") or "").upper()
        if code in self.gift_cards:
            return _refused("giftCardCreate", ["input", "code"], "Code has already been taken")
        card = {
            "id": f"gid://shopify/GiftCard/{next(self._ids)}",
            "lastCharacters": code[-4:],
            "initialValue": {
                "amount": str(card_input.get("initialValue")),
                "currencyCode": self.currency,
            },
        }
        self.gift_cards[code] = card
        self._print(
            f"giftCardCreate: {card['initialValue']['amount']} {self.currency}, code ending "
            f"{card['lastCharacters']} ({card['id']})"
        )
        return {"giftCardCreate": {"giftCard": card, "userErrors": []}}

    def _giftCards(self, variables: dict[str, Any]) -> dict[str, Any]:
        card = self.gift_cards.get(str(variables.get("query") or "").upper())
        return {"giftCards": {"nodes": [card] if card else []}}

    def _productVariant(self, variables: dict[str, Any]) -> dict[str, Any]:
        variant = self.variants.get(str(variables.get("id")))
        if variant is None:
            return {"productVariant": None}
        siblings = [v for v in self.variants.values() if v.product_id == variant.product_id]
        return {
            "productVariant": {
                "id": variant.id,
                "product": {
                    "id": variant.product_id,
                    "variants": {
                        "nodes": [
                            {
                                "id": v.id,
                                "title": v.title,
                                "price": str(v.price),
                                "availableForSale": v.available,
                            }
                            for v in siblings
                        ]
                    },
                },
            }
        }

    def _draftOrders(self, variables: dict[str, Any]) -> dict[str, Any]:
        tag = _TAG.search(str(variables.get("query") or ""))
        found = [
            draft for draft in self.draft_orders.values() if tag and tag.group(1) in draft["_tags"]
        ]
        return {"draftOrders": {"nodes": [_shown(draft) for draft in found[:1]]}}

    def _draftOrder(self, variables: dict[str, Any]) -> dict[str, Any]:
        draft = self.draft_orders.get(str(variables.get("id")))
        return {"draftOrder": _shown(draft) if draft else None}

    def _draftOrderCreate(self, variables: dict[str, Any]) -> dict[str, Any]:
        draft_input = variables.get("input") or {}
        number = next(self._ids)
        draft = {
            "id": f"gid://shopify/DraftOrder/{number}",
            "name": f"#D{number}",
            "status": "OPEN",
            "order": None,
            "_tags": list(draft_input.get("tags") or []),
            "_lines": draft_input.get("lineItems") or [],
        }
        self.draft_orders[draft["id"]] = draft
        variants = ", ".join(
            f"{item.get('quantity')} x {self._variant_title(item.get('variantId'))}"
            for item in draft["_lines"]
        )
        discount = draft_input.get("appliedDiscount") or {}
        self._print(
            f"draftOrderCreate {draft['name']}: {variants}, discount {discount.get('value')} "
            f"{discount.get('valueType')}"
        )
        return {"draftOrderCreate": {"draftOrder": _shown(draft), "userErrors": []}}

    def _draftOrderComplete(self, variables: dict[str, Any]) -> dict[str, Any]:
        draft = self.draft_orders.get(str(variables.get("id")))
        if draft is None:
            return _refused("draftOrderComplete", ["id"], "Draft order does not exist")
        if draft["order"] is None:
            number = next(self._ids)
            draft["order"] = {"id": f"gid://shopify/Order/{number}", "name": f"#{number}"}
            draft["status"] = "COMPLETED"
            self._print(f"draftOrderComplete {draft['name']}: order {draft['order']['name']}")
        return {"draftOrderComplete": {"draftOrder": _shown(draft), "userErrors": []}}

    def _draftOrderInvoiceSend(self, variables: dict[str, Any]) -> dict[str, Any]:
        draft = self.draft_orders.get(str(variables.get("id")))
        if draft is None:
            return _refused("draftOrderInvoiceSend", ["id"], "Draft order does not exist")
        draft["status"] = "INVOICE_SENT"
        self._print(f"draftOrderInvoiceSend {draft['name']}")
        return {"draftOrderInvoiceSend": {"draftOrder": _shown(draft), "userErrors": []}}

    # --- helpers ---------------------------------------------------------------------------------

    def _transaction(
        self,
        kind: str,
        amount: Decimal,
        currency: str,
        *,
        gateway: str,
        parent: str | None = None,
    ) -> dict[str, Any]:
        return {
            "id": f"gid://shopify/OrderTransaction/{next(self._ids)}",
            "kind": kind,
            "status": "SUCCESS",
            "gateway": gateway,
            "parentTransaction": {"id": parent} if parent else None,
            "amountSet": {"shopMoney": {"amount": f"{amount:.2f}", "currencyCode": currency}},
        }

    def _variant_title(self, variant_id: Any) -> str:
        variant = self.variants.get(str(variant_id))
        return variant.title if variant else str(variant_id)

    def _print(self, line: str) -> None:
        text = f"[shopify] {line}"
        self.log.append(text)
        if self._echo:
            print(text, flush=True)


def _shown(draft: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in draft.items() if not key.startswith("_")}


def _refused(mutation: str, path: list[str], message: str) -> dict[str, Any]:
    """A mutation's payload refusing it: its object null, `userErrors` saying why."""
    made = {"refundCreate": "refund", "giftCardCreate": "giftCard"}.get(mutation, "draftOrder")
    code = "TAKEN" if "taken" in message else "INVALID"
    error = {"field": path, "message": message, "code": code}
    return {mutation: {made: None, "userErrors": [error]}}


def _cancel_refused(path: list[str], message: str, code: str) -> dict[str, Any]:
    error = {"field": path, "message": message, "code": code}
    return {"orderCancel": {"job": None, "orderCancelUserErrors": [error]}}


def _handler(standin: ShopifyStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            payload = json.dumps(standin.answer(body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
