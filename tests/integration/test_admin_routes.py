"""Specification of the admin API: the merchant's own systems open, read, list and move RMAs.

Everything goes through the routes with the admin token; nothing is seeded behind their back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import ADMIN_AUTH, JSON, WIDGET_AUTH, body, rma_payload

EVENTS = Path(__file__).parents[1] / "events"
REJECTION = {"reason": "Outside the 30-day return window"}


def post(api: Any, path: str, payload: dict[str, Any] | None = None) -> Any:
    return api.http.post(
        path,
        headers={**ADMIN_AUTH, **JSON},
        body=json.dumps(payload) if payload is not None else None,
    )


def get(api: Any, path: str) -> dict[str, Any]:
    response = api.http.get(path, headers=ADMIN_AUTH)
    assert response.status_code == 200, response.body
    return body(response)


def open_return(api: Any, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    response = post(api, "/rmas", payload or rma_payload())
    assert response.status_code == 201, response.body
    return body(response)


def walk(api: Any, reference: str, *actions: str) -> dict[str, Any]:
    """Apply `actions` in order (a reject with a reason), each one expected to succeed."""
    rma: dict[str, Any] = {}
    for action in actions:
        response = post(
            api, f"/rmas/{reference}/{action}", REJECTION if action == "reject" else None
        )
        assert response.status_code == 200, (action, response.body)
        rma = body(response)
    return rma


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the JSON error envelope with `status` and `code`; returns its details."""
    assert response.status_code == status, response.body
    assert set(body(response)) == {"error"}
    error = body(response)["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    return error["details"]


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


# --- Opening and reading --------------------------------------------------------------------


def test_opening_a_return_answers_201_with_its_location_and_the_return_in_new(api: Any) -> None:
    # Given / When the merchant opens a return
    response = post(api, "/rmas", rma_payload())
    # Then it is created as R-001001, in NEW, and the answer says where it lives
    assert response.status_code == 201, response.body
    assert response.headers["Location"] == "/rmas/R-001001"
    created = body(response)
    assert created["return_reference"] == "R-001001"
    assert created["return_number"] == 1001
    assert created["processing_status"] == "NEW"
    assert created["status_labels"]["processing"] == "Draft"
    assert created["version"] == 1
    assert len(created["id"]) == 32


def test_every_field_of_a_full_body_is_kept(api: Any) -> None:
    # Given a body using every optional field (tests/events/admin_create_rma.json)
    sent = sample("admin_create_rma")
    # When it is opened and read back
    created = open_return(api, sent)
    stored = get(api, f"/rmas/{created['id']}")
    # Then the stored return is the created one, holding exactly what was sent (the links to
    # its photos are signed anew at each reading, and expire: they name the same photos)
    links = "photo_urls"
    assert {**stored, links: None} == {**created, links: None}
    assert [url.split("?")[0] for url in stored[links]["MUG-1"]] == [
        url.split("?")[0] for url in created[links]["MUG-1"]
    ]
    assert stored["order"] == sent["order"]
    assert stored["customer"] == sent["customer"]
    assert stored["sender"] == {**sent["sender"], "email": None, "phone": None}
    assert [line["photos"] for line in stored["lines"]] == [[], ["inspections/mug-1.jpg"]]
    assert (stored["expected_resolution"], stored["retained_amount_for_shipping"]) == (
        "VOUCHER",
        "4.90",
    )
    assert (stored["apply_return_fee"], stored["comment"]) == (True, sent["comment"])


@pytest.mark.parametrize("how", ["id", "R-001001", "r-1001", "1001"])
def test_a_return_is_read_by_its_id_or_its_reference(api: Any, how: str) -> None:
    # Given an opened return
    created = open_return(api)
    # When it is read by id or by reference
    stored = get(api, f"/rmas/{created['id'] if how == 'id' else how}")
    # Then it is that return
    assert stored == created


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/rmas/R-009999"),
        ("GET", "/rmas/nonsense"),
        ("GET", f"/rmas/{'f' * 32}"),
        ("GET", "/rmas/R-009999/events"),
        ("POST", "/rmas/R-009999/submit"),
    ],
)
def test_an_unknown_return_is_not_found(api: Any, method: str, path: str) -> None:
    # Given one return, R-001001
    open_return(api)
    # When another one is asked for
    response = api.http.request(method, path, headers={**ADMIN_AUTH, **JSON}, body=b"")
    # Then it is a 404 in the envelope
    assert_error(response, 404, "rma_not_found")


