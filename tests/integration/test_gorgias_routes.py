"""Specification of the routes Gorgias calls: the sidebar widget and its Approve / Reject actions.

Returns are opened through the service (the widget does not care how they were made); every
observation goes through the routes, with Gorgias's REST API played by respx where configured.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
import respx

from chalicelib.domain.rma import Actor, RmaEvent, Shipment
from chalicelib.domain.statuses import Channel, DeliveryStatus
from chalicelib.domain.transitions import Action
from chalicelib.services import container
from tests.gorgias_support import (
    API_USER,
    GORGIAS_API,
    GorgiasUpdates,
    configure_gorgias,
    gorgias_updates_queue,
    notes_on,
    posted,
    ticket_created,
)
from tests.lifecycle_support import (
    AGENT_DECIDED,
    AGENT_DECISION,
    LABEL_ISSUED,
    ONE_SECOND,
    agents_decide,
    ended,
    submit_return,
    waiting_in,
)
from tests.support import ADMIN_AUTH, JSON, WIDGET_AUTH, body, deliver_return_events, reconfigure

CUSTOMER = "jane.doe@example.com"
AGENT = {"id": 17, "email": "alex@acme.example"}
TICKET_ID = 4242
# The ticket opened for a return's request.
RETURN_TICKET = 9001
EVENTS = Path(__file__).parents[1] / "events"

TWO_LINES = [
    {
        "sku": "TSHIRT-BLUE-M",
        "name": "Blue T-shirt (M)",
        "quantity": 1,
        "unit_price": "25.00",
        "reason": "SIZE_PROBLEM",
    },
    {
        "sku": "MUG-1",
        "name": "Mug",
        "quantity": 2,
        "unit_price": "12.50",
        "reason": "DAMAGED_PRODUCT",
    },
]


@pytest.fixture
def gorgias(api: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    """Gorgias REST API credentials configured, and Gorgias itself played by respx."""
    configure_gorgias(monkeypatch)
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def updates(gorgias: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> GorgiasUpdates:
    """The queue the return events fill with what Gorgias must hear of; each return request
    opens ticket RETURN_TICKET."""
    ticket_created(gorgias, RETURN_TICKET)
    notes_on(gorgias, RETURN_TICKET, name="return_ticket_notes")
    return gorgias_updates_queue(monkeypatch)


def users_listed(router: respx.MockRouter) -> respx.Route:
    """The account's users, in two pages as Gorgias's cursor pagination gives them."""
    first = {
        "data": [{"id": 3, "email": "lead@acme.example", "role": {"name": "agent"}}],
        "meta": {"next_cursor": "page-2", "prev_cursor": None},
    }
    second = {
        "data": [
            {
                "id": AGENT["id"],
                "email": "Alex@Acme.example",
                "name": "Alex Martin",
                "role": {"name": "basic-agent"},
            }
        ],
        "meta": {"next_cursor": None, "prev_cursor": "page-1"},
    }
    return router.get(f"{GORGIAS_API}/users").mock(
        side_effect=lambda request: httpx.Response(
            200, json=second if request.url.params.get("cursor") == "page-2" else first
        )
    )


def agent_has_role(router: respx.MockRouter, role: str) -> respx.Route:
    return router.get(f"{GORGIAS_API}/users/{AGENT['id']}").respond(
        200, json={"id": AGENT["id"], "role": {"name": role}}
    )


def ticket_messages(router: respx.MockRouter, answer: httpx.Response | None = None) -> respx.Route:
    return router.post(f"{GORGIAS_API}/tickets/{TICKET_ID}/messages").mock(
        return_value=answer or httpx.Response(201, json={"id": 1})
    )


def sample(name: str) -> dict[str, Any]:
    """A request body from tests/events/, as a Gorgias HTTP integration renders it."""
    return json.loads((EVENTS / f"{name}.json").read_text())


def get_widget(api: Any, query: str, headers: dict[str, str] = WIDGET_AUTH) -> Any:
    return api.http.get(f"/gorgias/widget{query}", headers=headers)


def widget_of(api: Any, email: str = CUSTOMER, locale: str = "en") -> dict[str, Any]:
    return widget_of_query(api, f"?email={email}&locale={locale}")


def widget_of_query(api: Any, query: str) -> dict[str, Any]:
    response = get_widget(api, query)
    assert response.status_code == 200, response.body
    return body(response)


def decision(rma: str = "1001", **fields: Any) -> dict[str, Any]:
    """An Approve / Reject body: the typed reference, the ticket and the agent who clicked."""
    return {"rma": rma, "ticket_id": TICKET_ID, "agent": AGENT, **fields}


def decide(api: Any, action: str, payload: dict[str, Any]) -> Any:
    return api.http.post(
        f"/gorgias/actions/{action}", headers={**WIDGET_AUTH, **JSON}, body=json.dumps(payload)
    )


def decide_form(api: Any, action: str, form: str) -> Any:
    """What a widget button sends: its form, URL-encoded."""
    return api.http.post(
        f"/gorgias/actions/{action}",
        headers={**WIDGET_AUTH, "Content-Type": "application/x-www-form-urlencoded"},
        body=form,
    )


def decided_form(api: Any, action: str, form: str) -> dict[str, Any]:
    response = decide_form(api, action, form)
    assert response.status_code == 200, response.body
    return body(response)


def decided(api: Any, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = decide(api, action, payload)
    assert response.status_code == 200, response.body
    return body(response)


def action_log(api: Any, reference: str) -> list[dict[str, Any]]:
    response = api.http.get(f"/rmas/{reference}/events", headers=ADMIN_AUTH)
    assert response.status_code == 200, response.body
    return body(response)["events"]


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the JSON error envelope with `status` and `code`; returns its details."""
    assert response.status_code == status, response.body
    error = body(response)["error"]
    assert set(body(response)) == {"error"}
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    return error["details"]


