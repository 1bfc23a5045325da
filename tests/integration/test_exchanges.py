"""Specification of choosing an exchange: the portal offers a line's variants as the shop has
them and the policy allows, only on the shopper's own order; the one intake (portal and admin
API alike) keeps the chosen variant when it is of the same product, available and, under
SAME_PRICE_ONLY, at the same price, and refuses it with a clear 400 otherwise; every screen
words the exchange as a replacement."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import respx

from chalicelib.domain.policy import ExchangePriceDifference, ReturnPolicy
from chalicelib.domain.rma import ReplacementOrder, revised
from chalicelib.integrations.shopify import ShopifyOrder
from chalicelib.services import container
from tests.shopify_graphql_support import SHOP, ShopStandIn, mocked_shop
from tests.support import ADMIN_AUTH, JSON, WIDGET_AUTH, body, rma_payload

JANE = "jane.doe@example.com"
BOB = "bob.martin@example.com"
SWEATER = "MER-CREW-NVY-M"
NAVY_M = "gid://shopify/ProductVariant/46318001733950"
NAVY_S_SOLD_OUT = "gid://shopify/ProductVariant/46318001701182"
NAVY_L = "gid://shopify/ProductVariant/46318001766718"
NAVY_XL = "gid://shopify/ProductVariant/46318001799486"
OTHER_PRODUCT = "gid://shopify/ProductVariant/49999999999999"


@pytest.fixture
def shop(api: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[ShopStandIn]:
    """A shop connected through the Admin API, with Jane's order #1001 from its webhook (a
    Navy / M sweater and two beanies) and Bob's #2001."""
    from tests.support import reconfigure

    reconfigure(monkeypatch, SHOPIFY_SHOP_DOMAIN=SHOP, SHOPIFY_ADMIN_TOKEN="shpat_test")
    for number, email in (("#1001", JANE), ("#2001", BOB)):
        container.order_service().record(_shopify_order(number, email))
    with respx.mock(assert_all_called=False) as router:
        yield mocked_shop(router)


def _shopify_order(number: str, email: str) -> Any:
    from pathlib import Path

    payload = json.loads(
        (Path(__file__).parents[1] / "events" / "shopify_orders_create.json").read_text()
    )
    order = ShopifyOrder.model_validate({**payload, "name": number, "email": email}).to_order()
    # Ordered this week and delivered since: well inside the return window.
    return revised(
        order,
        ordered_at=date.today() - timedelta(days=3),
        delivered_at=date.today() - timedelta(days=1),
    )


def set_policy(**changes: Any) -> None:
    policies = container.policy_service()
    policies.replace(ReturnPolicy(**changes), policies.current_with_version()[1])


def portal(api: Any, method: str, path: str, email: str = JANE, payload: Any = None) -> Any:
    token = container.session_tokens().issue(email).token
    return api.http.request(
        method,
        path,
        headers={"Authorization": f"Bearer {token}", **JSON},
        body=json.dumps(payload) if payload is not None else None,
    )


def exchange_request(variant: str | None, **fields: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"sku": SWEATER, "quantity": 1, "reason": "SIZE_PROBLEM"}
    if variant:
        line["exchange_variant_id"] = variant
    return {"order_number": "#1001", "lines": [line], "expected_resolution": "REPLACE", **fields}


# --- What the portal offers ------------------------------------------------------------------


def test_the_portal_offers_the_variants_the_policy_allows_the_ordered_one_first(
    api: Any, shop: ShopStandIn
) -> None:
    # Given the default policy (SAME_PRICE_ONLY): Navy / S is sold out, Navy / XL and Grey / M
    # cost another price than the 89.00 sweater
    response = portal(api, "GET", f"/portal/orders/%231001/lines/{SWEATER}/exchange-options")
    assert response.status_code == 200, response.body
    options = body(response)["options"]
    # Then only the same-price variants on sale are offered, the one ordered first
    assert [(o["title"], o["ordered"], o["difference"]) for o in options] == [
        ("Navy / M", True, "0.00"),
        ("Navy / L", False, "0.00"),
    ]
    # And the shop was asked about the ordered line's variant
    assert shop.operations("productVariant") == [{"id": NAVY_M}]


def test_under_settle_every_available_variant_is_offered_with_its_difference(
    api: Any, shop: ShopStandIn
) -> None:
    set_policy(exchange_price_difference=ExchangePriceDifference.SETTLE)
    response = portal(api, "GET", f"/portal/orders/%231001/lines/{SWEATER}/exchange-options")
    assert [(o["title"], o["difference"]) for o in body(response)["options"]] == [
        ("Navy / M", "0.00"),
        ("Navy / L", "0.00"),
        ("Navy / XL", "10.00"),
        ("Grey / M", "-10.00"),
    ]


