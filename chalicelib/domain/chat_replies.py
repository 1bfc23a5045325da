"""What the chat intake writes: its replies to the customer in the chat (English or French, the
language they write in), the tags it puts on the ticket, and the internal note it leaves for the
agents (in English, like every note). Pure.

A reply says one thing the customer can act on: what is still needed, why an order or an item
cannot be returned, or the return's reference and what happens next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.domain.chat_conversation import Language, Missing
from chalicelib.domain.labels import label
from chalicelib.domain.rma import Rma
from chalicelib.domain.statuses import ProcessingStatus

RETURN_REQUEST_TAG = "return-request"
# The example order number the questions show.
_EXAMPLE_ORDER = "#4821"


@dataclass(frozen=True)
class RefusedLine:
    """An item the intake would not take back, and why, in the customer's language (None when
    the intake gave no reason: units another return already claims)."""

    name: str
    reason: str | None


def ask_for(missing: Sequence[Missing], language: Language, order_number: str | None) -> str:
    """The question for what a return request still lacks."""
    if set(missing) == {Missing.ORDER_NUMBER, Missing.REASON}:
        if language == "fr":
            return (
                "Je peux vous aider pour votre retour. Pourriez-vous m'indiquer votre numéro de "
                f"commande (par exemple {_EXAMPLE_ORDER}) et la raison du retour (taille, "
                "article endommagé ou défectueux, mauvais article, ne convient pas) ?"
            )
        return (
            "I can help you with your return. Could you give me your order number (for example "
            f"{_EXAMPLE_ORDER}) and tell me why you are sending the items back (size, damaged "
            "or defective, wrong item, not as expected)?"
        )
    if Missing.ORDER_NUMBER in missing:
        if language == "fr":
            return (
                "Pourriez-vous m'indiquer votre numéro de commande ? Il commence par # (par "
                f"exemple {_EXAMPLE_ORDER}) et figure dans l'e-mail de confirmation de votre "
                "commande."
            )
        return (
            "Could you give me your order number? It starts with # (for example "
            f"{_EXAMPLE_ORDER}) and is in your order confirmation email."
        )
    of_order = f" de la commande {order_number}" if order_number else ""
    if language == "fr":
        return (
            f"Pourriez-vous me dire pourquoi vous retournez les articles{of_order} ? Par "
            "exemple : taille, article endommagé ou défectueux, mauvais article, ne convient pas."
        )
    of_order = f" of order {order_number}" if order_number else ""
    return (
        f"Could you tell me why you are sending back the items{of_order}? For example: size, "
        "damaged or defective, wrong item, not as expected."
    )


def order_not_found(order_number: str, language: Language) -> str:
    """The order is unknown, or not the customer's: the same answer, so that nobody learns
    another customer's order exists."""
    if language == "fr":
        return (
            f"Je ne trouve pas de commande {order_number} associée à l'adresse e-mail de cette "
            "conversation. Pourriez-vous vérifier le numéro ? Il figure dans l'e-mail de "
            "confirmation de votre commande."
        )
    return (
        f"I could not find order {order_number} for the email address of this conversation. "
        "Could you check the number? It is in your order confirmation email."
    )


def lines_refused(order_number: str, refused: Sequence[RefusedLine], language: Language) -> str:
    """Why no return was opened: each item refused, with its reason."""
    if language == "fr":
        items = [f"- {line.name} : {line.reason or 'déjà en cours de retour.'}" for line in refused]
        return _paragraphs(
            f"Je n'ai pas pu ouvrir de retour pour la commande {order_number} :",
            "\n".join(items),
            "Un conseiller lira cette conversation si vous avez une question.",
        )
    items = [f"- {line.name}: {line.reason or 'already being returned.'}" for line in refused]
    return _paragraphs(
        f"I could not open a return for order {order_number}:",
        "\n".join(items),
        "An agent will read this conversation if you have a question.",
    )


def return_opened(
    rma: Rma, language: Language, *, photos_of: Sequence[str], portal_url: str | None
) -> str:
    """The return's reference, its items and reasons, and what happens next: a photo of each
    item that needs one, or the review and the instructions by email."""
    items = [
        f"- {line.quantity} x {line.name} ({label(line.reason, language)})" for line in rma.lines
    ]
    waiting_for_photos = rma.processing_status is ProcessingStatus.NEW and photos_of
    names = ", ".join(photos_of)
    if language == "fr":
        if waiting_for_photos:
            where = f" : {portal_url}" if portal_url else ""
            step = (
                f"Dernière étape : ajoutez une photo de chaque article ({names}) sur notre "
                f"portail de retours{where}. Nous examinerons ensuite votre demande."
            )
        else:
            step = (
                "Nous allons l'examiner et vous enverrons par e-mail les instructions de retour "
                "dès qu'il sera approuvé."
            )
        return _paragraphs(
            f"Votre retour {rma.return_reference} est ouvert pour la commande {rma.order.number} :",
            "\n".join(items),
            step,
        )
    if waiting_for_photos:
        where = f": {portal_url}" if portal_url else ""
        step = (
            f"One last step: add a photo of each item ({names}) in our returns portal{where}. "
            "We will review your request then."
        )
    else:
        step = "We will review it and email you the return instructions as soon as it is approved."
    return _paragraphs(
        f"Your return {rma.return_reference} is open for order {rma.order.number}:",
        "\n".join(items),
        step,
    )


def ticket_tags(reference: str) -> tuple[str, str]:
    """`return-request` and `rma:R-001042`: Gorgias views and rules can find the ticket."""
    return (RETURN_REQUEST_TAG, f"rma:{reference}")


def _paragraphs(*parts: str) -> str:
    # Gorgias's client makes a paragraph of each block between blank lines (body_html).
    return "\n\n".join(part for part in parts if part)
