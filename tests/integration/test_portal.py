"""Specification of the shoppers' return portal: a shopper sees their own orders, which lines
can be returned and why not, opens a return (with photos when its reasons need them), follows
it and cancels it while that is still allowed. Nobody sees anybody else's."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action
from chalicelib.errors import ConcurrentModificationError
from chalicelib.repositories.aws import client
from chalicelib.services import container
from tests.support import JSON, WIDGET_AUTH, body

JANE = "jane.doe@example.com"
BOB = "bob.martin@example.com"


def store_order(number: str, email: str, *, days_ago: int = 5) -> Order:
    order = Order(
        number=number,
        customer_email=email,
        customer_name="Jane Doe",
        ordered_at=date.today() - timedelta(days=days_ago + 3),
        delivered_at=date.today() - timedelta(days=days_ago),
        currency="EUR",
        lines=[
            OrderLine(sku="TEE-M", name="T-shirt (M)", quantity=2, unit_price="25.00"),
            OrderLine(sku="MUG", name="Mug", quantity=1, unit_price="12.00"),
            OrderLine(
                sku="SALE-SCARF",
                name="Scarf (final sale)",
                quantity=1,
                unit_price="9.00",
                final_sale=True,
            ),
        ],
        source="admin",
        source_updated_at=f"{date.today().isoformat()}T00:00:00Z",
    )
    container.order_service().record(order)
    return order


def signed_in(email: str) -> dict[str, str]:
    token = container.session_tokens().issue(email.lower()).token
    return {"Authorization": f"Bearer {token}"}


def call(api: Any, method: str, path: str, email: str, payload: Any = None) -> Any:
    headers = {**signed_in(email), **JSON}
    return api.http.request(
        method, path, headers=headers, body=json.dumps(payload) if payload is not None else None
    )


def open_return(api: Any, email: str = JANE, **fields: Any) -> Any:
    payload = {
        "order_number": "#1001",
        "lines": [{"sku": "TEE-M", "quantity": 1, "reason": "SIZE_PROBLEM"}],
        **fields,
    }
    return call(api, "POST", "/portal/returns", email, payload)


@pytest.fixture
def orders(api: Any) -> None:
    store_order("#1001", JANE)
    store_order("#2001", BOB)
    # Where the shoppers' photos go.
    client("s3").create_bucket(Bucket=os.environ["RETURNS_BUCKET"])


def test_a_shopper_sees_their_orders_and_which_lines_can_be_returned(
    api: Any, orders: None
) -> None:
    # When Jane lists her orders
    response = call(api, "GET", "/portal/orders", JANE)
    # Then she sees hers only, each line with what can be returned and why not
    assert response.status_code == 200
    [order] = body(response)["orders"]
    assert order["number"] == "#1001"
    lines = {line["sku"]: line for line in order["lines"]}
    assert (lines["TEE-M"]["eligible"], lines["TEE-M"]["returnable"]) == (True, 2)
    assert (lines["SALE-SCARF"]["eligible"], lines["SALE-SCARF"]["code"]) == (False, "FINAL_SALE")
    assert lines["SALE-SCARF"]["reason"]


def test_an_order_outside_the_window_shows_why_nothing_can_be_returned(api: Any) -> None:
    store_order("#1002", JANE, days_ago=90)
    order = body(call(api, "GET", "/portal/orders/%231002", JANE))
    assert {line["code"] for line in order["lines"]} <= {"OUTSIDE_WINDOW", "FINAL_SALE"}
    assert all(line["returnable"] == 0 for line in order["lines"])


def test_another_shoppers_order_is_not_found(api: Any, orders: None) -> None:
    response = call(api, "GET", "/portal/orders/%232001", JANE)
    assert response.status_code == 404


def test_a_return_is_opened_submitted_and_counted_against_the_order(api: Any, orders: None) -> None:
    # When Jane returns one of her two T-shirts
    response = open_return(api)
    # Then it is opened and submitted, and only one more T-shirt can be returned
    assert response.status_code == 201, response.body
    created = body(response)
    assert created["status"] == "REQUESTED"
    assert created["reference"].startswith("R-")
    order = body(call(api, "GET", "/portal/orders/%231001", JANE))
    assert {line["sku"]: line["returnable"] for line in order["lines"]}["TEE-M"] == 1


def test_ineligible_lines_are_refused_each_with_its_reason(api: Any, orders: None) -> None:
    response = open_return(
        api,
        lines=[
            {"sku": "SALE-SCARF", "quantity": 1, "reason": "UNSATISFIED"},
            {"sku": "TEE-M", "quantity": 3, "reason": "SIZE_PROBLEM"},
        ],
    )
    assert response.status_code == 422
    error = body(response)["error"]
    assert error["code"] == "lines_not_returnable"
    assert {(line["sku"], line["code"]) for line in error["details"]["lines"]} == {
        ("SALE-SCARF", "FINAL_SALE"),
        ("TEE-M", "QUANTITY_EXCEEDED"),
    }


def test_a_damaged_item_waits_for_its_photo_before_it_is_submitted(api: Any, orders: None) -> None:
    # Given a return of a mug that arrived damaged, which needs a photo
    created = body(
        open_return(api, lines=[{"sku": "MUG", "quantity": 1, "reason": "DAMAGED_PRODUCT"}])
    )
    assert created["status"] == "NEW"
    reference = created["reference"]
    refused = call(api, "POST", f"/portal/returns/{reference}/submit", JANE, {})
    assert refused.status_code == 400
    # When the shopper asks where to upload a photo of it
    answer = ask_for_upload(api, reference, "MUG")
    # Then they get a presigned upload limited to that image
    assert answer["fields"]["Content-Type"] == "image/jpeg"
    assert answer["key"].endswith(".jpg")
    # And until the photo is uploaded, agents see none and the return cannot be submitted
    assert widget_items(api)[0]["photos"] == []
    not_yet = call(api, "POST", f"/portal/returns/{reference}/submit", JANE, {})
    assert not_yet.status_code == 400, not_yet.body
    assert body(not_yet)["error"]["details"]["skus"] == ["MUG"]
    # When the photo is uploaded with the presigned form, the return can be submitted
    upload_photo(answer)
    submitted = call(api, "POST", f"/portal/returns/{reference}/submit", JANE, {})
    assert body(submitted)["status"] == "REQUESTED", submitted.body
    # And agents see the photo, with a link to look at it
    [item] = widget_items(api)
    assert item["photos"] == [answer["key"]]
    [link] = item["photo_urls"]
    assert answer["key"] in link
    assert "Signature" in link


def test_a_shopper_who_left_before_sending_sees_her_uploaded_photo_on_her_return(
    api: Any, orders: None
) -> None:
    # Given a return of a damaged mug whose photo was uploaded, the shopper gone before sending
    created = body(
        open_return(api, lines=[{"sku": "MUG", "quantity": 1, "reason": "DAMAGED_PRODUCT"}])
    )
    reference = created["reference"]
    answer = ask_for_upload(api, reference, "MUG")
    upload_photo(answer)
    # When she opens her return again
    followed = body(call(api, "GET", f"/portal/returns/{reference}", JANE))
    # Then it still waits to be sent, with the photo counted and a link to look at it
    assert followed["status"] == "NEW"
    [item] = followed["items"]
    assert item["photos"] == [answer["key"]]
    [link] = item["photo_urls"]
    assert answer["key"] in link
    assert "Signature" in link
    # And the log says the photo arrived
    assert [entry["action"] for entry in followed["timeline"]][-1] == "photos_uploaded"
    # And no one else gets a link to it
    assert call(api, "GET", f"/portal/returns/{reference}", BOB).status_code == 404


def test_an_eleventh_photo_of_an_item_is_a_conflict_and_the_return_stays_readable(
    api: Any, orders: None
) -> None:
    # Given a return whose mug already has ten photos asked for
    reference = a_damaged_mug_with_ten_uploads_asked_for(api)
    # When the shopper asks for an eleventh
    response = call(
        api,
        "POST",
        f"/portal/returns/{reference}/photos",
        JANE,
        {"sku": "MUG", "content_type": "image/jpeg"},
    )
    # Then it is a conflict that says why, and the return still reads everywhere
    assert response.status_code == 409, response.body
    assert body(response)["error"]["code"] == "photo_limit_reached"
    assert "10 photos" in body(response)["error"]["message"]
    assert widget_items(api)[0]["sku"] == "MUG"
    followed = call(api, "GET", f"/portal/returns/{reference}", JANE)
    assert followed.status_code == 200, followed.body


def test_uploads_that_never_arrived_free_their_slot_once_their_url_expired(
    api: Any, orders: None
) -> None:
    import time_machine

    # Given ten photo uploads asked for and never made
    reference = a_damaged_mug_with_ten_uploads_asked_for(api)
    # When the shopper asks again once the upload URLs have expired
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16)):
        ask_for_upload(api, reference, "MUG")
    # Then the slots were freed, and the log says why
    events = container.rma_service().history(reference)[1]
    assert "10 upload(s) never arrived and expired" in [event.note for event in events]


def a_damaged_mug_with_ten_uploads_asked_for(api: Any) -> str:
    """The reference of Jane's return of a damaged mug, ten photo uploads asked for, none made."""
    created = body(
        open_return(api, lines=[{"sku": "MUG", "quantity": 1, "reason": "DAMAGED_PRODUCT"}])
    )
    reference: str = created["reference"]
    for _ in range(10):
        ask_for_upload(api, reference, "MUG")
    return reference


