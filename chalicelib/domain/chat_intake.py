"""What a customer's chat message says about a return, read in English or French by rules.

Deterministic, no network and no model: the same message always reads the same, an agent can
tell why, and a merchant teaches it a word by editing `chat_vocabulary`. Each message is read
alone; the conversation layer combines the pieces ("it's 4821" after "the mug arrived broken").

A message is a return request when the customer
- asks to send something back, exchange it or be refunded, unless it is a question about returns
  in general ("what is your return policy?") with nothing of their own in it (an order, a
  reason, "my", "I want");
- or states a problem with an item they received ("the mug arrived broken", "elle est trop
  petite"), the item or its arrival being mentioned, or an order number given. A bare reason
  ("trop petit", "wrong colour") answers a question of the agent, and a parcel not received is a
  delivery matter, until the customer asks for their money or a return.
Neither holds when the message is about something else that borrows the same words: a refund
already asked for, a double charge, a promo code that "does not work".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.chat_vocabulary import (
    NUMBER_SIGNS,
    SIZE_LABELS,
    VOCABULARIES,
    Language,
    Vocabulary,
)
from chalicelib.domain.statuses import ReturnReason


class ChatIntent(BaseModel):
    """What one message says; None where it says nothing of it."""

    model_config = ConfigDict(frozen=True)

    is_return_request: bool
    # "#4821": the digits as typed, after the `#` shoppers type or leave out.
    order_number: str | None
    reason: ReturnReason | None
    language: Language


def read_message(text: str) -> ChatIntent:
    grammar = _grammar()
    message = normalise(text)
    elsewhere = grammar.other_topics.search(message) is not None
    reason, rest = (None, message) if elsewhere else _reason_in(grammar, message)
    numbers = grammar.not_order_numbers.sub(_blank, message)
    order_number = _order_number(grammar.cued_order_number, numbers)
    is_return_request = not elsewhere and _asks_for_a_return(grammar, rest, reason, order_number)
    if order_number is None and (is_return_request or _is_short_reply(message)):
        order_number = _order_number(grammar.lone_number, numbers)
    return ChatIntent(
        is_return_request=is_return_request,
        order_number=order_number,
        reason=reason,
        language=_language_of(grammar, message),
    )


def normalise(text: str) -> str:
    """Lower case, no accents, known misspellings corrected: the form in which both messages
    and vocabulary are compared."""
    return _WORD.sub(lambda word: _SPELLINGS.get(word[0], word[0]), _bare(text))


def _bare(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_TYPOGRAPHY))
    unaccented = "".join(char for char in decomposed if not unicodedata.combining(char))
    # "tooo small", "pleaaase": no word of either language has a letter three times in a row.
    return _EMPHASIS.sub(r"\1\1", unaccented)


def _reason_in(grammar: _Grammar, message: str) -> tuple[ReturnReason | None, str]:
    """The reason mentioned first (customers lead with what matters to them), and the message
    without its words: "la" in "pas la bonne couleur" mentions no item."""
    found = [
        (match.start(), -len(match[0]), rank, reason)
        for rank, (reason, phrases) in enumerate(grammar.reasons)
        if (match := phrases.search(message))
    ]
    if not found:
        return _mismatch_in(grammar, message), message
    start, negative_length, _, reason = min(found)
    return reason, message[:start] + " " + message[start - negative_length :]


def _mismatch_in(grammar: _Grammar, message: str) -> ReturnReason | None:
    """'I ordered navy and got black', "j'ai commandé un 40 et reçu un 38", "j'ai reçu des
    assiettes creuses au lieu des plates": a sentence saying what came and what was ordered."""
    for sentence in _SENTENCE_END.split(message):
        instead = grammar.instead.search(sentence) is not None
        if not (
            grammar.received.search(sentence) and (instead or grammar.ordered.search(sentence))
        ):
            continue
        if sum(1 for colour in grammar.colours if colour.search(sentence)) >= 2:
            return ReturnReason.COLOR_PROBLEM
        if len(set(grammar.size.findall(sentence))) >= 2:
            return ReturnReason.SIZE_PROBLEM
        if instead:
            return ReturnReason.WRONG_ITEM
    return None


def _asks_for_a_return(
    grammar: _Grammar, rest: str, reason: ReturnReason | None, order: str | None
) -> bool:
    """`rest`: the message without the words of its reason."""
    if grammar.return_cues.search(rest):
        question = grammar.general_questions.sub(" ", rest)
        own = order is not None or reason is not None or grammar.own_wishes.search(question)
        return bool(own) or question == rest
    if reason is None or reason is ReturnReason.NOT_RECEIVED:
        return False
    return order is not None or grammar.item_mentions.search(rest) is not None


