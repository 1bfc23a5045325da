"""The emails a shopper receives when their cancellation request or their reported issue (a
claim) is received, decided and carried out: the returns' status emails' template and layout,
in the customer's language.

Pure rendering from the request as its change left it. What an email tells follows what was
done, never what was hoped for: an order canceled without a refund (the policy's choice), or
left to a person to cancel, promises no refund; a settlement the shop refused says a person
completes it. A store credit's code is shown in its own email only: the shopper is the one
person who may see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.domain.labels import (
    REPLACEMENT_ORDERED,
    label,
    language,
    replacement_words,
)
from chalicelib.domain.order_requests import (
    OrderRequest,
    OrderRequestEventType,
    RequestStatus,
    Settlement,
)
from chalicelib.domain.rma import ReplacementStatus
from chalicelib.domain.statuses import ExpectedResolution, FinancialMethod, FinancialStatus
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.refund_summary import RefundSummary, money, paid_summary
from chalicelib.notifications.rendering import Button, RenderedEmail, render_email

E = OrderRequestEventType


class _Told(StrEnum):
    """What an email tells the shopper: its event, and for the carried-out ones, how it went."""

    CANCELLATION_RECEIVED = "CANCELLATION_RECEIVED"
    CANCELING = "CANCELING"
    CANCELLATION_REFUSED = "CANCELLATION_REFUSED"
    CANCELED_AND_REFUNDED = "CANCELED_AND_REFUNDED"
    CANCELED = "CANCELED"
    CANCELING_BY_TEAM = "CANCELING_BY_TEAM"
    CLAIM_RECEIVED = "CLAIM_RECEIVED"
    REFUND_PROMISED = "REFUND_PROMISED"
    STORE_CREDIT_PROMISED = "STORE_CREDIT_PROMISED"
    REPLACEMENT_PROMISED = "REPLACEMENT_PROMISED"
    CLAIM_ACCEPTED = "CLAIM_ACCEPTED"
    CLAIM_REFUSED = "CLAIM_REFUSED"
    REFUNDED = "REFUNDED"
    STORE_CREDIT_ISSUED = "STORE_CREDIT_ISSUED"
    REPLACEMENT_ORDERED = "REPLACEMENT_ORDERED"
    REPLACEMENT_BY_TEAM = "REPLACEMENT_BY_TEAM"
    SETTLING_BY_TEAM = "SETTLING_BY_TEAM"
    CLAIM_SETTLED = "CLAIM_SETTLED"


T = _Told
_TOLD_OF_EVENT = {
    E.CANCELLATION_REQUESTED: T.CANCELLATION_RECEIVED,
    E.CANCELLATION_ACCEPTED: T.CANCELING,
    E.CANCELLATION_REFUSED: T.CANCELLATION_REFUSED,
    E.CLAIM_OPENED: T.CLAIM_RECEIVED,
    E.CLAIM_REJECTED: T.CLAIM_REFUSED,
}
_PROMISED = {
    ExpectedResolution.REFUND: T.REFUND_PROMISED,
    ExpectedResolution.VOUCHER: T.STORE_CREDIT_PROMISED,
    ExpectedResolution.REPLACE: T.REPLACEMENT_PROMISED,
}
_PAID = {FinancialMethod.REFUND: T.REFUNDED, FinancialMethod.VOUCHER: T.STORE_CREDIT_ISSUED}
# The emails that quote the agent's reason: a refusal's is told to the shopper; an
# acceptance's note is the team's.
_REFUSALS = frozenset({T.CANCELLATION_REFUSED, T.CLAIM_REFUSED})


def render_request_email(
    kind: OrderRequestEventType, request: OrderRequest, *, brand: Brand
) -> RenderedEmail:
    """The `kind` email (the event's type) of `request`, in French for French locales, else
    English. ValueError for an event no shopper is emailed about (an update)."""
    lang = language(request.customer.locale)
    wording = _WORDING[lang]
    told = _told(kind, request)
    settlement = request.settlement
    amount = money(settlement.amount, request.currency, lang) if settlement else ""
    replacement = _replacement_order(settlement)
    values = {
        "merchant": brand.name,
        "reference": request.reference,
        "order": request.order.number,
        "amount": amount,
        "replacement": replacement or "",
    }
    intro = wording.intros[told].format(**values)
    context: dict[str, Any] = {
        "intro": intro,
        "w": wording,
        "customer_name": request.customer.name,
        "reference": request.reference,
        "order_number": request.order.number,
        "status_label": label(request.status, lang),
        "facts": _facts(request, wording, lang),
        "lines": [
            {"name": line.name, "sku": line.sku, "quantity": line.quantity, "received": ""}
            for line in request.lines
        ],
        "instructions": None,
        "label_url": None,
        "refund": _paid(told, request, lang),
        "reason": request.decision_note if told in _REFUSALS else None,
        # The portal opens the request once she signs in.
        "button": Button(wording.follow, link)
        if (link := brand.follow_link(request.reference, page="request"))
        else None,
    }
    return render_email(
        "status_email",
        wording.subjects[told].format(**values),
        context,
        brand=brand,
        lang=lang,
        preheader=intro,
        kind=f"request-{kind.value.replace('.', '-')}",
    )


def _told(kind: OrderRequestEventType, request: OrderRequest) -> _Told:
    if kind in _TOLD_OF_EVENT:
        return _TOLD_OF_EVENT[kind]
    if kind is E.CANCELLATION_COMPLETED:
        done = request.cancellation
        if done is None or not done.in_shop:
            return T.CANCELING_BY_TEAM
        # What the shop's cancellation did, as the policy asked it: refunded, or not.
        return T.CANCELED_AND_REFUNDED if done.refund else T.CANCELED
    settlement = request.settlement
    if kind is E.CLAIM_APPROVED:
        if settlement is None:
            return T.CLAIM_ACCEPTED
        return _PROMISED.get(settlement.resolution, T.CLAIM_ACCEPTED)
    if kind is E.CLAIM_RESOLVED:
        return _settled(settlement)
    raise ValueError(f"No email tells a shopper of {kind}.")


def _settled(settlement: Settlement | None) -> _Told:
    """What a resolved claim's email says was done."""
    if settlement is None:
        return T.SETTLING_BY_TEAM
    if settlement.resolution is ExpectedResolution.REPLACE:
        ordered = _replacement_order(settlement) is not None
        return T.REPLACEMENT_ORDERED if ordered else T.REPLACEMENT_BY_TEAM
    if settlement.status is FinancialStatus.REFUNDED and settlement.method in _PAID:
        return _PAID[settlement.method]
    if settlement.status is FinancialStatus.NONE:
        return T.CLAIM_SETTLED
    # The shop refused the payment: a person pays it.
    return T.SETTLING_BY_TEAM


def _replacement_order(settlement: Settlement | None) -> str | None:
    """The replacement's order number, once the shop holds it as an order."""
    order = settlement.replacement_order if settlement else None
    if order is None or order.status is not ReplacementStatus.ORDERED:
        return None
    return order.name


def _paid(told: _Told, request: OrderRequest, lang: str) -> RefundSummary | None:
    """The money a claim's settlement paid back, with a store credit's code: in its own email
    only."""
    settlement = request.settlement
    if told not in (T.REFUNDED, T.STORE_CREDIT_ISSUED) or settlement is None:
        return None
    assert settlement.method is not None
    return paid_summary(
        settlement.method,
        settlement.amount,
        request.currency,
        lang,
        voucher_code=settlement.voucher_code if told is T.STORE_CREDIT_ISSUED else None,
    )


def _facts(request: OrderRequest, wording: _Wording, lang: str) -> list[tuple[str, str]]:
    """A claim's issue, and once accepted, how it is settled."""
    facts = []
    if request.issue is not None:
        facts.append((wording.issue, label(request.issue, lang)))
    settlement = request.settlement
    decided = request.status in (RequestStatus.APPROVED, RequestStatus.RESOLVED)
    if settlement is not None and decided:
        number = _replacement_order(settlement)
        shown = (
            replacement_words(REPLACEMENT_ORDERED, lang).format(number=number)
            if number
            else label(settlement.resolution, lang)
        )
        facts.append((wording.settlement, shown))
    return facts


@dataclass(frozen=True)
class _Wording:
    subjects: dict[_Told, str]
    intros: dict[_Told, str]
    hello: str
    reference: str
    order: str
    status: str
    issue: str
    settlement: str
    reason: str
    items: str
    received: str
    follow: str


_ACCEPTED_EN = "{merchant}: your report {reference} is accepted"
_BY_TEAM_EN = "{merchant}: your report {reference} is being settled"
_CANCELED_EN = "{merchant}: your order {order} is canceled"
_ACCEPTED_FR = "{merchant} : votre signalement {reference} est accepté"
_BY_TEAM_FR = "{merchant} : votre signalement {reference} est en cours de règlement"
_CANCELED_FR = "{merchant} : votre commande {order} est annulée"
_WORDING = {
    "en": _Wording(
        subjects={
            T.CANCELLATION_RECEIVED: "{merchant}: we received your request to cancel order {order}",
            T.CANCELING: "{merchant}: we're canceling your order {order}",
            T.CANCELLATION_REFUSED: "{merchant}: your order {order} cannot be canceled",
            T.CANCELED_AND_REFUNDED: _CANCELED_EN,
            T.CANCELED: _CANCELED_EN,
            T.CANCELING_BY_TEAM: "{merchant}: your order {order} will be canceled shortly",
            T.CLAIM_RECEIVED: "{merchant}: we received your report {reference} about order {order}",
            T.REFUND_PROMISED: _ACCEPTED_EN,
            T.STORE_CREDIT_PROMISED: _ACCEPTED_EN,
            T.REPLACEMENT_PROMISED: _ACCEPTED_EN,
            T.CLAIM_ACCEPTED: _ACCEPTED_EN,
            T.CLAIM_REFUSED: "{merchant}: your report {reference} was not accepted",
            T.REFUNDED: "{merchant}: your refund for report {reference} is on its way",
            T.STORE_CREDIT_ISSUED: "{merchant}: your store credit for report {reference}",
            T.REPLACEMENT_ORDERED: "{merchant}: your replacement for report {reference} is ordered",
            T.REPLACEMENT_BY_TEAM: _BY_TEAM_EN,
            T.SETTLING_BY_TEAM: _BY_TEAM_EN,
            T.CLAIM_SETTLED: "{merchant}: your report {reference} is settled",
        },
        intros={
            T.CANCELLATION_RECEIVED: (
                "We received your request to cancel order {order}. An agent will confirm the "
                "cancellation shortly."
            ),
            T.CANCELING: "We accepted your request: we're canceling your order {order}.",
            T.CANCELLATION_REFUSED: "We are sorry: we cannot cancel your order {order}.",
            T.CANCELED_AND_REFUNDED: (
                "Your order {order} is canceled, and its payment refunded to the way you paid. "
                "Your bank may take a few days to show it."
            ),
            T.CANCELED: "Your order {order} is canceled.",
            T.CANCELING_BY_TEAM: (
                "We accepted your request: our team will cancel your order {order} shortly."
            ),
            T.CLAIM_RECEIVED: (
                "We received your report about order {order}. An agent will review it shortly."
            ),
            T.REFUND_PROMISED: "We accepted your report: we will refund you {amount}.",
            T.STORE_CREDIT_PROMISED: (
                "We accepted your report: we will give you store credit of {amount}."
            ),
            T.REPLACEMENT_PROMISED: (
                "We accepted your report: we will send you a replacement of the items below, "
                "at no cost."
            ),
            T.CLAIM_ACCEPTED: "We accepted your report: our team will settle it shortly.",
            T.CLAIM_REFUSED: "We are sorry: we cannot accept your report.",
            T.REFUNDED: "We issued your refund of {amount}.",
            T.STORE_CREDIT_ISSUED: "We issued your store credit of {amount}.",
            T.REPLACEMENT_ORDERED: "We ordered your replacement: order {replacement}.",
            T.REPLACEMENT_BY_TEAM: (
                "Our team is preparing your replacement and will send it to you shortly."
            ),
            T.SETTLING_BY_TEAM: (
                "Our team is completing your settlement by hand and will get back to you shortly."
            ),
            T.CLAIM_SETTLED: "Your report is settled.",
        },
        hello="Hello",
        reference="Request",
        order="Order",
        status="Status",
        issue="Issue",
        settlement="Settlement",
        reason="Reason",
        items="Items",
        received="received",
        follow="See your request",
    ),
    "fr": _Wording(
        subjects={
            T.CANCELLATION_RECEIVED: (
                "{merchant} : nous avons reçu votre demande d'annulation de la commande {order}"
            ),
            T.CANCELING: "{merchant} : nous annulons votre commande {order}",
            T.CANCELLATION_REFUSED: "{merchant} : votre commande {order} ne peut pas être annulée",
            T.CANCELED_AND_REFUNDED: _CANCELED_FR,
            T.CANCELED: _CANCELED_FR,
            T.CANCELING_BY_TEAM: "{merchant} : votre commande {order} sera annulée sous peu",
            T.CLAIM_RECEIVED: (
                "{merchant} : nous avons reçu votre signalement {reference} concernant la "
                "commande {order}"
            ),
            T.REFUND_PROMISED: _ACCEPTED_FR,
            T.STORE_CREDIT_PROMISED: _ACCEPTED_FR,
            T.REPLACEMENT_PROMISED: _ACCEPTED_FR,
            T.CLAIM_ACCEPTED: _ACCEPTED_FR,
            T.CLAIM_REFUSED: "{merchant} : votre signalement {reference} n'a pas été accepté",
            T.REFUNDED: "{merchant} : votre remboursement pour le signalement {reference}",
            T.STORE_CREDIT_ISSUED: "{merchant} : votre avoir pour le signalement {reference}",
            T.REPLACEMENT_ORDERED: (
                "{merchant} : votre remplacement pour le signalement {reference} est commandé"
            ),
            T.REPLACEMENT_BY_TEAM: _BY_TEAM_FR,
            T.SETTLING_BY_TEAM: _BY_TEAM_FR,
            T.CLAIM_SETTLED: "{merchant} : votre signalement {reference} est réglé",
        },
        intros={
            T.CANCELLATION_RECEIVED: (
                "Nous avons reçu votre demande d'annulation de la commande {order}. Un agent va "
                "confirmer l'annulation rapidement."
            ),
            T.CANCELING: (
                "Nous avons accepté votre demande : nous annulons votre commande {order}."
            ),
            T.CANCELLATION_REFUSED: (
                "Nous sommes désolés : nous ne pouvons pas annuler votre commande {order}."
            ),
            T.CANCELED_AND_REFUNDED: (
                "Votre commande {order} est annulée, et son paiement remboursé sur votre moyen "
                "de paiement. Votre banque peut mettre quelques jours à l'afficher."
            ),
            T.CANCELED: "Votre commande {order} est annulée.",
            T.CANCELING_BY_TEAM: (
                "Nous avons accepté votre demande : notre équipe va annuler votre commande "
                "{order} sous peu."
            ),
            T.CLAIM_RECEIVED: (
                "Nous avons reçu votre signalement concernant la commande {order}. Un agent va "
                "l'examiner rapidement."
            ),
            T.REFUND_PROMISED: (
                "Nous avons accepté votre signalement : nous allons vous rembourser {amount}."
            ),
            T.STORE_CREDIT_PROMISED: (
                "Nous avons accepté votre signalement : nous allons vous attribuer un avoir de "
                "{amount}."
            ),
            T.REPLACEMENT_PROMISED: (
                "Nous avons accepté votre signalement : nous allons vous envoyer gratuitement "
                "un remplacement des articles ci-dessous."
            ),
            T.CLAIM_ACCEPTED: (
                "Nous avons accepté votre signalement : notre équipe va le régler sous peu."
            ),
            T.CLAIM_REFUSED: (
                "Nous sommes désolés : nous ne pouvons pas accepter votre signalement."
            ),
            T.REFUNDED: "Nous avons émis votre remboursement de {amount}.",
            T.STORE_CREDIT_ISSUED: "Nous avons émis votre avoir de {amount}.",
            T.REPLACEMENT_ORDERED: (
                "Nous avons commandé votre remplacement : commande {replacement}."
            ),
            T.REPLACEMENT_BY_TEAM: (
                "Notre équipe prépare votre remplacement et vous l'enverra sous peu."
            ),
            T.SETTLING_BY_TEAM: (
                "Notre équipe finalise votre règlement à la main et reviendra vers vous sous peu."
            ),
            T.CLAIM_SETTLED: "Votre signalement est réglé.",
        },
        hello="Bonjour",
        reference="Demande",
        order="Commande",
        status="Statut",
        issue="Problème",
        settlement="Règlement",
        reason="Motif",
        items="Articles",
        received="reçu(s)",
        follow="Voir votre demande",
    ),
}
