"""A return as the merchant console shows it: its statuses, lines, photos, money and log in
words, for `console/return.html.j2`. Pure: the photo links and the policy come in as values.

The figures are the refund domain's (`domain/refunds.py`) and the RMA's own resolutions, never
recomputed here; the wording of statuses is `domain/labels.py`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from chalicelib.domain.labels import financial_label, label, received_in_words
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import RefundBreakdown, compute_refund
from chalicelib.domain.rma import ReplacementStatus, Rma, RmaEvent, RmaLine
from chalicelib.domain.statuses import (
    Channel,
    ExpectedResolution,
    FinancialStatus,
    LifecycleStep,
    ProductState,
    ReturnReason,
)
from chalicelib.domain.transitions import Action, past_tense
from chalicelib.notifications.refund_summary import money

# The merchant's team reads the console in English, like the notes left in Gorgias.
CONSOLE_LOCALE = "en"

_CHANNELS: dict[Channel, str] = {
    Channel.GORGIAS: "Gorgias",
    Channel.PORTAL: "the return portal",
    Channel.CHAT: "the chat",
    # The console acts through the admin API's use cases, as the signed-in merchant.
    Channel.ADMIN: "the console or admin API",
    # The warehouse and the workflow are named by their actor already.
    Channel.WAREHOUSE: "",
    Channel.WORKFLOW: "",
}
# What the return's lifecycle waits for, when it waits for someone outside it.
_WAITS: dict[LifecycleStep, str] = {
    LifecycleStep.AGENT_DECISION: "The team's decision",
    LifecycleStep.ITEM_RECEIPT: "The customer's parcel",
    LifecycleStep.REFUND_APPROVAL: "The refund's approval",
}
# Log entries that keep the processing status; the moves are named by `past_tense`.
_UPDATES: dict[str, str] = {
    "create": "Opened",
    "issue_label": "Label issued",
    "receive": "Items received",
    "resolve_financial": "Refund computed",
    "approve_refund": "Refund approved",
    "execute_refund": "Refund paid",
    "order_replacement": "Replacement ordered",
}
# (value, words) of the choices forms offer.
PRODUCT_STATES: list[tuple[str, str]] = [
    (state.value, label(state, CONSOLE_LOCALE)) for state in ProductState
]
REASONS: list[tuple[str, str]] = [
    (reason.value, label(reason, CONSOLE_LOCALE)) for reason in ReturnReason
]


@dataclass(frozen=True)
class Photo:
    url: str
    alt: str


@dataclass(frozen=True)
class LineView:
    sku: str
    name: str
    quantity: int
    unit_price: str
    reason: str
    comment: str | None
    line_state: str
    received_quantity: int
    received: str
    photos: list[Photo]
    inspection_notes: str | None
    inspection_photos: list[Photo]


@dataclass(frozen=True)
class Figure:
    name: str
    value: str


@dataclass(frozen=True)
class LogEntry:
    at: str
    who: str
    via: str
    what: str
    change: str
    note: str | None


@dataclass(frozen=True)
class ReturnView:
    reference: str
    version: int
    statuses: list[Figure]
    customer: list[Figure]
    order: list[Figure]
    lines: list[LineView]
    breakdown: list[Figure]
    resolutions: list[Figure]
    # What the approve-refund field starts with: the amount pending, else the one computed.
    suggested_amount: str
    # The most a refund may be, said next to its field.
    refund_ceiling: str
    shipments: list[Figure]
    instructions: str | None
    uploads: list[Figure]
    log: list[LogEntry]
    photo_origins: list[str]


def return_view(
    rma: Rma,
    events: list[RmaEvent],
    policy: ReturnPolicy,
    photo_urls: Mapping[str, str],
) -> ReturnView:
    """`rma` and its log (oldest first) in words, each photo's object key linked through
    `photo_urls` (a photo without a link is left out: no photo storage is configured)."""
    breakdown = compute_refund(rma, policy)
    lines = [_line(rma, line, photo_urls) for line in rma.lines]
    urls = [p.url for line in lines for p in (*line.photos, *line.inspection_photos)]
    return ReturnView(
        reference=rma.return_reference,
        version=rma.version,
        statuses=[
            Figure("Processing", label(rma.processing_status, CONSOLE_LOCALE)),
            Figure("Delivery", label(rma.delivery_status, CONSOLE_LOCALE)),
            Figure("Refund", financial_label(rma, CONSOLE_LOCALE)),
            Figure("Inspection", label(rma.fulfillment_status, CONSOLE_LOCALE)),
            Figure("Expected resolution", label(rma.expected_resolution, CONSOLE_LOCALE)),
            *([Figure("Waiting for", _WAITS[rma.waiting_for])] if rma.waiting_for else []),
        ],
        customer=[
            Figure("Name", rma.customer.name or "—"),
            Figure("Email", str(rma.customer.email)),
            Figure("Language", rma.customer.locale),
            Figure("Returns opened", str(rma.customer_return_count)),
        ],
        order=[
            Figure("Order", rma.order.number),
            Figure("Ordered", day_words(rma.order.ordered_at)),
            Figure("Delivered", day_words(rma.order.delivered_at)),
            Figure("Requested", moment_words(rma.requested_at or rma.created_at)),
        ],
        lines=lines,
        breakdown=_breakdown(rma, breakdown),
        resolutions=[
            Figure(
                f"{r.method.value.capitalize()}{' (approved)' if r.approved else ''}",
                f"{_money(rma, r.amount)} — {label(r.status, CONSOLE_LOCALE)}",
            )
            for r in rma.financial_resolutions
        ]
        + _replacement(rma),
        suggested_amount=str(_suggested_amount(rma, breakdown)),
        refund_ceiling=_money(rma, breakdown.lines_value),
        shipments=[
            Figure(
                shipment.carrier,
                ", ".join(
                    filter(
                        None,
                        [
                            label(shipment.status, CONSOLE_LOCALE),
                            shipment.tracking_number and f"tracking {shipment.tracking_number}",
                        ],
                    )
                ),
            )
            for shipment in rma.shipments
        ],
        instructions=rma.return_instructions,
        uploads=[
            Figure(upload.upload, f"Refused: {upload.refused}" if upload.refused else "Applied")
            for upload in rma.inspection_uploads
        ],
        log=[_entry(event) for event in events],
        photo_origins=sorted({url_origin(url) for url in urls}),
    )


def _replacement(rma: Rma) -> list[Figure]:
    """An exchange's replacement: what is sent for each line, and where its order stands."""
    if rma.expected_resolution is not ExpectedResolution.REPLACE:
        return []
    sent = ", ".join(
        f"{line.quantity} x {line.exchange.title if line.exchange else 'the same'} for {line.sku}"
        for line in rma.lines
    )
    order = rma.replacement_order
    if order is None:
        state = "not ordered yet"
    elif order.status is ReplacementStatus.ORDERED:
        state = f"order {order.name}"
    elif order.status is ReplacementStatus.DRAFTED:
        state = f"draft order {order.name} created, not yet completed"
    elif order.status is ReplacementStatus.INVOICE_SENT:
        state = f"draft order {order.name}, its invoice for the difference sent to the customer"
    else:
        state = "to be created in the shop by the merchant"
    return [Figure("Replacement", f"{sent} — {state}")]


