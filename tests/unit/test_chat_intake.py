"""Specification of how a customer's chat message is read: whether it asks for a return, which
order and why, in English or French, whatever the accents and the typos; and how well the
reader does on the corpus of customer messages."""

from __future__ import annotations

import re

import pytest

from bench.chat_reader import TARGET, FieldScore, load_corpus, score_corpus
from chalicelib.domain.chat_intake import ChatIntent, read_message
from chalicelib.domain.chat_vocabulary import VOCABULARIES
from chalicelib.domain.statuses import ReturnReason

R = ReturnReason


def test_a_french_return_request_gives_its_order_and_its_reason() -> None:
    # When a customer writes a return request with the reason and the order number
    intent = read_message("je voudrais retourner mon jean, trop petit, commande 4821")
    # Then all four are read
    assert intent == ChatIntent(
        is_return_request=True, order_number="#4821", reason=R.SIZE_PROBLEM, language="fr"
    )


def test_an_item_that_arrived_broken_is_a_return_request_without_the_word_return() -> None:
    intent = read_message("the mug arrived broken, order #1001")
    assert intent == ChatIntent(
        is_return_request=True, order_number="#1001", reason=R.DAMAGED_PRODUCT, language="en"
    )


@pytest.mark.parametrize(
    ("text", "reason", "language"),
    [
        ("wrong colour", R.COLOR_PROBLEM, "en"),
        ("wrong color", R.COLOR_PROBLEM, "en"),
        ("pas reçu", R.NOT_RECEIVED, "fr"),
        ("pas recu", R.NOT_RECEIVED, "fr"),
        ("trop petit", R.SIZE_PROBLEM, "fr"),
        ("taille trop grande", R.SIZE_PROBLEM, "fr"),
        ("broken", R.DAMAGED_PRODUCT, "en"),
    ],
)
def test_a_bare_reason_is_read_but_answers_a_question_rather_than_asks_for_a_return(
    text: str, reason: ReturnReason, language: str
) -> None:
    # When the customer answers the agent's "what is wrong with it?"
    intent = read_message(text)
    # Then the reason is read, and the conversation layer has the request from earlier
    assert (intent.reason, intent.language) == (reason, language)
    assert not intent.is_return_request
    assert intent.order_number is None


@pytest.mark.parametrize(
    ("text", "order_number"),
    [
        ("it's 4821", "#4821"),
        ("4821", "#4821"),
        ("c'est la commande 1002", "#1002"),
        ("oui c'est bien la 4478", "#4478"),
    ],
)
def test_a_reply_that_only_gives_the_order_number_yields_it(text: str, order_number: str) -> None:
    intent = read_message(text)
    assert intent.order_number == order_number
    assert not intent.is_return_request


@pytest.mark.parametrize(
    "text",
    [
        "order #1001",
        "n°1001",
        "n° 1001",
        "no 1001",
        "order number 1001",
        "my order number is #1001",
        "commande 1001",
        "cmd 1001",
        "N° de commande : 1001",
        "ma commande c'est la 1001",
    ],
)
def test_every_way_customers_write_an_order_number_reads_the_same_order(text: str) -> None:
    assert read_message(text).order_number == "#1001"


def test_a_return_reference_is_not_an_order_number() -> None:
    # R-001042 names a return, not an order: the reader leaves it to the return lookup
    assert read_message("ma commande #R1001").order_number is None
    assert read_message("I haven't received my refund for return R-001042").order_number is None


@pytest.mark.parametrize(
    "text",
    [
        "I'd like to return the dress (49.90€), it doesn't fit",
        "je veux retourner les chaussures payées 89,90 €, trop petites",
        "I want to return my shoes, size 38 is too small",
        "je voudrais retourner les chaussures pointure 42, trop petites",
        "I'd like to return 2 mugs, one is chipped",
        "je voudrais retourner ma commande du 12/03/2024, la robe est trop large",
        "I bought the coat in November 2023 and the zipper broke, can I return it?",
        "please call me at 0612345678 about returning the broken lamp",
        "rappelez-moi au 06 12 34 56 78 pour le retour du vase cassé",
        "my phone is 555-201-7788, I want to return the blender, it's broken",
        "call me on +44 7700 900123, I'd like to return my jacket",
        "I want to return my order, it cost $129",
    ],
)
def test_prices_sizes_quantities_dates_and_phones_are_not_order_numbers(text: str) -> None:
    # Given a return request with numbers in it, none of them an order's
    intent = read_message(text)
    # Then it is a request without an order number
    assert intent.is_return_request
    assert intent.order_number is None


