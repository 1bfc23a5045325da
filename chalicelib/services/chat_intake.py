"""The chat intake: a customer asks for a return in a Gorgias chat and gets it opened there.

Gorgias tells returns-desk of every new message of a ticket (api/gorgias_chat.py queues it);
for each, the worker (chat_entrypoint.py) calls `ChatIntakeService.handle`, which

1. reads the ticket's messages through the REST API and keeps the customer's new ones: not the
   agents' (ours included), not internal notes, not those read before, not those older than a
   conversation lasts;
2. folds them into the ticket's conversation (domain/chat_conversation.py): order number,
   reason, language and the customer's words, whichever message said them;
3. answers once for them all: asks for what is missing, says the order is not found for the
   customer's email, explains why items cannot be returned, or opens the return through the one
   intake of every channel and says its reference and what comes next, then tags the ticket and
   leaves a note for the agents. domain/chat_conversation.py says when it stays silent instead.

Each step is recorded in the conversation before the next is taken, every write conditional on
the version read, and a run acting on a conversation holds it (a lease) meanwhile: two workers
on one ticket (a duplicated SQS message, our own reply announced by Gorgias as a new message)
never both act. A run that fails midway (Gorgias rate-limits or is down: the error propagates
and SQS delivers the message again) leaves its remaining steps in the conversation, and the
next run resumes them: it finds the return the failed run opened instead of opening another,
and does not send a reply Gorgias already shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.clock import utc_now
from chalicelib.domain.chat_conversation import (
    Attempt,
    ChatConversation,
    CustomerMessage,
    Intent,
    Step,
    StepKind,
    lines_named,
    not_found_key,
    question_key,
)
from chalicelib.domain.chat_replies import (
    RefusedLine,
    ask_for,
    lines_refused,
    order_not_found,
    return_opened,
    ticket_tags,
)
from chalicelib.domain.eligibility import already_returned
from chalicelib.domain.intake import (
    RequestedReturnLine,
    ReturnRequest,
    photos_missing,
    request_for_order,
)
from chalicelib.domain.labels import language
from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.references import order_key
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel, ExpectedResolution
from chalicelib.domain.ticket_notes import opened_from_chat_note
from chalicelib.errors import LinesNotReturnableError, NotFoundError
from chalicelib.integrations.chat_queue import ChatMessageEvent
from chalicelib.integrations.gorgias import CHAT_CHANNEL, INTERNAL_NOTE_CHANNEL, TicketMessage
from chalicelib.observability import logger
from chalicelib.services.intake import CUSTOMER_HISTORY, ReturnIntake
from chalicelib.services.order_service import OrderService
from chalicelib.services.rma_service import RmaService

# How long a run may hold a conversation when the caller does not say (its function's timeout
# is what it should say: chat_entrypoint.py passes the time Lambda leaves it).
DEFAULT_LEASE_SECONDS = 120.0
# A run finding the conversation held waits this long for it, then leaves the message to SQS.
BUSY_WAIT_SECONDS = 10.0
_BUSY_POLL_SECONDS = 1.0
# A conversation whose return is open is kept this long: the ticket stays the agents', whatever
# the customer writes next.
RETURN_KEPT_DAYS = 30
# Reads and writes of one run before it gives up on a ticket other workers keep changing.
_ROUNDS = 3


class ConversationBusyError(Exception):
    """Another worker holds the ticket's conversation, or changed it under this one: the message
    goes back to the queue and is handled again later."""


class Outcome(StrEnum):
    """What a run did, for the log and the tests."""

    NOT_A_CHAT = "not_a_chat"
    HOLDS_RETURN = "holds_return"
    NOTHING_NEW = "nothing_new"
    NO_RETURN_ASKED = "no_return_asked"
    SILENT = "silent"
    ASKED = "asked"
    ORDER_NOT_FOUND = "order_not_found"
    REFUSED = "refused"
    OPENED = "opened"
    RESUMED = "resumed"


class GorgiasTickets(Protocol):
    """What the intake needs of Gorgias (GorgiasClient; a fake in tests)."""

    def ticket_messages(self, ticket_id: int) -> list[TicketMessage]: ...

    def post_chat_reply(self, ticket_id: int, body_text: str, *, customer_email: str) -> None: ...

    def add_tags(self, ticket_id: int, names: list[str]) -> None: ...

    def post_internal_note(self, ticket_id: int, body_text: str) -> None: ...


class ConversationStore(Protocol):
    """What the intake needs of storage (ChatConversations; a fake in tests)."""

    def get(self, ticket_id: int, *, now: datetime) -> ChatConversation | None: ...

    def save(
        self, conversation: ChatConversation, *, expires_at: datetime, now: datetime
    ) -> ChatConversation | None: ...


@dataclass(frozen=True)
class _Collaborators:
    gorgias: GorgiasTickets
    conversations: ConversationStore
    orders: OrderService
    intake: ReturnIntake
    rmas: RmaService
    policy: Callable[[], ReturnPolicy]
    read: Callable[[str], Intent]
    # How long a conversation lasts: older messages belong to none.
    window: timedelta
    console_link: Callable[[str], str | None]
    portal_url: str | None
    clock: Callable[[], datetime]


class ChatIntakeService:
    def __init__(
        self,
        gorgias: GorgiasTickets,
        conversations: ConversationStore,
        orders: OrderService,
        intake: ReturnIntake,
        rmas: RmaService,
        policy: Callable[[], ReturnPolicy],
        read_message: Callable[[str], Intent],
        *,
        conversation_hours: int,
        console_link: Callable[[str], str | None],
        portal_url: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._with = _Collaborators(
            gorgias=gorgias,
            conversations=conversations,
            orders=orders,
            intake=intake,
            rmas=rmas,
            policy=policy,
            read=read_message,
            window=timedelta(hours=conversation_hours),
            console_link=console_link,
            portal_url=portal_url,
            clock=clock,
        )
        self._sleep = sleep

    def handle(
        self, event: ChatMessageEvent, *, lease_seconds: float = DEFAULT_LEASE_SECONDS
    ) -> Outcome:
        """Read what is new on the event's ticket and act on it (see the module's docstring).
        Gorgias errors propagate: the message is to be delivered again."""
        if event.channel and event.channel != CHAT_CHANNEL:
            # Only a chat is answered in the chat: an email ticket is the agents'.
            return Outcome.NOT_A_CHAT
        for _ in range(_ROUNDS):
            run = _Run(self._with, event, timedelta(seconds=lease_seconds))
            outcome = run.play(self._free_conversation(event))
            if outcome is not None:
                return outcome
        raise ConversationBusyError(f"ticket {event.ticket_id} keeps changing under this run")

    def _free_conversation(self, event: ChatMessageEvent) -> ChatConversation:
        """The ticket's conversation once no other run holds it (a new one if there is none)."""
        clock = self._with.clock
        deadline = clock() + timedelta(seconds=BUSY_WAIT_SECONDS)
        while True:
            now = clock()
            stored = self._with.conversations.get(event.ticket_id, now=now)
            conversation = stored or ChatConversation.start(event.ticket_id, event.language)
            if not conversation.is_held(now):
                return conversation
            if now >= deadline:
                raise ConversationBusyError(f"ticket {event.ticket_id} is being handled")
            self._sleep(_BUSY_POLL_SECONDS)


