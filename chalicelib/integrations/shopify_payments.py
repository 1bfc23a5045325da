"""Refunds and store credit paid through the Shopify Admin GraphQL API: the `PaymentProvider`
of a shop whose orders come from Shopify (shopify_admin.py makes the calls).

A REFUND goes back the way the shopper paid, as one Shopify refund of the order
(`refundCreate`, https://shopify.dev/docs/api/admin-graphql/latest/mutations/refundCreate):
- The order is read first (`order(id:)`): its line items (`id sku quantity refundableQuantity`)
  and its payments (`transactions {id kind status gateway parentTransaction amountSet}`,
  https://shopify.dev/docs/api/admin-graphql/latest/objects/OrderTransaction).
- The amount is the resolution's, exactly. It is taken from the successful SALE and CAPTURE
  payments in the order Shopify lists them, each for at most what it still holds (its amount
  less the REFUNDs already made from it): `transactions [{orderId, parentId, gateway,
  kind: REFUND, amount}]` (input OrderTransactionInput). More than the order still holds is
  declined, with the figures, before anything is asked of Shopify.
- The units received are the refund's `refundLineItems [{lineItemId, quantity, restockType}]`:
  a return line is the order line of the same SKU, or of the id in `SHOPIFY-LINE-<id>` (how
  an order line without a SKU is named by the webhooks, see shopify.py), for at most its
  `refundableQuantity`. They are `NO_RESTOCK`: returns-desk knows neither the Shopify location
  nor whether a unit can be sold again, so the warehouse restocks where it does.
- A claim (an order issue, nothing sent back, domain/order_requests.py) is paid by the same
  code: its claimed units are the refund's lines (by the order line the claim kept, else by
  SKU), never restocked, and its note is "Claim C-000003 (payment <key>)". Both are read as a
  `PaymentSubject` (payments.py).
- `notify` is the policy's `shop_notifies_shopper` (Shopify emails the shopper the refund);
  `note` is "Return R-001234 (payment <idempotency key>)", the marker naming the payment
  (about 60 characters; RefundInput documents `note` as a String with no length limit).
- A refund made by an earlier try is found before anything is checked or built: the order's
  `refunds(first:) {id note totalRefundedSet}` (a list, not a connection,
  https://shopify.dev/docs/api/admin-graphql/latest/objects/Order#field-Order.fields.refunds)
  are read with it, and one whose note carries this payment's marker is the payment, its
  amount checked like an answer's. Without this, a retry after a lost answer (or a lost write
  of it) would see the order already refunded: a full refund would be declined as more than
  the payments hold though the shopper was paid, and a partial one would ask again with other
  lines and amounts under the same key, which Shopify does not take as the same request.
- `@idempotent(key:)` is a UUID named after the payment's idempotency key (uuid5,
  `shopify_admin.idempotency_uuid`): two tries that both read the order before either refund
  was made ask the same thing with the same key, and Shopify answers the first refund instead
  of refunding again. A key Shopify already used for another refund (a person changed the
  amount after a lost answer) answers that refund: its amount is checked, and a difference
  declined.
Only orders in the shop's own currency are refunded here: their amounts are the ones
returns-desk keeps (the webhooks' prices are in the shop currency), and Shopify would want the
shopper's currency and its amounts for any other.

A VOUCHER is a Shopify gift card of the resolution's amount (`giftCardCreate`,
https://shopify.dev/docs/api/admin-graphql/latest/mutations/giftCardCreate), not assigned to a
customer (that would take the customers' scope too): the shopper gets its code from
returns-desk. `giftCardCreate` takes no idempotency key, so the code is made from the payment's
idempotency key (HMAC-SHA256 with the Admin API token, 20 base32 characters): a retry asks for
the same code, Shopify answers TAKEN (GiftCardErrorCode, .../enums/GiftCardErrorCode), and the
card holding that code is the one made the first time (`giftCards(query: <code>)`, whose
`initialValue` is checked like a refund's amount). Shopify never shows a code again after it is
made (only `lastCharacters`); the code is the receipt's `voucher_code`, and logs and notes show
its last four characters only.

Outcomes: paid, a `PaymentReceipt` with Shopify's id (`gid://shopify/Refund/…`,
`gid://shopify/GiftCard/…`); refused for good (a mutation's `userErrors`, an amount over what is
left, a query Shopify will not run), `PaymentDeclinedError`; the refund of an order not from
Shopify (opened through the admin API), recorded for the back office to pay, as without a shop;
Shopify busy or out of reach, shopify_admin's transient errors, which the lifecycle retries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.domain.order_requests import OrderRequest
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import CENT
from chalicelib.domain.rma import Rma
from chalicelib.domain.statuses import FinancialMethod
from chalicelib.integrations.payments import (
    Owed,
    PaidUnits,
    PaymentDeclinedError,
    PaymentReceipt,
    PaymentSubject,
    manual_receipt,
)
from chalicelib.integrations.shopify_admin import ShopifyAdmin, ShopifyError
from chalicelib.observability import logger

ORDER_GID_PREFIX = "gid://shopify/Order/"
# The SKU the webhooks give an order line that has none (shopify.py).
LINE_ID_SKU_PREFIX = "SHOPIFY-LINE-"
GIFT_CARD_CODE_LENGTH = 20  # Shopify takes 8-20 letters and digits

_PAYMENT_KINDS = frozenset({"SALE", "CAPTURE"})
# A refund being made still takes its money from the payment.
_REFUND_STATUSES = frozenset({"SUCCESS", "PENDING"})
_FAILED_STATUSES = frozenset({"FAILURE", "ERROR"})

ORDER_QUERY = """
query ReturnsDeskOrder($id: ID!) {
  order(id: $id) {
    id
    name
    currencyCode
    presentmentCurrencyCode
    lineItems(first: 250) {
      nodes { id sku quantity refundableQuantity }
    }
    transactions(first: 100) {
      id
      kind
      status
      gateway
      parentTransaction { id }
      amountSet { shopMoney { amount currencyCode } }
    }
    refunds(first: 100) {
      id
      note
      totalRefundedSet { shopMoney { amount currencyCode } }
    }
  }
}
"""

REFUND_CREATE = """
mutation ReturnsDeskRefund($input: RefundInput!) {
  refundCreate(input: $input) @idempotent {
    refund {
      id
      transactions(first: 20) {
        nodes { id kind status amountSet { shopMoney { amount currencyCode } } }
      }
    }
    userErrors { field message }
  }
}
"""

SHOP_CURRENCY_QUERY = """
query ReturnsDeskShopCurrency {
  shop { currencyCode }
}
"""

GIFT_CARD_CREATE = """
mutation ReturnsDeskStoreCredit($input: GiftCardCreateInput!) {
  giftCardCreate(input: $input) {
    giftCard { id lastCharacters initialValue { amount currencyCode } }
    userErrors { field message code }
  }
}
"""

GIFT_CARDS_BY_CODE = """
query ReturnsDeskStoreCreditByCode($query: String!) {
  giftCards(first: 5, query: $query) {
    nodes { id lastCharacters initialValue { amount currencyCode } }
  }
}
"""


@dataclass(frozen=True)
class _OrderLine:
    id: str
    sku: str | None
    refundable: int


@dataclass(frozen=True)
class _Payment:
    id: str
    gateway: str
    refundable: Decimal


class ShopifyPayments:
    """Pays resolutions in the shop: refunds on the order, store credit as gift cards."""

    def __init__(
        self,
        admin: ShopifyAdmin,
        policy: Callable[[], ReturnPolicy],
        *,
        gift_card_secret: bytes,
    ) -> None:
        self._admin = admin
        self._policy = policy
        self._gift_card_secret = gift_card_secret

    def refund(
        self, paid: Rma | OrderRequest, resolution: Owed, *, idempotency_key: str
    ) -> PaymentReceipt:
        subject = PaymentSubject.of(paid)
        with _declined_when_refused(subject):
            if resolution.method is FinancialMethod.VOUCHER:
                return self._issue_store_credit(subject, resolution, idempotency_key)
            return self._refund_order(subject, resolution, idempotency_key)

    # --- refunds ------------------------------------------------------------------------------

    def _refund_order(
        self, subject: PaymentSubject, resolution: Owed, idempotency_key: str
    ) -> PaymentReceipt:
        order_id = subject.order_external_id
        if not order_id or not order_id.startswith(ORDER_GID_PREFIX):
            # An order the merchant's own system opened (the admin API) was paid elsewhere:
            # Shopify cannot refund it, and declining would leave the return with no way out.
            # It is recorded as paid in the back office, as without Shopify, and says so.
            manual = manual_receipt(resolution, subject.currency, idempotency_key)
            return PaymentReceipt(
                reference=manual.reference,
                note=(
                    f"Order {subject.order_number} is not a Shopify order (no Shopify order id): "
                    f"{manual.note}"
                ),
            )
        order = self._admin.execute(ORDER_QUERY, {"id": order_id}).get("order")
        if not isinstance(order, dict):
            raise PaymentDeclinedError(
                f"Shopify shows no order {order_id} (order {subject.order_number} of "
                f"{subject.named}): an order older than 60 days needs the app's "
                "read_all_orders scope."
            )
        amount = resolution.amount
        marker = _payment_marker(idempotency_key)
        made = _refund_marked(order, marker)
        if made is not None:
            # An earlier try made it and its answer (or the write after it) was lost: the
            # order already shows it, so checking or building again would be wrong.
            _check_amount(
                made["id"], _amount(_shop_money(made, "totalRefundedSet")), amount, subject
            )
            logger.info(
                "Shopify refund found",
                extra={"reference": subject.reference, "refund": made["id"]},
            )
            return _refund_receipt(made["id"], amount, subject)
        _check_currency(subject, order)
        payments = _payments(order)
        refundable = sum((p.refundable for p in payments), Decimal("0"))
        if amount > refundable:
            raise PaymentDeclinedError(
                f"{subject.label} is to refund {amount} {subject.currency}, but "
                f"Shopify can refund at most {refundable} {subject.currency} of order "
                f"{subject.order_number} (what its payments still hold)."
            )
        refund_input = {
            "orderId": order_id,
            "note": f"{subject.label} {marker}",
            "notify": self._policy().shop_notifies_shopper,
            "refundLineItems": _refund_lines(subject.units, _order_lines(order)),
            "transactions": [
                {
                    "orderId": order_id,
                    "parentId": payment.id,
                    "gateway": payment.gateway,
                    "kind": "REFUND",
                    "amount": _money_text(part),
                }
                for payment, part in _allocate(amount, payments)
            ],
        }
        payload = self._admin.execute(
            REFUND_CREATE, {"input": refund_input}, idempotency_key=idempotency_key
        ).get("refundCreate")
        refund = _created(payload, "refund", subject)
        _check_refunded(refund, amount, subject)
        logger.info(
            "Shopify refund created",
            extra={"reference": subject.reference, "refund": refund["id"]},
        )
        return _refund_receipt(refund["id"], amount, subject)

    # --- store credit -------------------------------------------------------------------------

    def _issue_store_credit(
        self, subject: PaymentSubject, resolution: Owed, idempotency_key: str
    ) -> PaymentReceipt:
        shop = self._admin.execute(SHOP_CURRENCY_QUERY, {}).get("shop") or {}
        if shop.get("currencyCode") != subject.currency:
            raise PaymentDeclinedError(
                f"{subject.label} owes store credit in {subject.currency}, but the "
                f"shop's gift cards are in {shop.get('currencyCode')}."
            )
        code = self.gift_card_code(idempotency_key)
        amount = resolution.amount
        card_input = {
            "initialValue": _money_text(amount),
            "code": code,
            "note": f"Store credit for {subject.named} (order {subject.order_number})",
        }
        payload = self._admin.execute(GIFT_CARD_CREATE, {"input": card_input}).get("giftCardCreate")
        if _code_taken(payload):
            # Made by an earlier try whose answer was lost: that card is this payment.
            card = self._card_with_code(code, subject)
        else:
            card = _created(payload, "giftCard", subject)
        value = _amount(card.get("initialValue"))
        if value != amount:
            raise PaymentDeclinedError(
                f"Shopify's gift card for {subject.named} ({card.get('id')}) "
                f"holds {value} {subject.currency}, not the {amount} {subject.currency} owed: "
                "check it in Shopify before paying again."
            )
        ending = code[-4:]
        logger.info(
            "Shopify gift card issued",
            extra={"reference": subject.reference, "gift_card": card["id"], "ending": ending},
        )
        return PaymentReceipt(
            reference=str(card["id"]),
            note=(
                f"Store credit of {amount} {subject.currency} issued as Shopify gift card "
                f"ending {ending} ({card['id']})"
            ),
            voucher_code=code,
        )

    def gift_card_code(self, idempotency_key: str) -> str:
        """The gift card code of the payment `idempotency_key`: the same for every try,
        unguessable without the secret."""
        digest = hmac.new(
            self._gift_card_secret, f"gift-card:{idempotency_key}".encode(), hashlib.sha256
        ).digest()
        return base64.b32encode(digest).decode()[:GIFT_CARD_CODE_LENGTH]

    def _card_with_code(self, code: str, subject: PaymentSubject) -> dict[str, Any]:
        data = self._admin.execute(GIFT_CARDS_BY_CODE, {"query": code})
        nodes = ((data.get("giftCards") or {}).get("nodes")) or []
        for card in nodes:
            if isinstance(card, dict) and str(card.get("lastCharacters", "")).upper() == code[-4:]:
                return card
        raise PaymentDeclinedError(
            f"Shopify says the gift card code of {subject.named} is taken, but "
            f"shows no gift card ending {code[-4:]}: check the shop's gift cards."
        )


def _payment_marker(idempotency_key: str) -> str:
    """What a refund's note says to name the payment `idempotency_key` made it."""
    return f"(payment {idempotency_key})"