def ask_for_upload(api: Any, reference: str, sku: str) -> dict[str, Any]:
    upload = call(
        api,
        "POST",
        f"/portal/returns/{reference}/photos",
        JANE,
        {"sku": sku, "content_type": "image/jpeg"},
    )
    assert upload.status_code == 201, upload.body
    answer: dict[str, Any] = body(upload)
    return answer


def upload_photo(answer: dict[str, Any]) -> None:
    """What the shopper's browser does: POST the form S3 presigned, with the image."""
    import requests

    image = {"file": ("mug.jpg", b"\xff\xd8\xff\xe0 a photo", "image/jpeg")}
    response = requests.post(answer["url"], data=answer["fields"], files=image, timeout=10)
    assert response.status_code in {200, 201, 204}, response.text


def widget_items(api: Any) -> list[dict[str, Any]]:
    widget = body(api.http.get(f"/gorgias/widget?email={JANE}", headers=WIDGET_AUTH))
    items: list[dict[str, Any]] = widget["returns"][0]["items"]
    return items


def test_only_images_may_be_uploaded(api: Any, orders: None) -> None:
    reference = body(open_return(api))["reference"]
    response = call(
        api,
        "POST",
        f"/portal/returns/{reference}/photos",
        JANE,
        {"sku": "TEE-M", "content_type": "application/pdf"},
    )
    assert response.status_code == 400


