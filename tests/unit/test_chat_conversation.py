"""Unit specification of a chat conversation about a return (domain/chat_conversation.py): what
the customer's messages say together, when the intake answers, and which items they name."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.chat_conversation import (
    MAX_HANDLED_MESSAGES,
    ChatConversation,
    CustomerMessage,
    Missing,
    as_language,
    lines_named,
    not_found_key,
    question_key,
)
from chalicelib.domain.order import OrderLine
from chalicelib.domain.statuses import ReturnReason


@dataclass(frozen=True)
class Said:
    """What the chat reader says of one message."""

    is_return_request: bool = False
    order_number: str | None = None
    reason: ReturnReason | None = None
    language: str = "en"


def message(id_: int, text: str = "…", **said: Any) -> CustomerMessage:
    return CustomerMessage(id_, text, Said(**said))


def test_what_the_customer_says_across_messages_is_combined() -> None:
    # Given a French return request, then a message with only the order number
    conversation = ChatConversation.start(42, "en").read(
        [
            message(1, is_return_request=True, reason=ReturnReason.SIZE_PROBLEM, language="fr"),
            message(2, order_number="#4910"),
        ]
    )
    # Then the request, its reason and its order are all known, and the language is French
    assert conversation.return_request
    assert (conversation.order_number, conversation.reason) == ("#4910", ReturnReason.SIZE_PROBLEM)
    assert conversation.language == "fr"
    assert conversation.missing == []
    assert conversation.handled == (1, 2)


def test_the_latest_order_number_and_reason_win() -> None:
    conversation = ChatConversation.start(42, None).read(
        [
            message(1, is_return_request=True, order_number="#4821", reason=ReturnReason.DEFECTIVE),
            message(2, order_number="#4910", reason=ReturnReason.WRONG_ITEM),
        ]
    )
    assert (conversation.order_number, conversation.reason) == ("#4910", ReturnReason.WRONG_ITEM)


def test_a_message_with_only_a_number_says_no_language() -> None:
    # The reader answers English for "#4910": it must not turn a French conversation English
    conversation = ChatConversation.start(42, "fr").read(
        [message(1, is_return_request=True, language="fr"), message(2, order_number="#4910")]
    )
    assert conversation.language == "fr"


def test_what_is_still_missing_is_named() -> None:
    asked = ChatConversation.start(42, "en").read([message(1, is_return_request=True)])
    assert asked.missing == [Missing.ORDER_NUMBER, Missing.REASON]
    assert question_key(asked.missing) == "ask:order_number,reason"


def test_the_same_question_goes_out_twice_at_most_and_any_other_answer_once() -> None:
    conversation = ChatConversation.start(42, "en")
    question = question_key([Missing.ORDER_NUMBER])
    assert conversation.may_answer(question)
    once = conversation.answering(question, [])
    assert once.may_answer(question)
    twice = once.answering(question, [])
    assert not twice.may_answer(question)
    # Another answer is always allowed, and starts its own count
    assert twice.may_answer(not_found_key("#4910"))
    not_found = twice.answering(not_found_key("#4910"), [])
    assert not not_found.may_answer(not_found_key("#4910"))
    assert not_found.may_answer(question)


def test_the_messages_read_are_remembered_within_a_bound() -> None:
    many = [message(n) for n in range(MAX_HANDLED_MESSAGES + 10)]
    conversation = ChatConversation.start(42, "en").read(many)
    assert len(conversation.handled) == MAX_HANDLED_MESSAGES
    assert conversation.handled[-1] == MAX_HANDLED_MESSAGES + 9


@pytest.mark.parametrize(
    ("value", "language"),
    [("fr", "fr"), ("fr-CA", "fr"), ("FR_fr", "fr"), ("en-US", "en"), ("de", "en"), ("", "en")],
)
def test_a_gorgias_language_reads_as_english_or_french(value: str, language: str) -> None:
    assert as_language(value) == language


# --- which items the customer names ------------------------------------------------------------

TSHIRT = OrderLine(sku="TEE-ORGANIC-M", name="Organic T-shirt (M)", quantity=2, unit_price="25")
MUG = OrderLine(sku="MUG-STONE", name="Stoneware mug", quantity=1, unit_price=Decimal("14"))
SCARF = OrderLine(sku="SCARF-SALE", name="Silk scarf (final sale)", quantity=1, unit_price="39")
ORDER = [TSHIRT, MUG, SCARF]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("I want to return the mug", [MUG]),
        ("the MUGS arrived broken", [MUG]),
        ("je voudrais retourner les tee-shirts", [TSHIRT]),
        ("the t-shirts and the scarf", [TSHIRT, SCARF]),
        ("return MUG-STONE please", [MUG]),
        ("I want to return my order, wrong size", []),
        ("it is the final sale item", []),
    ],
)
def test_items_are_named_by_a_word_of_their_name_or_their_sku(
    text: str, named: list[OrderLine]
) -> None:
    assert lines_named(ORDER, [text]) == named
