"""Returns asked for in a Gorgias chat, in English and French: the route Gorgias calls on every
new ticket message, the queue, and the worker that reads the ticket, opens the return through
the one intake and answers in the chat (moto for AWS, respx playing Gorgias's REST API with its
documented shapes)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from chalicelib.domain.chat_conversation import ChatConversation
from chalicelib.domain.chat_intake import read_message
from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.rma import Rma
from chalicelib.domain.statuses import Channel, ProcessingStatus, ReturnReason
from chalicelib.integrations.chat_queue import ChatMessageEvent
from chalicelib.repositories.aws import client
from chalicelib.repositories.chat_conversations import ChatConversations
from chalicelib.services import container
from chalicelib.services.chat_intake import (
    BUSY_WAIT_SECONDS,
    ChatIntakeService,
    ConversationBusyError,
)
from deploy.chat_intake import queue_attributes
from deploy.queues import dead_letter_queue_attributes
from tests.gorgias_support import API_USER, GORGIAS_API, configure_gorgias
from tests.support import WIDGET_AUTH, body, deliver_queue, reconfigure

JANE = "jane.doe@example.com"
MARCUS = "marcus.webb@example.com"
TICKET = 7001
EVENTS = "/gorgias/events/message"


# --- Gorgias, played by respx ------------------------------------------------------------------


@dataclass
class FakeGorgias:
    """Tickets whose messages returns-desk reads and writes through the REST API, as Gorgias
    keeps them: a reply or a note posted is a message of the ticket the next read returns."""

    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    # Answers to give the next message posts instead of storing them (a 429...).
    refusals: list[httpx.Response] = field(default_factory=list)
    _next_id: int = 100

    def customer_writes(self, ticket: int, text: str, *, channel: str = "chat") -> None:
        self._add(ticket, text, channel=channel, from_agent=False, sender=JANE)

    def agent_writes(self, ticket: int, text: str, *, channel: str = "chat") -> None:
        self._add(ticket, text, channel=channel, from_agent=True, sender="agent@acme.example")

    def replies(self, ticket: int = TICKET) -> list[str]:
        """What returns-desk answered in the chat, oldest first."""
        return [
            m["body_text"]
            for m in self.messages.get(ticket, [])
            if m["from_agent"] and m["channel"] == "chat" and m["sender"]["email"] == API_USER
        ]

    def notes(self, ticket: int = TICKET) -> list[str]:
        return [
            m["body_text"]
            for m in self.messages.get(ticket, [])
            if m["channel"] == "internal-note" and m["sender"]["email"] == API_USER
        ]

    def list_messages(self, request: httpx.Request, ticket_id: str) -> httpx.Response:
        data = self.messages.get(int(ticket_id), [])
        return httpx.Response(200, json={"data": data, "meta": {"next_cursor": None}})

    def post_message(self, request: httpx.Request, ticket_id: str) -> httpx.Response:
        if self.refusals:
            return self.refusals.pop(0)
        payload = json.loads(request.content)
        message = self._add(
            int(ticket_id),
            payload["body_text"],
            channel=payload["channel"],
            from_agent=payload["from_agent"],
            sender=payload["sender"]["email"],
        )
        return httpx.Response(201, json=message)

    def add_tags(self, request: httpx.Request, ticket_id: str) -> httpx.Response:
        self.tags.setdefault(int(ticket_id), []).extend(json.loads(request.content)["names"])
        return httpx.Response(201, json={})

    def _add(
        self, ticket: int, text: str, *, channel: str, from_agent: bool, sender: str
    ) -> dict[str, Any]:
        self._next_id += 1
        message = {
            "id": self._next_id,
            "channel": channel,
            "via": "api" if from_agent else "chat",
            "from_agent": from_agent,
            "body_text": text,
            "sender": {"email": sender},
            "created_datetime": datetime.now(UTC).isoformat(),
        }
        self.messages.setdefault(ticket, []).append(message)
        return message


@pytest.fixture
def gorgias(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGorgias]:
    configure_gorgias(monkeypatch)
    fake = FakeGorgias()
    with respx.mock(assert_all_called=False) as router:
        messages = f"{GORGIAS_API}/tickets/(?P<ticket_id>\\d+)/messages"
        router.get(url__regex=messages).mock(side_effect=fake.list_messages)
        router.post(url__regex=messages).mock(side_effect=fake.post_message)
        router.post(url__regex=f"{GORGIAS_API}/tickets/(?P<ticket_id>\\d+)/tags").mock(
            side_effect=fake.add_tags
        )
        yield fake


# --- the queue and its consumer --------------------------------------------------------------


@dataclass(frozen=True)
class ChatQueue:
    url: str

    def bodies(self) -> list[dict[str, Any]]:
        """What waits on the queue (made visible again at once: no visibility timeout)."""
        received = client("sqs").receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in received.get("Messages", [])]

    def deliver(self) -> list[dict[str, Any]]:
        """Hand the waiting messages to the app's consumer as Lambda does, a batch at a time,
        until the queue is empty or a batch reports failures. The consumer's answers."""
        from app import handle_chat_messages

        return deliver_queue(self.url, handle_chat_messages, "handle_chat_messages")


