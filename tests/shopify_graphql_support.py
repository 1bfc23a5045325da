"""A stand-in for a shop's Admin GraphQL API, at the HTTP level (respx), answering what an
exchange asks with the documented shapes of tests/events/shopify_graphql/, and keeping the
draft orders it was asked to create so that a second look finds them."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import httpx
import respx

SHOP = "maison-lune.myshopify.com"
API_VERSION = "2026-04"
GRAPHQL_URL = f"https://{SHOP}/admin/api/{API_VERSION}/graphql.json"
FIXTURES = Path(__file__).parent / "events" / "shopify_graphql"
_TAG = re.compile(r"^tag:'([^']+)'$")


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class ShopStandIn:
    """The shop, as respx's side effect for GRAPHQL_URL. `calls` holds each request's
    operation (the first field of its document) and variables, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.drafts: dict[str, dict[str, Any]] = {}
        # Answers given instead of the stand-in's own, by operation: a body (a userError) or a
        # whole response (an outage).
        self.answers: dict[str, dict[str, Any] | httpx.Response] = {}
        self.variants = fixture("product_variant_options")
        # Shopify's search index may not list a draft created a moment ago.
        self.search_lags = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        operation = _operation(payload["query"])
        variables = payload.get("variables") or {}
        self.calls.append((operation, variables))
        if operation in self.answers:
            answer = self.answers[operation]
            return (
                answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)
            )
        return httpx.Response(200, json=getattr(self, f"_{operation}")(variables))

    def operations(self, name: str) -> list[dict[str, Any]]:
        """The variables of every call of `name`."""
        return [variables for operation, variables in self.calls if operation == name]

    def _productVariant(self, variables: dict[str, Any]) -> dict[str, Any]:
        listed = {
            n["id"] for n in self.variants["data"]["productVariant"]["product"]["variants"]["nodes"]
        }
        return self.variants if variables["id"] in listed else fixture("product_variant_unknown")

    def _draftOrders(self, variables: dict[str, Any]) -> dict[str, Any]:
        match = _TAG.match(variables["query"])
        node = self.drafts.get(match.group(1)) if match and not self.search_lags else None
        answer = fixture("draft_order_search_none")
        if node is not None:
            answer["data"]["draftOrders"]["nodes"] = [copy.deepcopy(node)]
        return answer

    def _draftOrder(self, variables: dict[str, Any]) -> dict[str, Any]:
        kept = [node for node in self.drafts.values() if node["id"] == variables["id"]]
        return {"data": {"draftOrder": copy.deepcopy(kept[0]) if kept else None}}

    def _draftOrderCreate(self, variables: dict[str, Any]) -> dict[str, Any]:
        answer = fixture("draft_order_create")
        node = answer["data"]["draftOrderCreate"]["draftOrder"]
        for tag in variables["input"].get("tags", []):
            self.drafts[tag] = node
        return answer

    def _order(self, variables: dict[str, Any]) -> dict[str, Any]:
        """Where an order shipped (a claim's replacement ships there too)."""
        answer = fixture("order_shipping_address")
        answer["data"]["order"]["id"] = variables["id"]
        return answer

    def _draftOrderComplete(self, variables: dict[str, Any]) -> dict[str, Any]:
        return self._moved("draft_order_complete", "draftOrderComplete", variables["id"])

    def _draftOrderInvoiceSend(self, variables: dict[str, Any]) -> dict[str, Any]:
        return self._moved("draft_order_invoice_send", "draftOrderInvoiceSend", variables["id"])

    def _moved(self, name: str, field: str, draft_id: str) -> dict[str, Any]:
        answer = fixture(name)
        node = answer["data"][field]["draftOrder"]
        for tag, kept in self.drafts.items():
            if kept["id"] == draft_id:
                self.drafts[tag] = node
        return answer


def _operation(document: str) -> str:
    """The first field a query or mutation selects: `draftOrderCreate`, `productVariant`..."""
    body = document[document.index("{") + 1 :]
    return re.match(r"\s*(\w+)", body).group(1)  # type: ignore[union-attr]


def admin_client() -> Any:
    """The Shopify Admin API client the app uses, pointed at the stand-in's shop."""
    try:
        from chalicelib.integrations.shopify_admin import ShopifyAdmin
    except ImportError:
        return _PlainGraphQL()
    return ShopifyAdmin(
        shop_domain=SHOP,
        access_token="shpat_test",
        api_version=API_VERSION,
        timeout_seconds=5.0,
        sleep=lambda seconds: None,
    )


class _PlainGraphQL:
    """The Admin client's contract in its simplest form, while the app has none of its own."""

    def execute(
        self, query: str, variables: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        response = httpx.post(
            GRAPHQL_URL,
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": "shpat_test"},
        )
        response.raise_for_status()
        payload = response.json()
        if payload.get("errors"):
            raise RuntimeError(payload["errors"])
        return payload["data"]


def mocked_shop(router: respx.MockRouter) -> ShopStandIn:
    shop = ShopStandIn()
    router.post(GRAPHQL_URL).mock(side_effect=shop)
    return shop