def shipment_links(rma: Rma) -> list[tuple[str, str]]:
    """(words, URL) of each shipment's tracking page and label, for links."""
    links = []
    for shipment in rma.shipments:
        if shipment.tracking_url:
            links.append((f"Track the parcel with {shipment.carrier}", shipment.tracking_url))
        if shipment.label_url:
            links.append((f"{shipment.carrier} label", shipment.label_url))
    return links


def _line(rma: Rma, line: RmaLine, photo_urls: Mapping[str, str]) -> LineView:
    return LineView(
        sku=line.sku,
        name=line.name,
        quantity=line.quantity,
        unit_price=_money(rma, line.unit_price),
        reason=label(line.reason, CONSOLE_LOCALE),
        comment=line.comment,
        line_state=label(line.line_state, CONSOLE_LOCALE),
        received_quantity=line.received_quantity,
        received=received_in_words(line, CONSOLE_LOCALE) or "Nothing yet",
        photos=_photos(line.photos, photo_urls, f"of {line.name}, from the customer"),
        inspection_notes=line.inspection_notes,
        inspection_photos=_photos(
            line.inspection_photos, photo_urls, f"of {line.name}, from the inspection"
        ),
    )


def _photos(keys: list[str], photo_urls: Mapping[str, str], whose: str) -> list[Photo]:
    return [
        Photo(photo_urls[key], f"Photo {n} {whose}")
        for n, key in enumerate(keys, 1)
        if photo_urls.get(key)
    ]


def _breakdown(rma: Rma, breakdown: RefundBreakdown) -> list[Figure]:
    """The refund the policy gives for what came back; empty until something did."""
    if not any(line.received_quantity for line in rma.lines):
        return []
    return [
        Figure("Items received", _money(rma, breakdown.lines_value)),
        Figure("Deduction for their condition", _money(rma, -breakdown.deductions)),
        Figure("Return fee", _money(rma, -breakdown.return_fee)),
        Figure("Shipping costs kept", _money(rma, -breakdown.retained_for_shipping)),
        Figure("Refund computed", _money(rma, breakdown.amount)),
    ]


def _suggested_amount(rma: Rma, breakdown: RefundBreakdown) -> Decimal:
    pending = [r.amount for r in rma.financial_resolutions if r.status is FinancialStatus.PENDING]
    return pending[-1] if pending else breakdown.amount


def _entry(event: RmaEvent) -> LogEntry:
    before = label(event.from_status, CONSOLE_LOCALE) if event.from_status else None
    after = label(event.to_status, CONSOLE_LOCALE)
    return LogEntry(
        at=moment_words(event.at),
        who=event.actor.display_name,
        via=channel_words(event.actor.channel),
        what=_action_words(event.action),
        change=f"{before} → {after}" if before and before != after else after,
        note=event.note,
    )


def _action_words(action: str) -> str:
    if action in _UPDATES:
        return _UPDATES[action]
    if action in Action.__members__.values():
        return past_tense(Action(action)).capitalize()
    return action.replace("_", " ").capitalize()


def _money(rma: Rma, amount: Decimal) -> str:
    return money(amount, rma.currency, CONSOLE_LOCALE)


def channel_words(channel: Channel) -> str:
    """Through what an action came, as a log entry says it after "via" (empty: its actor
    names it already)."""
    return _CHANNELS[channel]


def day_words(value: object) -> str:
    return f"{value:%d %b %Y}" if value else "—"


def moment_words(value: datetime) -> str:
    return f"{value:%d %b %Y, %H:%M} UTC"


def url_origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
