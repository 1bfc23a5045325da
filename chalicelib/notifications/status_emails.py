"""The emails a shopper receives when their return reaches a step they care about.

Pure rendering: an email's subject, plain text and HTML in the customer's language. Which change
deserves one is the domain's (chalicelib/domain/status_emails.py); sending and the due-mark belong
to the email job.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.domain.labels import label, language, received_in_words
from chalicelib.domain.rma import Rma
from chalicelib.domain.status_emails import PAID_KINDS, StatusEmailKind, latest_paid

if TYPE_CHECKING:
    from jinja2 import Environment

_TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_status_email(
    kind: StatusEmailKind,
    rma: Rma,
    *,
    merchant_name: str,
    support_email: str,
    reason: str | None = None,
) -> RenderedEmail:
    """The `kind` email for `rma`, in French for French locales, else English; `reason` is the
    agent's explanation of a rejection."""
    lang = language(rma.customer.locale)
    wording = _WORDING[lang]
    paid = latest_paid(rma) if kind in PAID_KINDS else None
    context: dict[str, Any] = {
        "lang": lang,
        "intro": wording.intros[kind],
        "w": wording,
        "customer_name": rma.customer.name,
        "reference": rma.return_reference,
        "order_number": rma.order.number,
        "status_label": label(rma.processing_status, lang),
        "lines": [
            {
                "name": line.name,
                "sku": line.sku,
                "quantity": line.quantity,
                "received": received_in_words(line, lang),
            }
            for line in rma.lines
        ],
        "instructions": rma.return_instructions if kind is StatusEmailKind.APPROVED else None,
        "label_url": _label_url(rma) if kind is StatusEmailKind.APPROVED else None,
        "amount": _money(paid.amount, rma.currency, lang) if paid else None,
        "reason": reason if kind is StatusEmailKind.REJECTED else None,
        "merchant_name": merchant_name,
        "support_email": support_email,
    }
    templates = environment()
    return RenderedEmail(
        subject=wording.subjects[kind].format(
            merchant=merchant_name, reference=rma.return_reference
        ),
        text=templates.get_template("status_email.txt.j2").render(context),
        html=templates.get_template("status_email.html.j2").render(context),
    )


@cache
def environment() -> Environment:
    """The templates, loaded on the first email rather than at import (cold start): every
    request imports this module through the RMA service, few of them render an email."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(_TEMPLATES),
        # HTML escapes every value; plain text must not, or "O'Brien" reads "O&#39;Brien".
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _label_url(rma: Rma) -> str | None:
    shipment = rma.latest_shipment
    return shipment.label_url if shipment else None


def _money(amount: Decimal, currency: str, language: str) -> str:
    figure = f"{amount:.2f}"
    return f"{figure.replace('.', ',')} {currency}" if language == "fr" else f"{figure} {currency}"


@dataclass(frozen=True)
class _Wording:
    subjects: dict[StatusEmailKind, str]
    intros: dict[StatusEmailKind, str]
    hello: str
    reference: str
    order: str
    status: str
    items: str
    received: str
    instructions: str
    label: str
    amount: str
    reason: str
    questions: str
    # French sets a space before a colon.
    colon: str


K = StatusEmailKind
_WORDING = {
    "en": _Wording(
        subjects={
            K.REQUEST_RECEIVED: "{merchant}: we received your return request {reference}",
            K.APPROVED: "{merchant}: your return {reference} is approved",
            K.REJECTED: "{merchant}: your return {reference} was not accepted",
            K.PARCEL_RECEIVED: "{merchant}: we received your parcel for return {reference}",
            K.REFUND_ISSUED: "{merchant}: your refund for return {reference} is on its way",
            K.VOUCHER_ISSUED: "{merchant}: your store credit for return {reference}",
            K.COMPLETED: "{merchant}: your return {reference} is complete",
            K.CANCELED: "{merchant}: your return {reference} was canceled",
        },
        intros={
            K.REQUEST_RECEIVED: "We received your return request. We will review it shortly.",
            K.APPROVED: "Your return is approved. Please send the items back as follows.",
            K.REJECTED: "We are sorry: we cannot accept your return.",
            K.PARCEL_RECEIVED: "Your parcel reached our warehouse. We are inspecting the items.",
            K.REFUND_ISSUED: "We issued your refund.",
            K.VOUCHER_ISSUED: "We issued your store credit.",
            K.COMPLETED: "Your return is complete. Thank you for your patience.",
            K.CANCELED: "Your return was canceled.",
        },
        hello="Hello",
        reference="Return",
        order="Order",
        status="Status",
        items="Items",
        received="received",
        instructions="How to send the items back",
        label="Download your return label",
        amount="Amount",
        reason="Reason",
        questions="Questions? Write to",
        colon=":",
    ),
    "fr": _Wording(
        subjects={
            K.REQUEST_RECEIVED: "{merchant} : nous avons reçu votre demande de retour {reference}",
            K.APPROVED: "{merchant} : votre retour {reference} est approuvé",
            K.REJECTED: "{merchant} : votre retour {reference} n'a pas été accepté",
            K.PARCEL_RECEIVED: "{merchant} : votre colis pour le retour {reference} est arrivé",
            K.REFUND_ISSUED: "{merchant} : votre remboursement pour le retour {reference}",
            K.VOUCHER_ISSUED: "{merchant} : votre avoir pour le retour {reference}",
            K.COMPLETED: "{merchant} : votre retour {reference} est terminé",
            K.CANCELED: "{merchant} : votre retour {reference} a été annulé",
        },
        intros={
            K.REQUEST_RECEIVED: (
                "Nous avons reçu votre demande de retour. Nous l'examinons rapidement."
            ),
            K.APPROVED: "Votre retour est approuvé. Renvoyez-nous les articles comme suit.",
            K.REJECTED: "Nous sommes désolés : nous ne pouvons pas accepter votre retour.",
            K.PARCEL_RECEIVED: (
                "Votre colis est arrivé à notre entrepôt. Nous inspectons les articles."
            ),
            K.REFUND_ISSUED: "Nous avons émis votre remboursement.",
            K.VOUCHER_ISSUED: "Nous avons émis votre avoir.",
            K.COMPLETED: "Votre retour est terminé. Merci de votre patience.",
            K.CANCELED: "Votre retour a été annulé.",
        },
        hello="Bonjour",
        reference="Retour",
        order="Commande",
        status="Statut",
        items="Articles",
        received="reçu(s)",
        instructions="Comment renvoyer les articles",
        label="Télécharger votre étiquette de retour",
        amount="Montant",
        reason="Motif",
        questions="Une question ? Écrivez à",
        colon=" :",
    ),
}