def test_exchange_options_are_only_for_the_shopper_s_own_order(api: Any, shop: ShopStandIn) -> None:
    # When Jane asks about Bob's order
    response = portal(api, "GET", f"/portal/orders/%232001/lines/{SWEATER}/exchange-options")
    # Then it is not found, exactly like an order that does not exist, and the shop is not asked
    assert response.status_code == 404
    assert shop.calls == []
    # And a line not on her own order is not found either
    missing = portal(api, "GET", "/portal/orders/%231001/lines/NOPE/exchange-options")
    assert missing.status_code == 404


def test_exchange_options_need_a_signed_in_shopper(api: Any, shop: ShopStandIn) -> None:
    response = api.http.get(f"/portal/orders/%231001/lines/{SWEATER}/exchange-options")
    assert response.status_code == 401


def test_without_a_shop_only_the_same_item_is_offered(api: Any) -> None:
    container.order_service().record(_shopify_order("#1001", JANE))
    response = portal(api, "GET", f"/portal/orders/%231001/lines/{SWEATER}/exchange-options")
    assert response.status_code == 200
    assert body(response)["options"] == []


# --- What the intake keeps and refuses --------------------------------------------------------


def test_a_same_price_variant_of_the_same_product_is_kept_on_the_return(
    api: Any, shop: ShopStandIn
) -> None:
    response = portal(api, "POST", "/portal/returns", payload=exchange_request(NAVY_L))
    assert response.status_code == 201, response.body
    rma = container.rma_service().find(body(response)["reference"])
    [line] = rma.lines
    # Then the line knows the variant ordered and the one to send
    assert (line.line_item_id, line.variant_id) == ("gid://shopify/LineItem/15820446482750", NAVY_M)
    assert (line.exchange.variant_id, line.exchange.title, str(line.exchange.unit_price)) == (
        NAVY_L,
        "Navy / L",
        "89.00",
    )
    # And the shopper sees it on her return
    assert body(response)["items"][0]["exchange_title"] == "Navy / L"


def test_the_same_price_rule_refuses_a_dearer_variant_with_a_clear_400(
    api: Any, shop: ShopStandIn
) -> None:
    response = portal(api, "POST", "/portal/returns", payload=exchange_request(NAVY_XL))
    assert response.status_code == 400, response.body
    error = body(response)["error"]
    assert error["code"] == "invalid_request"
    assert error["message"] == (
        f"{SWEATER} can only be exchanged for a variant at the same price (89.00); "
        "Navy / XL costs 99.00."
    )
    assert error["details"]["exchange_variant_id"] == NAVY_XL
    # And no return was opened
    assert body(portal(api, "GET", "/portal/returns"))["returns"] == []


def test_under_settle_a_dearer_variant_is_kept_with_its_price(api: Any, shop: ShopStandIn) -> None:
    set_policy(exchange_price_difference=ExchangePriceDifference.SETTLE)
    response = portal(api, "POST", "/portal/returns", payload=exchange_request(NAVY_XL))
    assert response.status_code == 201, response.body
    [line] = container.rma_service().find(body(response)["reference"]).lines
    assert str(line.exchange.unit_price) == "99.00"


def test_a_variant_of_another_product_is_refused(api: Any, shop: ShopStandIn) -> None:
    response = portal(api, "POST", "/portal/returns", payload=exchange_request(OTHER_PRODUCT))
    assert response.status_code == 400
    assert body(response)["error"]["message"] == (
        f"{SWEATER} can only be exchanged for another variant of the same product; "
        f"{OTHER_PRODUCT} is not one."
    )


def test_a_sold_out_variant_is_refused(api: Any, shop: ShopStandIn) -> None:
    response = portal(api, "POST", "/portal/returns", payload=exchange_request(NAVY_S_SOLD_OUT))
    assert response.status_code == 400
    assert "Navy / S is not available any more" in body(response)["error"]["message"]


def test_a_variant_is_only_chosen_for_an_exchange(api: Any, shop: ShopStandIn) -> None:
    payload = exchange_request(NAVY_L, expected_resolution="REFUND")
    response = portal(api, "POST", "/portal/returns", payload=payload)
    assert response.status_code == 400
    assert body(response)["error"]["details"]["skus"] == [SWEATER]


def test_without_a_variant_the_exchange_sends_the_same_item(api: Any, shop: ShopStandIn) -> None:
    response = portal(api, "POST", "/portal/returns", payload=exchange_request(None))
    assert response.status_code == 201
    [line] = container.rma_service().find(body(response)["reference"]).lines
    assert (line.variant_id, line.exchange) == (NAVY_M, None)
    # And the shop was not asked anything
    assert shop.calls == []