def test_the_action_log_tells_who_did_what_oldest_first(api: Any) -> None:
    # Given a return opened, then submitted and accepted by named people
    created = open_return(api)
    clerk = {"id": "u-1", "email": "clerk@shop.example", "name": "Sam"}
    post(api, "/rmas/R-001001/submit", {"actor": clerk})
    post(api, "/rmas/R-001001/accept", {"note": "Label sent", "actor": clerk})
    # When its action log is read
    log = get(api, "/rmas/R-001001/events")
    # Then it lists every move, oldest first, each by the admin channel and its actor
    assert (log["rma_id"], log["reference"]) == (created["id"], "R-001001")
    assert [(e["action"], e["from_status"], e["to_status"]) for e in log["events"]] == [
        ("create", None, "NEW"),
        ("submit", "NEW", "REQUESTED"),
        ("accept", "REQUESTED", "ACCEPTED"),
    ]
    assert [e["version"] for e in log["events"]] == [1, 2, 3]
    assert log["events"][0]["actor"] == {
        "channel": "admin",
        "id": None,
        "email": None,
        "name": None,
        "gorgias_ticket_id": None,
    }
    assert log["events"][2]["actor"] == {"channel": "admin", **clerk, "gorgias_ticket_id": None}
    assert log["events"][2]["note"] == "Label sent"


# --- Listing --------------------------------------------------------------------------------