class _Run:
    """One pass over a ticket: `play` returns what it did, or None when another worker wrote
    the conversation first (the caller reads it again and starts over)."""

    def __init__(self, with_: _Collaborators, event: ChatMessageEvent, lease: timedelta) -> None:
        self._c = with_
        self._event = event
        self._ticket = event.ticket_id
        self._lease = lease

    def play(self, conversation: ChatConversation) -> Outcome | None:
        resumed = conversation.unfinished
        messages: list[TicketMessage] | None = None
        if resumed:
            held = self._hold(conversation)
            if held is None:
                return None
            messages = self._c.gorgias.ticket_messages(self._ticket)
            if held.attempt is not None:
                return self._open(held, messages, resumed=True)
            # The steps an earlier run left, then whatever the customer wrote meanwhile (this
            # run's message may be about that).
            conversation = self._finish(held, messages)
        if conversation.holds_return:
            return Outcome.RESUMED if resumed else Outcome.HOLDS_RETURN
        if messages is None:
            messages = self._c.gorgias.ticket_messages(self._ticket)
        new = self._new_customer_messages(conversation, messages)
        if not new:
            return Outcome.RESUMED if resumed else Outcome.NOTHING_NEW
        read = conversation.read(
            [CustomerMessage(m.id, m.body_text, self._c.read(m.body_text)) for m in new]
        )
        if not read.return_request:
            # Nothing stored: until a message asks for a return, the messages are simply read
            # again next time, and what they said (an order number) still counts then.
            return Outcome.NO_RETURN_ASKED
        return self._answer(read, new, messages)

    # --- deciding -----------------------------------------------------------------------------

    def _answer(
        self,
        read: ChatConversation,
        new: Sequence[TicketMessage],
        messages: Sequence[TicketMessage],
    ) -> Outcome | None:
        missing = read.missing
        if missing:
            key = question_key(missing)
            text = ask_for(missing, read.language, read.order_number)
            return self._reply(read, key, text, messages, Outcome.ASKED)
        assert read.order_number is not None
        assert read.reason is not None
        order = self._customer_order(read.order_number)
        if order is None:
            key = not_found_key(read.order_number)
            text = order_not_found(read.order_number, read.language)
            return self._reply(read, key, text, messages, Outcome.ORDER_NOT_FOUND)
        named = lines_named(order.lines, [m.body_text for m in new]) or lines_named(
            order.lines, read.texts
        )
        attempt = Attempt(
            order_number=order.number,
            reason=read.reason,
            skus=tuple(line.sku for line in named or order.lines),
        )
        if not read.may_answer(attempt.key):
            # Refused before, exactly so: the same request would be refused the same way.
            return self._store(read, Outcome.SILENT)
        held = self._hold(replace(read, attempt=attempt))
        return None if held is None else self._open(held, messages, resumed=False)

    def _reply(
        self,
        read: ChatConversation,
        key: str,
        text: str,
        messages: Sequence[TicketMessage],
        outcome: Outcome,
    ) -> Outcome | None:
        if not read.may_answer(key):
            return self._store(read, Outcome.SILENT)
        planned = read.answering(key, [self._step(StepKind.REPLY, messages, text=text)])
        held = self._hold(planned)
        if held is None:
            return None
        self._finish(held, messages)
        return outcome

    # --- opening the return -------------------------------------------------------------------

    def _open(
        self, held: ChatConversation, messages: Sequence[TicketMessage], *, resumed: bool
    ) -> Outcome:
        attempt = held.attempt
        assert attempt is not None
        # A run that stopped after opening the return left it unrecorded: find it, never open
        # a second one (the intake would refuse its units anyway, with the wrong words).
        rma = self._opened_from_this_ticket(attempt) if resumed else None
        if rma is None:
            order = self._customer_order(attempt.order_number)
            if order is None:
                # The order changed hands between the runs (a corrected email): start over.
                self._save(replace(held, attempt=None, lease_until=None))
                return Outcome.ORDER_NOT_FOUND
            try:
                rma = self._c.intake.open(
                    self._request(order, attempt, held),
                    actor=Actor(channel=Channel.CHAT, email=self._event.customer_email),
                    check_eligibility=True,
                    submit=True,
                )
            except LinesNotReturnableError as refused:
                text = lines_refused(order.number, _refused_lines(order, refused), held.language)
                planned = replace(held, attempt=None).answering(
                    attempt.key, [self._step(StepKind.REPLY, messages, text=text)]
                )
                self._finish(self._save(planned), messages)
                return Outcome.REFUSED
        logger.info("Return opened from a chat", extra={"reference": rma.return_reference})
        planned = replace(held, attempt=None, return_reference=rma.return_reference).answering(
            f"opened:{rma.return_reference}", self._after_opening(rma, held, messages)
        )
        self._finish(self._save(planned), messages)
        return Outcome.OPENED

    def _request(self, order: Order, attempt: Attempt, held: ChatConversation) -> ReturnRequest:
        """Every unit of each line the customer named (or of every line) that their other
        returns do not claim yet; a line they claim whole asks for one unit, which the intake
        refuses with its reason."""
        history = self._c.rmas.latest_for_customer(self._event.customer_email, CUSTOMER_HISTORY)
        claimed = already_returned(order.number, history[0])
        by_sku: dict[str, OrderLine] = {line.sku: line for line in order.lines}
        lines = [
            RequestedReturnLine(
                sku=sku,
                quantity=max(1, by_sku[sku].quantity - claimed[sku]),
                reason=attempt.reason,
            )
            for sku in attempt.skus
        ]
        # The language the customer writes in, for the refusals and the emails to come, unless
        # the order's locale already is that language (fr-CA stays fr-CA).
        locale = order.locale if language(order.locale) == held.language else held.language
        return request_for_order(
            order,
            lines,
            expected_resolution=ExpectedResolution.REFUND,
            locale=locale,
            gorgias_ticket_id=self._ticket,
        )

    def _after_opening(
        self, rma: Rma, held: ChatConversation, messages: Sequence[TicketMessage]
    ) -> list[Step]:
        names = {line.sku: line.name for line in rma.lines}
        photos_of = [names[sku] for sku in photos_missing(rma, self._c.policy())]
        reply = return_opened(
            rma, held.language, photos_of=photos_of, portal_url=self._c.portal_url
        )
        note = opened_from_chat_note(rma, console_link=self._c.console_link(rma.return_reference))
        return [
            self._step(StepKind.REPLY, messages, text=reply),
            self._step(StepKind.TAGS, messages, tags=ticket_tags(rma.return_reference)),
            self._step(StepKind.NOTE, messages, text=note),
        ]

    def _opened_from_this_ticket(self, attempt: Attempt) -> Rma | None:
        latest, _ = self._c.rmas.latest_for_customer(self._event.customer_email, _RECENT)
        return next(
            (
                rma
                for rma in latest
                if rma.gorgias_ticket_id == self._ticket
                and order_key(rma.order.number) == order_key(attempt.order_number)
            ),
            None,
        )

    def _customer_order(self, number: str) -> Order | None:
        try:
            return self._c.orders.find_for_customer(number, self._event.customer_email)
        except NotFoundError:
            return None

    # --- the calls to Gorgias, each recorded ---------------------------------------------------

    def _finish(
        self, held: ChatConversation, messages: Sequence[TicketMessage]
    ) -> ChatConversation:
        """Make the conversation's remaining calls in order, recording each once made, and let
        the conversation go; the conversation as stored then. On a failure the remaining ones
        stay for the next run."""
        conversation = held
        try:
            while conversation.steps:
                step = conversation.steps[0]
                if _already_made(step, messages):
                    logger.info("Chat step found made", extra={"step": step.kind.value})
                else:
                    self._make(step)
                last = len(conversation.steps) == 1
                conversation = self._save(
                    replace(
                        conversation,
                        steps=conversation.steps[1:],
                        lease_until=None if last else conversation.lease_until,
                    )
                )
            if conversation.is_held(self._c.clock()):
                conversation = self._save(replace(conversation, lease_until=None))
        except Exception:
            self._let_go(conversation)
            raise
        return conversation

    def _make(self, step: Step) -> None:
        gorgias, ticket = self._c.gorgias, self._ticket
        if step.kind is StepKind.REPLY:
            gorgias.post_chat_reply(ticket, step.text, customer_email=self._event.customer_email)
        elif step.kind is StepKind.TAGS:
            gorgias.add_tags(ticket, list(step.tags))
        else:
            gorgias.post_internal_note(ticket, step.text)

    def _step(
        self,
        kind: StepKind,
        messages: Sequence[TicketMessage],
        *,
        text: str = "",
        tags: Sequence[str] = (),
    ) -> Step:
        newest = max((m.id for m in messages), default=0)
        return Step(kind=kind, text=text, tags=tuple(tags), after_message_id=newest)

    # --- the conversation, stored ---------------------------------------------------------------

    def _new_customer_messages(
        self, conversation: ChatConversation, messages: Sequence[TicketMessage]
    ) -> list[TicketMessage]:
        handled = set(conversation.handled)
        since = self._c.clock() - self._c.window
        return [
            m
            for m in messages
            if m.is_customer_message and m.id not in handled and not _older(m, since)
        ]

    def _hold(self, conversation: ChatConversation) -> ChatConversation | None:
        """`conversation` stored as held by this run; None when another worker wrote first."""
        held = replace(conversation, lease_until=self._c.clock() + self._lease)
        return self._write(held)

    def _store(self, conversation: ChatConversation, outcome: Outcome) -> Outcome | None:
        return None if self._write(conversation) is None else outcome

    def _save(self, conversation: ChatConversation) -> ChatConversation:
        """A write of a conversation this run holds: losing it means the lease ran out and
        another worker took over, so this run stops and its message is retried."""
        saved = self._write(conversation)
        if saved is None:
            raise ConversationBusyError(f"ticket {self._ticket}: another run took over")
        return saved

    def _write(self, conversation: ChatConversation) -> ChatConversation | None:
        now = self._c.clock()
        kept = self._c.window
        if conversation.holds_return:
            kept = max(kept, timedelta(days=RETURN_KEPT_DAYS))
        return self._c.conversations.save(conversation, expires_at=now + kept, now=now)

    def _let_go(self, conversation: ChatConversation) -> None:
        """Release a conversation this run holds after a failure, so that another message of
        the ticket need not wait for the lease to run out. Best effort: the lease ends anyway."""
        if not conversation.is_held(self._c.clock()):
            return
        try:
            self._write(replace(conversation, lease_until=None))
        except Exception:
            logger.warning("Could not release a chat conversation", exc_info=True)