def test_a_lone_number_counts_in_a_return_request_only_from_four_digits() -> None:
    assert read_message("hi i want to return this, 4471, too big").order_number == "#4471"
    assert read_message("hi i want to return this, 447, too big").order_number is None


def test_a_lone_number_in_a_message_about_something_else_is_not_an_order() -> None:
    # An address, a post code: the message is not a return request nor a short reply
    text = "Hi, I'm at 1600 Amphitheatre Parkway now, can you change my address? 75011"
    assert read_message(text).order_number is None


def test_an_order_cue_names_the_order_whatever_else_the_message_holds() -> None:
    text = "Hi, I'm at 1600 Amphitheatre Parkway now, can you change the address for order 3321?"
    intent = read_message(text)
    assert intent.order_number == "#3321"
    assert not intent.is_return_request


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Je voudrais retourner la robe, elle est TROP GRANDE", R.SIZE_PROBLEM),
        ("je veux un rembourssement, le vase est arrivé cassé", R.DAMAGED_PRODUCT),
        ("je veux un remboursement, le vase est arrive casse", R.DAMAGED_PRODUCT),
        ("i recieved the wrong item", R.WRONG_ITEM),
        ("the shoes are tooo small, i want to retrun them", R.SIZE_PROBLEM),
        ("the colour doesnt match the photos, I'd like to send it back", R.COLOR_PROBLEM),
        (
            "Je souhaite retourner le manteau, la couleur n\u2019est pas celle du site",
            R.COLOR_PROBLEM,
        ),
        ("je voudrais retourné mon pull, il ne me plait pas", R.UNSATISFIED),
    ],
)
def test_accents_case_curly_apostrophes_and_common_typos_read_the_same(
    text: str, reason: ReturnReason
) -> None:
    intent = read_message(text)
    assert intent.is_return_request
    assert intent.reason is reason


def test_a_french_letter_typed_once_is_not_an_english_word() -> None:
    # "cassé" with its s doubled is damage; English "case" is a phone case
    intent = read_message("the phone case doesn't fit my phone, sending it back")
    assert intent.reason is R.SIZE_PROBLEM


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I ordered navy and got black", R.COLOR_PROBLEM),
        ("ordered a size 38 but received a 40", R.SIZE_PROBLEM),
        ("j'ai reçu une taille M au lieu d'un L", R.SIZE_PROBLEM),
        ("j'ai reçu des assiettes creuses au lieu des assiettes plates", R.WRONG_ITEM),
    ],
)
def test_what_came_instead_of_what_was_ordered_tells_the_reason(
    text: str, reason: ReturnReason
) -> None:
    assert read_message(text).reason is reason


def test_the_reason_mentioned_first_wins() -> None:
    intent = read_message("the shoes are too small and the colour is not the same as online")
    assert intent.reason is R.SIZE_PROBLEM


def test_at_one_word_the_longer_phrase_wins() -> None:
    # "missing" alone would be a parcel not received
    assert read_message("the book I got is missing pages").reason is R.DEFECTIVE


@pytest.mark.parametrize(
    "text",
    [
        "the blender doesn't work at all, order 6654",
        "elle est trop petite",
        "I don't like it",
        "la lampe reçue n'est pas celle que j'ai commandée",
    ],
)
def test_a_problem_with_a_received_item_is_a_return_request(text: str) -> None:
    assert read_message(text).is_return_request


def test_a_parcel_not_received_is_a_request_only_when_the_customer_asks_for_the_money() -> None:
    waiting = read_message("I still haven't received my order 7450")
    asking = read_message("I never received my parcel, order #9001. I'd like a refund please")
    assert (waiting.reason, waiting.is_return_request) == (R.NOT_RECEIVED, False)
    assert (asking.reason, asking.is_return_request) == (R.NOT_RECEIVED, True)