# --- The widget -----------------------------------------------------------------------------


def test_the_widget_shows_the_five_newest_of_seven_returns_and_counts_all_seven(
    api: Any, open_rma: Callable[..., Any]
) -> None:
    # Given a customer with seven returns, and another customer with one
    opened = [open_rma(CUSTOMER) for _ in range(7)]
    open_rma("someone@else.example")
    # When the widget is rendered for the first customer
    shown = widget_of(api)
    # Then it lists their five newest, newest first, and counts all seven
    newest_first = [rma.return_reference for rma in reversed(opened)]
    assert [r["reference"] for r in shown["returns"]] == newest_first[:5]
    # And, every one shown being open, says there are at least five open
    assert (shown["total"], shown["open"]) == (7, "5+")
    assert shown["customer"] == {"email": CUSTOMER}


def test_a_widget_return_shows_every_field_an_agent_reads(
    api: Any, open_rma: Callable[..., Any]
) -> None:
    # Given a return of two lines, for store credit, waiting for a decision
    rma = open_rma(CUSTOMER, lines=TWO_LINES, expected_resolution="VOUCHER")
    # When the widget is rendered
    [shown] = widget_of(api)["returns"]
    # Then each field is there, labelled for people, and there is no tracking yet
    assert shown == {
        "id": rma.id,
        "reference": "R-001001",
        "status": "REQUESTED",
        "status_label": "Awaiting approval",
        "delivery_status": "PENDING",
        "delivery_status_label": ANY,  # each dimension's label: see the test below
        "financial_status": "PENDING",
        "financial_status_label": ANY,
        "fulfillment_status": "PENDING",
        "fulfillment_status_label": ANY,
        "expected_resolution": "VOUCHER",
        "expected_resolution_label": "Store credit",
        "created_at": ANY,
        "order_number": "#1001",
        "items_summary": "1 x Blue T-shirt (M) (Size doesn't fit), 2 x Mug (Arrived damaged)",
        "items": [
            {
                "sku": "TSHIRT-BLUE-M",
                "name": "Blue T-shirt (M)",
                "quantity": 1,
                "reason": "SIZE_PROBLEM",
                "reason_label": "Size doesn't fit",
                "photos": [],
                "photo_urls": [],
                "received_quantity": 0,
                "received_states": {},
                "received_label": "",
                "exchange_title": None,
            },
            {
                "sku": "MUG-1",
                "name": "Mug",
                "quantity": 2,
                "reason": "DAMAGED_PRODUCT",
                "reason_label": "Arrived damaged",
                "photos": [],
                "photo_urls": [],
                "received_quantity": 0,
                "received_states": {},
                "received_label": "",
                "exchange_title": None,
            },
        ],
        "tracking": None,
        "console_url": None,
    }
    # And the creation time is an ISO timestamp with its time zone
    assert datetime.fromisoformat(shown["created_at"]) == rma.created_at
    assert datetime.fromisoformat(shown["created_at"]).utcoffset() is not None


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("en", ("Not shipped yet", "Refund pending", "Waiting for items")),
        ("fr", ("Pas encore expédié", "Remboursement en attente", "En attente des articles")),
    ],
)
def test_each_status_dimension_is_labelled_in_its_own_words(
    api: Any, open_rma: Callable[..., Any], locale: str, labels: tuple[str, str, str]
) -> None:
    # Given a return whose delivery, refund and inspection are all PENDING
    open_rma(CUSTOMER)
    # When the widget is rendered
    [shown] = widget_of(api, locale=locale)["returns"]
    # Then each PENDING reads as what is pending in its own dimension
    assert (
        shown["delivery_status_label"],
        shown["financial_status_label"],
        shown["fulfillment_status_label"],
    ) == labels


