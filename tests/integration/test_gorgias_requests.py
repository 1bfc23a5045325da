"""Specification: cancellation requests and claims reach the agents as Gorgias tickets, and every
later step as an internal note on them, exactly as returns do; agents decide them with the
widget's Approve and Reject buttons by typing their reference (`C-…`, `X-…`), under the same role
checks; the widget lists them next to the customer's returns, never with a store credit's code.

Shoppers ask through the portal; the events reach the Gorgias updates queue through the stream,
and the queue its consumer; Gorgias is played by respx with its documented shapes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import respx

from chalicelib.integrations.payments import PaymentReceipt
from chalicelib.repositories.aws import client
from chalicelib.services import container
from tests.gorgias_support import (
    GORGIAS_API,
    GorgiasUpdates,
    configure_gorgias,
    gorgias_updates_queue,
    notes_on,
    posted,
)
from tests.integration.test_portal import JANE, call, upload_photo
from tests.order_request_support import store_mug_order
from tests.support import WIDGET_AUTH, body

# The ticket each request opens, and the one an agent clicks from.
REQUEST_TICKET = 9100
AGENT_TICKET = 4242
AGENT = {"id": 17, "email": "alex@acme.example", "name": "Alex Martin"}
GIFT_CARD_CODE = "GIFTCARD-AB12-7KQ2"


@pytest.fixture
def gorgias(api: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    configure_gorgias(monkeypatch, CONSOLE_URL="https://returns.acme.example/console")
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def updates(gorgias: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> GorgiasUpdates:
    """The updates queue; each request opens ticket REQUEST_TICKET, whose notes are recorded."""
    gorgias.post(f"{GORGIAS_API}/tickets", name="tickets").respond(201, json={"id": REQUEST_TICKET})
    notes_on(gorgias, REQUEST_TICKET, name="request_ticket_notes")
    notes_on(gorgias, AGENT_TICKET, name="agent_ticket_notes")
    return gorgias_updates_queue(monkeypatch)


@pytest.fixture
def orders(api: Any) -> None:
    store_mug_order("#4950", shipped=0, delivered_days_ago=None)
    store_mug_order("#4930", shipped=2, delivered_days_ago=3)
    client("s3").create_bucket(Bucket=os.environ["RETURNS_BUCKET"])


def agent_is(router: respx.MockRouter, role: str) -> respx.Route:
    """The account's users as `GET /api/users` lists them: the agent, with `role`."""
    user = {**AGENT, "role": {"name": role}}
    return router.get(f"{GORGIAS_API}/users").respond(
        200, json={"data": [user], "meta": {"next_cursor": None, "prev_cursor": None}}
    )


def report_damage(api: Any, resolution: str = "REFUND") -> str:
    """Jane reports one of the mugs of #4930 arrived broken, with a photo; its reference."""
    upload = body(call(api, "POST", "/portal/claim-photos", JANE, {"content_type": "image/jpeg"}))
    upload_photo(upload)
    response = call(
        api,
        "POST",
        "/portal/orders/%234930/claims",
        JANE,
        {
            "issue": "DAMAGED",
            "lines": [{"sku": "MUG-001", "quantity": 1, "photos": [upload["key"]]}],
            "resolution": resolution,
            "comment": "The handle came off in the box.",
        },
    )
    assert response.status_code == 201, response.body
    reference: str = body(response)["reference"]
    return reference


def ask_to_cancel(api: Any) -> str:
    response = call(api, "POST", "/portal/orders/%234950/cancellation", JANE, {})
    assert response.status_code == 201, response.body
    reference: str = body(response)["reference"]
    return reference


