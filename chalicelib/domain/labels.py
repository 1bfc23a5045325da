"""Human labels for every status, reason and state, in English and French."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.domain.rma import Rma, RmaLine

from chalicelib.domain.order_requests import ClaimIssue, OrderRequestKind, RequestStatus
from chalicelib.domain.order_tracking import Milestone
from chalicelib.domain.statuses import (
    DeliveryStatus,
    ExpectedResolution,
    FinancialStatus,
    FulfillmentStatus,
    LineState,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)

SUPPORTED_LOCALES = ("en", "fr")
DEFAULT_LOCALE = "en"

# (English, French) for each value, one table per enumeration: values such as PENDING or
# CANCELED exist in several dimensions and read differently in each.
_LABELS: dict[type[StrEnum], dict[Any, tuple[str, str]]] = {
    ProcessingStatus: {
        ProcessingStatus.NEW: ("Draft", "Brouillon"),
        ProcessingStatus.REQUESTED: ("Awaiting approval", "En attente d'approbation"),
        ProcessingStatus.ACCEPTED: ("Approved", "Approuvé"),
        ProcessingStatus.PROCESSING: ("In progress", "En cours de traitement"),
        ProcessingStatus.REJECTED: ("Rejected", "Refusé"),
        ProcessingStatus.CANCELED: ("Canceled", "Annulé"),
        ProcessingStatus.COMPLETE: ("Completed", "Terminé"),
        ProcessingStatus.ON_HOLD: ("On hold", "En pause"),
        ProcessingStatus.ANOMALY: ("Needs attention", "Anomalie à traiter"),
        ProcessingStatus.DELETED: ("Deleted", "Supprimé"),
    },
    DeliveryStatus: {
        DeliveryStatus.PENDING: ("Not shipped yet", "Pas encore expédié"),
        DeliveryStatus.HANDLED: ("Label issued", "Étiquette émise"),
        DeliveryStatus.PROCESSING: ("Handed to carrier", "Remis au transporteur"),
        DeliveryStatus.DELIVERING: ("In transit", "En transit"),
        DeliveryStatus.DELIVERED: ("Received at warehouse", "Reçu à l'entrepôt"),
        DeliveryStatus.DELIVERED_TO_SENDER: ("Returned to sender", "Retourné à l'expéditeur"),
        DeliveryStatus.CANCELED: ("Shipment canceled", "Envoi annulé"),
        DeliveryStatus.ERROR: ("Shipment problem", "Problème d'acheminement"),
    },
    FinancialStatus: {
        FinancialStatus.PENDING: ("Refund pending", "Remboursement en attente"),
        FinancialStatus.REFUNDED: ("Refunded", "Remboursé"),
        FinancialStatus.PARTIALLY_REFUNDED: ("Partially refunded", "Partiellement remboursé"),
        FinancialStatus.REFUND_REJECTED: ("Refund refused", "Remboursement refusé"),
        FinancialStatus.CANCELED: ("Refund canceled", "Remboursement annulé"),
        FinancialStatus.NONE: ("No refund", "Aucun remboursement"),
        FinancialStatus.EXECUTION_ERROR: ("Refund failed", "Échec du remboursement"),
    },
    FulfillmentStatus: {
        FulfillmentStatus.PENDING: ("Waiting for items", "En attente des articles"),
        FulfillmentStatus.IN_PROGRESS: ("Inspecting items", "Articles en inspection"),
        FulfillmentStatus.ERROR: ("Inspection problem", "Problème d'inspection"),
        FulfillmentStatus.CANCELED: ("Inspection canceled", "Inspection annulée"),
        FulfillmentStatus.COMPLETE: ("Items inspected", "Articles inspectés"),
    },
    ExpectedResolution: {
        ExpectedResolution.NONE: ("No resolution", "Aucune compensation"),
        ExpectedResolution.VOUCHER: ("Store credit", "Avoir"),
        ExpectedResolution.REPLACE: ("Replacement", "Échange"),
        ExpectedResolution.REFUND: ("Refund", "Remboursement"),
    },
    ReturnReason: {
        ReturnReason.WRONG_ITEM: ("Wrong item received", "Mauvais article reçu"),
        ReturnReason.NOT_RECEIVED: ("Item not received", "Article non reçu"),
        ReturnReason.SIZE_PROBLEM: ("Size doesn't fit", "Problème de taille"),
        ReturnReason.COLOR_PROBLEM: ("Color not as expected", "Couleur différente"),
        ReturnReason.DEFECTIVE: ("Defective", "Défectueux"),
        ReturnReason.DAMAGED_PRODUCT: ("Arrived damaged", "Arrivé endommagé"),
        ReturnReason.UNSATISFIED: ("Not satisfied", "Pas satisfait"),
        ReturnReason.ITEMS_NOT_SOLD: ("Unsold items", "Articles invendus"),
    },
    ProductState: {
        ProductState.BRAND_NEW_WITH_LABEL: ("New, with tags", "Neuf, avec étiquette"),
        ProductState.BRAND_NEW_WITHOUT_LABEL: ("New, without tags", "Neuf, sans étiquette"),
        ProductState.WORE: ("Worn", "Porté"),
        ProductState.DAMAGED: ("Damaged", "Endommagé"),
        ProductState.DEFECTIVE: ("Defective", "Défectueux"),
    },
    LineState: {
        LineState.FULFILLED: ("Fully received", "Entièrement reçu"),
        LineState.PARTIALLY_FULFILLED: ("Partly received", "Partiellement reçu"),
        LineState.PENDING: ("Not received yet", "Pas encore reçu"),
    },
    OrderRequestKind: {
        OrderRequestKind.CANCELLATION: ("Cancellation request", "Demande d'annulation"),
        OrderRequestKind.CLAIM: ("Order issue", "Problème de commande"),
    },
    ClaimIssue: {
        ClaimIssue.NOT_RECEIVED: ("Order not received", "Commande non reçue"),
        ClaimIssue.DAMAGED: ("Arrived damaged or defective", "Arrivé endommagé ou défectueux"),
        ClaimIssue.WRONG_ITEM: ("Wrong item", "Mauvais article"),
        ClaimIssue.MISSING_ITEM: ("Missing item", "Article manquant"),
    },
    RequestStatus: {
        RequestStatus.OPEN: ("Waiting for an agent", "En attente d'un agent"),
        RequestStatus.APPROVED: ("Accepted", "Acceptée"),
        RequestStatus.REJECTED: ("Refused", "Refusée"),
        RequestStatus.RESOLVED: ("Resolved", "Résolue"),
    },
    Milestone: {
        Milestone.ORDERED: ("Order placed", "Commande passée"),
        Milestone.PAID: ("Payment received", "Paiement reçu"),
        Milestone.SHIPPED: ("Shipped", "Expédié"),
        Milestone.IN_TRANSIT: ("In transit", "En transit"),
        Milestone.OUT_FOR_DELIVERY: ("Out for delivery", "En cours de livraison"),
        Milestone.DELIVERED: ("Delivered", "Livré"),
    },
}


# How a sentence for the team names each processing status ("Return R-001042 is on hold; ..."):
# the labels above are titles for a status column, these read inside a sentence. English only,
# like every error message.
_PROCESSING_IN_WORDS: dict[ProcessingStatus, str] = {
    ProcessingStatus.NEW: "a draft not yet submitted",
    ProcessingStatus.REQUESTED: "waiting for a decision",
    ProcessingStatus.ACCEPTED: "approved and waiting for the parcel",
    ProcessingStatus.PROCESSING: "being processed",
    ProcessingStatus.ON_HOLD: "on hold",
    ProcessingStatus.ANOMALY: "flagged as an anomaly",
    ProcessingStatus.REJECTED: "rejected",
    ProcessingStatus.CANCELED: "canceled",
    ProcessingStatus.COMPLETE: "complete",
    ProcessingStatus.DELETED: "deleted",
}


# A return that sends a replacement owes the shopper no money: where its financial status would
# read "Refund pending" (or "No refund"), it says what the shopper gets instead, with the
# replacement's order number once the shop has one; or, for a cheaper variant, that the
# difference is yet to be refunded. Keys of the portal page's catalogue too.
REPLACEMENT = "REPLACEMENT"
REPLACEMENT_ORDERED = "REPLACEMENT_ORDERED"
DIFFERENCE_PENDING = "DIFFERENCE_PENDING"
_REPLACEMENT_WORDS: dict[str, tuple[str, str]] = {
    REPLACEMENT: ("Replacement", "Échange"),
    REPLACEMENT_ORDERED: ("Replacement: order {number}", "Échange : commande {number}"),
    DIFFERENCE_PENDING: (
        "Refund of the price difference pending",
        "Remboursement de la différence en attente",
    ),
}
_OWING_NOTHING_YET = frozenset({FinancialStatus.PENDING, FinancialStatus.NONE})


def language(locale: str | None) -> str:
    """The supported language of `locale` ("fr", "fr-CA", "en_GB"...); English otherwise."""
    code = (locale or DEFAULT_LOCALE).replace("_", "-").split("-")[0].lower()
    return code if code in SUPPORTED_LOCALES else DEFAULT_LOCALE


def label(value: StrEnum, locale: str | None = DEFAULT_LOCALE) -> str:
    """The label of `value` in `locale` ("fr", "fr-CA", "en_GB"...); English when unsupported."""
    english, french = _LABELS[type(value)][value]
    return french if language(locale) == "fr" else english


def financial_wording(rma: Rma) -> tuple[str, str | None]:
    """What the financial status of `rma` is shown as: its own value, or for an exchange not
    yet refunded anything, REPLACEMENT or REPLACEMENT_ORDERED with the replacement order's
    number, or DIFFERENCE_PENDING while a cheaper replacement's difference waits to be paid."""
    if (
        rma.expected_resolution is not ExpectedResolution.REPLACE
        or rma.financial_status not in _OWING_NOTHING_YET
    ):
        return rma.financial_status.value, None
    if any(r.status is FinancialStatus.PENDING and r.amount for r in rma.financial_resolutions):
        return DIFFERENCE_PENDING, None
    order = rma.replacement_order
    if order is not None and order.status == "ORDERED" and order.name:
        return REPLACEMENT_ORDERED, order.name
    return REPLACEMENT, None


def financial_label(rma: Rma, locale: str | None = DEFAULT_LOCALE) -> str:
    """The financial status of `rma` in words, in `locale`: "Refund pending", or for an
    exchange "Replacement" / "Replacement: order #1002" (in French "Échange"...)."""
    wording, number = financial_wording(rma)
    if wording not in _REPLACEMENT_WORDS:
        return label(rma.financial_status, locale)
    return replacement_words(wording, locale).format(number=number)


def replacement_words(wording: str, locale: str | None) -> str:
    """REPLACEMENT or REPLACEMENT_ORDERED in `locale`, `{number}` left for the order's."""
    english, french = _REPLACEMENT_WORDS[wording]
    return french if language(locale) == "fr" else english


def in_words(status: ProcessingStatus) -> str:
    """What a return in `status` is, said to a support agent: "Return R-001042 is {...}"."""
    return _PROCESSING_IN_WORDS[status]


def received_in_words(line: RmaLine, locale: str | None = None) -> str:
    """The units of a line received, by the state each came back in, in `locale`: "1 x New,
    with tags, 1 x Worn"; empty when none came back."""
    return ", ".join(f"{n} x {label(state, locale)}" for state, n in line.received_states.items())