def test_a_return_shipment_is_shown_as_tracking(
    api: Any, open_rma: Callable[..., Any], repository: Any
) -> None:
    # Given the return parcel is in transit (no route records shipments yet: the repository
    # stands in for the carrier integration)
    rma = open_rma(CUSTOMER)
    shipment = Shipment(
        carrier="Colissimo",
        tracking_number="6A12345678901",
        tracking_url="https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
        status=DeliveryStatus.DELIVERING,
    )
    version = rma.version + 1
    shipped = rma.model_copy(
        update={"shipments": [shipment], "delivery_status": shipment.status, "version": version}
    )
    repository.save_transition(
        shipped,
        RmaEvent(
            rma_id=rma.id,
            version=version,
            at=datetime.now(UTC),
            actor=Actor(channel=Channel.WORKFLOW),
            action="ship",
            from_status=rma.processing_status,
            to_status=rma.processing_status,
        ),
        read_version=rma.version,
    )
    # When the widget is rendered in French
    [shown] = widget_of(api, locale="fr")["returns"]
    # Then the shipment is shown with its carrier status labelled
    assert shown["tracking"] == {
        "carrier": "Colissimo",
        "number": "6A12345678901",
        "url": "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
        "status": "DELIVERING",
        "status_label": "En transit",
    }


def test_the_customer_email_matches_whatever_its_case(
    api: Any, open_rma: Callable[..., Any]
) -> None:
    # Given a return opened with a mixed-case email
    rma = open_rma("Jane.Doe@Example.com")
    # When Gorgias asks with the email in another case
    shown = widget_of(api, email="JANE.DOE@example.COM")
    # Then that return is found
    assert [r["id"] for r in shown["returns"]] == [rma.id]
    assert shown["total"] == 1


def test_locale_fr_gives_french_labels(api: Any, open_rma: Callable[..., Any]) -> None:
    # Given a return waiting for a decision
    open_rma(CUSTOMER, lines=TWO_LINES)
    # When the widget is rendered in French
    [shown] = widget_of(api, locale="fr")["returns"]
    # Then statuses, resolution and reasons read in French
    assert shown["status_label"] == "En attente d'approbation"
    assert shown["expected_resolution_label"] == "Remboursement"
    assert [i["reason_label"] for i in shown["items"]] == ["Problème de taille", "Arrivé endommagé"]
    assert shown["items_summary"] == (
        "1 x Blue T-shirt (M) (Problème de taille), 2 x Mug (Arrivé endommagé)"
    )


def test_an_unknown_customer_has_no_returns(api: Any) -> None:
    # Given no returns at all
    # When the widget is rendered for someone
    shown = widget_of(api, email="nobody@example.com")
    # Then the lists are empty and the total zero
    assert shown == {
        "customer": {"email": "nobody@example.com"},
        "returns": [],
        "total": 0,
        "open": "0",
        "requests": [],
        "open_requests": "0",
    }


@pytest.mark.parametrize("query", ["?email=jane.doe", "?email=jane@"])
def test_an_email_that_is_no_email_is_refused(api: Any, query: str) -> None:
    # Given / When the widget is asked for with something that is not an email
    response = get_widget(api, query)
    # Then it is a 400 naming the field
    details = assert_error(response, 400, "validation_error")
    assert [e["field"] for e in details["errors"]] == ["email"]


@pytest.mark.parametrize("query", ["", "?email=", "?email=%20", "?locale=fr", "?email=&locale="])
def test_a_ticket_without_customer_email_shows_no_returns_rather_than_failing(
    api: Any, open_rma: Callable[..., Any], query: str
) -> None:
    # Given returns in the store, and a ticket whose customer has no email (an anonymous chat,
    # an SMS): Gorgias disables an integration after 100 failures in a row
    open_rma(CUSTOMER)
    # When the widget is asked for with the email rendered empty
    shown = widget_of_query(api, query)
    # Then it answers 200 with no returns
    assert shown == {
        "customer": {"email": None},
        "returns": [],
        "total": 0,
        "open": "0",
        "requests": [],
        "open_requests": "0",
    }