# Order numbers. Only digits count, 3 to 10 of them, and only where they cannot be something
# else: after an order cue or a sign ("commande 4821", "order number is #4821", "n°4821", "no
# 4821"); or, for 4 digits or more, alone in a message that asks for a return or in a reply of a
# few words ("it's 4821"). Phones, prices, decimals, dates, sizes, a year after a month, numbers
# after a phone, post code or tracking word, and return references (R-001042) are blanked first.
_SHORT_REPLY_WORDS = 5


def _order_number(pattern: re.Pattern[str], numbers: str) -> str | None:
    match = pattern.search(numbers)
    return f"#{match[1]}" if match else None


def _is_short_reply(message: str) -> bool:
    return len(_WORD.findall(message)) <= _SHORT_REPLY_WORDS


def _blank(match: re.Match[str]) -> str:
    # Same length, so that a cue is not glued to a number beyond what was blanked.
    return " " * len(match[0])


def _language_of(grammar: _Grammar, message: str) -> Language:
    """French when more words are French only than English only; English otherwise, also for a
    message of digits and emojis."""
    counts: dict[Language, int] = dict.fromkeys(grammar.language_words, 0)
    for word in _WORD.findall(message):
        speakers = [language for language, words in grammar.language_words.items() if word in words]
        if len(speakers) == 1:
            counts[speakers[0]] += 1
    return "fr" if counts["fr"] > counts["en"] else "en"


# Curly and accent apostrophes as the plain one, ligatures as their two letters.
_TYPOGRAPHY = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'", "\u0153": "oe", "\u00e6": "ae"}
)
_EMPHASIS = re.compile(r"([a-z])\1{2,}")
_WORD = re.compile(r"[a-z]+")
_SENTENCE_END = re.compile(r"[.!?;\n]+")
_SPELLINGS = {
    _bare(wrong): _bare(right)
    for vocabulary in VOCABULARIES.values()
    for wrong, right in vocabulary.spellings.items()
}


@dataclass(frozen=True)
class _Words:
    """A language's words: whole ones, and the beginnings of those written with `*`."""

    whole: frozenset[str]
    beginnings: tuple[str, ...]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and (word in self.whole or word.startswith(self.beginnings))


@dataclass(frozen=True)
class _Grammar:
    """The vocabulary compiled into patterns."""

    reasons: tuple[tuple[ReturnReason, re.Pattern[str]], ...]
    return_cues: re.Pattern[str]
    general_questions: re.Pattern[str]
    other_topics: re.Pattern[str]
    own_wishes: re.Pattern[str]
    item_mentions: re.Pattern[str]
    ordered: re.Pattern[str]
    received: re.Pattern[str]
    instead: re.Pattern[str]
    colours: tuple[re.Pattern[str], ...]
    size: re.Pattern[str]
    language_words: Mapping[Language, _Words]
    cued_order_number: re.Pattern[str]
    lone_number: re.Pattern[str]
    not_order_numbers: re.Pattern[str]


@cache
def _grammar() -> _Grammar:
    """Compiled at the first message, once per process: every handler of the app is imported by
    every Lambda of it, and compiling the vocabulary takes tens of milliseconds that the ones
    which never read a chat message should not pay at a cold start."""
    return _Grammar(
        reasons=tuple(_reasons(VOCABULARIES.values())),
        return_cues=_phrases(_every("return_cues")),
        general_questions=_phrases(_every("general_questions")),
        other_topics=_phrases(_every("other_topics")),
        own_wishes=_phrases(_every("own_wishes")),
        item_mentions=_phrases(_every("item_mentions")),
        ordered=_phrases(_every("ordered_words")),
        received=_phrases(_every("received_words")),
        instead=_phrases(_every("instead_words")),
        colours=tuple(_bounded(_phrase_pattern(colour)) for colour in _every("colours")),
        size=re.compile(rf"(?<![\w'])(?:{_alternatives(SIZE_LABELS)}|\d\d)(?![\w'])"),
        language_words={
            language: _language_words(vocabulary) for language, vocabulary in VOCABULARIES.items()
        },
        cued_order_number=_cued_order_number(),
        lone_number=re.compile(r"(?<![\w#°])(\d{4,10})(?!\w|[.,/-]\d)"),
        not_order_numbers=_not_order_numbers(),
    )


# The phrase syntax of `chat_vocabulary`: words apart by any spacing or punctuation, or by up to
# four words where the phrase says `...`.
_SEPARATOR = r"[^\w']+"
_GAP = r"(?:[^\w']+[\w']+){0,4}" + _SEPARATOR


