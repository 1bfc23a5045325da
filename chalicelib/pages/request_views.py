"""Cancellation requests and claims as the merchant console shows them: the list's tabs and
rows (`console/requests.html.j2`), and one request in words with its lines, photos, settlement
and log (`console/request.html.j2`). Pure: the photo links come in as values.

A store credit's code is the shopper's bearer secret: the console shows its last four
characters, as the admin API does, never the code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from chalicelib.domain.labels import label
from chalicelib.domain.order_requests import (
    CLAIM_RESOLUTIONS,
    OrderRequest,
    OrderRequestEntry,
    RequestStatus,
    Settlement,
    ShopCancellation,
)
from chalicelib.domain.statuses import ExpectedResolution, FinancialMethod
from chalicelib.notifications.refund_summary import money
from chalicelib.pages.console_views import (
    CONSOLE_LOCALE,
    Figure,
    LogEntry,
    Photo,
    channel_words,
    day_words,
    moment_words,
    url_origin,
)

# The list's tabs, in the order a request lives them; the first is the list's default.
STATUS_TABS: list[tuple[RequestStatus, str]] = [
    (status, label(status, CONSOLE_LOCALE))
    for status in (
        RequestStatus.OPEN,
        RequestStatus.APPROVED,
        RequestStatus.RESOLVED,
        RequestStatus.REJECTED,
    )
]
# How a claim may be settled, as the accept form offers it.
RESOLUTION_CHOICES: list[tuple[str, str]] = [
    (resolution.value, label(resolution, CONSOLE_LOCALE)) for resolution in CLAIM_RESOLUTIONS
]
_METHODS = {FinancialMethod.REFUND: "Refund", FinancialMethod.VOUCHER: "Store credit"}
_ACTIONS = {
    "request_cancellation": "Cancellation requested",
    "open_claim": "Issue reported",
    "approve": "Accepted",
    "reject": "Refused",
    "carry_out": "Carried out",
    "gorgias_ticket": "Gorgias ticket opened",
}


@dataclass(frozen=True)
class RequestRow:
    reference: str
    kind: str
    issue: str
    order: str
    customer: str
    email: str
    status: str
    created: str


def request_rows(requests: list[OrderRequest]) -> list[RequestRow]:
    return [
        RequestRow(
            reference=request.reference,
            kind=label(request.kind, CONSOLE_LOCALE),
            issue=label(request.issue, CONSOLE_LOCALE) if request.issue else "—",
            order=request.order.number,
            customer=request.customer.name or str(request.customer.email),
            email=str(request.customer.email),
            status=label(request.status, CONSOLE_LOCALE),
            created=moment_words(request.created_at),
        )
        for request in requests
    ]


def next_page_link(status: RequestStatus, cursor: str | None) -> str | None:
    """The query string of the next, older page of `status`; None on the last page."""
    if cursor is None:
        return None
    return "?" + urlencode({"status": status.value, "cursor": cursor})


@dataclass(frozen=True)
class RequestLineView:
    sku: str
    name: str
    quantity: int
    unit_price: str
    value: str
    photos: list[Photo]


@dataclass(frozen=True)
class RequestView:
    reference: str
    title: str
    status: str
    # Only an open request is decided: the page offers its forms.
    decidable: bool
    is_claim: bool
    details: list[Figure]
    customer: list[Figure]
    order: list[Figure]
    lines: list[RequestLineView]
    comment: str | None
    decision_note: str | None
    settlement: list[Figure]
    cancellation: list[Figure]
    log: list[LogEntry]
    # What the accept form's resolution starts with: the shopper's.
    resolution: str
    # The most a claim gives back in money, said next to the amount field.
    claimed_value: str
    currency: str
    photo_origins: list[str]


def request_view(
    request: OrderRequest, log: list[OrderRequestEntry], photo_urls: Mapping[str, str]
) -> RequestView:
    """`request` and its log (oldest first) in words, each photo's key linked through
    `photo_urls` (a photo without a link is left out: no photo storage is configured)."""
    lines = [
        RequestLineView(
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=_money(request, line.unit_price),
            value=_money(request, line.value),
            photos=[
                Photo(photo_urls[key], f"Photo {n} of {line.name}, from the customer")
                for n, key in enumerate(line.photos, 1)
                if photo_urls.get(key)
            ],
        )
        for line in request.lines
    ]
    kind = label(request.kind, CONSOLE_LOCALE)
    return RequestView(
        reference=request.reference,
        title=f"{kind} {request.reference}",
        status=label(request.status, CONSOLE_LOCALE),
        decidable=request.status is RequestStatus.OPEN,
        is_claim=request.is_claim,
        details=[
            Figure("Kind", kind),
            *([Figure("Issue", label(request.issue, CONSOLE_LOCALE))] if request.issue else []),
            *(
                [Figure("Customer asks for", label(request.resolution, CONSOLE_LOCALE))]
                if request.resolution
                else []
            ),
            Figure("Requested", moment_words(request.created_at)),
            *(
                [Figure("Gorgias ticket", str(request.gorgias_ticket_id))]
                if request.gorgias_ticket_id
                else []
            ),
        ],
        customer=[
            Figure("Name", request.customer.name or "—"),
            Figure("Email", str(request.customer.email)),
            Figure("Language", request.customer.locale),
        ],
        order=[
            Figure("Order", request.order.number),
            Figure("Ordered", day_words(request.order.ordered_at)),
            Figure("Delivered", day_words(request.order.delivered_at)),
        ],
        lines=lines,
        comment=request.comment,
        decision_note=request.decision_note,
        settlement=_settlement(request, request.settlement) if request.settlement else [],
        cancellation=_cancellation(request.cancellation) if request.cancellation else [],
        log=[_entry(entry) for entry in log],
        resolution=(request.resolution or ExpectedResolution.REFUND).value,
        claimed_value=_money(request, request.claimed_value),
        currency=request.currency,
        photo_origins=sorted({url_origin(p.url) for line in lines for p in line.photos}),
    )


def _settlement(request: OrderRequest, settlement: Settlement) -> list[Figure]:
    figures = [Figure("Settled by", label(settlement.resolution, CONSOLE_LOCALE))]
    if settlement.method is not None:
        figures += [
            Figure("Method", _METHODS[settlement.method]),
            Figure("Amount", _money(request, settlement.amount)),
            Figure("Payment", label(settlement.status, CONSOLE_LOCALE)),
        ]
    if settlement.reference:
        figures.append(Figure("Payment reference", settlement.reference))
    if settlement.voucher_code:
        figures.append(Figure("Store credit code", f"ending {settlement.voucher_code[-4:]}"))
    if settlement.replacement_order is not None:
        order = settlement.replacement_order
        words = order.name or "to be created in the shop by the merchant"
        figures.append(Figure("Replacement order", words))
    if settlement.explanation:
        figures.append(Figure("Why", settlement.explanation))
    return figures


def _cancellation(cancellation: ShopCancellation) -> list[Figure]:
    if cancellation.in_shop:
        asked = (("refunded", cancellation.refund), ("restocked", cancellation.restock))
        done = " and ".join(word for word, chosen in asked if chosen)
        outcome = f"Canceled in the shop{', ' + done if done else ''}"
    else:
        outcome = "Left to the team to cancel in the shop"
    figures = [Figure("Outcome", outcome)]
    if cancellation.job_id:
        figures.append(Figure("Shop's job", cancellation.job_id))
    if cancellation.note:
        figures.append(Figure("Note", cancellation.note))
    return figures


def _entry(entry: OrderRequestEntry) -> LogEntry:
    before = label(entry.from_status, CONSOLE_LOCALE) if entry.from_status else None
    after = label(entry.to_status, CONSOLE_LOCALE)
    return LogEntry(
        at=moment_words(entry.at),
        who=entry.actor.display_name,
        via=channel_words(entry.actor.channel),
        what=_ACTIONS.get(entry.action) or entry.action.replace("_", " ").capitalize(),
        change=f"{before} → {after}" if before and before != after else after,
        note=entry.note,
    )


def _money(request: OrderRequest, amount: Decimal) -> str:
    return money(amount, request.currency, CONSOLE_LOCALE)