def test_a_plus_in_the_email_that_arrived_as_a_space_is_read_as_a_plus(
    api: Any, open_rma: Callable[..., Any]
) -> None:
    # Given a return of a customer whose email has a +tag
    rma = open_rma("jane+returns@example.com")
    # When Gorgias renders the email into the URL without encoding it (+ reads as a space)
    shown = widget_of_query(api, "?email=jane+returns@example.com")
    # Then the customer's return is found
    assert [r["id"] for r in shown["returns"]] == [rma.id]


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("fr-FR", "En attente d'approbation"),
        ("und", "Awaiting approval"),
        ("", "Awaiting approval"),
    ],
)
def test_the_ticket_language_gorgias_detected_picks_the_labels(
    api: Any, open_rma: Callable[..., Any], language: str, label: str
) -> None:
    # Given a return waiting for a decision
    open_rma(CUSTOMER)
    # When the widget is asked for with {{ticket.language}} as Gorgias renders it
    [shown] = widget_of_query(api, f"?email={CUSTOMER}&locale={language}")["returns"]
    # Then a language the labels exist in is used, English otherwise
    assert shown["status_label"] == label


def test_open_returns_come_first_then_closed_ones_still_five_at_most(
    api: Any, open_rma: Callable[..., Any], rma_service: Any
) -> None:
    # Given a customer with two open returns opened long ago and four newer closed ones
    older_open = [open_rma(CUSTOMER) for _ in range(2)]
    closed = [open_rma(CUSTOMER) for _ in range(4)]
    for rma in closed:
        rma_service.act(rma.id, Action.REJECT, actor=Actor(channel=Channel.ADMIN), note="No")
    # When the widget is rendered
    shown = widget_of(api)
    # Then the open ones come first (newest first), then the newest closed ones, five in all
    expected = [r.return_reference for r in reversed(older_open)] + [
        r.return_reference for r in reversed(closed)
    ][:3]
    assert [r["reference"] for r in shown["returns"]] == expected
    assert (shown["total"], shown["open"]) == (6, "2")


def test_each_return_links_to_the_console_when_its_address_is_set(
    api: Any, open_rma: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the console's address, and a return
    reconfigure(monkeypatch, CONSOLE_URL="https://returns.acme.example/console/")
    open_rma(CUSTOMER)
    # When the widget is rendered
    [shown] = widget_of(api)["returns"]
    # Then the return links to its page in the console
    assert shown["console_url"] == "https://returns.acme.example/console/returns/R-001001"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"Authorization": "Bearer not-the-token"}, id="wrong-token"),
        pytest.param(ADMIN_AUTH, id="admin-token"),
    ],
)
def test_the_widget_needs_the_widget_token(
    api: Any, open_rma: Callable[..., Any], headers: dict[str, str]
) -> None:
    # Given a customer with a return
    open_rma(CUSTOMER)
    # When the widget is asked for without the widget's own token
    response = get_widget(api, f"?email={CUSTOMER}", headers=headers)
    # Then it is a 401 in the envelope, telling how to authenticate, and shows nothing
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="returns-desk"'
    assert CUSTOMER not in response.body.decode()


# --- Approve / Reject, without Gorgias API credentials --------------------------------------


@pytest.mark.parametrize("typed", ["1001", "#1001", "r-1001", "R-001001"])
def test_an_agent_approves_a_return_typed_the_way_people_type_it(
    api: Any, open_rma: Callable[..., Any], typed: str
) -> None:
    # Given a return waiting for a decision
    open_rma(CUSTOMER)
    # When an agent approves it by typing its reference
    answer = decided(api, "approve", decision(typed))
    # Then it is approved, and the message names the return and the agent
    assert answer["rma"]["status"] == "ACCEPTED"
    assert answer["rma"]["reference"] == "R-001001"
    assert "R-001001" in answer["message"]
    assert AGENT["email"] in answer["message"]
    assert answer["note"] == "not_configured"