# The customer's returns looked through for one the ticket already opened: it would be among the
# open ones, which come first.
_RECENT = 20


def _refused_lines(order: Order, refused: LinesNotReturnableError) -> list[RefusedLine]:
    names = {line.sku: line.name for line in order.lines}
    lines: list[dict[str, Any]] = refused.details.get("lines") or []
    return [
        RefusedLine(
            name=names.get(line.get("sku", ""), line.get("sku", "")), reason=line.get("reason")
        )
        for line in lines
    ]


def _already_made(step: Step, messages: Sequence[TicketMessage]) -> bool:
    """Whether Gorgias shows the reply or note of `step`, posted after it was planned (by a run
    that failed before recording it). Tags need no check: adding one twice changes nothing."""
    if step.kind is StepKind.TAGS:
        return False
    channel = CHAT_CHANNEL if step.kind is StepKind.REPLY else INTERNAL_NOTE_CHANNEL
    wanted = _plain(step.text)
    return any(
        m.from_agent
        and m.channel == channel
        and m.id > step.after_message_id
        and _plain(m.body_text) == wanted
        for m in messages
    )


def _plain(text: str) -> str:
    # Gorgias may store the text with other line breaks or spacing than it was sent with.
    return " ".join(text.split())


def _older(message: TicketMessage, since: datetime) -> bool:
    """Whether `message` was written before `since` (a message without a readable date is
    taken as recent: better read once too often than never)."""
    if not message.created_datetime:
        return False
    try:
        written = datetime.fromisoformat(message.created_datetime)
    except ValueError:
        return False
    if written.tzinfo is None:
        written = written.replace(tzinfo=UTC)
    return written < since
