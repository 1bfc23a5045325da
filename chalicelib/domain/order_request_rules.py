"""Which order requests the policy lets a shopper make, and why not, in English and French.

Pure functions of the policy's rules (domain/policy.py: `cancellations`, `claims`), the order,
its timeline and today: the portal offers what they allow and the service refuses what they
refuse, with the same sentence.

- **Cancel**: while nothing of the order shipped (or, if the policy allows it, only part of
  it), within the policy's window, once per order at a time.
- **Report an issue** (a claim): "not received" once the delivery is overdue (the carrier's
  estimate, or the policy's days after shipping, passed without a delivery) or when a delivery
  was scanned that the shopper says never came; "damaged or defective", "wrong item" and
  "missing item" once the order was delivered. Within the policy's days after delivery (or
  after shipping, when no delivery is known); a photo for the issues the policy names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.domain.labels import label, language
from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.order_requests import ClaimIssue, OrderRequest, RequestStatus
from chalicelib.domain.order_tracking import (
    TrackingEvent,
    delivered_on,
    estimated_delivery_on,
    first_shipped_on,
)
from chalicelib.domain.policy import CancellationRules, ClaimRules
from chalicelib.domain.statuses import ExpectedResolution


class RequestRefusal(StrEnum):
    CANCELLATIONS_OFF = "CANCELLATIONS_OFF"
    ORDER_CANCELED = "ORDER_CANCELED"
    ORDER_FULFILLED = "ORDER_FULFILLED"
    ORDER_PARTIALLY_FULFILLED = "ORDER_PARTIALLY_FULFILLED"
    CANCELLATION_WINDOW_CLOSED = "CANCELLATION_WINDOW_CLOSED"
    CANCELLATION_PENDING = "CANCELLATION_PENDING"
    CANCELLATION_ACCEPTED = "CANCELLATION_ACCEPTED"
    ORDER_BEING_CANCELED = "ORDER_BEING_CANCELED"
    CLAIMS_OFF = "CLAIMS_OFF"
    ISSUE_NOT_OFFERED = "ISSUE_NOT_OFFERED"
    NOT_SHIPPED = "NOT_SHIPPED"
    NOT_OVERDUE = "NOT_OVERDUE"
    NOT_DELIVERED = "NOT_DELIVERED"
    CLAIM_WINDOW_CLOSED = "CLAIM_WINDOW_CLOSED"
    PHOTO_MISSING = "PHOTO_MISSING"
    RESOLUTION_NOT_OFFERED = "RESOLUTION_NOT_OFFERED"
    NO_LINES = "NO_LINES"
    UNKNOWN_LINE = "UNKNOWN_LINE"
    QUANTITY_EXCEEDED = "QUANTITY_EXCEEDED"


R = RequestRefusal

# (English, French) for each refusal; placeholders are filled in the shopper's language.
_SENTENCES: dict[RequestRefusal, tuple[str, str]] = {
    R.CANCELLATIONS_OFF: (
        "Orders can't be canceled online. Please contact us.",
        "Les commandes ne peuvent pas être annulées en ligne. Contactez-nous.",
    ),
    R.ORDER_CANCELED: (
        "This order has already been canceled.",
        "Cette commande a déjà été annulée.",
    ),
    R.ORDER_FULFILLED: (
        "This order has already shipped, so it can't be canceled. You can return its items "
        "instead.",
        "Cette commande a déjà été expédiée et ne peut plus être annulée. Vous pouvez en "
        "retourner les articles.",
    ),
    R.ORDER_PARTIALLY_FULFILLED: (
        "Part of this order has already shipped, so it can't be canceled.",
        "Une partie de cette commande a déjà été expédiée : elle ne peut plus être annulée.",
    ),
    R.CANCELLATION_WINDOW_CLOSED: (
        "Orders can be canceled within {days} days; that time ended on {closed_on}.",
        "Les commandes peuvent être annulées sous {days} jours ; ce délai a pris fin le "
        "{closed_on}.",
    ),
    R.CANCELLATION_PENDING: (
        "You already asked to cancel this order ({reference}); an agent will confirm.",
        "Vous avez déjà demandé l'annulation de cette commande ({reference}) ; un agent va "
        "la confirmer.",
    ),
    R.CANCELLATION_ACCEPTED: (
        "Your request to cancel this order ({reference}) was accepted.",
        "Votre demande d'annulation de cette commande ({reference}) a été acceptée.",
    ),
    R.ORDER_BEING_CANCELED: (
        "You asked to cancel this order ({reference}): nothing else can be reported for it.",
        "Vous avez demandé l'annulation de cette commande ({reference}) : aucun autre problème "
        "ne peut être signalé pour elle.",
    ),
    R.CLAIMS_OFF: (
        "Order issues can't be reported online. Please contact us.",
        "Les problèmes de commande ne peuvent pas être signalés en ligne. Contactez-nous.",
    ),
    R.ISSUE_NOT_OFFERED: (
        "“{issue}” can't be reported online. Please contact us.",
        "« {issue} » ne peut pas être signalé en ligne. Contactez-nous.",
    ),
    R.NOT_SHIPPED: (
        "This order hasn't shipped yet.",
        "Cette commande n'a pas encore été expédiée.",
    ),
    R.NOT_OVERDUE: (
        "Your parcel is on its way. If it hasn't arrived by {due_on}, you can report it here.",
        "Votre colis est en route. S'il n'est pas arrivé le {due_on}, vous pourrez le "
        "signaler ici.",
    ),
    R.NOT_DELIVERED: (
        "This order hasn't been delivered yet.",
        "Cette commande n'a pas encore été livrée.",
    ),
    R.CLAIM_WINDOW_CLOSED: (
        "Issues can be reported within {days} days of delivery; that time ended on {closed_on}.",
        "Les problèmes peuvent être signalés sous {days} jours après la livraison ; ce délai "
        "a pris fin le {closed_on}.",
    ),
    R.PHOTO_MISSING: (
        "Please add a photo of the problem for “{issue}”.",
        "Merci d'ajouter une photo du problème pour « {issue} ».",
    ),
    R.RESOLUTION_NOT_OFFERED: (
        "“{resolution}” isn't offered for order issues.",
        "« {resolution} » n'est pas proposé pour les problèmes de commande.",
    ),
    R.NO_LINES: (
        "Choose the items concerned.",
        "Choisissez les articles concernés.",
    ),
    R.UNKNOWN_LINE: (
        "Item {sku} isn't part of this order.",
        "L'article {sku} ne fait pas partie de cette commande.",
    ),
    R.QUANTITY_EXCEEDED: (
        "At most {shipped} of item {sku} shipped.",
        "Au plus {shipped} exemplaire(s) de l'article {sku} ont été expédiés.",
    ),
}


@dataclass(frozen=True)
class Verdict:
    """Allowed, or the first rule refused with its sentence in the shopper's language."""

    code: RequestRefusal | None = None
    reason: str | None = None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.code is None


