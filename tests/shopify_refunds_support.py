"""A stand-in for a shop's Admin GraphQL API at the HTTP level (respx), answering what a refund
or store credit asks with the documented shapes of tests/events/shopify_graphql/, and keeping
what a shop keeps: the refunds it made, by `@idempotent` key (a key asked again answers the
first refund), each shown on the order afterwards as Shopify shows it (in `refunds`, with its
note, its REFUND transactions, and its lines no longer refundable), and the gift cards, by code
(a code asked again is TAKEN)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import respx

SHOP = "maison-lune.myshopify.com"
TOKEN = "shpat_refunds_test_token_0123456789"
API_VERSION = "2026-04"
GRAPHQL_URL = f"https://{SHOP}/admin/api/{API_VERSION}/graphql.json"
FIXTURES = Path(__file__).parent / "events" / "shopify_graphql"

_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")
_KEY = re.compile(r'@idempotent\(key: "([^"]+)"\)')


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class Call:
    """One request the shop received."""

    def __init__(self, request: httpx.Request) -> None:
        payload = json.loads(request.content)
        self.request = request
        self.query: str = payload["query"]
        self.variables: dict[str, Any] = payload.get("variables") or {}
        self.operation = _OPERATION.match(self.query).group(1)  # type: ignore[union-attr]
        found = _KEY.search(self.query)
        self.idempotency_key = found.group(1) if found else None


class RefundingShop:
    """The shop, as respx's side effect for GRAPHQL_URL: the order of `order_fixture`, the
    refunds and gift cards made so far, and every call received (`calls`)."""

    def __init__(self, order_fixture: str = "order_one_payment") -> None:
        self.order = fixture(order_fixture)
        self.calls: list[Call] = []
        self.refunds: dict[str, dict[str, Any]] = {}
        self.gift_cards: dict[str, dict[str, Any]] = {}
        # An answer given instead of the shop's own, once, by operation (a userError, a throttle).
        self.answers: dict[str, list[httpx.Response]] = {}
        # The operations whose next answer is lost on the way back, once each made.
        self.lose_answer_of: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        call = Call(request)
        self.calls.append(call)
        queued = self.answers.get(call.operation)
        if queued:
            return queued.pop(0)
        answer = getattr(self, f"_{call.operation}")(call)
        if call.operation in self.lose_answer_of:
            self.lose_answer_of.discard(call.operation)
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return httpx.Response(200, json=answer)

    def answer_once(self, operation: str, body: dict[str, Any], status: int = 200) -> None:
        self.answers.setdefault(operation, []).append(httpx.Response(status, json=body))

    def of(self, operation: str) -> list[Call]:
        return [call for call in self.calls if call.operation == operation]

    # --- the operations returns-desk asks ---------------------------------------------------------

    def _ReturnsDeskOrder(self, call: Call) -> dict[str, Any]:
        answer = copy.deepcopy(self.order)
        answer["data"]["order"]["id"] = call.variables["id"]
        return answer

    def _ReturnsDeskRefund(self, call: Call) -> dict[str, Any]:
        key = call.idempotency_key
        assert key, "refundCreate needs an @idempotent key from 2026-04"
        if key not in self.refunds:
            refund_input = call.variables["input"]
            self.refunds[key] = _refund(len(self.refunds), refund_input)
            self._show_on_order(self.refunds[key], refund_input)
        answer = fixture("refund_create")
        answer["data"]["refundCreate"]["refund"] = copy.deepcopy(self.refunds[key])
        return answer

    def _show_on_order(self, refund: dict[str, Any], refund_input: dict[str, Any]) -> None:
        order = self.order["data"]["order"]
        made = refund["transactions"]["nodes"]
        total = sum((Decimal(n["amountSet"]["shopMoney"]["amount"]) for n in made), Decimal(0))
        order["refunds"].append(
            {
                "id": refund["id"],
                "note": refund_input.get("note"),
                "totalRefundedSet": {
                    "shopMoney": {"amount": str(total), "currencyCode": order["currencyCode"]}
                },
            }
        )
        for node, asked in zip(made, refund_input.get("transactions") or [], strict=True):
            order["transactions"].append(
                {
                    "id": node["id"],
                    "kind": "REFUND",
                    "status": node["status"],
                    "gateway": asked["gateway"],
                    "parentTransaction": {"id": asked["parentId"]},
                    "amountSet": copy.deepcopy(node["amountSet"]),
                }
            )
        lines = {line["id"]: line for line in order["lineItems"]["nodes"]}
        for item in refund_input.get("refundLineItems") or []:
            lines[item["lineItemId"]]["refundableQuantity"] -= item["quantity"]

    def _ReturnsDeskShopCurrency(self, call: Call) -> dict[str, Any]:
        return fixture("shop")

    def _ReturnsDeskStoreCredit(self, call: Call) -> dict[str, Any]:
        card_input = call.variables["input"]
        code = card_input["code"].upper()
        if code in self.gift_cards:
            return fixture("gift_card_code_taken")
        answer = fixture("gift_card_create")
        card = answer["data"]["giftCardCreate"]["giftCard"]
        card["id"] = f"gid://shopify/GiftCard/{1063936318 + len(self.gift_cards)}"
        card["lastCharacters"] = code[-4:]
        card["initialValue"]["amount"] = card_input["initialValue"]
        self.gift_cards[code] = copy.deepcopy(card)
        return answer

    def _ReturnsDeskStoreCreditByCode(self, call: Call) -> dict[str, Any]:
        answer = fixture("gift_cards_by_code")
        found = self.gift_cards.get(call.variables["query"].upper())
        answer["data"]["giftCards"]["nodes"] = [copy.deepcopy(found)] if found else []
        return answer


def _refund(number: int, refund_input: dict[str, Any]) -> dict[str, Any]:
    """The refund a shop makes of `refund_input`: one REFUND transaction per one asked."""
    refund = copy.deepcopy(fixture("refund_create")["data"]["refundCreate"]["refund"])
    refund["id"] = f"gid://shopify/Refund/{929361464 + number}"
    template = refund["transactions"]["nodes"][0]
    nodes = []
    for index, asked in enumerate(refund_input.get("transactions") or []):
        node = copy.deepcopy(template)
        node["id"] = f"gid://shopify/OrderTransaction/{1068278474 + 10 * number + index}"
        node["amountSet"]["shopMoney"]["amount"] = str(Decimal(asked["amount"]))
        nodes.append(node)
    refund["transactions"]["nodes"] = nodes
    return refund


def mocked_shop(
    router: respx.MockRouter, order_fixture: str = "order_one_payment"
) -> RefundingShop:
    shop = RefundingShop(order_fixture)
    router.post(GRAPHQL_URL).mock(side_effect=shop)
    return shop


class RecordedSleep:
    """Records how long the client wanted to sleep, without sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def admin_client(
    sleep: Callable[[float], None] | None = None, max_wait_seconds: float = 10.0
) -> Any:
    """The app's Shopify Admin API client, pointed at the stand-in's shop."""
    from chalicelib.integrations.shopify_admin import ShopifyAdmin

    return ShopifyAdmin(
        shop_domain=SHOP,
        access_token=TOKEN,
        api_version=API_VERSION,
        timeout_seconds=5.0,
        max_wait_seconds=max_wait_seconds,
        sleep=sleep or RecordedSleep(),
    )
