"""The models of the Gorgias HTTP integrations: the sidebar widget and its Approve and Reject
actions. Gorgias admins write the bodies by hand in its template language: extra keys are
ignored, and a variable that renders empty is taken as absent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, EmailStr, Field, StringConstraints

from chalicelib.api.models.common import (
    LabelledStatuses,
    LenientRequestModel,
    ResponseModel,
    Tracking,
    labelled_statuses,
    photo_links,
)
from chalicelib.domain.labels import label, received_in_words
from chalicelib.domain.rma import LongText, Rma, ShortText
from chalicelib.domain.statuses import ProductState, ReturnReason


def _blank_as_none(value: Any) -> Any:
    """Gorgias renders a template variable with no value as an empty string."""
    return None if isinstance(value, str) and not value.strip() else value


Optional = BeforeValidator(_blank_as_none)
PositiveId = Annotated[int, Field(gt=0)]
TypedReference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
]

# --- what Gorgias sends ----------------------------------------------------------------------


class WidgetQuery(LenientRequestModel):
    email: EmailStr
    locale: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2}([-_][a-zA-Z]{2})?$")] = "en"


class GorgiasAgentPayload(LenientRequestModel):
    id: Annotated[PositiveId | None, Optional] = None
    email: Annotated[EmailStr | None, Optional] = None
    name: Annotated[ShortText | None, Optional] = None


class GorgiasDecisionRequest(LenientRequestModel):
    """Body of the Approve / Reject actions."""

    rma: TypedReference
    ticket_id: Annotated[PositiveId | None, Optional] = None
    # A factory, not an instance: building one at import would build its validator too.
    agent: GorgiasAgentPayload = Field(default_factory=GorgiasAgentPayload)
    reason: Annotated[LongText | None, Optional] = None
    note: Annotated[LongText | None, Optional] = None

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


class WidgetReturn(LabelledStatuses):
    """One return as a Gorgias sidebar widget shows it: flat, labels beside values."""

    id: str
    reference: str
    created_at: datetime
    order_number: str
    items_summary: str
    items: list[WidgetItem]
    tracking: Tracking | None

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
            items_summary=", ".join(f"{i.quantity} x {i.name} ({i.reason_label})" for i in items),
            items=items,
            tracking=Tracking.from_shipment(shipment, locale) if shipment else None,
        )


class WidgetCustomer(ResponseModel):
    email: str


class WidgetResponse(ResponseModel):
    customer: WidgetCustomer
    returns: list[WidgetReturn]
    total: int


class DecisionResponse(ResponseModel):
    """What an agent reads after clicking Approve or Reject."""

    message: str
    note: str
    rma: WidgetReturn
