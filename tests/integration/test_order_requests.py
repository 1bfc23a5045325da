"""Specification of order requests through the API: a shopper asks to cancel an order that has
not shipped or reports an issue with one that arrived, each once, with a clear answer when the
policy refuses; the merchant's systems accept or refuse; what was accepted is carried out once
the stream delivers the decision. Nobody sees anybody else's requests."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from chalicelib.domain.rma import revised
from chalicelib.repositories.aws import client
from chalicelib.services import container
from tests.integration.test_portal import BOB, JANE, call, signed_in, upload_photo
from tests.order_request_support import store_mug_order
from tests.support import ADMIN_AUTH, JSON, body


@pytest.fixture
def orders(api: Any) -> None:
    store_mug_order("#4950", JANE, shipped=0, delivered_days_ago=None)
    store_mug_order("#4930", JANE, shipped=2, delivered_days_ago=3)
    store_mug_order("#2950", BOB, shipped=0, delivered_days_ago=None)
    client("s3").create_bucket(Bucket=os.environ["RETURNS_BUCKET"])


def admin_call(api: Any, method: str, path: str, payload: Any = None) -> Any:
    headers = {**ADMIN_AUTH, **JSON}
    return api.http.request(
        method, path, headers=headers, body=json.dumps(payload) if payload is not None else None
    )


def photo_key(api: Any) -> str:
    answer = body(call(api, "POST", "/portal/claim-photos", JANE, {"content_type": "image/jpeg"}))
    upload_photo(answer)
    key: str = answer["key"]
    return key


def report_damage(api: Any, resolution: str = "VOUCHER", quantity: int = 1) -> Any:
    return call(
        api,
        "POST",
        "/portal/orders/%234930/claims",
        JANE,
        {
            "issue": "DAMAGED",
            "lines": [{"sku": "MUG-001", "quantity": quantity, "photos": [photo_key(api)]}],
            "resolution": resolution,
            "comment": "The handle came off in the box.",
        },
    )


# --- cancellations ---------------------------------------------------------------------------


def test_a_shopper_asks_to_cancel_an_order_that_has_not_shipped(api: Any, orders: None) -> None:
    # When Jane asks to cancel #4950, which has not shipped
    response = call(
        api, "POST", "/portal/orders/%234950/cancellation", JANE, {"comment": "Too late"}
    )
    # Then a request is open, waiting for an agent
    assert response.status_code == 201, response.body
    request = body(response)
    assert request["reference"].startswith("X-")
    assert (request["kind"], request["status"]) == ("CANCELLATION", "OPEN")
    # And the order says so instead of offering it again
    actions = body(call(api, "GET", "/portal/orders/%234950", JANE))["actions"]
    assert actions["cancellation"]["available"] is False
    assert actions["cancellation"]["code"] == "CANCELLATION_PENDING"
    assert [r["reference"] for r in actions["requests"]] == [request["reference"]]


def test_one_cancellation_request_per_order_at_a_time(api: Any, orders: None) -> None:
    first = body(call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {}))

    again = call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {})

    assert again.status_code == 409
    error = body(again)["error"]
    assert error["code"] == "cancellation_not_allowed"
    assert error["details"]["reason_code"] == "CANCELLATION_PENDING"
    assert first["reference"] in error["message"]


def test_a_shipped_order_cannot_be_canceled_and_says_why(api: Any, orders: None) -> None:
    response = call(api, "POST", "/portal/orders/%234930/cancellation", JANE, {})

    assert response.status_code == 409
    assert body(response)["error"]["details"]["reason_code"] == "ORDER_FULFILLED"
    assert "already shipped" in body(response)["error"]["message"]


def test_another_shoppers_order_cannot_be_canceled_nor_seen(api: Any, orders: None) -> None:
    response = call(api, "POST", "/portal/orders/%232950/cancellation", JANE, {})

    assert response.status_code == 404


def test_an_accepted_cancellation_is_carried_out_once_the_stream_delivers_it(
    api: Any, orders: None, return_events: Any
) -> None:
    reference = body(call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {}))[
        "reference"
    ]

    accepted = admin_call(api, "POST", f"/requests/{reference}/approve", {"note": "Not packed yet"})
    assert accepted.status_code == 200, accepted.body
    assert body(accepted)["status"] == "APPROVED"
    return_events.deliver()
    return_events.deliver()

    # Without a shop connected, the cancellation is left to a person, and the request says so
    detail = body(admin_call(api, "GET", f"/requests/{reference}"))
    assert detail["status"] == "RESOLVED"
    assert detail["canceled_in_shop"] is False
    assert [entry["action"] for entry in detail["log"]] == [
        "request_cancellation",
        "approve",
        "carry_out",
    ]


def test_a_refused_cancellation_frees_the_order_for_another_request(api: Any, orders: None) -> None:
    reference = body(call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {}))[
        "reference"
    ]

    refused = admin_call(api, "POST", f"/requests/{reference}/reject", {"reason": "Already packed"})

    assert body(refused)["status"] == "REJECTED"
    shown = body(call(api, "GET", f"/portal/requests/{reference}", JANE))
    assert shown["decision_note"] == "Already packed"
    assert call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {}).status_code == 201


def test_a_decided_request_cannot_be_decided_again(api: Any, orders: None) -> None:
    reference = body(call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {}))[
        "reference"
    ]
    admin_call(api, "POST", f"/requests/{reference}/reject", {"reason": "Packed"})

    again = admin_call(api, "POST", f"/requests/{reference}/approve", {})

    assert again.status_code == 409
    assert body(again)["error"]["code"] == "invalid_transition"


# --- claims ----------------------------------------------------------------------------------


def test_a_damaged_item_is_reported_with_its_photo(api: Any, orders: None) -> None:
    response = report_damage(api)

    assert response.status_code == 201, response.body
    claim = body(response)
    assert claim["reference"].startswith("C-")
    assert (claim["kind"], claim["issue"], claim["status"]) == ("CLAIM", "DAMAGED", "OPEN")
    assert claim["lines"] == [
        {"sku": "MUG-001", "name": "Ceramic mug", "quantity": 1, "unit_price": "18.00", "photos": 1}
    ]


def test_a_damage_claim_without_a_photo_is_refused_with_the_reason(api: Any, orders: None) -> None:
    response = call(
        api,
        "POST",
        "/portal/orders/%234930/claims",
        JANE,
        {"issue": "DAMAGED", "lines": [{"sku": "MUG-001", "quantity": 1}], "resolution": "REFUND"},
    )

    assert response.status_code == 422
    assert body(response)["error"]["details"]["reason_code"] == "PHOTO_MISSING"


def test_a_photo_uploaded_by_someone_else_or_not_uploaded_is_refused(
    api: Any, orders: None
) -> None:
    bobs = body(call(api, "POST", "/portal/claim-photos", BOB, {"content_type": "image/png"}))[
        "key"
    ]
    mine = body(call(api, "POST", "/portal/claim-photos", JANE, {"content_type": "image/png"}))[
        "key"
    ]

    for key in (bobs, mine):
        response = call(
            api,
            "POST",
            "/portal/orders/%234930/claims",
            JANE,
            {
                "issue": "DAMAGED",
                "lines": [{"sku": "MUG-001", "quantity": 1, "photos": [key]}],
                "resolution": "REFUND",
            },
        )
        assert response.status_code == 400, response.body


def test_an_order_not_yet_shipped_offers_no_issue_to_report(api: Any, orders: None) -> None:
    actions = body(call(api, "GET", "/portal/orders/%234950", JANE))["actions"]

    assert {issue["code"] for issue in actions["issues"]} == {"NOT_SHIPPED"}


def test_units_claimed_cannot_be_claimed_again(api: Any, orders: None) -> None:
    assert report_damage(api, quantity=2).status_code == 201

    again = report_damage(api, quantity=1)

    assert again.status_code == 422
    assert body(again)["error"]["code"] == "units_already_claimed"


def test_a_claim_approved_as_store_credit_is_paid_once_with_the_bonus(
    api: Any, orders: None, return_events: Any
) -> None:
    policies = container.policy_service()
    policies.change({"store_credit_bonus_percent": "10"}, policies.current_with_version()[1])
    reference = body(report_damage(api))["reference"]

    approved = admin_call(api, "POST", f"/requests/{reference}/approve", {})
    return_events.deliver()
    return_events.deliver()

    assert body(approved)["settlement"]["amount"] == "19.80"
    detail = body(admin_call(api, "GET", f"/requests/{reference}"))
    assert detail["status"] == "RESOLVED"
    assert detail["settlement"]["method"] == "VOUCHER"
    assert detail["settlement"]["status"] == "REFUNDED"
    assert [entry["action"] for entry in detail["log"]].count("carry_out") == 1


def test_a_person_may_settle_a_claim_for_less_but_never_more(api: Any, orders: None) -> None:
    reference = body(report_damage(api, resolution="REFUND"))["reference"]

    too_much = admin_call(api, "POST", f"/requests/{reference}/approve", {"amount": "18.01"})
    less = admin_call(api, "POST", f"/requests/{reference}/approve", {"amount": "10.00"})

    assert too_much.status_code == 400, too_much.body
    assert body(too_much)["error"]["details"]["maximum"] == "18.00"
    assert body(less)["settlement"]["amount"] == "10.00"


def test_a_shopper_sees_her_requests_only(api: Any, orders: None) -> None:
    mine = body(report_damage(api))["reference"]
    bobs = body(call(api, "POST", "/portal/orders/%232950/cancellation", BOB, {}))["reference"]

    listed = body(call(api, "GET", "/portal/requests", JANE))["requests"]

    assert [r["reference"] for r in listed] == [mine]
    assert call(api, "GET", f"/portal/requests/{bobs}", JANE).status_code == 404


def test_the_admin_api_lists_open_requests_newest_first(api: Any, orders: None) -> None:
    older = body(report_damage(api))["reference"]
    newer = body(call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {}))["reference"]

    page = body(admin_call(api, "GET", "/requests?status=OPEN&limit=1"))
    rest = body(
        admin_call(api, "GET", f"/requests?status=OPEN&limit=1&cursor={page['next_cursor']}")
    )

    assert [r["reference"] for r in page["items"] + rest["items"]] == [newer, older]


def test_a_creating_post_honours_its_idempotency_key(api: Any, orders: None) -> None:
    headers = {**JSON, "Idempotency-Key": "cancel-4950-once", **signed_in(JANE)}
    first = api.http.post(
        "/portal/orders/%234950/cancellation", headers=headers, body=json.dumps({})
    )
    second = api.http.post(
        "/portal/orders/%234950/cancellation", headers=headers, body=json.dumps({})
    )

    assert first.status_code == second.status_code == 201
    assert body(first)["reference"] == body(second)["reference"]


def test_a_cancellation_the_shop_refuses_for_good_is_left_to_a_person_saying_why(
    api: Any, orders: None, return_events: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.integrations.cancellations import CancellationDeclinedError

    class RefusingShop:
        def cancel(self, request: Any, *, refund: bool, restock: bool, notify: bool) -> Any:
            raise CancellationDeclinedError("the order has an open return")

    monkeypatch.setattr(container, "order_canceller", RefusingShop)
    reference = body(call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {}))[
        "reference"
    ]

    admin_call(api, "POST", f"/requests/{reference}/approve", {})
    return_events.deliver()

    detail = body(admin_call(api, "GET", f"/requests/{reference}"))
    assert (detail["status"], detail["canceled_in_shop"]) == ("RESOLVED", False)
    assert "the order has an open return" in detail["log"][-1]["note"]


# --- what a review found -----------------------------------------------------------------------


def test_a_claim_paid_while_its_ticket_is_recorded_is_still_resolved_paid_once(
    api: Any, orders: None, return_events: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Gorgias ticket's id may be written between the payment and the claim's resolution:
    what was paid is written anyway, and nothing is paid twice."""
    from chalicelib.services.claim_settlement import ClaimSettlements

    payments: list[str] = []
    settle = ClaimSettlements.settle

    def paying_while_the_ticket_lands(self: Any, request: Any, settlement: Any, **kw: Any) -> Any:
        payments.append(request.reference)
        container.order_request_service().record_ticket(request.reference, 4242)
        return settle(self, request, settlement, **kw)

    monkeypatch.setattr(ClaimSettlements, "settle", paying_while_the_ticket_lands)
    reference = body(report_damage(api))["reference"]
    admin_call(api, "POST", f"/requests/{reference}/approve", {})

    return_events.deliver()
    return_events.deliver()

    detail = body(admin_call(api, "GET", f"/requests/{reference}"))
    assert detail["status"] == "RESOLVED"
    assert detail["settlement"]["status"] == "REFUNDED"
    assert payments == [reference]
    # The ticket's id is bookkeeping: no log entry of its own
    assert [entry["action"] for entry in detail["log"]] == ["open_claim", "approve", "carry_out"]