def test_approving_twice_is_a_conflict_that_says_the_current_status(
    api: Any, open_rma: Callable[..., Any]
) -> None:
    # Given a return already approved
    open_rma(CUSTOMER)
    decided(api, "approve", decision())
    # When an agent approves it again
    response = decide(api, "approve", decision())
    # Then it is a 409 whose message says in words where the return stands
    details = assert_error(response, 409, "invalid_transition")
    assert details["current_status"] == "ACCEPTED"
    assert body(response)["error"]["message"] == (
        "Return R-001001 is approved and waiting for the parcel; it cannot be approved."
    )


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_an_unknown_reference_is_not_found(api: Any, action: str) -> None:
    # Given no return R-009999
    # When an agent acts on it
    response = decide(api, action, decision("9999", reason="Too late"))
    # Then it is a 404 echoing what was typed
    details = assert_error(response, 404, "rma_not_found")
    assert details == {"rma": "9999"}


def test_rejecting_without_a_reason_is_refused(
    api: Any, open_rma: Callable[..., Any], rma_service: Any
) -> None:
    # Given a return waiting for a decision
    rma = open_rma(CUSTOMER)
    # When an agent rejects it without saying why
    response = decide(api, "reject", decision(reason="  "))
    # Then it is a 400 about the reason, and the return still waits
    assert assert_error(response, 400, "invalid_request")["field"] == "reason"
    assert rma_service.find(rma.id) == rma


@pytest.mark.parametrize("key", ["reason", "note"])
def test_a_rejection_records_its_reason_in_the_action_log(
    api: Any, open_rma: Callable[..., Any], key: str
) -> None:
    # Given a return waiting for a decision
    open_rma(CUSTOMER)
    # When an agent rejects it with a reason
    answer = decided(api, "reject", decision(**{key: "Outside the 30-day window"}))
    # Then it is rejected, and the log says who rejected it, from Gorgias, and why
    assert answer["rma"]["status"] == "REJECTED"
    assert "Outside the 30-day window" in answer["message"]
    last = action_log(api, "R-001001")[-1]
    assert last["action"] == "reject"
    assert (last["from_status"], last["to_status"]) == ("REQUESTED", "REJECTED")
    assert last["note"] == "Outside the 30-day window"
    assert last["actor"] == {
        "channel": "gorgias",
        "id": "17",
        "email": AGENT["email"],
        "name": None,
        "gorgias_ticket_id": TICKET_ID,
    }


@pytest.mark.parametrize(
    "blank",
    [
        pytest.param({"ticket_id": ""}, id="ticket_id-empty"),
        pytest.param({"ticket_id": None}, id="ticket_id-null"),
        pytest.param({"agent": {"id": ""}}, id="agent.id-empty"),
        pytest.param({"agent": {"id": "", "email": ""}}, id="agent-empty"),
        pytest.param({"agent": {"email": ""}}, id="agent.email-empty"),
        pytest.param({"note": ""}, id="note-empty"),
    ],
)
def test_empty_template_values_count_as_absent(
    api: Any, open_rma: Callable[..., Any], blank: dict[str, Any]
) -> None:
    # Given a return waiting for a decision
    open_rma(CUSTOMER)
    # When Gorgias sends a body where some template variables rendered empty
    answer = decided(api, "approve", decision(**blank))
    # Then those values are taken as absent and the return is approved
    assert answer["rma"]["status"] == "ACCEPTED"


def test_the_approve_body_of_a_gorgias_integration_is_understood(
    api: Any, open_rma: Callable[..., Any]
) -> None:
    # Given a return waiting for a decision
    open_rma(CUSTOMER)
    # When Gorgias sends its rendered body: ids as strings, blank note, keys of its own
    answer = decided(api, "approve", sample("gorgias_approve"))
    # Then the extra keys are ignored and the agent is named as Gorgias knows them
    assert answer["rma"]["status"] == "ACCEPTED"
    assert answer["message"] == "Return R-001001 approved by Alex Martin."
    assert action_log(api, "R-001001")[-1]["actor"]["id"] == "17"


def test_an_approval_from_an_unassigned_ticket_is_understood(
    api: Any, open_rma: Callable[..., Any]
) -> None:
    # Given a return waiting for a decision, and a ticket nobody is assigned to
    open_rma(CUSTOMER)
    # When Gorgias sends the body with {{ticket.assignee_user.*}} rendered empty
    answer = decided(api, "approve", sample("gorgias_approve_unassigned_ticket"))
    # Then the return is approved by an unnamed Gorgias agent
    assert answer["rma"]["status"] == "ACCEPTED"
    assert action_log(api, "R-001001")[-1]["actor"]["channel"] == "gorgias"


