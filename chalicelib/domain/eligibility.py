"""Which requested lines the policy lets a shopper return, and which returns approve themselves.

Pure functions of the policy, the order's dates and today: the portal, the chat and the
lifecycle's CheckEligibility task all ask the same question and get the same answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from chalicelib.domain.labels import label, language
from chalicelib.domain.policy import ReturnPolicy, WindowStart
from chalicelib.domain.references import order_key
from chalicelib.domain.rma import DomainModel, Rma, RmaLine
from chalicelib.domain.statuses import ReturnReason
from chalicelib.domain.transitions import RELEASED_STATUSES


class IneligibilityCode(StrEnum):
    OUTSIDE_WINDOW = "OUTSIDE_WINDOW"
    FINAL_SALE = "FINAL_SALE"
    NON_RETURNABLE_SKU = "NON_RETURNABLE_SKU"
    QUANTITY_EXCEEDED = "QUANTITY_EXCEEDED"
    REASON_NOT_ALLOWED = "REASON_NOT_ALLOWED"
    PHOTO_MISSING = "PHOTO_MISSING"
    NOT_SHIPPED = "NOT_SHIPPED"


C = IneligibilityCode

# (English, French) for each refusal; placeholders are filled in the shopper's language.
_SENTENCES: dict[IneligibilityCode, tuple[str, str]] = {
    C.FINAL_SALE: (
        "This item was sold as final sale and can't be returned.",
        "Cet article a été vendu en vente finale et ne peut pas être retourné.",
    ),
    C.NON_RETURNABLE_SKU: (
        "This item can't be returned.",
        "Cet article ne peut pas être retourné.",
    ),
    C.OUTSIDE_WINDOW: (
        "The {days}-day return window closed on {closed_on}.",
        "Le délai de retour de {days} jours a expiré le {closed_on}.",
    ),
    C.REASON_NOT_ALLOWED: (
        "Returns for the reason “{reason}” aren't accepted.",
        "Les retours pour le motif « {reason} » ne sont pas acceptés.",
    ),
    C.PHOTO_MISSING: (
        "A photo is required for the reason “{reason}”.",
        "Une photo est requise pour le motif « {reason} ».",
    ),
    C.NOT_SHIPPED: (
        "This item hasn't shipped yet: you can ask to cancel the order instead.",
        "Cet article n'a pas encore été expédié : vous pouvez demander l'annulation de la "
        "commande.",
    ),
    C.QUANTITY_EXCEEDED: (
        "Quantity that can still be returned: {remaining} of {ordered} ordered.",
        "Quantité encore retournable : {remaining} sur {ordered} commandée(s).",
    ),
}


@dataclass(frozen=True)
class RequestedLine:
    """A line a shopper asks to return, with what the order says about it."""

    sku: str
    quantity: int
    reason: ReturnReason
    photos: tuple[str, ...] = ()
    final_sale: bool = False
    ordered_quantity: int | None = None
    # Units of this line the shop shipped, when it says (Shopify's fulfillments); None: not
    # known, every unit ordered counts as shipped.
    shipped_quantity: int | None = None
    # Units of this line already returned by earlier RMAs of the same order.
    already_returned: int = 0

    @property
    def returnable_at_most(self) -> int | None:
        """The units that may come back at all: shipped ones, when known, else ordered ones."""
        if self.shipped_quantity is not None:
            return self.shipped_quantity
        return self.ordered_quantity

    @classmethod
    def from_rma_line(cls, line: RmaLine, already_returned: int = 0) -> RequestedLine:
        return cls(
            sku=line.sku,
            quantity=line.quantity,
            reason=line.reason,
            photos=tuple(line.photos),
            final_sale=line.final_sale,
            ordered_quantity=line.ordered_quantity,
            shipped_quantity=line.shipped_quantity,
            already_returned=already_returned,
        )


class LineVerdict(DomainModel):
    sku: str
    eligible: bool
    code: IneligibilityCode | None = None
    reason: str | None = None


class AutoApprovalVerdict(DomainModel):
    approved: bool
    # Why not, for the agent who decides instead; empty when approved.
    reasons: list[str]


def window_closes_on(
    policy: ReturnPolicy, *, ordered_at: date | None, delivered_at: date | None
) -> date | None:
    """The last day a return may be asked for, or None when the order's dates are unknown.

    The date the policy counts from is used when known, else the other one: either is a fair
    start, and a window that cannot be placed at all is not held against the shopper.
    """
    if policy.window_starts_from is WindowStart.DELIVERY_DATE:
        start = delivered_at or ordered_at
    else:
        start = ordered_at or delivered_at
    return start + timedelta(days=policy.return_window_days) if start else None


def check_lines(
    lines: Sequence[RequestedLine],
    *,
    policy: ReturnPolicy,
    ordered_at: date | None,
    delivered_at: date | None,
    today: date,
    locale: str = "en",
) -> list[LineVerdict]:
    """One verdict per line, in order; a refused line carries the first rule it breaks."""
    closes_on = window_closes_on(policy, ordered_at=ordered_at, delivered_at=delivered_at)
    verdicts = []
    for line in lines:
        refusal = _first_refusal(line, policy, closes_on, today)
        if refusal is None:
            verdicts.append(LineVerdict(sku=line.sku, eligible=True))
        else:
            code, values = refusal
            verdicts.append(
                LineVerdict(
                    sku=line.sku, eligible=False, code=code, reason=_sentence(code, values, locale)
                )
            )
    return verdicts


def _first_refusal(
    line: RequestedLine, policy: ReturnPolicy, closes_on: date | None, today: date
) -> tuple[IneligibilityCode, dict[str, Any]] | None:
    # The order matters: what the item is comes first, then when, then why and how many, so
    # that a shopper is never asked for a photo of an item that can't come back anyway.
    if line.final_sale:
        return C.FINAL_SALE, {}
    if policy.is_non_returnable(line.sku):
        return C.NON_RETURNABLE_SKU, {}
    if closes_on is not None and today > closes_on:
        return C.OUTSIDE_WINDOW, {"days": policy.return_window_days, "closed_on": closes_on}
    if line.reason not in policy.allowed_reasons:
        return C.REASON_NOT_ALLOWED, {"reason": line.reason}
    if policy.photo_required(line.reason) and not line.photos:
        return C.PHOTO_MISSING, {"reason": line.reason}
    if line.shipped_quantity == 0:
        return C.NOT_SHIPPED, {}
    most = line.returnable_at_most
    if most is not None and line.quantity + line.already_returned > most:
        remaining = max(most - line.already_returned, 0)
        ordered = line.ordered_quantity if line.ordered_quantity is not None else most
        return C.QUANTITY_EXCEEDED, {"remaining": remaining, "ordered": ordered}
    return None


def _sentence(code: IneligibilityCode, values: dict[str, Any], locale: str) -> str:
    french = _is_french(locale)
    shown = {name: _show(value, locale, french) for name, value in values.items()}
    english_template, french_template = _SENTENCES[code]
    return (french_template if french else english_template).format(**shown)


def _show(value: Any, locale: str, french: bool) -> Any:
    if isinstance(value, ReturnReason):
        return label(value, locale)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y") if french else value.isoformat()
    return value


def _is_french(locale: str | None) -> bool:
    # Same reading of a locale as labels.label: "fr", "fr-CA", "fr_BE" are French.
    return language(locale) == "fr"


def auto_approval(
    *,
    policy: ReturnPolicy,
    email: str,
    reasons: Sequence[ReturnReason],
    returned_value: Decimal,
    returns_in_period: int,
) -> AutoApprovalVerdict:
    """Whether a return may be accepted without an agent; every rule is checked, so that the
    agent sees every reason it waits for them."""
    rules = policy.auto_approval
    if not rules.enabled:
        return AutoApprovalVerdict(approved=False, reasons=["Auto-approval is turned off."])
    why_not: list[str] = []
    blocklist = {blocked.strip().casefold() for blocked in rules.blocklisted_emails}
    if email.strip().casefold() in blocklist:
        why_not.append("The customer's email is on the auto-approval blocklist.")
    # dict.fromkeys: each reason once, in the order the lines gave them.
    not_covered = [reason for reason in dict.fromkeys(reasons) if reason not in rules.reasons]
    if not_covered:
        named = ", ".join(label(reason) for reason in not_covered)
        why_not.append(f"Reasons not covered by auto-approval: {named}.")
    if rules.max_order_value is not None and returned_value > rules.max_order_value:
        why_not.append(
            f"The returned value, {returned_value:.2f}, is over the auto-approval limit of "
            f"{rules.max_order_value:.2f}."
        )
    if returns_in_period > rules.max_returns_per_customer:
        why_not.append(
            f"The customer opened {returns_in_period} returns in the last {rules.period_days} "
            f"days, this one included; auto-approval stops after {rules.max_returns_per_customer}."
        )
    return AutoApprovalVerdict(approved=not why_not, reasons=why_not)


def already_returned(
    order_number: str, returns: Iterable[Rma], *, excluding: str | None = None
) -> Counter[str]:
    """Units of each SKU of an order that `returns` (but the one `excluding` names) still claim."""
    claimed: Counter[str] = Counter()
    for rma in returns:
        if (
            rma.id != excluding
            and order_key(rma.order.number) == order_key(order_number)
            and rma.processing_status not in RELEASED_STATUSES
        ):
            for line in rma.lines:
                claimed[line.sku] += line.quantity
    return claimed