@pytest.fixture
def chat_queue(aws: None, monkeypatch: pytest.MonkeyPatch) -> ChatQueue:
    """The chat intake's queue as the deployment creates it (no wait between tries)."""
    sqs = client("sqs")
    dead_letters = sqs.create_queue(
        QueueName="chat-intake-dlq", Attributes=dead_letter_queue_attributes()
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    url = sqs.create_queue(QueueName="chat-intake", Attributes=queue_attributes(arn, 0))["QueueUrl"]
    reconfigure(monkeypatch, CHAT_INTAKE_QUEUE_URL=url)
    return ChatQueue(url)


# --- the shop's orders -------------------------------------------------------------------------


def order(number: str, email: str, *lines: OrderLine, delivered_days_ago: int = 3) -> Order:
    today = date.today()
    return Order(
        number=number,
        customer_email=email,
        customer_name="Jane Doe" if email == JANE else "Marcus Webb",
        ordered_at=today - timedelta(days=delivered_days_ago + 3),
        delivered_at=today - timedelta(days=delivered_days_ago),
        lines=list(lines),
        source="admin",
        source_updated_at=datetime.now(UTC),
    )


TSHIRT = OrderLine(sku="TEE-ORGANIC-M", name="Organic T-shirt (M)", quantity=2, unit_price="25")
MUG = OrderLine(sku="MUG-STONE", name="Stoneware mug", quantity=1, unit_price=Decimal("14"))
SCARF = OrderLine(
    sku="SCARF-SALE", name="Silk scarf", quantity=1, unit_price=Decimal("39"), final_sale=True
)
BOOTS = OrderLine(sku="BOOTS-41", name="Leather boots (41)", quantity=1, unit_price="149")
BELT = OrderLine(sku="BELT-BROWN", name="Leather belt", quantity=1, unit_price="45")


@pytest.fixture
def orders(aws: None) -> None:
    service = container.order_service()
    service.record(order("#4910", JANE, TSHIRT, MUG, SCARF))
    # Delivered long ago: every line is past the 30-day window.
    service.record(order("#4602", JANE, BOOTS, BELT, delivered_days_ago=80))
    service.record(order("#5120", MARCUS, MUG))


@pytest.fixture
def chat(gorgias: FakeGorgias, chat_queue: ChatQueue, orders: None, api: Any) -> Conversation:
    return Conversation(gorgias, chat_queue, api)


@dataclass
class Conversation:
    """A customer chatting on ticket TICKET, Gorgias telling returns-desk of each message."""

    gorgias: FakeGorgias
    queue: ChatQueue
    api: Any

    def customer_writes(self, text: str) -> list[dict[str, Any]]:
        """The message posted, Gorgias's integration called, and the queue delivered."""
        self.gorgias.customer_writes(TICKET, text)
        return self.tell_returns_desk()

    def tell_returns_desk(self, *, language: str = "en") -> list[dict[str, Any]]:
        answer = self.api.http.post(
            EVENTS,
            body=json.dumps(notice(language=language)),
            headers={**WIDGET_AUTH, "Content-Type": "application/json"},
        )
        assert answer.status_code == 202
        return self.queue.deliver()


def notice(**overrides: Any) -> dict[str, Any]:
    """The body the chat-intake HTTP integration sends, as its template renders it."""
    return {
        "ticket_id": str(TICKET),
        "customer_email": JANE,
        "channel": "chat",
        "language": "en",
        **overrides,
    }


def returns_of(email: str = JANE) -> list[Rma]:
    return container.rma_service().latest_for_customer(email, 20)[0]


# --- the route -----------------------------------------------------------------------------------


def test_given_a_new_ticket_message_when_gorgias_posts_it_then_202_and_the_ticket_is_queued(
    api: Any, chat_queue: ChatQueue
) -> None:
    # When Gorgias's integration posts a message event, numbers rendered as strings, extra keys
    answer = api.http.post(
        EVENTS,
        body=json.dumps({**notice(language="fr"), "subject": "Retour"}),
        headers={**WIDGET_AUTH, "Content-Type": "application/json"},
    )
    # Then it is answered at once, and the ticket waits on the queue for the intake
    assert answer.status_code == 202
    assert body(answer) == {"queued": True}
    assert chat_queue.bodies() == [
        {"ticket_id": TICKET, "customer_email": JANE, "channel": "chat", "language": "fr"}
    ]


@pytest.mark.parametrize(
    "sent",
    [
        {"ticket_id": "", "customer_email": ""},
        notice(customer_email=""),
        notice(customer_email="{{ticket.customer.email}}"),
        notice(ticket_id=""),
        notice(ticket_id="not a number"),
        {},
    ],
    ids=["blank", "anonymous chat", "unrendered", "no ticket", "unreadable ticket", "empty"],
)
def test_given_a_body_without_ticket_or_email_when_posted_then_202_and_nothing_queued(
    api: Any, chat_queue: ChatQueue, sent: dict[str, Any]
) -> None:
    answer = api.http.post(
        EVENTS, body=json.dumps(sent), headers={**WIDGET_AUTH, "Content-Type": "application/json"}
    )
    # Never a 4xx: Gorgias disables an integration after 100 failures in a row
    assert answer.status_code == 202
    assert body(answer) == {"queued": False}
    assert chat_queue.bodies() == []


def test_given_a_wrong_token_when_posted_then_401_and_nothing_queued(
    api: Any, chat_queue: ChatQueue
) -> None:
    answer = api.http.post(
        EVENTS,
        body=json.dumps(notice()),
        headers={"Authorization": "Bearer admin-token", "Content-Type": "application/json"},
    )
    assert answer.status_code == 401
    assert chat_queue.bodies() == []


def test_given_no_queue_configured_when_posted_then_202_and_a_warning(
    api: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    reconfigure(monkeypatch, CHAT_INTAKE_QUEUE_URL=None)
    answer = api.http.post(
        EVENTS,
        body=json.dumps(notice()),
        headers={**WIDGET_AUTH, "Content-Type": "application/json"},
    )
    assert answer.status_code == 202
    assert body(answer) == {"queued": False}
    assert "CHAT_INTAKE_QUEUE_URL" in caplog.text


# --- a conversation in English -------------------------------------------------------------------


def test_given_order_and_reason_in_one_english_message_then_the_return_opens_and_is_answered(
    chat: Conversation,
) -> None:
    # When the customer asks for a return, naming the order, the items and why, in one message
    answers = chat.customer_writes(
        "Hi, I'd like to return the T-shirts from order #4910, the size is too small"
    )
    # Then the message was handled
    assert answers == [{"batchItemFailures": []}]
    # And one return is open for the T-shirts only, submitted, linked to the chat's ticket
    (rma,) = returns_of()
    assert rma.processing_status is ProcessingStatus.REQUESTED
    assert rma.gorgias_ticket_id == TICKET
    assert [(line.sku, line.quantity, line.reason) for line in rma.lines] == [
        ("TEE-ORGANIC-M", 2, ReturnReason.SIZE_PROBLEM)
    ]
    _, log = container.rma_service().history(rma.id)
    assert {(e.actor.channel, e.actor.email) for e in log} == {(Channel.CHAT, JANE)}
    # And the chat answer gives its reference and what happens next
    (reply,) = chat.gorgias.replies()
    assert f"Your return {rma.return_reference} is open for order #4910" in reply
    assert "2 x Organic T-shirt (M) (Size doesn't fit)" in reply
    assert "email you the return instructions" in reply
    # And the ticket is tagged and carries a note for the agents
    assert chat.gorgias.tags[TICKET] == ["return-request", f"rma:{rma.return_reference}"]
    (note,) = chat.gorgias.notes()
    assert f"Return {rma.return_reference} opened from this chat for order #4910" in note
    assert "2 x Organic T-shirt (M) (TEE-ORGANIC-M): Size doesn't fit" in note


def test_given_a_console_url_then_the_note_links_the_return_in_the_console(
    chat: Conversation, monkeypatch: pytest.MonkeyPatch
) -> None:
    reconfigure(monkeypatch, CONSOLE_URL="https://returns.acme.example/console")
    chat.customer_writes("I want to return the mug from order #4910, I don't like it")
    (rma,) = returns_of()
    (note,) = chat.gorgias.notes()
    assert f"https://returns.acme.example/console/returns/{rma.return_reference}" in note


def test_given_a_reason_that_needs_photos_then_the_reply_asks_for_them(
    chat: Conversation,
) -> None:
    chat.customer_writes("Hello, the mug of order #4910 arrived broken, I want to return it")
    # The return waits for its photos before it is submitted, and the customer is told so
    (rma,) = returns_of()
    assert rma.processing_status is ProcessingStatus.NEW
    (reply,) = chat.gorgias.replies()
    assert rma.return_reference in reply
    assert "add a photo of each item (Stoneware mug)" in reply


# --- a conversation in French --------------------------------------------------------------------


def test_given_a_french_request_without_order_number_then_one_french_question_then_the_return(
    chat: Conversation,
) -> None:
    # When a customer asks in French without the order number, in two messages at once
    chat.gorgias.customer_writes(TICKET, "Bonjour, je voudrais retourner les t-shirts")
    chat.gorgias.customer_writes(TICKET, "la taille ne va pas")
    chat.tell_returns_desk(language="fr")
    # Then one reply asks for it, in French, and nothing is open yet
    (question,) = chat.gorgias.replies()
    assert question.startswith("Pourriez-vous m'indiquer votre numéro de commande ?")
    assert returns_of() == []
    # And returns-desk's own reply, announced by Gorgias as a new message, changes nothing
    chat.tell_returns_desk(language="fr")
    assert len(chat.gorgias.replies()) == 1
    # When the customer gives it
    chat.customer_writes("C'est la commande 4910")
    # Then the return opens for the T-shirts, for the size, and the answer is in French
    (rma,) = returns_of()
    assert [(line.sku, line.reason) for line in rma.lines] == [
        ("TEE-ORGANIC-M", ReturnReason.SIZE_PROBLEM)
    ]
    assert rma.customer.locale == "fr"
    question, opened = chat.gorgias.replies()
    assert opened.startswith(f"Votre retour {rma.return_reference} est ouvert pour la commande")
    assert "2 x Organic T-shirt (M) (Problème de taille)" in opened
    assert "instructions de retour" in opened


def test_given_a_question_unanswered_then_it_is_asked_once_more_at_most(
    chat: Conversation,
) -> None:
    chat.customer_writes("Bonjour, je voudrais faire un retour")
    chat.customer_writes("c'est pour mon pull")
    chat.customer_writes("je ne sais pas")
    # The same question twice (a new message still lacked it), then silence: an agent takes over
    replies = chat.gorgias.replies()
    assert len(replies) == 2
    assert replies[0] == replies[1]
    assert "numéro de commande" in replies[0]


# --- what opens nothing --------------------------------------------------------------------------


def test_given_the_order_of_another_customer_then_a_reply_and_nothing_opened(
    chat: Conversation,
) -> None:
    chat.customer_writes("I want to return the mug from order #5120, wrong item")
    (reply,) = chat.gorgias.replies()
    assert reply.startswith(
        "I could not find order #5120 for the email address of this conversation."
    )
    assert returns_of(JANE) == returns_of(MARCUS) == []
    assert TICKET not in chat.gorgias.tags


def test_given_lines_the_policy_refuses_then_the_reply_gives_each_lines_reason(
    chat: Conversation,
) -> None:
    # When the customer asks to return an order delivered 80 days ago (a 30-day window)
    chat.customer_writes("I'd like to return my order #4602, wrong size")
    # Then nothing is open, and the reply names each line with why it cannot be returned
    assert returns_of() == []
    (reply,) = chat.gorgias.replies()
    lines = reply.splitlines()
    assert lines[0] == "I could not open a return for order #4602:"
    assert [line.split(":")[0] for line in lines if line.startswith("- ")] == [
        "- Leather boots (41)",
        "- Leather belt",
    ]
    assert reply.count("The 30-day return window closed on") == 2


def test_given_a_final_sale_item_then_the_reply_says_so_and_a_new_choice_opens_the_rest(
    chat: Conversation,
) -> None:
    chat.customer_writes("I want to return the silk scarf and the mug from #4910, wrong colour")
    (refusal,) = chat.gorgias.replies()
    assert "- Silk scarf: This item was sold as final sale and can't be returned." in refusal
    assert returns_of() == []
    # When the customer names another item only, the request is asked again, and opens
    chat.customer_writes("ok, then just the mug")
    (rma,) = returns_of()
    assert [line.sku for line in rma.lines] == ["MUG-STONE"]


def test_given_agent_messages_and_internal_notes_then_nothing_is_read_from_them(
    chat: Conversation,
) -> None:
    chat.gorgias.agent_writes(TICKET, "Do you want to return order #4910 for the wrong size?")
    chat.gorgias.agent_writes(
        TICKET, "Customer wants to return #4910, wrong size", channel="internal-note"
    )
    answers = chat.tell_returns_desk()
    assert answers == [{"batchItemFailures": []}]
    assert chat.gorgias.replies() == []
    assert returns_of() == []


def test_given_an_email_ticket_then_the_chat_intake_leaves_it_to_the_agents(
    chat: Conversation,
) -> None:
    chat.gorgias.customer_writes(TICKET, "Return order #4910, wrong size", channel="email")
    answer = chat.api.http.post(
        EVENTS,
        body=json.dumps(notice(channel="email")),
        headers={**WIDGET_AUTH, "Content-Type": "application/json"},
    )
    assert answer.status_code == 202
    chat.queue.deliver()
    assert chat.gorgias.replies() == []
    assert returns_of() == []


def test_given_a_ticket_that_holds_a_return_then_later_messages_are_left_to_the_agents(
    chat: Conversation,
) -> None:
    chat.customer_writes("Please, I want to return the mug from order #4910, wrong item")
    chat.customer_writes("Also the T-shirts from order #4910, too small, I want to return them")
    assert len(returns_of()) == 1
    assert len(chat.gorgias.replies()) == 1


# --- at least once, exactly one return -----------------------------------------------------------


def test_given_the_same_sqs_message_twice_then_one_return_and_one_reply(
    chat: Conversation,
) -> None:
    chat.gorgias.customer_writes(TICKET, "I want to return the mug from order #4910, wrong item")
    sqs = client("sqs")
    for _ in range(2):
        sqs.send_message(
            QueueUrl=chat.queue.url, MessageBody=json.dumps(notice() | {"ticket_id": TICKET})
        )
    answers = chat.queue.deliver()
    assert all(answer == {"batchItemFailures": []} for answer in answers)
    assert len(returns_of()) == 1
    assert len(chat.gorgias.replies()) == 1
    assert len(chat.gorgias.notes()) == 1


def test_given_a_429_on_the_reply_then_the_message_is_retried_without_a_second_return(
    chat: Conversation,
) -> None:
    # Given Gorgias rate-limits the first reply (no Retry-after: the client gives up at once)
    chat.gorgias.refusals.append(httpx.Response(429, json={"error": "Too many requests"}))
    # When the customer asks for a return
    failed = chat.customer_writes("I want to return the mug from order #4910, wrong item")
    # Then the message failed and goes back to the queue, with the return already open
    assert failed[-1]["batchItemFailures"]
    (rma,) = returns_of()
    assert chat.gorgias.replies() == []
    # When SQS delivers it again
    retried = chat.queue.deliver()
    # Then the run resumes: no second return, exactly one reply, the tags and the note
    assert retried == [{"batchItemFailures": []}]
    assert returns_of() == [container.rma_service().find(rma.id)]
    (reply,) = chat.gorgias.replies()
    assert rma.return_reference in reply
    assert chat.gorgias.tags[TICKET] == ["return-request", f"rma:{rma.return_reference}"]
    assert len(chat.gorgias.notes()) == 1


def test_given_a_failed_question_and_a_new_message_meanwhile_then_the_retry_reads_it_too(
    chat: Conversation,
) -> None:
    # Given a question for the order number that Gorgias refused to take (429)
    chat.gorgias.refusals.append(httpx.Response(429, json={"error": "Too many requests"}))
    failed = chat.customer_writes("Bonjour, je voudrais retourner les t-shirts, trop petits")
    assert failed[-1]["batchItemFailures"]
    assert chat.gorgias.replies() == []
    # When the customer gives the number before the retry
    chat.customer_writes("Le numéro de commande est #4910")
    # Then the question left over is sent once, and the new message opens the return
    question, opened = chat.gorgias.replies()
    assert "numéro de commande" in question
    (rma,) = returns_of()
    assert opened.startswith(f"Votre retour {rma.return_reference}")


def test_given_no_gorgias_credentials_then_the_worker_drops_the_message(
    chat: Conversation, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    reconfigure(monkeypatch, GORGIAS_API_KEY=None)
    answers = chat.customer_writes("I want to return the mug from order #4910, wrong item")
    assert answers == [{"batchItemFailures": []}]
    assert chat.queue.bodies() == []
    assert returns_of() == []
    assert "no Gorgias API credentials" in caplog.text


# --- two workers on one ticket -------------------------------------------------------------------


def test_given_two_workers_read_one_conversation_when_both_write_then_only_the_first_is_kept(
    aws: None,
) -> None:
    conversations = ChatConversations(os.environ["TABLE_NAME"])
    now = datetime.now(UTC)
    later = now + timedelta(hours=1)
    stored = conversations.save(ChatConversation.start(TICKET, "fr"), expires_at=later, now=now)
    assert stored is not None
    # When two workers change the version they both read
    first = conversations.save(replace(stored, order_number="#4910"), expires_at=later, now=now)
    second = conversations.save(replace(stored, order_number="#5120"), expires_at=later, now=now)
    # Then the second write is refused, and the first one is what is stored
    assert first is not None
    assert second is None
    assert conversations.get(TICKET, now=now) == first
    # And a second conversation of the same ticket cannot be started over it either
    assert (
        conversations.save(ChatConversation.start(TICKET, "en"), expires_at=later, now=now) is None
    )


def test_given_an_expired_conversation_then_it_reads_as_none_and_may_be_started_again(
    aws: None,
) -> None:
    conversations = ChatConversations(os.environ["TABLE_NAME"])
    then = datetime.now(UTC) - timedelta(days=3)
    conversations.save(
        ChatConversation.start(TICKET, "en"), expires_at=then + timedelta(hours=48), now=then
    )
    now = datetime.now(UTC)
    # TTL deletion is lazy: the item may still be there, past its expiry
    assert conversations.get(TICKET, now=now) is None
    restarted = conversations.save(
        ChatConversation.start(TICKET, "fr"), expires_at=now + timedelta(hours=48), now=now
    )
    assert restarted is not None
    assert restarted.language == "fr"


def test_given_another_worker_holds_the_ticket_then_this_one_waits_and_leaves_it_to_sqs(
    chat: Conversation,
) -> None:
    # Given a run holding the ticket's conversation for another minute
    conversations = ChatConversations(os.environ["TABLE_NAME"])
    now = datetime.now(UTC)
    held = replace(ChatConversation.start(TICKET, "en"), lease_until=now + timedelta(minutes=1))
    conversations.save(held, expires_at=now + timedelta(hours=1), now=now)
    chat.gorgias.customer_writes(TICKET, "I want to return the mug from order #4910, wrong item")
    # When another worker handles a message of that ticket (its clock moved by its waits)
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)

    def clock() -> datetime:
        return now + timedelta(seconds=sum(waited))

    service = ChatIntakeService(
        container.gorgias_client(background=True),
        conversations,
        container.order_service(),
        container.intake(),
        container.rma_service(),
        container.policy_service().current,
        read_message,
        conversation_hours=48,
        console_link=lambda reference: None,
        clock=clock,
        sleep=sleep,
    )
    event = ChatMessageEvent(ticket_id=TICKET, customer_email=JANE, channel="chat")
    # Then it waits a little, then fails, so that SQS delivers the message again later
    with pytest.raises(ConversationBusyError):
        service.handle(event)
    assert 0 < sum(waited) <= BUSY_WAIT_SECONDS + 1
    assert chat.gorgias.replies() == []
    assert returns_of() == []