@contextmanager
def _declined_when_refused(subject: PaymentSubject) -> Iterator[None]:
    """A query Shopify will not run (a missing scope, a field it does not know) pays nothing,
    whatever the tries: the return's money is for a person to settle."""
    try:
        yield
    except ShopifyError as error:
        raise PaymentDeclinedError(f"Shopify refused to pay {subject.named}: {error}") from error


def _check_currency(subject: PaymentSubject, order: dict[str, Any]) -> None:
    shop_currency = order.get("currencyCode")
    paid_in = order.get("presentmentCurrencyCode") or shop_currency
    if shop_currency != subject.currency or paid_in != shop_currency:
        raise PaymentDeclinedError(
            f"Order {subject.order_number} was paid in {paid_in} in a shop keeping "
            f"{shop_currency}, and {subject.named} is in {subject.currency}: returns-desk refunds "
            "through Shopify only orders paid in the shop's currency; refund it in Shopify."
        )


def _refund_marked(order: dict[str, Any], marker: str) -> dict[str, Any] | None:
    """The order's refund whose note carries `marker`, if one was made."""
    for refund in order.get("refunds") or []:
        if (
            isinstance(refund, dict)
            and refund.get("id")
            and marker in str(refund.get("note") or "")
        ):
            return refund
    return None