# --- Approve / Reject a return on hold ------------------------------------------------------


def put_on_hold(api: Any, reference: str = "R-001001") -> None:
    response = api.http.post(f"/rmas/{reference}/hold", headers={**ADMIN_AUTH, **JSON}, body="{}")
    assert response.status_code == 200, response.body


@pytest.mark.parametrize(
    ("action", "fields", "status", "logged", "email"),
    [
        ("approve", {}, "ACCEPTED", "accept", "APPROVED"),
        ("reject", {"reason": "Outside the 30-day window"}, "REJECTED", "reject", "REJECTED"),
    ],
    ids=["approve", "reject"],
)
def test_a_return_put_on_hold_while_waiting_for_a_decision_is_decided_from_gorgias(
    api: Any,
    open_rma: Callable[..., Any],
    repository: Any,
    action: str,
    fields: dict[str, Any],
    status: str,
    logged: str,
    email: str,
) -> None:
    # Given a return put on hold while it waited for a decision (version 3)
    open_rma(CUSTOMER)
    put_on_hold(api)
    # When an agent approves or rejects it from Gorgias
    answer = decided(api, action, decision(**fields))
    # Then it is decided, and its log shows it taken off hold, then decided, both by the agent
    assert answer["rma"]["status"] == status
    log = action_log(api, "R-001001")
    assert [(e["action"], e["from_status"], e["to_status"], e["version"]) for e in log[-2:]] == [
        ("resume", "ON_HOLD", "REQUESTED", 4),
        (logged, "REQUESTED", status, 5),
    ]
    assert (
        log[-1]["actor"]
        == log[-2]["actor"]
        == {
            "channel": "gorgias",
            "id": "17",
            "email": AGENT["email"],
            "name": None,
            "gorgias_ticket_id": TICKET_ID,
        }
    )
    assert log[-1]["note"] == fields.get("reason")
    # And the shopper hears of the decision, as from a return that was never held
    deliver_return_events()
    outbox = container.email_outbox()
    emails = [(due.kind, due.reason) for due in outbox.due_status_emails(limit=10)]
    assert emails[-1] == (email, fields.get("reason"))


def test_a_return_put_on_hold_after_its_approval_is_not_approved_again(
    api: Any, open_rma: Callable[..., Any], rma_service: Any
) -> None:
    # Given an approved return, then put on hold
    open_rma(CUSTOMER)
    decided(api, "approve", decision())
    put_on_hold(api)
    held = rma_service.find("R-001001")
    # When an agent approves it again
    response = decide(api, "approve", decision())
    # Then it is a 409 saying it is on hold, and nothing changed
    details = assert_error(response, 409, "invalid_transition")
    assert details["current_status"] == "ON_HOLD"
    assert body(response)["error"]["message"] == (
        "Return R-001001 is on hold; it cannot be approved."
    )
    assert rma_service.find("R-001001") == held


def test_a_return_held_during_its_lifecycle_goes_on_once_approved_from_gorgias(
    api: Any, lifecycle: str
) -> None:
    # Given a return whose lifecycle waits for an agent, put on hold, and a one-second parcel
    # delay (so that the lifecycle ends with the test)
    agents_decide(parcel_timeout=ONE_SECOND)
    rma = submit_return(api)
    waiting_in(rma["id"], AGENT_DECISION)
    put_on_hold(api, rma["return_reference"])
    # When an agent approves it from Gorgias
    decided(api, "approve", decision(rma["return_reference"]))
    # Then the waiting step takes the approval as from a return never held: the label is
    # issued and the parcel awaited (until its delay runs out)
    ended(
        lifecycle,
        rma["id"],
        "SUCCEEDED",
        [*AGENT_DECIDED, *LABEL_ISSUED, "ExpireReturn", "ReturnClosed"],
    )


# --- Approve / Reject, with Gorgias API credentials -----------------------------------------


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("role", ["observer-agent", "lite-agent", "a-role-gorgias-adds-later"])
def test_only_admins_leads_and_basic_agents_may_decide(
    api: Any,
    open_rma: Callable[..., Any],
    rma_service: Any,
    gorgias: respx.MockRouter,
    updates: GorgiasUpdates,
    role: str,
    action: str,
) -> None:
    # Given a return waiting for a decision (its request's ticket opened) and an agent whose
    # Gorgias role may not act (an allow-list: a role name nobody knows yet fails safe)
    open_rma(CUSTOMER)
    updates.deliver()
    rma = rma_service.find("R-001001")
    agent_has_role(gorgias, role)
    notes = ticket_messages(gorgias)
    # When that agent clicks
    response = decide(api, action, decision(reason="Not eligible"))
    updates.deliver()
    # Then it is a 403 naming the role, the return is untouched and no note is posted
    assert assert_error(response, 403, "forbidden")["role"] == role
    assert rma_service.find(rma.id) == rma
    assert not notes.called