def test_a_shopper_follows_their_return_with_its_timeline(api: Any, orders: None) -> None:
    reference = body(open_return(api))["reference"]
    followed = body(call(api, "GET", f"/portal/returns/{reference}", JANE))
    assert followed["status_label"] == "Awaiting approval"
    assert [entry["action"] for entry in followed["timeline"]] == ["create", "submit"]
    assert {entry["by"] for entry in followed["timeline"]} == {"portal"}
    listed = body(call(api, "GET", "/portal/returns", JANE))["returns"]
    assert [r["reference"] for r in listed] == [reference]


def test_a_shopper_cancels_before_processing_but_not_after(api: Any, orders: None) -> None:
    first = body(open_return(api))["reference"]
    canceled = call(api, "POST", f"/portal/returns/{first}/cancel", JANE, {})
    assert body(canceled)["status"] == "CANCELED"
    # Given a second return the warehouse already started processing
    second = body(open_return(api))["reference"]
    admin = Actor(channel=Channel.ADMIN)
    container.rma_service().act(second, Action.ACCEPT, actor=admin)
    container.rma_service().act(second, Action.START_PROCESSING, actor=admin)
    refused = call(api, "POST", f"/portal/returns/{second}/cancel", JANE, {})
    assert refused.status_code == 409


def test_a_cancel_crossing_a_write_of_the_lifecycle_is_read_again_not_refused(
    api: Any, orders: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a return the lifecycle writes (storing its token) just as the shopper cancels it
    reference = body(open_return(api))["reference"]
    rmas = container.rma_service()
    act = rmas.act
    crossed: list[str] = []

    def lifecycle_writes_first(typed: str, action: Action, **kwargs: Any) -> Any:
        if not crossed:
            crossed.append(typed)
            raise ConcurrentModificationError(reference)
        return act(typed, action, **kwargs)

    monkeypatch.setattr(rmas, "act", lifecycle_writes_first)
    # When she cancels it
    canceled = call(api, "POST", f"/portal/returns/{reference}/cancel", JANE, {})
    # Then it is canceled, read again after the lifecycle's write
    assert canceled.status_code == 200, canceled.body
    assert body(canceled)["status"] == "CANCELED"
    assert len(crossed) == 1


@pytest.mark.parametrize(
    ("method", "action"),
    [("GET", ""), ("POST", "/cancel"), ("POST", "/submit"), ("POST", "/photos")],
)
def test_another_shoppers_return_is_not_found(
    api: Any, orders: None, method: str, action: str
) -> None:
    reference = body(open_return(api))["reference"]
    payload = {"sku": "TEE-M", "content_type": "image/png"} if action == "/photos" else {}
    response = call(api, method, f"/portal/returns/{reference}{action}", BOB, payload)
    assert response.status_code == 404
    assert body(call(api, "GET", f"/portal/returns/{reference}", JANE))["status"] == "REQUESTED"