def click(api: Any, button: str, **form: str) -> Any:
    """What the widget's button sends, form-encoded: the typed reference, the ticket, the
    agent who clicked ({{current_user.email}}, {{current_user.name}})."""
    fields = {
        "ticket_id": str(AGENT_TICKET),
        "agent_email": AGENT["email"],
        "agent_name": AGENT["name"],
        **form,
    }
    return api.http.post(
        f"/gorgias/actions/{button}",
        headers={**WIDGET_AUTH, "Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode(fields),
    )


def clicked(api: Any, button: str, **form: str) -> dict[str, Any]:
    response = click(api, button, **form)
    assert response.status_code == 200, response.body
    answer: dict[str, Any] = body(response)
    return answer


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.body
    error: dict[str, Any] = body(response)["error"]
    assert error["code"] == code
    return error


def stored_event(reference: str, version: int) -> Any:
    """The request's event of `version`, as stored with the change."""
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    from chalicelib.repositories.return_events import event_from_image, event_key

    key = {name: TypeSerializer().serialize(v) for name, v in event_key(reference, version).items()}
    item = client("dynamodb").get_item(TableName=os.environ["TABLE_NAME"], Key=key)["Item"]
    return event_from_image({k: TypeDeserializer().deserialize(v) for k, v in item.items()})


def request_of(reference: str) -> Any:
    return container.order_request_service().find(reference)[0]


# --- Tickets ----------------------------------------------------------------------------------


def test_a_claim_reported_in_the_portal_opens_one_ticket_even_delivered_twice(
    api: Any, orders: None, gorgias: respx.MockRouter, updates: GorgiasUpdates
) -> None:
    tickets = gorgias.routes["tickets"]
    # Given Jane reported a broken mug with a photo in the portal
    reference = report_damage(api)
    # When its events are delivered, and the stream then hands the claim's event over again
    updates.deliver()
    opened = stored_event(reference, 1)
    container.order_request_event_dispatcher().deliver(opened)
    container.gorgias_ticket_updates().apply(opened)
    updates.deliver()
    # Then one ticket is opened, from Jane, saying what went wrong, with the photo's link
    [ticket] = posted(tickets)
    assert ticket["customer"]["email"] == JANE
    assert ticket["subject"] == (
        f"Order issue {reference} (Arrived damaged or defective) for order #4930"
    )
    assert ticket["tags"] == [
        {"name": "returns-desk"},
        {"name": "order-issue"},
        {"name": f"request:{reference}"},
    ]
    message = ticket["messages"][0]
    text = message["body_text"]
    assert text.startswith(
        "Jane Doe reports an issue with order #4930: Arrived damaged or defective "
        "(Refund expected)."
    )
    assert "- 1 x Ceramic mug (MUG-001) at 18.00 EUR" in text
    assert "  photo: https://" in text
    assert "Comment: The handle came off in the box." in text
    assert "Status: Waiting for an agent. Accept or refuse it with the widget's Approve" in text
    assert '<a href="https://' in message["body_html"]
    assert f"Open in the console: https://returns.acme.example/console/requests/{reference}" in text
    # And the claim knows its ticket, and recording it told Gorgias nothing more
    assert request_of(reference).gorgias_ticket_id == REQUEST_TICKET
    assert not gorgias.routes["request_ticket_notes"].called
    assert updates.waiting() == 0


def test_a_cancellation_request_opens_its_ticket(
    api: Any, orders: None, gorgias: respx.MockRouter, updates: GorgiasUpdates
) -> None:
    tickets = gorgias.routes["tickets"]
    # When Jane asks to cancel #4950, which has not shipped
    reference = ask_to_cancel(api)
    updates.deliver()
    # Then a ticket says so, tagged as a cancellation request
    [ticket] = posted(tickets)
    assert ticket["subject"] == f"Cancellation request {reference} for order #4950"
    assert ticket["messages"][0]["body_text"].startswith("Jane Doe asks to cancel order #4950.")
    assert {"name": "cancellation-request"} in ticket["tags"]
    assert request_of(reference).gorgias_ticket_id == REQUEST_TICKET


# --- Approve and Reject ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["C-000001", " c1 "])
def test_an_agent_approves_a_claim_with_the_button_and_each_step_is_a_note(
    api: Any, orders: None, gorgias: respx.MockRouter, updates: GorgiasUpdates, typed: str
) -> None:
    # Given Jane's claim, its ticket open, and an agent whose role may decide
    reference = report_damage(api)
    assert reference == "C-000001"
    updates.deliver()
    agent_is(gorgias, "basic-agent")
    # When the agent clicks Approve, typing the claim's reference, the settlement left blank
    answer = clicked(api, "approve", rma=typed, resolution="")
    updates.deliver()
    # Then the claim is approved for the refund Jane asked, in the agent's name
    message = (
        "Order issue C-000001 approved by Alex Martin. Settlement: refund of 18.00 EUR, to be paid."
    )
    assert answer["message"] == message
    assert (answer["note"], answer["rma"]) == ("queued", None)
    assert answer["request"]["status"] == "APPROVED"
    # And the decision is noted on the claim's ticket and on the ticket clicked from, in the
    # agent's name; then its settlement is noted on the claim's ticket once carried out
    on_request = posted(gorgias.routes["request_ticket_notes"])
    on_agent = posted(gorgias.routes["agent_ticket_notes"])
    assert [n["body_text"] for n in on_agent] == [message]
    assert on_request[0]["body_text"] == message
    assert on_request[0]["sender"] == {"id": AGENT["id"]}
    assert on_request[0]["channel"] == "internal-note"
    assert on_request[1]["body_text"].startswith(
        "Order issue C-000001 resolved: refund of 18.00 EUR, paid."
    )
    assert len(on_request) == 2
    resolved, log = container.order_request_service().find(reference)
    assert resolved.status == "RESOLVED"
    # And the action log names the agent, from Gorgias, with the ticket clicked from
    [approval] = [entry for entry in log if entry.action == "approve"]
    assert approval.actor.model_dump() == {
        "channel": "gorgias",
        "id": "17",
        "email": AGENT["email"],
        "name": AGENT["name"],
        "gorgias_ticket_id": AGENT_TICKET,
    }


def test_the_settlement_dropdown_settles_a_claim_otherwise_than_the_shopper_asked(
    api: Any, orders: None, gorgias: respx.MockRouter, updates: GorgiasUpdates
) -> None:
    # Given Jane's claim for a refund
    reference = report_damage(api, resolution="REFUND")
    agent_is(gorgias, "agent")
    # When the agent approves it choosing "Replacement" in the button's dropdown
    answer = clicked(api, "approve", rma=reference, resolution="Replacement")
    updates.deliver()
    # Then it is settled by a replacement, which (no shop connected) a person creates
    assert answer["message"].endswith("Settlement: replacement, to be ordered.")
    notes = [n["body_text"] for n in posted(gorgias.routes["request_ticket_notes"])]
    assert notes[-1].startswith(
        f"Order issue {reference} resolved: replacement, to be created by a person in the shop."
    )


def test_a_cancellation_refused_from_the_button_keeps_the_reason_for_the_shopper(
    api: Any, orders: None, gorgias: respx.MockRouter, updates: GorgiasUpdates
) -> None:
    # Given Jane's cancellation request, its ticket open
    reference = ask_to_cancel(api)
    updates.deliver()
    agent_is(gorgias, "admin")
    # When the agent clicks Reject with the reason the shopper will read
    answer = clicked(api, "reject", rma=reference, reason="Already packed and handed over.")
    updates.deliver()
    # Then the request is refused with that reason, and the ticket says so
    sentence = (
        f"Cancellation request {reference} refused by Alex Martin. "
        "Reason: Already packed and handed over."
    )
    assert answer["message"] == sentence
    refused = request_of(reference)
    assert (refused.status, refused.decision_note) == (
        "REJECTED",
        "Already packed and handed over.",
    )
    assert [n["body_text"] for n in posted(gorgias.routes["request_ticket_notes"])] == [sentence]


def test_an_accepted_cancellation_left_to_a_person_is_noted_so(
    api: Any, orders: None, gorgias: respx.MockRouter, updates: GorgiasUpdates
) -> None:
    # Given Jane's cancellation request, and no shop connected to cancel in
    reference = ask_to_cancel(api)
    agent_is(gorgias, "basic-agent")
    # When the agent accepts it from the widget
    clicked(api, "approve", rma=reference)
    updates.deliver()
    # Then the ticket hears of the acceptance, then that a person cancels the order
    notes = [n["body_text"] for n in posted(gorgias.routes["request_ticket_notes"])]
    assert notes[0] == f"Cancellation request {reference} accepted by Alex Martin."
    assert notes[1].startswith(
        f"Cancellation request {reference}: order #4950 left to a person to cancel. "
        "Cancel order #4950 in the shop's back office"
    )


def test_refusing_a_request_needs_the_reason_the_shopper_reads(
    api: Any, orders: None, gorgias: respx.MockRouter
) -> None:
    # Given Jane's cancellation request
    reference = ask_to_cancel(api)
    agent_is(gorgias, "agent")
    # When the agent clicks Reject without a reason
    response = click(api, "reject", rma=reference, reason=" ")
    # Then it is a 400 about the reason, and the request still waits
    assert error_of(response, 400, "invalid_request")["details"]["field"] == "reason"
    assert request_of(reference).status == "OPEN"


@pytest.mark.parametrize("button", ["approve", "reject"])
@pytest.mark.parametrize("role", ["lite-agent", "observer-agent", "a-role-gorgias-adds-later"])
def test_lite_agents_and_observers_may_not_decide_requests(
    api: Any,
    orders: None,
    gorgias: respx.MockRouter,
    updates: GorgiasUpdates,
    role: str,
    button: str,
) -> None:
    # Given Jane's claim, its ticket open, and an agent whose role may not act
    reference = report_damage(api)
    updates.deliver()
    before = request_of(reference)
    agent_is(gorgias, role)
    # When that agent clicks
    response = click(api, button, rma=reference, reason="Not covered")
    updates.deliver()
    # Then it is a 403 naming the role, the claim is untouched and no note is posted
    assert error_of(response, 403, "forbidden")["details"]["role"] == role
    assert request_of(reference) == before
    assert not gorgias.routes["request_ticket_notes"].called


def test_an_unknown_request_is_not_found(api: Any, orders: None) -> None:
    # Given no claim C-000999 (and no Gorgias API credentials: no role to check)
    # When an agent approves it
    response = click(api, "approve", rma="C-999")
    # Then it is a 404 echoing what was typed
    assert error_of(response, 404, "request_not_found")["details"] == {"request": "C-999"}


def test_a_settlement_goes_with_approving_a_claim_only(
    api: Any, orders: None, open_rma: Any
) -> None:
    # Given a return and a cancellation request, both waiting for an agent
    rma = open_rma(JANE)
    cancellation = ask_to_cancel(api)
    # When an agent approves either choosing a settlement
    for typed in (rma.return_reference, cancellation):
        response = click(api, "approve", rma=typed, resolution="Refund")
        # Then it is a 400 about the settlement, and nothing was decided
        assert error_of(response, 400, "invalid_request")["details"]["field"] == "resolution"
    assert request_of(cancellation).status == "OPEN"
    assert container.rma_service().find(rma.id).processing_status == rma.processing_status


def test_an_unknown_settlement_is_refused(api: Any, orders: None) -> None:
    reference = report_damage(api)

    response = click(api, "approve", rma=reference, resolution="Free money")

    assert response.status_code == 400, response.body
    assert request_of(reference).status == "OPEN"


# --- The widget ------------------------------------------------------------------------------


class GiftCards:
    """The payment provider as the shop's would answer for store credit: a gift card, whose
    code is the shopper's."""

    def refund(self, paid: Any, resolution: Any, *, idempotency_key: str) -> PaymentReceipt:
        return PaymentReceipt(
            reference="gid://shopify/GiftCard/1",
            note=f"Gift card of {resolution.amount} {paid.currency} issued",
            voucher_code=GIFT_CARD_CODE,
        )


def test_the_widget_lists_a_claim_next_to_the_returns_with_the_codes_ending_only(
    api: Any, orders: None, open_rma: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a return of Jane's, and her claim settled by store credit (a gift card issued)
    monkeypatch.setattr(container, "payment_provider", GiftCards)
    open_rma(JANE)
    reference = report_damage(api, resolution="VOUCHER")
    clicked(api, "approve", rma=reference)
    from tests.support import deliver_return_events

    deliver_return_events()
    # When the widget is rendered for Jane
    response = api.http.get(f"/gorgias/widget?email={JANE}&locale=en", headers=WIDGET_AUTH)
    # Then her claim is listed beside her return, labelled for people
    assert response.status_code == 200, response.body
    shown = body(response)
    assert len(shown["returns"]) == 1
    [claim] = shown["requests"]
    assert {k: claim[k] for k in ("reference", "kind_label", "status_label", "order_number")} == {
        "reference": reference,
        "kind_label": "Order issue",
        "status_label": "Resolved",
        "order_number": "#4930",
    }
    assert claim["issue_label"] == "Arrived damaged or defective"
    assert claim["resolution_label"] == "Store credit"
    assert claim["items_summary"] == "1 x Ceramic mug"
    assert claim["lines"][0]["photo_urls"][0].startswith("https://")
    # And the settlement names the code's last four characters, never the code
    assert claim["settlement"].endswith(", issued (code ending 7KQ2)")
    assert GIFT_CARD_CODE not in response.body.decode()
    assert shown["open_requests"] == "0"


def test_the_widget_shows_open_requests_first_in_the_tickets_language(
    api: Any, orders: None
) -> None:
    # Given Jane's claim and her cancellation request, both open
    report_damage(api)
    cancellation = ask_to_cancel(api)
    # When the widget is rendered for a French ticket
    shown = body(api.http.get(f"/gorgias/widget?email={JANE}&locale=fr", headers=WIDGET_AUTH))
    # Then both are listed, newest first, in French, and counted as open
    assert [r["reference"] for r in shown["requests"]] == [cancellation, "C-000001"]
    assert shown["requests"][0]["kind_label"] == "Demande d'annulation"
    assert shown["requests"][0]["issue_label"] == ""
    assert shown["open_requests"] == "2"