@pytest.mark.parametrize("role", ["admin", "agent", "basic-agent"])
def test_a_decision_is_noted_on_the_ticket_in_the_agents_name(
    api: Any,
    open_rma: Callable[..., Any],
    gorgias: respx.MockRouter,
    updates: GorgiasUpdates,
    role: str,
) -> None:
    # Given a return waiting for a decision and an agent whose role may act
    open_rma(CUSTOMER)
    agent_has_role(gorgias, role)
    notes = ticket_messages(gorgias)
    # When the agent approves it, and the return events reach Gorgias
    answer = decided(api, "approve", decision())
    updates.deliver()
    # Then it is approved, and the decision is posted once as an internal note on the ticket,
    # in the agent's name, saying what the answer said
    assert answer["rma"]["status"] == "ACCEPTED"
    assert answer["note"] == "queued"
    [note] = posted(notes)
    assert note["channel"] == "internal-note"
    assert note["from_agent"] is True
    assert note["sender"] == {"id": AGENT["id"]}
    assert note["body_text"] == answer["message"]


def test_the_buttons_form_body_names_the_agent_by_email_looked_up_once(
    api: Any, open_rma: Callable[..., Any], gorgias: respx.MockRouter, updates: GorgiasUpdates
) -> None:
    # Given two returns waiting for a decision, and the account's users (two pages)
    open_rma(CUSTOMER)
    open_rma(CUSTOMER)
    pages = users_listed(gorgias)
    notes = ticket_messages(gorgias)
    # When the widget's buttons send their forms ({{current_user.email}} as agent_email)
    approved = decided_form(api, "approve", (EVENTS / "gorgias_button_approve.txt").read_text())
    rejected = decided_form(
        api, "reject", (EVENTS / "gorgias_button_reject.txt").read_text().strip()
    )
    updates.deliver()
    # Then both are decided by that agent, the users were listed once for both, and each
    # decision is noted on ticket 4242
    assert (approved["rma"]["status"], rejected["rma"]["status"]) == ("ACCEPTED", "REJECTED")
    assert approved["message"] == "Return R-001001 approved by Alex Martin."
    assert pages.call_count == 2
    assert [n["body_text"] for n in posted(notes)] == [approved["message"], rejected["message"]]
    assert action_log(api, "R-001002")[-1]["actor"] == {
        "channel": "gorgias",
        "id": "17",
        "email": AGENT["email"],
        "name": "Alex Martin",
        "gorgias_ticket_id": TICKET_ID,
    }


@pytest.mark.parametrize(
    "form",
    [
        pytest.param("rma=1001&ticket_id=4242&agent_email=&agent_name=", id="rendered-empty"),
        pytest.param(
            "rma=1001&ticket_id=4242&agent_email=%7B%7Bcurrent_user.email%7D%7D",
            id="not-rendered",
        ),
        pytest.param("rma=1001&ticket_id=4242", id="absent"),
    ],
)
def test_a_button_that_names_no_agent_decides_as_a_gorgias_agent_on_the_ticket(
    api: Any,
    open_rma: Callable[..., Any],
    gorgias: respx.MockRouter,
    updates: GorgiasUpdates,
    form: str,
) -> None:
    # Given a return waiting for a decision
    open_rma(CUSTOMER)
    lookups = gorgias.get(url__startswith=f"{GORGIAS_API}/users")
    notes = ticket_messages(gorgias)
    # When a button's form arrives without the agent (never a 400 for an empty template value)
    answer = decided_form(api, "approve", form)
    updates.deliver()
    # Then it is approved by "a Gorgias agent" of that ticket, noted there, and no role was
    # looked up (Gorgias itself keeps observers from running actions)
    assert answer["message"] == "Return R-001001 approved by a Gorgias agent."
    assert action_log(api, "R-001001")[-1]["actor"] == {
        "channel": "gorgias",
        "id": None,
        "email": None,
        "name": "a Gorgias agent",
        "gorgias_ticket_id": TICKET_ID,
    }
    assert not lookups.called
    assert [n["sender"] for n in posted(notes)] == [{"email": API_USER}]