def test_without_a_shop_another_variant_is_refused(api: Any) -> None:
    container.order_service().record(_shopify_order("#1001", JANE))
    response = portal(api, "POST", "/portal/returns", payload=exchange_request(NAVY_L))
    assert response.status_code == 400
    assert "no shop is connected" in body(response)["error"]["message"]


def test_the_admin_api_opens_an_exchange_through_the_same_rules(
    api: Any, shop: ShopStandIn
) -> None:
    # Given a merchant's system opening an exchange of Jane's sweater by SKU
    line = {
        "sku": SWEATER,
        "name": "Merino crew sweater - Navy / M",
        "quantity": 1,
        "unit_price": "89.00",
        "reason": "SIZE_PROBLEM",
    }
    dearer = rma_payload(
        JANE, lines=[{**line, "exchange_variant_id": NAVY_XL}], expected_resolution="REPLACE"
    )
    same = rma_payload(
        JANE, lines=[{**line, "exchange_variant_id": NAVY_L}], expected_resolution="REPLACE"
    )
    # Then the dearer variant is refused as on the portal
    refused = api.http.post("/rmas", headers={**ADMIN_AUTH, **JSON}, body=json.dumps(dearer))
    assert refused.status_code == 400, refused.body
    # And the same-price one is kept, with the ordered variant read from the stored order
    opened = api.http.post("/rmas", headers={**ADMIN_AUTH, **JSON}, body=json.dumps(same))
    assert opened.status_code == 201, opened.body
    [kept] = body(opened)["lines"]
    assert (kept["variant_id"], kept["exchange"]["variant_id"]) == (NAVY_M, NAVY_L)


# --- How an exchange is worded --------------------------------------------------------------


def test_every_screen_words_an_exchange_as_its_replacement(api: Any, shop: ShopStandIn) -> None:
    # Given Jane's exchange, whose replacement order #1002 the shop created
    opened = portal(api, "POST", "/portal/returns", payload=exchange_request(NAVY_L))
    reference = body(opened)["reference"]
    # Then before the order exists, the portal says "Échange" in Jane's French where a refund
    # would be pending
    assert body(portal(api, "GET", f"/portal/returns/{reference}"))["financial_status_label"] == (
        "Échange"
    )
    rmas = container.rma_service()
    rma = rmas.find(reference)
    ordered = revised(
        rma,
        replacement_order=ReplacementOrder(
            name="#1002", order_id="gid://shopify/Order/2", created_at=rma.created_at
        ),
        version=rma.version + 1,
    )
    rmas.save(ordered, before=rma)
    # And once it exists, the portal API names it, and gives the page its words' key
    followed = body(portal(api, "GET", f"/portal/returns/{reference}"))
    assert followed["financial_status_label"] == "Échange : commande #1002"
    assert (followed["financial_wording"], followed["replacement_order"]) == (
        "REPLACEMENT_ORDERED",
        "#1002",
    )
    # And the widget and the admin API say the same to the team, in English
    widget = api.http.get(f"/gorgias/widget?email={JANE}", headers=WIDGET_AUTH)
    assert body(widget)["returns"][0]["financial_status_label"] == "Replacement: order #1002"
    assert body(widget)["returns"][0]["items"][0]["exchange_title"] == "Navy / L"
    assert body(widget)["returns"][0]["items_summary"].endswith(" for Navy / L")
    admin = body(api.http.get(f"/rmas/{reference}", headers=ADMIN_AUTH))
    assert admin["status_labels"]["financial"] == "Replacement: order #1002"
    assert admin["replacement_order"]["name"] == "#1002"


def test_the_console_shows_an_exchange_s_replacement_and_its_order(
    console: Any, cookie: str
) -> None:
    from tests.integration.test_admin_routes import open_return
    from tests.integration.test_console_return_page import show, text

    # Given an exchange opened by the admin API, whose replacement the merchant creates
    open_return(console, rma_payload(expected_resolution="REPLACE"))
    rmas = container.rma_service()
    rma = rmas.find("R-001001")
    ordered = ReplacementOrder(status="MERCHANT_TO_CREATE", created_at=rma.created_at)
    rmas.save(revised(rma, replacement_order=ordered, version=rma.version + 1), before=rma)
    # When the merchant opens its page
    words = text(show(console, cookie))
    # Then it reads "Replacement" where a refund would be pending, and what to send
    assert "Refund pending" not in words
    assert (
        "Replacement 1 x the same for TSHIRT-BLUE-M — to be created in the shop by the merchant"
        in words
    )
