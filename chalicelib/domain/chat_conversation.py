"""A chat about a return, as the chat intake remembers it between the customer's messages: what
they said so far (order number, reason, language, their words), which messages were read, what
was answered last, and the calls to Gorgias still to make. Pure: services/chat_intake.py reads
the ticket and stores the conversation (repositories/chat_conversations.py); this module says
what the messages mean together and when to answer.

How often the customer is answered (the intake's one judgement call): each run reads the
customer's messages that are new since the last one, however many, and answers them at most
once. An answer the same as the previous one (the same question, the same unknown order, the
same refusal) is not sent again, except a question for what is missing, which is asked once more
when a new message still lacks it. After that the intake stays silent until the customer gives
something new, and the agents, who see the ticket, take over.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from chalicelib.domain.labels import language
from chalicelib.domain.order import OrderLine
from chalicelib.domain.statuses import ReturnReason

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")

# Enough for any chat; the oldest are forgotten first (a message that old is past the window
# the intake reads anyway).
MAX_HANDLED_MESSAGES = 500
# The customer's words kept to find which items they mean: the latest messages, each cut short.
MAX_TEXTS = 20
MAX_TEXT_CHARACTERS = 1000
# How many times in a row the same answer may go out: a question twice (the customer may have
# missed it), anything else once.
_SAME_QUESTION_LIMIT = 2
_SAME_ANSWER_LIMIT = 1
_QUESTION = "ask:"


class Intent(Protocol):
    """What domain/chat_intake.py's `read_message` says of one message."""

    @property
    def is_return_request(self) -> bool: ...

    @property
    def order_number(self) -> str | None: ...

    @property
    def reason(self) -> ReturnReason | None: ...

    @property
    def language(self) -> str: ...


@dataclass(frozen=True)
class CustomerMessage:
    """A message of the customer the intake has not read yet, and what it says."""

    id: int
    text: str
    intent: Intent


class Missing(StrEnum):
    """What a return request still lacks before the intake can open it."""

    ORDER_NUMBER = "order_number"
    REASON = "reason"


@dataclass(frozen=True)
class Attempt:
    """A return the intake is asked to open: which order, why, and which of its lines."""

    order_number: str
    reason: ReturnReason
    skus: tuple[str, ...]

    @property
    def key(self) -> str:
        """The same request asked twice has the same key: it is refused the same way."""
        return f"open:{self.order_number}:{self.reason}:{','.join(self.skus)}"


class StepKind(StrEnum):
    REPLY = "reply"
    TAGS = "tags"
    NOTE = "note"


@dataclass(frozen=True)
class Step:
    """One call to Gorgias still to make: a chat reply, tags, or an internal note."""

    kind: StepKind
    text: str = ""
    tags: tuple[str, ...] = ()
    # The ticket's newest message when the step was planned. A message of ours with the same
    # text and a newer id, seen by a later run, means the call went out before that run
    # stopped: it is not made twice.
    after_message_id: int = 0


