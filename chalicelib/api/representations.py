"""How RMAs look on the wire: flat and labelled for the Gorgias widget, complete for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.labels import label, received_in_words
from chalicelib.domain.rma import Rma, RmaEvent, Shipment
from chalicelib.domain.statuses import (
    DeliveryStatus,
    ExpectedResolution,
    FinancialStatus,
    FulfillmentStatus,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)


class ResponseModel(BaseModel):
    model_config = ConfigDict(defer_build=True)


def labelled_statuses(rma: Rma, locale: str) -> dict[str, Any]:
    """The four statuses and the expected resolution, each with its label in `locale`: the
    fields every view of a return for people (agents, shoppers) shows alike."""
    return {
        "status": rma.processing_status,
        "status_label": label(rma.processing_status, locale),
        "delivery_status": rma.delivery_status,
        "delivery_status_label": label(rma.delivery_status, locale),
        "financial_status": rma.financial_status,
        "financial_status_label": label(rma.financial_status, locale),
        "fulfillment_status": rma.fulfillment_status,
        "fulfillment_status_label": label(rma.fulfillment_status, locale),
        "expected_resolution": rma.expected_resolution,
        "expected_resolution_label": label(rma.expected_resolution, locale),
    }


def photo_links(keys: list[str]) -> list[str]:
    """A short-lived link to each uploaded photo, for an agent to click; none when the returns
    bucket is not configured. Signed locally: no call to S3."""
    if not keys:
        return []
    from chalicelib.errors import DependencyUnavailableError
    from chalicelib.services import container

    try:
        store = container.photo_store()
    except DependencyUnavailableError:
        return []
    return [store.view_url(key) for key in keys]


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


class WidgetTracking(ResponseModel):
    carrier: str
    number: str | None
    url: str | None
    status: DeliveryStatus
    status_label: str

    @classmethod
    def from_shipment(cls, shipment: Shipment, locale: str) -> WidgetTracking:
        return cls(
            carrier=shipment.carrier,
            number=shipment.tracking_number,
            url=shipment.tracking_url,
            status=shipment.status,
            status_label=label(shipment.status, locale),
        )


class LabelledStatuses(ResponseModel):
    """The four statuses and the expected resolution, each with its label: what every view of a
    return for people shows alike (`labelled_statuses` fills them)."""

    status: ProcessingStatus
    status_label: str
    delivery_status: DeliveryStatus
    delivery_status_label: str
    financial_status: FinancialStatus
    financial_status_label: str
    fulfillment_status: FulfillmentStatus
    fulfillment_status_label: str
    expected_resolution: ExpectedResolution
    expected_resolution_label: str


class WidgetReturn(LabelledStatuses):
    """One return as a Gorgias sidebar widget shows it: flat, labels beside values."""

    id: str
    reference: str
    created_at: datetime
    order_number: str
    items_summary: str
    items: list[WidgetItem]
    tracking: WidgetTracking | None

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
            tracking=WidgetTracking.from_shipment(shipment, locale) if shipment else None,
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


class RmaResource(Rma):
    """The complete RMA for the admin API, with the label of each status beside it."""

    status_labels: dict[str, str]
    # A short-lived link to each uploaded photo, by SKU.
    photo_urls: dict[str, list[str]] = {}
    # The lifecycle's task token resumes a step: a capability, not information. Kept inside.
    task_token: str | None = Field(default=None, exclude=True)

    @classmethod
    def from_rma(cls, rma: Rma) -> RmaResource:
        return cls(
            **dict(rma),
            status_labels={
                "processing": label(rma.processing_status),
                "delivery": label(rma.delivery_status),
                "financial": label(rma.financial_status),
                "fulfillment": label(rma.fulfillment_status),
            },
            photo_urls={line.sku: photo_links(line.photos) for line in rma.lines if line.photos},
        )


class RmaPageResponse(ResponseModel):
    items: list[RmaResource]
    next_cursor: str | None


class RmaEventsResponse(ResponseModel):
    rma_id: str
    reference: str
    events: list[RmaEvent]