@pytest.mark.parametrize(
    "text",
    [
        "where is my order?",
        "do you ship to Canada?",
        "hello",
        "merci !",
        "quels sont vos horaires ?",
        "Do you have a promo code for first orders?",
        "I need to change the shipping address on order 5531",
        "👍",
    ],
)
def test_plain_questions_and_greetings_are_not_return_requests(text: str) -> None:
    intent = read_message(text)
    assert not intent.is_return_request
    assert intent.reason is None


@pytest.mark.parametrize(
    "text",
    [
        "what is your return policy?",
        "Quelle est votre politique de retour ?",
        "how long do I have to return an item?",
        "Est-il possible de retourner un article soldé ?",
        "Bonjour, je voudrais savoir si vous faites des retours gratuits",
    ],
)
def test_a_question_about_returns_in_general_is_not_a_request(text: str) -> None:
    assert not read_message(text).is_return_request


def test_the_same_question_about_the_customers_own_item_is_one() -> None:
    assert read_message("how long do I have to return my jacket?").is_return_request
    assert read_message("possible de retourner un article ? commande 6781").is_return_request


@pytest.mark.parametrize(
    "text",
    [
        "when will I get my refund? I sent the package back last week",
        "Je n'ai toujours pas reçu mon remboursement pour le retour R-001077",
        "I was charged twice for my order 7734, can you refund the extra payment?",
        "mon code promo BIENVENUE15 ne marche pas",
        "Bonjour, le lien de suivi ne fonctionne pas",
        "the box was a bit dented but everything inside is fine, just letting you know",
    ],
)
def test_a_message_about_something_else_that_borrows_the_words_of_a_return_reads_no_return(
    text: str,
) -> None:
    intent = read_message(text)
    assert not intent.is_return_request
    assert intent.reason is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Bonjour, le mug est arrivé cassé", "fr"),
        ("hello, je voudrais retourner mon pull", "fr"),
        ("Hi, I'd like to return my jeans", "en"),
        ("cassé", "fr"),
        ("RETURN REQUEST - order 55120", "en"),
        ("4821", "en"),
        ("🙂", "en"),
    ],
)
def test_the_language_is_french_when_french_words_dominate_and_english_otherwise(
    text: str, language: str
) -> None:
    assert read_message(text).language == language


def test_a_message_is_read_the_same_every_time() -> None:
    text = "Bonjour, la couleur n'est pas celle du site, commande 7120"
    assert read_message(text) == read_message(text)


def _sample(phrase: str) -> str:
    """A phrase of the vocabulary as a customer could type it: no wildcard, no gap."""
    return re.sub(r"\s+", " ", phrase.replace("*", "").replace("...", " ")).strip()


REASON_PHRASES = [
    (phrase, reason)
    for vocabulary in VOCABULARIES.values()
    for reason, phrases in vocabulary.reasons.items()
    for phrase in phrases
]


@pytest.mark.parametrize(("phrase", "reason"), REASON_PHRASES)
def test_every_reason_phrase_of_the_vocabulary_reads_as_its_reason(
    phrase: str, reason: ReturnReason
) -> None:
    # A phrase shadowed by another reason's, or broken by how it is written, is caught here
    assert read_message(_sample(phrase)).reason is reason


# The corpus: customer messages as written, with what each says.
CORPUS = load_corpus()


def test_the_corpus_holds_both_languages_and_messages_that_are_not_about_returns() -> None:
    english = sum(1 for row in CORPUS if row["language"] == "en")
    assert len(CORPUS) >= 160
    assert 0.4 <= english / len(CORPUS) <= 0.6
    assert sum(1 for row in CORPUS if not row["is_return_request"]) >= 40


@pytest.fixture(scope="module")
def corpus_scores() -> dict[str, FieldScore]:
    return {score.field: score for score in score_corpus(CORPUS)}


@pytest.mark.parametrize("field", ["is_return_request", "order_number", "reason", "language"])
def test_the_reader_reads_the_corpus_with_high_precision_and_recall(
    corpus_scores: dict[str, FieldScore], field: str
) -> None:
    score = corpus_scores[field]
    assert score.precision >= TARGET, f"{field}: precision {score.precision:.3f}"
    assert score.recall >= TARGET, f"{field}: recall {score.recall:.3f}"