@dataclass(frozen=True)
class ChatConversation:
    ticket_id: int
    # 0 until stored; every write is conditional on the version read.
    version: int = 0
    # Ids of the customer's messages already read, oldest first.
    handled: tuple[int, ...] = ()
    return_request: bool = False
    order_number: str | None = None
    reason: ReturnReason | None = None
    language: Language = "en"
    # The customer's words (their latest messages): which items of the order they name.
    texts: tuple[str, ...] = ()
    # The last answer sent (a key, not the text) and how many times in a row.
    last_answer: str | None = None
    answer_repeats: int = 0
    # A return being opened: set before the intake is called, so that a run stopped midway
    # finds the return (or opens it) instead of asking again.
    attempt: Attempt | None = None
    # The return opened from this chat: the ticket is then left to the agents.
    return_reference: str | None = None
    # What is still to be done in Gorgias, in order.
    steps: tuple[Step, ...] = ()
    # A run working on the conversation holds it until then; others wait or retry later.
    lease_until: datetime | None = None

    @classmethod
    def start(cls, ticket_id: int, language: str | None) -> ChatConversation:
        """A conversation nothing is known of yet, in the ticket's language (Gorgias detects
        one) until the customer's own words say another."""
        return cls(ticket_id=ticket_id, language=as_language(language))

    def is_held(self, now: datetime) -> bool:
        return self.lease_until is not None and self.lease_until > now

    @property
    def holds_return(self) -> bool:
        return self.return_reference is not None

    @property
    def unfinished(self) -> bool:
        """A run stopped before its return was opened or its calls to Gorgias were made."""
        return self.attempt is not None or bool(self.steps)

    def read(self, messages: Sequence[CustomerMessage]) -> ChatConversation:
        """The conversation once `messages` (oldest first) are read: the latest order number
        and reason given win, and the language is that of the latest message asking for the
        return or giving its reason (a message with only a number in it says no language)."""
        state = self
        for message in messages:
            intent = message.intent
            speaks = intent.is_return_request or intent.reason is not None
            state = replace(
                state,
                return_request=state.return_request or intent.is_return_request,
                order_number=intent.order_number or state.order_number,
                reason=intent.reason or state.reason,
                language=as_language(intent.language) if speaks else state.language,
                texts=(*state.texts, message.text[:MAX_TEXT_CHARACTERS])[-MAX_TEXTS:],
            )
        handled = (*self.handled, *(m.id for m in messages))[-MAX_HANDLED_MESSAGES:]
        return replace(state, handled=handled)

    @property
    def missing(self) -> list[Missing]:
        known = {Missing.ORDER_NUMBER: self.order_number, Missing.REASON: self.reason}
        return [what for what, value in known.items() if value is None]

    def may_answer(self, key: str) -> bool:
        """Whether an answer of this key may go out now (see the module's docstring)."""
        if key != self.last_answer:
            return True
        limit = _SAME_QUESTION_LIMIT if key.startswith(_QUESTION) else _SAME_ANSWER_LIMIT
        return self.answer_repeats < limit

    def answering(self, key: str, steps: Iterable[Step]) -> ChatConversation:
        """The conversation with an answer of this key planned: its steps are to be made."""
        repeats = self.answer_repeats + 1 if key == self.last_answer else 1
        return replace(self, last_answer=key, answer_repeats=repeats, steps=(*self.steps, *steps))


def question_key(missing: Sequence[Missing]) -> str:
    return _QUESTION + ",".join(missing)


def not_found_key(order_number: str) -> str:
    return f"not-found:{order_number}"


def as_language(value: str | None) -> Language:
    """`fr`, `fr-CA`, `FR` → fr; anything else (English, unknown, empty) → en."""
    return "fr" if language(value) == "fr" else "en"


# --- which items the customer means ------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
# Words that name no product: a product name sharing one of them with a message says nothing.
_NOT_PRODUCT_WORDS = frozenset(
    {
        "the",
        "and",
        "for",
        "with",
        "from",
        "this",
        "that",
        "these",
        "those",
        "your",
        "you",
        "our",
        "order",
        "item",
        "items",
        "return",
        "returns",
        "size",
        "sale",
        "final",
        "pack",
        "set",
        "new",
        "one",
        "two",
        "pair",
        "les",
        "des",
        "une",
        "pour",
        "avec",
        "dans",
        "sur",
        "cette",
        "ces",
        "votre",
        "vos",
        "mon",
        "mes",
        "commande",
        "article",
        "articles",
        "retour",
        "taille",
        "vente",
        "finale",
    }
)
_MIN_WORD_LENGTH = 3


def lines_named(lines: Sequence[OrderLine], texts: Iterable[str]) -> list[OrderLine]:
    """The lines of an order whose product the customer names in `texts` (a word of its name,
    accents, case and a plural ending aside, or its SKU); none when they name none."""
    said = {word for text in texts for word in _words(text)}
    said_raw = " ".join(texts).casefold()
    return [line for line in lines if (_words(line.name) & said) or line.sku.casefold() in said_raw]


def _words(text: str) -> set[str]:
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return {
        _singular(word)
        for word in _WORD.findall(plain)
        if len(word) >= _MIN_WORD_LENGTH and word not in _NOT_PRODUCT_WORDS
    }


def _singular(word: str) -> str:
    # "mugs" and "mug", "chapeaux" and "chapeau": enough for product names, which are nouns.
    if len(word) > _MIN_WORD_LENGTH and word[-1] in "sx":
        return word[:-1]
    return word