def _refund_receipt(refund_id: Any, amount: Decimal, subject: PaymentSubject) -> PaymentReceipt:
    return PaymentReceipt(
        reference=str(refund_id),
        note=f"Refunded {amount} {subject.currency} through Shopify (refund {refund_id})",
    )


def _order_lines(order: dict[str, Any]) -> list[_OrderLine]:
    nodes = (order.get("lineItems") or {}).get("nodes") or []
    return [
        _OrderLine(
            id=str(node["id"]),
            sku=(node.get("sku") or "").strip() or None,
            refundable=int(node.get("refundableQuantity") or 0),
        )
        for node in nodes
        if isinstance(node, dict) and node.get("id")
    ]


def _refund_lines(
    units_paid: tuple[PaidUnits, ...], order_lines: list[_OrderLine]
) -> list[dict[str, Any]]:
    """The order lines of the units paid for (a return's received, a claim's claimed), each for
    at most what it can still refund. Units matching no order line refund no unit (the money is
    the resolution's). Never restocked: a claim's units are not coming back, and a return's
    are restocked where the warehouse does."""
    refund_lines: list[dict[str, Any]] = []
    for line in units_paid:
        units = line.quantity
        for order_line in _matching(line, order_lines):
            quantity = min(units, order_line.refundable)
            if quantity <= 0:
                continue
            refund_lines.append(
                {"lineItemId": order_line.id, "quantity": quantity, "restockType": "NO_RESTOCK"}
            )
            units -= quantity
    return refund_lines