def test_an_accepted_cancellation_is_the_orders_answer_to_another(
    api: Any, orders: None, return_events: Any
) -> None:
    reference = body(call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {}))[
        "reference"
    ]
    admin_call(api, "POST", f"/requests/{reference}/approve", {})
    return_events.deliver()

    again = call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {})
    offered = body(call(api, "GET", "/portal/orders/%234950", JANE))["actions"]["cancellation"]

    assert body(again)["error"]["details"]["reason_code"] == "CANCELLATION_ACCEPTED"
    assert (offered["available"], offered["code"]) == (False, "CANCELLATION_ACCEPTED")


def test_no_issue_is_reported_of_an_order_being_canceled(api: Any, orders: None) -> None:
    store_mug_order("#4960", JANE, shipped=1, delivered_days_ago=1)
    policies = container.policy_service()
    policies.change(
        {"cancellations": {"allow_partially_fulfilled": True}},
        policies.current_with_version()[1],
    )
    assert call(api, "POST", "/portal/orders/%234960/cancellation", JANE, {}).status_code == 201

    claim = call(
        api,
        "POST",
        "/portal/orders/%234960/claims",
        JANE,
        {"issue": "MISSING_ITEM", "lines": [{"sku": "MUG-001", "quantity": 1}]},
    )

    assert claim.status_code == 422
    assert body(claim)["error"]["details"]["reason_code"] == "ORDER_BEING_CANCELED"


