"""A claim settled by a replacement is ordered in the shop by the code that orders an exchange's
(a draft order of the claimed variants, 100 % off, tagged with the claim, completed), once
however often it is asked; without a shop it is left to the merchant, as a return's is. GraphQL
at the HTTP level (respx), against the documented shapes of tests/events/shopify_graphql/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import respx

from chalicelib.domain.order_requests import (
    ClaimIssue,
    ClaimLine,
    OrderRequest,
    OrderRequestKind,
    Settlement,
)
from chalicelib.domain.rma import Customer, OrderRef, ReplacementOrder, ReplacementStatus, revised
from chalicelib.domain.statuses import ExpectedResolution
from chalicelib.integrations.shopify_exchanges import ShopifyDraftOrders
from chalicelib.services.replacement_orders import ClaimReplacements, replacement_note
from tests.shopify_graphql_support import ShopStandIn, admin_client, fixture, mocked_shop

ORDER = "gid://shopify/Order/734509473"
NAVY_M = "gid://shopify/ProductVariant/46318001733950"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def shop() -> Iterator[ShopStandIn]:
    with respx.mock(assert_all_called=False) as router:
        yield mocked_shop(router)


def a_claim(variant_id: str | None = NAVY_M, external_id: str | None = ORDER) -> OrderRequest:
    return OrderRequest(
        reference="C-000003",
        kind=OrderRequestKind.CLAIM,
        order=OrderRef(number="#4950", external_id=external_id),
        customer=Customer(email="jane.doe@example.com"),
        issue=ClaimIssue.DAMAGED,
        lines=[
            ClaimLine(
                sku="MER-CREW-NVY-M",
                name="Merino crew sweater - Navy / M",
                quantity=1,
                unit_price=Decimal("89.00"),
                variant_id=variant_id,
            )
        ],
        resolution=ExpectedResolution.REPLACE,
        created_at=NOW,
        updated_at=NOW,
    )


def replacements(connected: bool = True) -> ClaimReplacements:
    drafts = ShopifyDraftOrders(admin_client()) if connected else None
    return ClaimReplacements(drafts, clock=lambda: NOW)


def test_a_claims_replacement_is_a_free_draft_of_the_claimed_variants_completed(
    shop: ShopStandIn,
) -> None:
    # Given a claim of one damaged sweater, settled by a replacement
    claim = a_claim()

    # When its replacement is ordered
    replacement = replacements().order_replacement(claim)

    # Then the shop is asked for a draft tagged with the claim (none found), where the order
    # shipped, then a draft of the same variant at 100 % off, shipped there, then completes it
    assert [operation for operation, _ in shop.calls] == [
        "draftOrders",
        "order",
        "draftOrderCreate",
        "draftOrderComplete",
    ]
    assert shop.operations("draftOrders") == [{"query": "tag:'C-000003'"}]
    assert shop.operations("draftOrderCreate") == [
        {
            "input": {
                "lineItems": [{"variantId": NAVY_M, "quantity": 1}],
                "email": "jane.doe@example.com",
                "appliedDiscount": {
                    "valueType": "PERCENTAGE",
                    "value": 100,
                    "title": "Replacement for C-000003",
                },
                "tags": ["returns-desk", "C-000003"],
                "note": "Replacement for claim C-000003 of order #4950.",
                "shippingAddress": {
                    "firstName": "Jane",
                    "lastName": "Doe",
                    "address1": "12 rue des Lilas",
                    "city": "Lyon",
                    "zip": "69003",
                    "countryCode": "FR",
                    "phone": "+33 6 12 34 56 78",
                },
            }
        }
    ]
    # And the replacement is the order the draft became
    completed = fixture("draft_order_complete")["data"]["draftOrderComplete"]["draftOrder"]
    assert replacement == ReplacementOrder(
        status=ReplacementStatus.ORDERED,
        draft_order_id=completed["id"],
        order_id=completed["order"]["id"],
        name=completed["order"]["name"],
        created_at=NOW,
    )
    assert replacement_note(claim, replacement) == (
        f"Replacement order {completed['order']['name']} created at no charge: "
        "1 x Merino crew sweater - Navy / M."
    )


def test_asked_again_the_draft_tagged_with_the_claim_is_used_not_a_second(
    shop: ShopStandIn,
) -> None:
    # Given a replacement ordered once (its answer lost before the claim recorded it)
    first = replacements().order_replacement(a_claim())

    # When it is ordered again
    again = replacements().order_replacement(a_claim())

    # Then the draft tagged with the claim is found, completed already: nothing is created
    assert len(shop.operations("draftOrderCreate")) == 1
    assert again == first


def test_a_replacement_the_claim_keeps_is_not_asked_again(shop: ShopStandIn) -> None:
    # Given a claim whose settlement already keeps its ordered replacement
    ordered = ReplacementOrder(status=ReplacementStatus.ORDERED, name="#1002", created_at=NOW)
    claim = revised(
        a_claim(),
        settlement=Settlement(resolution=ExpectedResolution.REPLACE, replacement_order=ordered),
    )

    # When it is ordered, then the shop is not asked
    assert replacements().order_replacement(claim) == ordered
    assert shop.calls == []


def test_without_a_shop_the_merchant_creates_it_as_for_a_return() -> None:
    claim = a_claim()
    replacement = replacements(connected=False).order_replacement(claim)
    assert replacement.status is ReplacementStatus.MERCHANT_TO_CREATE
    assert replacement_note(claim, replacement) == (
        "Replacement to be created by the merchant in the shop: 1 x Merino crew sweater - Navy / M."
    )


def test_a_line_whose_variant_the_shop_does_not_know_is_left_to_the_merchant(
    shop: ShopStandIn,
) -> None:
    replacement = replacements().order_replacement(a_claim(variant_id=None))
    assert replacement.status is ReplacementStatus.MERCHANT_TO_CREATE
    assert shop.calls == []


def test_a_refusal_of_the_shop_leaves_it_to_the_merchant(shop: ShopStandIn) -> None:
    shop.answers["draftOrderCreate"] = fixture("draft_order_create_user_error")
    replacement = replacements().order_replacement(a_claim())
    assert replacement.status is ReplacementStatus.MERCHANT_TO_CREATE


def test_an_order_not_from_shopify_ships_without_an_address_read(shop: ShopStandIn) -> None:
    replacements().order_replacement(a_claim(external_id="ERP-4950"))
    assert shop.operations("order") == []
    assert "shippingAddress" not in shop.operations("draftOrderCreate")[0]["input"]


def test_a_draft_whose_completion_failed_is_kept_and_completed_on_the_retry(
    shop: ShopStandIn,
) -> None:
    # Given a shop whose search does not list the draft yet, and which fails the first
    # completion
    import httpx

    from chalicelib.errors import TransientError

    shop.search_lags = True
    shop.answers["draftOrderComplete"] = httpx.Response(503)
    kept: list[ReplacementOrder] = []
    claim = revised(a_claim(), settlement=Settlement(resolution=ExpectedResolution.REPLACE))
    with pytest.raises(TransientError):
        replacements().order_replacement(claim, keep_draft=kept.append)

    # When it is retried with the draft the claim kept
    del shop.answers["draftOrderComplete"]
    drafted = revised(
        claim,
        settlement=revised(claim.settlement, replacement_order=kept[0]),  # type: ignore[arg-type]
    )
    replacement = replacements().order_replacement(drafted, keep_draft=kept.append)

    # Then that draft is completed: no second draft, no second free order
    assert kept[0].status is ReplacementStatus.DRAFTED
    assert len(shop.operations("draftOrderCreate")) == 1
    assert replacement.status is ReplacementStatus.ORDERED