def _matching(units: PaidUnits, order_lines: list[_OrderLine]) -> list[_OrderLine]:
    if units.line_item_id:
        named = [o for o in order_lines if o.id == units.line_item_id]
        if named:
            return named
    sku = units.sku
    same_sku = [o for o in order_lines if o.sku == sku]
    if same_sku or not sku.startswith(LINE_ID_SKU_PREFIX):
        return same_sku
    line_id = sku.removeprefix(LINE_ID_SKU_PREFIX)
    return [o for o in order_lines if o.id.rpartition("/")[2] == line_id]


def _payments(order: dict[str, Any]) -> list[_Payment]:
    """The order's successful payments, each with what it can still refund."""
    transactions = [t for t in order.get("transactions") or [] if isinstance(t, dict)]
    refunded: dict[str, Decimal] = {}
    for t in transactions:
        parent = (t.get("parentTransaction") or {}).get("id")
        if t.get("kind") == "REFUND" and t.get("status") in _REFUND_STATUSES and parent:
            refunded[parent] = refunded.get(parent, Decimal("0")) + _shop_amount(t)
    return [
        _Payment(
            id=str(t["id"]),
            gateway=str(t.get("gateway") or ""),
            refundable=max(_shop_amount(t) - refunded.get(str(t["id"]), Decimal("0")), Decimal(0)),
        )
        for t in transactions
        if t.get("kind") in _PAYMENT_KINDS and t.get("status") == "SUCCESS" and t.get("id")
    ]