def test_a_cancellation_of_an_order_that_shipped_since_is_not_accepted(
    api: Any, orders: None
) -> None:
    reference = body(call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {}))[
        "reference"
    ]
    store_mug_order("#4950", JANE, shipped=2, delivered_days_ago=None)

    accepted = admin_call(api, "POST", f"/requests/{reference}/approve", {})

    assert accepted.status_code == 409
    assert body(accepted)["error"]["details"]["reason_code"] == "ORDER_FULFILLED"


def test_an_agents_longest_note_is_kept_with_the_settlements_explanation(
    api: Any, orders: None
) -> None:
    reference = body(report_damage(api))["reference"]

    accepted = admin_call(api, "POST", f"/requests/{reference}/approve", {"note": "n" * 2000})

    assert accepted.status_code == 200, accepted.body
    assert body(accepted)["decision_note"] == "n" * 2000


def test_a_claim_of_more_lines_than_one_transaction_holds_is_refused_clearly(
    api: Any, orders: None
) -> None:
    lines = [{"sku": f"SKU-{n}", "quantity": 1} for n in range(98)]

    response = call(
        api,
        "POST",
        "/portal/orders/%234930/claims",
        JANE,
        {"issue": "MISSING_ITEM", "lines": lines},
    )

    assert response.status_code == 400
    assert body(response)["error"]["code"] == "validation_error"


