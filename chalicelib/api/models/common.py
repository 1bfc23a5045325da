"""What every audience shares: the base classes of bodies and answers, the error envelope, the
health check's answer, and the labelled statuses that people (agents, shoppers) read."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.labels import financial_label, label
from chalicelib.domain.rma import Rma, Shipment
from chalicelib.domain.statuses import (
    DeliveryStatus,
    ExpectedResolution,
    FinancialStatus,
    FulfillmentStatus,
    ProcessingStatus,
)

# The images a shopper may upload (a return's items, a claim's damage).
PhotoType = Literal["image/jpeg", "image/png", "image/webp", "image/heic"]


class RequestModel(BaseModel):
    """A body or query string: unknown fields are refused, naming them."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class EmptyRequest(RequestModel):
    """An action that takes no options: no body, or an empty JSON object."""


class LenientRequestModel(BaseModel):
    """For what Gorgias sends: its admins write these bodies by hand, extra keys included."""

    model_config = ConfigDict(extra="ignore", defer_build=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(defer_build=True)


class ErrorDetail(ResponseModel):
    code: str
    message: str
    details: dict[str, Any]


# Built by api/errors.py as a plain dict; the model describes it in the OpenAPI document.
class ErrorEnvelope(ResponseModel):
    """How every error is answered."""

    error: ErrorDetail


class HealthResponse(ResponseModel):
    status: Literal["ok"]


def labelled_statuses(rma: Rma, locale: str) -> dict[str, Any]:
    """The four statuses and the expected resolution, each with its label in `locale`: the
    fields every view of a return for people (agents, shoppers) shows alike."""
    return {
        "status": rma.processing_status,
        "status_label": label(rma.processing_status, locale),
        "delivery_status": rma.delivery_status,
        "delivery_status_label": label(rma.delivery_status, locale),
        "financial_status": rma.financial_status,
        # An exchange reads "Replacement" where a refund would read "Refund pending".
        "financial_status_label": financial_label(rma, locale),
        "fulfillment_status": rma.fulfillment_status,
        "fulfillment_status_label": label(rma.fulfillment_status, locale),
        "expected_resolution": rma.expected_resolution,
        "expected_resolution_label": label(rma.expected_resolution, locale),
    }


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


class Tracking(ResponseModel):
    """The parcel on its way back, as agents and shoppers follow it."""

    carrier: str
    number: str | None
    url: str | None
    status: DeliveryStatus
    status_label: str

    @classmethod
    def from_shipment(cls, shipment: Shipment, locale: str) -> Tracking:
        return cls(
            carrier=shipment.carrier,
            number=shipment.tracking_number,
            url=shipment.tracking_url,
            status=shipment.status,
            status_label=label(shipment.status, locale),
        )


def photo_links(keys: list[str], expires_in: int | None = None) -> list[str]:
    """A short-lived link to each uploaded photo, for an agent to click (valid `expires_in`
    seconds, the photo store's default otherwise); none when the returns bucket is not
    configured. Signed locally: no call to S3."""
    if not keys:
        return []
    from chalicelib.errors import DependencyUnavailableError
    from chalicelib.services import container

    try:
        store = container.photo_store()
    except DependencyUnavailableError:
        return []
    if expires_in is None:
        return [store.view_url(key) for key in keys]
    return [store.view_url(key, expires_in) for key in keys]
