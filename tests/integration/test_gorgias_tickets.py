"""Specification: every return request reaches the agents as a Gorgias ticket, and every later
step as an internal note on it; Gorgias's outages and rate limits delay them, duplicates change
nothing.

Returns move through the service and the admin API; the return events reach the Gorgias updates
queue through the stream, and the queue its consumer; Gorgias is played by respx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action
from chalicelib.services import container
from tests.gorgias_support import (
    GORGIAS_API,
    GorgiasUpdates,
    configure_gorgias,
    gorgias_updates_queue,
    notes_on,
    posted,
    ticket_created,
)
from tests.support import ADMIN_AUTH, JSON

CUSTOMER = "jane.doe@example.com"
TICKET = 9001
SHOPPER = Actor(channel=Channel.PORTAL, email=CUSTOMER, name="Jane Doe")


@pytest.fixture
def gorgias(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    configure_gorgias(monkeypatch, CONSOLE_URL="https://returns.acme.example/console")
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def updates(gorgias: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> GorgiasUpdates:
    return gorgias_updates_queue(monkeypatch)


def requested_from_the_portal(make_draft: Any, **draft: Any) -> Any:
    """A return the shopper opened and submitted in the portal."""
    rmas = container.rma_service()
    rma = rmas.open(make_draft(CUSTOMER, **draft), actor=SHOPPER)
    return rmas.act(rma.id, Action.SUBMIT, actor=SHOPPER)


def admin(api: Any, reference: str, step: str, payload: dict[str, Any] | None = None) -> Any:
    response = api.http.post(
        f"/rmas/{reference}/{step}", headers={**ADMIN_AUTH, **JSON}, body=json.dumps(payload or {})
    )
    assert response.status_code == 200, response.body
    return response


def test_a_portal_request_opens_one_ticket_for_the_customer(
    gorgias: respx.MockRouter, updates: GorgiasUpdates, make_draft: Any
) -> None:
    # Given Gorgias opens tickets
    tickets = ticket_created(gorgias, TICKET)
    # When a shopper requests a return of two lines in the portal, and the events are delivered
    requested_from_the_portal(
        make_draft,
        lines=[
            {
                "sku": "TSHIRT-BLUE-M",
                "name": "Blue T-shirt (M)",
                "quantity": 1,
                "unit_price": "25.00",
                "reason": "SIZE_PROBLEM",
                "comment": "Too tight",
            },
            {
                "sku": "MUG-1",
                "name": "Mug",
                "quantity": 2,
                "unit_price": "12.50",
                "reason": "DAMAGED_PRODUCT",
            },
        ],
    )
    updates.deliver()
    # Then one ticket is opened, from the customer, saying what they return and why
    [ticket] = posted(tickets)
    assert ticket["customer"]["email"] == CUSTOMER
    assert ticket["subject"] == "Return request R-001001 — order #1001"
    assert ticket["tags"] == [{"name": "returns-desk"}, {"name": "return-request"}]
    text = ticket["messages"][0]["body_text"]
    assert "- 1 x Blue T-shirt (M) (TSHIRT-BLUE-M): Size doesn't fit — “Too tight”" in text
    assert "- 2 x Mug (MUG-1): Arrived damaged" in text
    assert "https://returns.acme.example/console/returns/R-001001" in text
    assert ticket["messages"][0]["body_html"].startswith("<p>Jane Doe asks to return")
    # And the return knows its ticket
    assert container.rma_service().find("R-001001").gorgias_ticket_id == TICKET


def test_each_later_step_is_a_note_on_the_requests_ticket(
    api: Any, gorgias: respx.MockRouter, updates: GorgiasUpdates, make_draft: Any
) -> None:
    # Given a portal request whose ticket is open
    ticket_created(gorgias, TICKET)
    notes = notes_on(gorgias, TICKET)
    requested_from_the_portal(make_draft)
    updates.deliver()
    # When the team approves it, receives the parcel and approves the refund
    admin(api, "R-001001", "accept", {"actor": {"name": "Sam"}})
    admin(
        api,
        "R-001001",
        "receive",
        {
            "lines": [
                {"sku": "TSHIRT-BLUE-M", "quantity": 1, "product_state": "BRAND_NEW_WITH_LABEL"}
            ]
        },
    )
    updates.deliver()
    # Then each step is one internal note on the ticket, in order
    texts = [note["body_text"] for note in posted(notes)]
    assert texts[0] == "Return R-001001 approved by Sam."
    assert texts[1].startswith("Return R-001001: parcel received — Blue T-shirt (M): 1 x New")
    assert all(note["channel"] == "internal-note" for note in posted(notes))


def test_events_delivered_twice_open_one_ticket_and_post_each_note_once(
    api: Any, gorgias: respx.MockRouter, updates: GorgiasUpdates, make_draft: Any
) -> None:
    # Given a request and its decision, already told to Gorgias
    tickets = ticket_created(gorgias, TICKET)
    notes = notes_on(gorgias, TICKET)
    rma = requested_from_the_portal(make_draft)
    admin(api, rma.return_reference, "accept")
    updates.deliver()
    # When every event reaches the consumer again (a retried batch, a redrive)
    for version in (2, 3):
        container.gorgias_ticket_updates().apply(_event(rma.id, version))
    # Then still one ticket and one note
    assert tickets.call_count == 1
    assert notes.call_count == 1


def test_a_rate_limited_ticket_is_opened_once_gorgias_takes_it(
    gorgias: respx.MockRouter, updates: GorgiasUpdates, make_draft: Any
) -> None:
    # Given Gorgias answering 429 with a wait longer than the consumer waits, then accepting
    tickets = gorgias.post(f"{GORGIAS_API}/tickets").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-after": "30"}),
            httpx.Response(201, json={"id": TICKET}),
        ]
    )
    # When a return is requested, and the queue is delivered twice
    requested_from_the_portal(make_draft)
    first = updates.deliver()
    updates.deliver()
    # Then the first try failed and stayed queued, the second opened the one ticket
    assert first[-1]["batchItemFailures"]
    assert tickets.call_count == 2
    assert updates.waiting() == 0


def test_a_return_opened_from_a_ticket_opens_no_other(
    api: Any, gorgias: respx.MockRouter, updates: GorgiasUpdates, make_draft: Any
) -> None:
    # Given a return opened from a chat ticket (its ticket is on the return)
    tickets = ticket_created(gorgias, TICKET)
    notes = notes_on(gorgias, 777)
    rmas = container.rma_service()
    rma = rmas.open(
        make_draft(CUSTOMER).model_copy(update={"gorgias_ticket_id": 777}), actor=SHOPPER
    )
    rmas.act(rma.id, Action.SUBMIT, actor=SHOPPER)
    # When it is requested and then approved
    admin(api, rma.return_reference, "accept", {"actor": {"name": "Sam"}})
    updates.deliver()
    # Then no ticket is opened, and the decision is noted on the chat's ticket
    assert not tickets.called
    assert [n["body_text"] for n in posted(notes)] == ["Return R-001001 approved by Sam."]


def test_without_gorgias_credentials_nothing_is_queued(
    aws: None, monkeypatch: pytest.MonkeyPatch, make_draft: Any
) -> None:
    # Given the queue but no Gorgias credentials
    queue = gorgias_updates_queue(monkeypatch)
    # When a return is requested
    requested_from_the_portal(make_draft)
    queue.deliver()
    # Then nothing waited for Gorgias
    assert queue.waiting() == 0


def _event(rma_id: str, version: int) -> Any:
    """The return event of `version`, as stored with the change."""
    import os

    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    from chalicelib.repositories.aws import client
    from chalicelib.repositories.return_events import event_from_image, event_key

    key = {
        name: TypeSerializer().serialize(value)
        for name, value in event_key(rma_id, version).items()
    }
    item = client("dynamodb").get_item(TableName=os.environ["TABLE_NAME"], Key=key)["Item"]
    return event_from_image({k: TypeDeserializer().deserialize(v) for k, v in item.items()})