def test_an_accepted_request_the_stream_gave_up_on_is_carried_out_on_demand(
    api: Any, orders: None
) -> None:
    # Given an accepted claim whose event never reached the settlement (set aside)
    reference = body(report_damage(api, resolution="REFUND"))["reference"]
    admin_call(api, "POST", f"/requests/{reference}/approve", {})

    # When a person asks for it to be carried out, then it is, once
    done = admin_call(api, "POST", f"/requests/{reference}/carry-out")
    again = admin_call(api, "POST", f"/requests/{reference}/carry-out")

    assert (done.status_code, body(done)["status"]) == (200, "RESOLVED")
    assert again.status_code == 409


def test_an_item_the_shop_has_not_shipped_is_offered_for_cancellation_not_for_return(
    api: Any, orders: None
) -> None:
    # Given a Shopify order of Jane's, nothing shipped yet
    shop_order = revised(container.order_service().find("#4950"), source="shopify", number="#4951")
    container.order_service().record(shop_order)
    # When she reads it, then its mug cannot be returned, and its cancellation is offered
    order = body(call(api, "GET", "/portal/orders/%234951", JANE))
    assert [(x["returnable"], x["code"]) for x in order["lines"]] == [(0, "NOT_SHIPPED")]
    assert order["actions"]["cancellation"]["available"] is True
    # And a return of it is refused, saying so
    refused = call(
        api,
        "POST",
        "/portal/returns",
        JANE,
        {
            "order_number": "#4951",
            "lines": [{"sku": "MUG-001", "quantity": 1, "reason": "UNSATISFIED"}],
        },
    )
    assert refused.status_code == 422
    assert body(refused)["error"]["details"]["lines"][0]["code"] == "NOT_SHIPPED"


def test_a_decision_crossing_the_tickets_bookkeeping_is_made_not_refused(
    api: Any, orders: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Gorgias ticket's id is kept on a request while an agent decides: the decision is
    made on what is stored then."""
    from chalicelib.repositories.order_requests import OrderRequestRepository

    reference = body(report_damage(api))["reference"]
    save = OrderRequestRepository.save
    crossed: list[str] = []

    def crossed_once(self: Any, request: Any, entry: Any, event: Any, **kw: Any) -> Any:
        if entry is not None and not crossed:
            crossed.append(request.reference)
            container.order_request_service().record_ticket(request.reference, 77)
        return save(self, request, entry, event, **kw)

    monkeypatch.setattr(OrderRequestRepository, "save", crossed_once)

    approved = admin_call(api, "POST", f"/requests/{reference}/approve", {})

    assert approved.status_code == 200, approved.body
    assert crossed == [reference]
    detail = body(admin_call(api, "GET", f"/requests/{reference}"))
    assert detail["status"] == "APPROVED"