@pytest.mark.parametrize(
    ("answer", "status", "code"),
    [
        pytest.param(httpx.Response(500), 503, "dependency_unavailable", id="gorgias-down"),
        pytest.param(httpx.Response(404), 403, "forbidden", id="unknown-agent"),
    ],
)
def test_an_agent_whose_role_cannot_be_confirmed_changes_nothing(
    api: Any,
    open_rma: Callable[..., Any],
    rma_service: Any,
    gorgias: respx.MockRouter,
    answer: httpx.Response,
    status: int,
    code: str,
) -> None:
    # Given a return waiting for a decision, and Gorgias unable to give the agent's role
    rma = open_rma(CUSTOMER)
    gorgias.get(f"{GORGIAS_API}/users/{AGENT['id']}").mock(return_value=answer)
    # When the agent approves it
    response = decide(api, "approve", decision())
    # Then the decision is refused (fail closed) and nothing changed
    assert_error(response, status, code)
    assert rma_service.find(rma.id) == rma


def test_an_email_no_gorgias_user_has_may_not_decide(
    api: Any, open_rma: Callable[..., Any], rma_service: Any, gorgias: respx.MockRouter
) -> None:
    # Given a return waiting for a decision, and the account's users
    rma = open_rma(CUSTOMER)
    users_listed(gorgias)
    # When a form names an agent email Gorgias does not know
    response = decide_form(api, "approve", "rma=1001&agent_email=intruder%40example.com")
    # Then it is a 403 and nothing changed
    assert_error(response, 403, "forbidden")
    assert rma_service.find(rma.id) == rma


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.Response(500), id="server-error"),
        pytest.param(httpx.Response(429, headers={"Retry-after": "60"}), id="long-rate-limit"),
    ],
)
def test_a_note_gorgias_refuses_is_posted_once_it_answers_again(
    api: Any,
    open_rma: Callable[..., Any],
    rma_service: Any,
    gorgias: respx.MockRouter,
    updates: GorgiasUpdates,
    failure: httpx.Response,
) -> None:
    # Given a return waiting for a decision, and Gorgias refusing notes for now
    rma = open_rma(CUSTOMER)
    agent_has_role(gorgias, "agent")
    notes = ticket_messages(gorgias, failure)
    # When the agent approves it
    answer = decided(api, "approve", decision())
    first = updates.deliver()
    # Then the return is approved all the same, and the note waits in the queue
    assert answer["rma"]["status"] == "ACCEPTED"
    assert rma_service.find(rma.id).processing_status == "ACCEPTED"
    assert first[-1]["batchItemFailures"]
    assert updates.waiting() == 1
    # And once Gorgias answers again, the note is posted, once
    notes.mock(return_value=httpx.Response(201, json={"id": 2}))
    updates.deliver()
    updates.deliver()
    assert notes.call_count == 2
    assert notes.calls.last.response.status_code == 201
    assert updates.waiting() == 0


def test_the_decision_is_noted_on_the_returns_own_ticket_too(
    api: Any, open_rma: Callable[..., Any], gorgias: respx.MockRouter, updates: GorgiasUpdates
) -> None:
    # Given a return requested through the admin API, whose request opened its own ticket
    open_rma(CUSTOMER)
    agent_has_role(gorgias, "admin")
    on_return_ticket = gorgias.routes["return_ticket_notes"]
    on_agent_ticket = ticket_messages(gorgias)
    updates.deliver()
    # When an agent approves it from another ticket of the customer's
    answer = decided(api, "approve", decision())
    updates.deliver()
    # Then both tickets get the note, once each
    assert [n["body_text"] for n in posted(on_return_ticket)] == [answer["message"]]
    assert [n["body_text"] for n in posted(on_agent_ticket)] == [answer["message"]]


def test_a_button_without_a_ticket_notes_the_returns_own_ticket(
    api: Any, open_rma: Callable[..., Any], gorgias: respx.MockRouter, updates: GorgiasUpdates
) -> None:
    # Given a return with its own ticket
    open_rma(CUSTOMER)
    agent_has_role(gorgias, "admin")
    on_return_ticket = gorgias.routes["return_ticket_notes"]
    # When it is approved from a body that names no ticket
    answer = decided(api, "approve", {"rma": "1001", "agent": AGENT})
    updates.deliver()
    # Then the note goes to the return's ticket
    assert answer["note"] == "queued"
    assert len(posted(on_return_ticket)) == 1