def pages_of(api: Any, status: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of `GET /rmas?status=`, following `next_cursor` until there is none."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while cursor is not None or not pages:
        assert len(pages) <= 10, "next_cursor must come to an end"
        page = get(
            api, f"/rmas?status={status}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        )
        pages.append(page["items"])
        cursor = page["next_cursor"]
    return pages


def test_listing_by_status_pages_through_every_return_newest_first(api: Any) -> None:
    # Given five submitted returns and two drafts
    requested = [walk(api, open_return(api)["id"], "submit")["id"] for _ in range(5)]
    for _ in range(2):
        open_return(api)
    # When the REQUESTED ones are listed two at a time, following next_cursor
    pages = pages_of(api, "REQUESTED", limit=2)
    # Then every one comes exactly once, newest first, at most two a page, and no draft
    assert all(len(page) <= 2 for page in pages)
    assert [rma["id"] for page in pages for rma in page] == list(reversed(requested))
    assert {rma["processing_status"] for page in pages for rma in page} == {"REQUESTED"}


def test_without_a_filter_the_listing_is_still_the_returns_waiting_for_a_decision(
    api: Any,
) -> None:
    # Given a submitted return and a draft
    submitted = walk(api, open_return(api)["id"], "submit")
    open_return(api)
    # When the list is asked for with no filter at all, as before filters were added
    listed = get(api, "/rmas")
    # Then it holds the REQUESTED return only
    assert [rma["id"] for rma in listed["items"]] == [submitted["id"]]


def test_the_listing_filters_on_any_dimension_searches_and_lists_every_return(api: Any) -> None:
    # Given a rejected return (delivery CANCELED), a submitted one, and one of another order
    rejected = walk(api, open_return(api)["return_reference"], "submit", "reject")
    submitted = walk(api, open_return(api)["return_reference"], "submit")
    other_order = open_return(api, rma_payload(order={"number": "#7007"}))
    # When the list is asked for by delivery status, by search, and without any status
    by_delivery = get(api, "/rmas?delivery_status=CANCELED")
    by_reference = get(api, f"/rmas?q={submitted['return_reference']}")
    by_order = get(api, "/rmas?q=%237007")
    by_email_and_status = get(api, "/rmas?q=JANE.DOE@example.com&fulfillment_status=PENDING")
    everything = get(api, "/rmas?any_status=true")
    # Then each holds exactly its returns, newest first
    assert [r["id"] for r in by_delivery["items"]] == [rejected["id"]]
    assert [r["id"] for r in by_reference["items"]] == [submitted["id"]]
    assert [r["id"] for r in by_order["items"]] == [other_order["id"]]
    assert [r["id"] for r in by_email_and_status["items"]] == [other_order["id"], submitted["id"]]
    assert [r["id"] for r in everything["items"]] == [
        other_order["id"],
        submitted["id"],
        rejected["id"],
    ]


@pytest.mark.parametrize(
    "query",
    ["status=NEW&delivery_status=PENDING", "any_status=true&financial_status=NONE"],
)
def test_two_status_filters_at_once_are_refused(api: Any, query: str) -> None:
    response = api.http.get(f"/rmas?{query}", headers=ADMIN_AUTH)
    assert_error(response, 400, "validation_error")


# --- Moving ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (("submit",), "REQUESTED"),
        (("submit", "accept"), "ACCEPTED"),
        (("submit", "reject"), "REJECTED"),
        (("cancel",), "CANCELED"),
        (("submit", "cancel"), "CANCELED"),
        (("submit", "accept", "cancel"), "CANCELED"),
        (("submit", "hold"), "ON_HOLD"),
        (("submit", "accept", "hold"), "ON_HOLD"),
        (("submit", "hold", "resume"), "REQUESTED"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, tuple) else value,
)
def test_each_action_moves_the_return(api: Any, actions: tuple[str, ...], expected: str) -> None:
    # Given an opened return
    open_return(api)
    # When the actions are applied in turn
    moved = walk(api, "R-001001", *actions)
    # Then the answer and the stored return are in the expected status, one version per move
    assert moved["processing_status"] == expected
    stored = get(api, "/rmas/R-001001")
    assert stored["processing_status"] == expected
    assert stored["version"] == 1 + len(actions)


@pytest.mark.parametrize(
    "before_hold", [("submit",), ("submit", "accept")], ids=["requested", "accepted"]
)
def test_hold_then_resume_returns_to_where_it_was(api: Any, before_hold: tuple[str, ...]) -> None:
    # Given a return in some status
    open_return(api)
    where = walk(api, "R-001001", *before_hold)["processing_status"]
    # When it is held
    held = walk(api, "R-001001", "hold")
    # Then it remembers where it was held from
    assert (held["processing_status"], held["held_from"]) == ("ON_HOLD", where)
    # And when it is resumed it is back there, with nothing left to remember
    resumed = walk(api, "R-001001", "resume")
    assert (resumed["processing_status"], resumed["held_from"]) == (where, None)


@pytest.mark.parametrize(
    ("actions", "refused", "current", "message"),
    [
        # (PROCESSING → CANCELED is forbidden too, but no admin action reaches PROCESSING.)
        (("submit", "reject"), "cancel", "REJECTED", "is rejected; it cannot be canceled"),
        (("cancel",), "submit", "CANCELED", "is canceled; it cannot be submitted"),
        ((), "accept", "NEW", "is a draft not yet submitted; it cannot be approved"),
        (("submit",), "resume", "REQUESTED", "is waiting for a decision; it cannot be resumed"),
        (("submit", "accept", "hold"), "accept", "ON_HOLD", "is on hold; it cannot be approved"),
        (("submit", "accept", "hold"), "reject", "ON_HOLD", "is on hold; it cannot be rejected"),
        (("submit", "hold"), "hold", "ON_HOLD", "is on hold; it cannot be put on hold"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, tuple) else value,
)
def test_a_move_the_table_forbids_is_a_conflict_and_writes_nothing(
    api: Any, actions: tuple[str, ...], refused: str, current: str, message: str
) -> None:
    # Given a return moved to some status
    open_return(api)
    walk(api, "R-001001", *actions)
    before = get(api, "/rmas/R-001001/events")
    # When a move that status does not allow is asked for
    response = post(api, f"/rmas/R-001001/{refused}", REJECTION)
    # Then it is a 409 saying in words where the return stands (its status, for machines, in
    # the details), and neither the return nor its log changed
    details = assert_error(response, 409, "invalid_transition")
    assert details["current_status"] == current
    assert body(response)["error"]["message"] == f"Return R-001001 {message}."
    assert get(api, "/rmas/R-001001/events") == before


@pytest.mark.parametrize(("decision", "status"), [("accept", "ACCEPTED"), ("reject", "REJECTED")])
def test_deciding_a_return_held_while_waiting_for_a_decision_resumes_and_decides_it(
    api: Any, decision: str, status: str
) -> None:
    # Given a submitted return put on hold (version 3)
    open_return(api)
    walk(api, "R-001001", "submit", "hold")
    # When the merchant approves or rejects it
    decided = walk(api, "R-001001", decision)
    # Then it is decided, off hold, and the log has both steps, each with its own version
    assert (decided["processing_status"], decided["held_from"]) == (status, None)
    assert decided["version"] == 5
    log = get(api, "/rmas/R-001001/events")["events"]
    assert [(e["action"], e["from_status"], e["to_status"], e["version"]) for e in log[-2:]] == [
        ("resume", "ON_HOLD", "REQUESTED", 4),
        (decision, "REQUESTED", status, 5),
    ]


def test_rejecting_needs_a_reason(api: Any) -> None:
    # Given a submitted return
    open_return(api)
    walk(api, "R-001001", "submit")
    # When it is rejected without a reason
    response = post(api, "/rmas/R-001001/reject", {"note": " "})
    # Then it is a 400 about the reason, and it still waits
    assert assert_error(response, 400, "invalid_request")["field"] == "reason"
    assert get(api, "/rmas/R-001001")["processing_status"] == "REQUESTED"


def test_a_rejection_cancels_the_shipment_refund_and_inspection(api: Any) -> None:
    # Given a submitted return
    open_return(api)
    # When it is rejected
    rejected = walk(api, "R-001001", "submit", "reject")
    # Then no parcel, refund or inspection is expected any more
    assert (
        rejected["delivery_status"],
        rejected["financial_status"],
        rejected["fulfillment_status"],
    ) == ("CANCELED", "NONE", "CANCELED")


@pytest.mark.parametrize(
    ("actions", "labels"),
    [
        (
            ("submit", "reject"),
            {
                "processing": "Rejected",
                "delivery": "Shipment canceled",
                "financial": "No refund",
                "fulfillment": "Inspection canceled",
            },
        ),
        (
            ("submit", "cancel"),
            {
                "processing": "Canceled",
                "delivery": "Shipment canceled",
                "financial": "Refund canceled",
                "fulfillment": "Inspection canceled",
            },
        ),
    ],
    ids=["rejected", "canceled"],
)
def test_a_closed_return_is_labelled_in_each_dimensions_own_words(
    api: Any, actions: tuple[str, ...], labels: dict[str, str]
) -> None:
    # Given an opened return
    open_return(api)
    # When it is rejected or canceled
    closed = walk(api, "R-001001", *actions)
    # Then each status dimension has its own label
    assert closed["status_labels"] == labels


def test_an_action_the_admin_api_does_not_offer_is_no_route_and_changes_nothing(
    api: Any,
) -> None:
    # Given an opened return
    open_return(api)
    # When an action the admin API does not offer is asked for
    response = post(api, "/rmas/R-001001/delete")
    # Then no route takes it: API Gateway refuses it as it refuses any path it does not know
    # (Chalice's local gateway does the same), and the return is as it was
    assert response.status_code == 403, response.body
    assert get(api, "/rmas/R-001001")["processing_status"] == "NEW"


# --- End to end -----------------------------------------------------------------------------


def test_seven_returns_opened_and_submitted_by_the_admin_api_show_the_newest_five_in_gorgias(
    api: Any,
) -> None:
    # Given seven returns opened and submitted through the admin API for a new customer
    email = "first.time@example.com"
    references = [open_return(api, rma_payload(email))["return_reference"] for _ in range(7)]
    for reference in references:
        walk(api, reference, "submit")
    # When an agent opens a ticket of that customer in Gorgias
    response = api.http.get(f"/gorgias/widget?email={email}", headers=WIDGET_AUTH)
    # Then the widget shows the five newest, waiting for approval, and counts seven
    assert response.status_code == 200, response.body
    shown = body(response)
    assert [r["reference"] for r in shown["returns"]] == list(reversed(references))[:5]
    assert {r["status"] for r in shown["returns"]} == {"REQUESTED"}
    assert shown["total"] == 7
