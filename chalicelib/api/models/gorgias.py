"""The models of the Gorgias HTTP integrations: the sidebar widget (the customer's returns, and
their cancellation requests and claims) and its Approve and Reject actions. Gorgias admins write
the bodies by hand in its template language: extra keys are ignored, and a variable that renders
empty is taken as absent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, EmailStr, Field, StringConstraints, model_validator

from chalicelib.api.models.common import (
    LabelledStatuses,
    LenientRequestModel,
    ResponseModel,
    Tracking,
    labelled_statuses,
    photo_links,
)
from chalicelib.domain.labels import label, language, received_in_words
from chalicelib.domain.order_requests import (
    CLAIM_RESOLUTIONS,
    TERMINAL_REQUEST_STATUSES,
    ClaimIssue,
    OrderRequest,
    OrderRequestKind,
    RequestStatus,
)
from chalicelib.domain.rma import LongText, Rma, ShortText
from chalicelib.domain.statuses import ExpectedResolution, ProductState, ReturnReason
from chalicelib.domain.transitions import TERMINAL_STATUSES
from chalicelib.services.links import console_link


def _blank_as_none(value: Any) -> Any:
    """Gorgias renders a template variable with no value as an empty string."""
    return None if isinstance(value, str) and not value.strip() else value


def _unrendered_as_none(value: Any) -> Any:
    """A `{{variable}}` left as written (a button tried outside a ticket) is no value either."""
    return None if isinstance(value, str) and "{{" in value else value


Optional = BeforeValidator(_blank_as_none)
PositiveId = Annotated[int, Field(gt=0)]
TypedReference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
]

# --- what Gorgias sends ----------------------------------------------------------------------


def _email_as_sent(value: Any) -> Any:
    """An email as a Gorgias template renders it into a URL: empty for anonymous chats and
    SMS (taken as absent), and with its `+` turned into a space when the URL was not encoded."""
    value = _blank_as_none(value)
    return value.strip().replace(" ", "+") if isinstance(value, str) else value


def _supported_locale(value: Any) -> Any:
    """`{{ticket.language}}` is whatever Gorgias detected ("fr", "en-US", "", "und"...): a
    language the labels exist in, English otherwise."""
    return language(value) if isinstance(value, str) else value


def _resolution_as_chosen(value: Any) -> Any:
    """A claim's settlement as the button's dropdown sends it: its label in English or French
    ("Store credit", "Avoir") or its value (`VOUCHER`), whatever the case."""
    if not isinstance(value, str):
        return value
    typed = value.strip().casefold()
    for resolution in CLAIM_RESOLUTIONS:
        names = {resolution.value, label(resolution, "en"), label(resolution, "fr")}
        if typed in {name.casefold() for name in names}:
            return resolution
    return value


ClaimResolution = Literal[
    ExpectedResolution.REFUND, ExpectedResolution.VOUCHER, ExpectedResolution.REPLACE
]


class WidgetQuery(LenientRequestModel):
    # None: the ticket has no customer email; the widget shows no returns rather than failing
    # (Gorgias disables an integration after 100 failures in a row).
    email: Annotated[EmailStr | None, BeforeValidator(_email_as_sent)] = None
    locale: Annotated[str, BeforeValidator(_supported_locale)] = "en"


class GorgiasDecisionRequest(LenientRequestModel):
    """Body of the Approve / Reject buttons of the widget: form-encoded as Gorgias's action
    buttons send it (`agent_email` = `{{current_user.email}}`), or JSON with the agent nested
    (`{"agent": {"id", "email", "name"}}`). Numbers may come as strings, and a template value
    that rendered empty (or not at all) counts as absent.

    `rma` is the reference the agent typed: a return's, or a cancellation request's or a
    claim's (`C-000004`); the key keeps its name so that buttons made before still work."""

    rma: TypedReference
    ticket_id: Annotated[PositiveId | None, Optional, BeforeValidator(_unrendered_as_none)] = None
    agent_id: Annotated[PositiveId | None, Optional, BeforeValidator(_unrendered_as_none)] = None
    agent_email: Annotated[EmailStr | None, Optional, BeforeValidator(_unrendered_as_none)] = None
    agent_name: Annotated[ShortText | None, Optional, BeforeValidator(_unrendered_as_none)] = None
    reason: Annotated[LongText | None, Optional] = None
    note: Annotated[LongText | None, Optional] = None
    # Approving a claim: settle it otherwise than the shopper asked (blank: as she asked).
    resolution: Annotated[
        ClaimResolution | None,
        Optional,
        BeforeValidator(_unrendered_as_none),
        BeforeValidator(_resolution_as_chosen),
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _agent_from_nested_object(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("agent"), dict):
            agent = data["agent"]
            data = {**data}
            for key in ("id", "email", "name"):
                data.setdefault(f"agent_{key}", agent.get(key))
        return data

    @property
    def explanation(self) -> str | None:
        return self.reason or self.note


# --- what it is answered ---------------------------------------------------------------------


class WidgetItem(ResponseModel):
    sku: str
    name: str
    quantity: int
    reason: ReturnReason
    reason_label: str
    # S3 keys of the shopper's uploaded photos of this item, and a link to each.
    photos: list[str] = []
    photo_urls: list[str] = []
    received_quantity: int = 0
    # The units received in each state, and the same in words.
    received_states: dict[ProductState, int] = {}
    received_label: str = ""
    # An exchange: the variant sent instead of this item ("Navy / L"); None: the same again.
    exchange_title: str | None = None


class WidgetReturn(LabelledStatuses):
    """One return as a Gorgias sidebar widget shows it: flat, labels beside values."""

    id: str
    reference: str
    created_at: datetime
    order_number: str
    items_summary: str
    items: list[WidgetItem]
    tracking: Tracking | None
    # The return in the merchant console (CONSOLE_URL), for an agent to click; None unset.
    console_url: str | None = None

    @classmethod
    def from_rma(cls, rma: Rma, locale: str = "en") -> WidgetReturn:
        items = [
            WidgetItem(
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                reason=line.reason,
                reason_label=label(line.reason, locale),
                photos=line.photos,
                photo_urls=photo_links(line.photos),
                received_quantity=line.received_quantity,
                received_states=line.received_states,
                received_label=received_in_words(line, locale),
                exchange_title=line.exchange.title if line.exchange else None,
            )
            for line in rma.lines
        ]
        shipment = rma.latest_shipment
        return cls(
            id=rma.id,
            reference=rma.return_reference,
            **labelled_statuses(rma, locale),
            created_at=rma.created_at,
            order_number=rma.order.number,
            items_summary=", ".join(
                f"{i.quantity} x {i.name} ({i.reason_label})"
                + (f" for {i.exchange_title}" if i.exchange_title else "")
                for i in items
            ),
            items=items,
            tracking=Tracking.from_shipment(shipment, locale) if shipment else None,
            console_url=console_link(rma.return_reference),
        )


class WidgetRequestLine(ResponseModel):
    sku: str
    name: str
    quantity: int
    # A link to each photo the shopper sent of this line (a damage), signed anew each time.
    photo_urls: list[str] = []


class WidgetRequest(ResponseModel):
    """A cancellation request or a claim as the sidebar shows it: flat, labels beside values.
    A store credit's code is the shopper's to spend: the settlement names its last four
    characters only."""

    reference: str
    kind: OrderRequestKind
    kind_label: str
    status: RequestStatus
    status_label: str
    order_number: str
    # Claims: what went wrong, to which lines, and what the shopper asked for.
    issue: ClaimIssue | None
    issue_label: str
    items_summary: str
    lines: list[WidgetRequestLine]
    resolution: ExpectedResolution | None
    resolution_label: str
    comment: str | None
    # The agent's words: a refusal's reason is what the shopper was told.
    decision_note: str | None
    # "store credit of 39.60 EUR, issued (code ending 7KQ2)"; "" until a claim is approved.
    settlement: str
    created_at: datetime
    # The request in the merchant console (CONSOLE_URL), for an agent to click; None unset.
    console_url: str | None = None

    @classmethod
    def from_request(cls, request: OrderRequest, locale: str = "en") -> WidgetRequest:
        from chalicelib.domain.request_ticket_notes import settlement_summary

        return cls(
            reference=request.reference,
            kind=request.kind,
            kind_label=label(request.kind, locale),
            status=request.status,
            status_label=label(request.status, locale),
            order_number=request.order.number,
            issue=request.issue,
            issue_label=label(request.issue, locale) if request.issue else "",
            items_summary=", ".join(f"{line.quantity} x {line.name}" for line in request.lines),
            lines=[
                WidgetRequestLine(
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    photo_urls=photo_links(line.photos),
                )
                for line in request.lines
            ],
            resolution=request.resolution,
            resolution_label=label(request.resolution, locale) if request.resolution else "",
            comment=request.comment,
            decision_note=request.decision_note,
            settlement=settlement_summary(request.settlement, request.currency)
            if request.settlement
            else "",
            created_at=request.created_at,
            console_url=console_link(request.reference),
        )


class WidgetCustomer(ResponseModel):
    email: str | None


class WidgetResponse(ResponseModel):
    customer: WidgetCustomer
    returns: list[WidgetReturn]
    total: int
    # How many of the customer's returns are open, as the widget can tell from the ones it
    # shows (open ones come first): "2", or "5+" when every return shown is open.
    open: str = "0"
    # The customer's latest cancellation requests and claims, open ones first, and how many
    # of those are open, counted alike.
    requests: list[WidgetRequest] = []
    open_requests: str = "0"

    @classmethod
    def of(
        cls,
        email: str | None,
        returns: list[WidgetReturn],
        total: int,
        size: int,
        requests: list[WidgetRequest] | None = None,
        more_requests: bool = False,
    ) -> WidgetResponse:
        open_count = sum(1 for r in returns if r.status not in TERMINAL_STATUSES)
        more = open_count == len(returns) == size and total > size
        shown = requests or []
        open_requests = sum(1 for r in shown if r.status not in TERMINAL_REQUEST_STATUSES)
        more_open = more_requests and open_requests == len(shown)
        return cls(
            customer=WidgetCustomer(email=email),
            returns=returns,
            total=total,
            open=f"{open_count}+" if more else str(open_count),
            requests=shown,
            open_requests=f"{open_requests}+" if more_open else str(open_requests),
        )


class DecisionResponse(ResponseModel):
    """What an agent reads after clicking Approve or Reject: the return or the request
    decided (the other is null)."""

    message: str
    note: str
    rma: WidgetReturn | None = None
    request: WidgetRequest | None = None