def _allocate(amount: Decimal, payments: list[_Payment]) -> list[tuple[_Payment, Decimal]]:
    """`amount` taken from `payments` in their order, each for at most what it holds."""
    parts: list[tuple[_Payment, Decimal]] = []
    left = amount
    for payment in payments:
        if left <= 0:
            break
        part = min(left, payment.refundable)
        if part > 0:
            parts.append((payment, part))
            left -= part
    return parts


def _created(payload: Any, field: str, subject: PaymentSubject) -> dict[str, Any]:
    """The object a mutation made, or its `userErrors` as a decline."""
    if not isinstance(payload, dict):
        raise PaymentDeclinedError(f"Shopify answered no payload when paying {subject.named}.")
    errors = payload.get("userErrors") or []
    if errors:
        messages = "; ".join(_user_error(e) for e in errors)
        raise PaymentDeclinedError(f"Shopify declined to pay {subject.named}: {messages}")
    made = payload.get(field)
    if not isinstance(made, dict) or not made.get("id"):
        raise PaymentDeclinedError(f"Shopify answered no {field} when paying {subject.named}.")
    return made


def _check_refunded(refund: dict[str, Any], amount: Decimal, subject: PaymentSubject) -> None:
    """The refund moves `amount`: a failed transaction, or a refund made earlier under the
    same key for another amount, is for a person to look at."""
    nodes = (refund.get("transactions") or {}).get("nodes") or []
    failed = [n for n in nodes if isinstance(n, dict) and n.get("status") in _FAILED_STATUSES]
    if failed:
        raise PaymentDeclinedError(
            f"Shopify's refund {refund['id']} of {subject.named} failed at the "
            f"payment gateway ({len(failed)} of {len(nodes)} transactions)."
        )
    moved = sum((_shop_amount(n) for n in nodes if isinstance(n, dict)), Decimal("0"))
    _check_amount(refund["id"], moved, amount, subject)


def _check_amount(refund_id: Any, moved: Decimal, amount: Decimal, subject: PaymentSubject) -> None:
    if moved != amount:
        raise PaymentDeclinedError(
            f"Shopify's refund {refund_id} for {subject.named} is of {moved} "
            f"{subject.currency}, not the {amount} {subject.currency} owed: check the order in "
            "Shopify before paying again."
        )


def _code_taken(payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    return any(
        isinstance(e, dict) and e.get("code") == "TAKEN" and "code" in (e.get("field") or [])
        for e in payload.get("userErrors") or []
    )


def _user_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    field = ".".join(str(part) for part in error.get("field") or [])
    return f"{error.get('message')}{f' ({field})' if field else ''}"


def _shop_amount(transaction: dict[str, Any]) -> Decimal:
    return _amount(_shop_money(transaction, "amountSet"))


def _shop_money(node: dict[str, Any], field: str) -> Any:
    """The shop currency's MoneyV2 of a MoneyBag field (`amountSet`, `totalRefundedSet`)."""
    return (node.get(field) or {}).get("shopMoney")


def _amount(money: Any) -> Decimal:
    """A MoneyV2's amount ("10.0") in cents, as returns-desk counts; an unreadable one counts
    as nothing."""
    try:
        return Decimal(str(money["amount"])).quantize(CENT)
    except (TypeError, KeyError, InvalidOperation):
        return Decimal("0.00")


def _money_text(amount: Decimal) -> str:
    return format(amount, "f")
