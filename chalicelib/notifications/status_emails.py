"""The emails a shopper receives when their return reaches a step they care about.

Pure rendering: an email's subject, plain text and HTML in the customer's language. Which change
deserves one is the domain's (chalicelib/domain/status_emails.py); sending and the due-mark belong
to the email job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.labels import financial_label, label, language, received_in_words
from chalicelib.domain.refunds import RefundBreakdown
from chalicelib.domain.rma import FinancialResolution, Rma
from chalicelib.domain.status_emails import PAID_KINDS, StatusEmailKind, latest_paid
from chalicelib.domain.statuses import ExpectedResolution, FinancialStatus
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.refund_summary import refund_summary
from chalicelib.notifications.rendering import Button, RenderedEmail, render_email

# The emails that show the money paid back: its own, and the completion's, which may be the one
# email of a change that both paid and completed the return.
_MONEY_KINDS = PAID_KINDS | {StatusEmailKind.COMPLETED}


def render_status_email(
    kind: StatusEmailKind,
    rma: Rma,
    *,
    brand: Brand,
    reason: str | None = None,
    breakdown: RefundBreakdown | None = None,
) -> RenderedEmail:
    """The `kind` email for `rma`, in French for French locales, else English; `reason` is the
    agent's explanation of a rejection; `breakdown`, how the money shown was computed (see
    `refund_shown`)."""
    lang = language(rma.customer.locale)
    wording = _WORDING[lang]
    paid = refund_shown(kind, rma)
    partial = paid is not None and rma.financial_status is FinancialStatus.PARTIALLY_REFUNDED
    intro = wording.partial_refund if partial and kind in PAID_KINDS else wording.intros[kind]
    follow = brand.follow_link(rma.return_reference)
    context: dict[str, Any] = {
        "intro": intro,
        "w": wording,
        "customer_name": rma.customer.name,
        "reference": rma.return_reference,
        "order_number": rma.order.number,
        "status_label": label(rma.processing_status, lang),
        # An exchange says what the shopper gets back: the replacement, and its order once made.
        "facts": [(wording.resolution, financial_label(rma, lang))]
        if rma.expected_resolution is ExpectedResolution.REPLACE
        else [],
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
        "refund": refund_summary(rma, paid, breakdown, lang) if paid else None,
        "reason": reason if kind is StatusEmailKind.REJECTED else None,
        "button": Button(wording.follow, follow) if follow else None,
    }
    subject = wording.subjects[kind].format(merchant=brand.name, reference=rma.return_reference)
    return render_email(
        "status_email",
        subject,
        context,
        brand=brand,
        lang=lang,
        preheader=intro,
        kind=f"status-{kind.lower().replace('_', '-')}",
    )


def refund_shown(kind: StatusEmailKind, rma: Rma) -> FinancialResolution | None:
    """The paid resolution the `kind` email of `rma` shows, if it shows one."""
    return latest_paid(rma) if kind in _MONEY_KINDS else None


def _label_url(rma: Rma) -> str | None:
    shipment = rma.latest_shipment
    return shipment.label_url if shipment else None


@dataclass(frozen=True)
class _Wording:
    subjects: dict[StatusEmailKind, str]
    intros: dict[StatusEmailKind, str]
    hello: str
    reference: str
    order: str
    status: str
    resolution: str
    items: str
    received: str
    instructions: str
    label: str
    reason: str
    follow: str
    partial_refund: str


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
        resolution="Resolution",
        items="Items",
        received="received",
        instructions="How to send the items back",
        label="Download your return label",
        reason="Reason",
        follow="Follow your return",
        partial_refund="We issued a partial refund for your return: the details are below.",
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
        resolution="Résolution",
        items="Articles",
        received="reçu(s)",
        instructions="Comment renvoyer les articles",
        label="Télécharger votre étiquette de retour",
        reason="Motif",
        follow="Suivre votre retour",
        partial_refund=(
            "Nous avons émis un remboursement partiel pour votre retour : le détail est ci-dessous."
        ),
    ),
}