ALLOWED = Verdict()


@dataclass(frozen=True)
class ClaimedLine:
    """A line a shopper reports an issue with: how many units, with which photos."""

    sku: str
    quantity: int
    photos: tuple[str, ...] = ()


def refusal(code: RequestRefusal, locale: str, **values: Any) -> Verdict:
    french = language(locale) == "fr"
    shown = {name: _show(value, locale, french) for name, value in values.items()}
    english, french_template = _SENTENCES[code]
    sentence = (french_template if french else english).format(**shown)
    return Verdict(code=code, reason=sentence, values=values)


def _show(value: Any, locale: str, french: bool) -> Any:
    if isinstance(value, StrEnum):
        return label(value, locale)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y") if french else value.isoformat()
    return value


# --- shipped, delivered -----------------------------------------------------------------------


def shipped_quantity(order: Order, line: OrderLine) -> int:
    """Units of `line` that left the warehouse. An order whose platform reports a delivery but
    no fulfillments (the admin API's) shipped whole."""
    if order.fulfilled_units == 0 and order.delivered_at is not None:
        return line.quantity
    return line.fulfilled_quantity


def _nothing_shipped(order: Order, timeline: Sequence[TrackingEvent]) -> bool:
    return all(shipped_quantity(order, line) == 0 for line in order.lines) and (
        first_shipped_on(timeline) is None
    )


def _all_shipped(order: Order) -> bool:
    return all(shipped_quantity(order, line) >= line.quantity for line in order.lines)


def _delivered_on(order: Order, timeline: Sequence[TrackingEvent]) -> date | None:
    days = [day for day in (order.delivered_at, delivered_on(timeline)) if day is not None]
    return max(days, default=None)


def _shipped_on(order: Order, timeline: Sequence[TrackingEvent]) -> date:
    # Without a shipping scan, the order's own date is the earliest it can have left.
    return first_shipped_on(timeline) or order.ordered_at


# --- cancellations ----------------------------------------------------------------------------


def cancellation_verdict(
    order: Order,
    rules: CancellationRules,
    *,
    today: date,
    earlier: OrderRequest | None = None,
    locale: str = "en",
) -> Verdict:
    """Whether the shopper may ask to cancel `order` today; `earlier` is the cancellation
    request of the order that was not refused, if any (one at a time, and an accepted one is
    the order's answer)."""
    if not rules.enabled:
        return refusal(R.CANCELLATIONS_OFF, locale)
    if order.canceled_at is not None:
        return refusal(R.ORDER_CANCELED, locale)
    if earlier is not None:
        code = (
            R.CANCELLATION_PENDING
            if earlier.status is RequestStatus.OPEN
            else (R.CANCELLATION_ACCEPTED)
        )
        return refusal(code, locale, reference=earlier.reference)
    return shipping_verdict(order, rules, today=today, locale=locale)