def _word_pattern(word: str) -> str:
    """`don't` also reads `dont` and `don t`; `retourn*` reads `retourner`; `l'` an elision (the
    apostrophe is looked at, not taken, so that the word ends there)."""
    stem = word.rstrip("*")
    pattern = "(?:'|\\s)?".join(re.escape(part) for part in stem.rstrip("'").split("'"))
    if stem.endswith("'"):
        return pattern + "(?=')"
    return pattern + (r"\w*" if word.endswith("*") else "")


def _phrase_pattern(phrase: str) -> str:
    """Without its word boundaries (see `_bounded`): the separators bound the inner words."""
    pattern, separator = "", ""
    for word in _bare(phrase).replace("-", " ").split():
        if word == "...":
            separator = _GAP
            continue
        pattern += separator + _word_pattern(word)
        separator = _SEPARATOR
    return pattern


def _bounded(alternatives: str) -> re.Pattern[str]:
    # The boundaries once around all the phrases, not in each: compiling costs per lookaround.
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _phrases(phrases: Iterable[str]) -> re.Pattern[str]:
    # Longest first: at one position, "missing pages" wins over "missing".
    ordered = sorted(set(phrases), key=len, reverse=True)
    return _bounded("|".join(_phrase_pattern(phrase) for phrase in ordered))


def _every(field: str) -> Iterator[str]:
    for vocabulary in VOCABULARIES.values():
        yield from getattr(vocabulary, field)


def _reasons(vocabularies: Iterable[Vocabulary]) -> list[tuple[ReturnReason, re.Pattern[str]]]:
    phrases: dict[ReturnReason, list[str]] = {}
    for vocabulary in vocabularies:
        for reason, words in vocabulary.reasons.items():
            phrases.setdefault(reason, []).extend(words)
    return [(reason, _phrases(words)) for reason, words in phrases.items()]


def _alternatives(words: Iterable[str]) -> str:
    bare = {_bare(word) for word in words}
    return "|".join(re.escape(word) for word in sorted(bare, key=len, reverse=True))


def _language_words(vocabulary: Vocabulary) -> _Words:
    """Every word the vocabulary holds."""
    phrases = [
        phrase
        for value in vars(vocabulary).values()
        for phrase in (value if isinstance(value, tuple) else ())
    ]
    phrases += [phrase for words in vocabulary.reasons.values() for phrase in words]
    words = {word for phrase in phrases for word in re.findall(r"[a-z]+\*?", _bare(phrase))}
    return _Words(
        whole=frozenset(word for word in words if not word.endswith("*")),
        beginnings=tuple(word.rstrip("*") for word in words if word.endswith("*")),
    )


def _cued_order_number() -> re.Pattern[str]:
    cues = _alternatives([*_every("order_cues"), *NUMBER_SIGNS])
    fillers = "|".join(_word_pattern(_bare(word)) for word in _every("order_fillers"))
    return re.compile(
        rf"(?<!\w)(?:{cues})(?:[\s:#.-]+(?:{fillers})(?!\w)){{0,3}}[\s:#.()-]*(\d{{3,10}})"
        r"(?!\w|[.,/-]\d)"
    )


def _not_order_numbers() -> re.Pattern[str]:
    return re.compile(
        "|".join(
            (
                r"(?<!\w)r ?-? ?\d+",  # a return's reference, R-001042
                r"\+\d[\d\s().-]{7,}\d",  # an international phone number
                r"(?<!\w)0\d(?:[\s.-]?\d\d){4}(?!\d)",  # a French one, 06 12 34 56 78
                r"(?<!\w)\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)",  # a North American one
                r"(?<!\w)\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{2,4})?(?!\d)",  # a date, 12/03/2024
                r"[$€£]\s*\d+(?:[.,]\d+)?",  # a price, $49
                r"\d+(?:[.,]\d+)?\s*(?:€|\$|£|(?:eur|euros?|usd|dollars?|gbp|chf)(?!\w))",
                r"\d+[.,]\d+",  # any decimal
                rf"(?<!\w)(?:{_alternatives(_every('size_words'))})\s*:?\s*\d+",
                rf"(?<!\w)(?:{_alternatives(_every('months'))})\s+\d{{4}}",
                # a number after a phone, post code or tracking word, however it is grouped
                rf"(?<!\w)(?:{_alternatives(_every('other_numbers'))})"
                r"\W*(?:\w+\W+){0,2}?\d(?:[\d().-]|\s(?=\d))*",
            )
        )
    )
