"""Specification of what agents read in Gorgias about a return: the ticket its request opens
and the note each later step leaves; and which events Gorgias hears of at all."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.events import ReturnEvent, return_event
from chalicelib.domain.rma import Actor, Rma, revised
from chalicelib.domain.statuses import Channel, ProcessingStatus
from chalicelib.domain.ticket_notes import decision_sentence, request_ticket, step_note
from chalicelib.domain.transitions import Action, decide
from chalicelib.services.gorgias_tickets import GorgiasUpdatesDue, gorgias_hears_of
from tests.unit.test_transitions import T1, an_rma

P = ProcessingStatus
ALEX = Actor(channel=Channel.GORGIAS, id="17", name="Alex Martin", gorgias_ticket_id=4242)


def event_of(before: Rma, action: Action, note: str | None = None, **kw: Any) -> ReturnEvent:
    after, entries = decide(before, action, actor=ALEX, at=T1, note=note)
    return return_event(before, after, entries[-1], **kw)


@pytest.mark.parametrize(
    ("status", "action", "note", "expected"),
    [
        (P.REQUESTED, Action.ACCEPT, None, "Return R-001042 approved by Alex Martin."),
        (
            P.REQUESTED,
            Action.REJECT,
            "Worn",
            "Return R-001042 rejected by Alex Martin. Reason: Worn",
        ),
        (P.REQUESTED, Action.CANCEL, None, "Return R-001042 canceled by Alex Martin."),
        (
            P.REQUESTED,
            Action.HOLD,
            "Call",
            "Return R-001042 put on hold by Alex Martin. Reason: Call",
        ),
        (P.PROCESSING, Action.COMPLETE, None, "Return R-001042 is complete."),
        (
            P.PROCESSING,
            Action.FLAG_ANOMALY,
            "Empty box",
            "Return R-001042 needs a person: Empty box.",
        ),
    ],
)
def test_each_step_is_one_sentence_an_agent_acts_on(
    status: ProcessingStatus, action: Action, note: str | None, expected: str
) -> None:
    rma = revised(an_rma(status), return_reference="R-001042")
    assert step_note(event_of(rma, action, note)) == expected


def test_the_request_itself_leaves_no_note_the_ticket_says_it() -> None:
    assert step_note(event_of(an_rma(P.NEW), Action.SUBMIT)) is None


def test_a_request_is_heard_of_unless_it_came_from_a_ticket() -> None:
    # Given a submitted return, and the same return opened from a chat ticket
    from_portal = event_of(an_rma(P.NEW), Action.SUBMIT)
    from_chat = event_of(revised(an_rma(P.NEW), gorgias_ticket_id=777), Action.SUBMIT)
    # Then only the first opens a ticket
    assert gorgias_hears_of(from_portal)
    assert not gorgias_hears_of(from_chat)


def test_only_events_gorgias_hears_of_are_queued() -> None:
    queued: list[ReturnEvent] = []

    class Queue:
        def send(self, event: ReturnEvent) -> None:
            queued.append(event)

    # Given a request, a decision, and a change agents need not read of (a request that came
    # from a ticket)
    subscriber = GorgiasUpdatesDue(Queue())
    submitted = event_of(an_rma(P.NEW), Action.SUBMIT)
    approved = event_of(an_rma(P.REQUESTED), Action.ACCEPT)
    from_chat = event_of(revised(an_rma(P.NEW), gorgias_ticket_id=777), Action.SUBMIT)
    # When the subscriber gets them
    for event in (submitted, approved, from_chat):
        subscriber(event)
    # Then the first two are queued, in order
    assert queued == [submitted, approved]


def test_a_request_ticket_lists_each_line_with_its_photos_and_the_console_link() -> None:
    rma = revised(an_rma(P.REQUESTED), return_reference="R-001042", comment="<Gift>")
    first = revised(rma.lines[0], photos=["returns/1/photos/a.jpg"])
    rma = revised(rma, lines=[first, *rma.lines[1:]])
    ticket = request_ticket(
        rma,
        photo_links=lambda keys: [f"https://photos.example/{key}" for key in keys],
        console_link="https://console.example/returns/R-001042",
    )
    assert ticket.subject == f"Return request R-001042 — order {rma.order.number}"
    for line in rma.lines:
        assert f"{line.quantity} x {line.name} ({line.sku})" in ticket.body_text
    assert "  photo: https://photos.example/returns/1/photos/a.jpg" in ticket.body_text
    assert '<a href="https://photos.example/returns/1/photos/a.jpg">photo 1</a>' in ticket.body_html
    assert "Open in the console: https://console.example/returns/R-001042" in ticket.body_text
    # Text of people is escaped in the HTML body
    assert "&lt;Gift&gt;" in ticket.body_html
    assert "<Gift>" not in ticket.body_html


def test_an_unnamed_agent_and_a_blank_reason_read_plainly() -> None:
    nobody = Actor(channel=Channel.GORGIAS, name="a Gorgias agent")
    assert (
        decision_sentence("R-1", "approved", nobody, "  ")
        == "Return R-1 approved by a Gorgias agent."
    )


def test_an_exchanges_replacement_order_is_a_note_for_the_agents() -> None:
    # Given an exchange whose replacement the shop just ordered
    from chalicelib.domain.events import ReturnEventType
    from chalicelib.domain.transitions import apply_update

    before = revised(an_rma(P.PROCESSING), return_reference="R-001042")
    after, entry = apply_update(
        before,
        action="order_replacement",
        actor=ALEX,
        at=T1,
        changes={},
        note="Replacement order #1021 created",
    )
    event = return_event(before, after, entry)
    # Then it is published as a replacement, and agents read it on the ticket
    assert event.type is ReturnEventType.REPLACEMENT
    assert step_note(event) == "Return R-001042: Replacement order #1021 created."
    assert gorgias_hears_of(event)