def shipping_verdict(
    order: Order, rules: CancellationRules, *, today: date, locale: str = "en"
) -> Verdict:
    """Whether what shipped of `order`, and when it was placed, still let it be canceled."""
    if _all_shipped(order):
        return refusal(R.ORDER_FULFILLED, locale)
    if not order.unfulfilled and not rules.allow_partially_fulfilled:
        return refusal(R.ORDER_PARTIALLY_FULFILLED, locale)
    if rules.window_days is not None:
        closes_on = order.ordered_at + timedelta(days=rules.window_days)
        if today > closes_on:
            return refusal(
                R.CANCELLATION_WINDOW_CLOSED, locale, days=rules.window_days, closed_on=closes_on
            )
    return ALLOWED


# --- claims -----------------------------------------------------------------------------------


def issue_verdict(
    order: Order,
    timeline: Sequence[TrackingEvent],
    rules: ClaimRules,
    issue: ClaimIssue,
    *,
    today: date,
    canceling: str | None = None,
    locale: str = "en",
) -> Verdict:
    """Whether `issue` may be reported for `order` today; `canceling` names the order's
    cancellation request that was not refused, if any: an order being canceled is refunded
    whole, and a claim would pay its units twice."""
    if not rules.enabled:
        return refusal(R.CLAIMS_OFF, locale)
    if issue not in rules.issues:
        return refusal(R.ISSUE_NOT_OFFERED, locale, issue=issue)
    if order.canceled_at is not None:
        return refusal(R.ORDER_CANCELED, locale)
    if canceling is not None:
        return refusal(R.ORDER_BEING_CANCELED, locale, reference=canceling)
    if _nothing_shipped(order, timeline):
        return refusal(R.NOT_SHIPPED, locale)
    delivered = _delivered_on(order, timeline)
    if issue is ClaimIssue.NOT_RECEIVED and delivered is None:
        due_on = estimated_delivery_on(timeline) or _shipped_on(order, timeline) + timedelta(
            days=rules.not_received_after_days
        )
        if today <= due_on:
            return refusal(R.NOT_OVERDUE, locale, due_on=due_on)
    elif issue is not ClaimIssue.NOT_RECEIVED and delivered is None:
        return refusal(R.NOT_DELIVERED, locale)
    start = delivered or _shipped_on(order, timeline)
    closes_on = start + timedelta(days=rules.window_days)
    if today > closes_on:
        return refusal(R.CLAIM_WINDOW_CLOSED, locale, days=rules.window_days, closed_on=closes_on)
    return ALLOWED


def claim_options(
    order: Order,
    timeline: Sequence[TrackingEvent],
    rules: ClaimRules,
    *,
    today: date,
    canceling: str | None = None,
    locale: str = "en",
) -> list[tuple[ClaimIssue, Verdict]]:
    """Every issue, with whether it may be reported now and why not: what the portal offers."""
    return [
        (
            issue,
            issue_verdict(
                order, timeline, rules, issue, today=today, canceling=canceling, locale=locale
            ),
        )
        for issue in ClaimIssue
    ]


def check_claim(
    order: Order,
    timeline: Sequence[TrackingEvent],
    rules: ClaimRules,
    *,
    issue: ClaimIssue,
    lines: Sequence[ClaimedLine],
    resolution: ExpectedResolution,
    today: date,
    canceling: str | None = None,
    locale: str = "en",
) -> Verdict:
    """The first rule a claim breaks, or ALLOWED. (Units already returned or claimed are
    checked where they are counted, in the same write as the claim.)"""
    verdict = issue_verdict(
        order, timeline, rules, issue, today=today, canceling=canceling, locale=locale
    )
    if not verdict.allowed:
        return verdict
    if resolution not in rules.resolutions:
        return refusal(R.RESOLUTION_NOT_OFFERED, locale, resolution=resolution)
    if not lines:
        return refusal(R.NO_LINES, locale)
    by_sku = {line.sku: line for line in order.lines}
    for claimed in lines:
        ordered = by_sku.get(claimed.sku)
        if ordered is None:
            return refusal(R.UNKNOWN_LINE, locale, sku=claimed.sku)
        shipped = shipped_quantity(order, ordered)
        if claimed.quantity > shipped:
            return refusal(R.QUANTITY_EXCEEDED, locale, sku=claimed.sku, shipped=shipped)
        if issue in rules.photo_required and not claimed.photos:
            return refusal(R.PHOTO_MISSING, locale, issue=issue)
    return ALLOWED
