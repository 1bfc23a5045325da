"""The admin API's models of outgoing webhooks: the merchant's endpoints and their deliveries.
An endpoint's signing secret is answered only where it is made (creating the endpoint, rotating
its secret): never in a listing or a read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from chalicelib.api.models.common import RequestModel, ResponseModel
from chalicelib.domain.rma import LongText, ShortText
from chalicelib.domain.webhooks import (
    EVENT_TYPES,
    Url,
    WebhookDelivery,
    WebhookEndpoint,
)

_EVENTS_DESCRIPTION = f"Event types to deliver, among: {', '.join(EVENT_TYPES)}."
EventTypes = Annotated[
    list[ShortText], Field(min_length=1, max_length=50, description=_EVENTS_DESCRIPTION)
]
HttpsUrl = Annotated[
    Url, Field(description="Where deliveries are POSTed: https, port 443, a public address.")
]


class CreateWebhookEndpointRequest(RequestModel):
    url: HttpsUrl
    events: EventTypes
    description: LongText | None = None


class UpdateWebhookEndpointRequest(RequestModel):
    """Only the fields given change; `description: null` removes it. `enabled: true` on a
    disabled endpoint enables it again, forgetting why it was disabled."""

    url: HttpsUrl | None = None
    events: EventTypes | None = None
    description: LongText | None = None
    enabled: bool | None = None
    version: Annotated[
        int | None,
        Field(ge=1, description="The version read: refused (409) if the endpoint changed since."),
    ] = None

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateWebhookEndpointRequest:
        given = self.model_fields_set - {"version"}
        if not given:
            raise ValueError("give at least one of url, events, description, enabled")
        nulls = sorted(name for name in given - {"description"} if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set - {"version"}}


class ListDeliveriesQuery(RequestModel):
    limit: Annotated[int, Field(ge=1, le=100)] = 25
    cursor: Annotated[str | None, StringConstraints(max_length=2000)] = None


class WebhookEndpointResource(ResponseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    # The first failed attempt since the last delivered one; null while deliveries succeed.
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def from_endpoint(cls, endpoint: WebhookEndpoint) -> WebhookEndpointResource:
        return cls.model_validate(endpoint.model_dump(exclude={"secrets"}))


class CreatedWebhookEndpointResource(WebhookEndpointResource):
    secret: Annotated[
        str, Field(description="The signing secret (whsec_...): shown this once, keep it.")
    ]

    @classmethod
    def from_new_endpoint(cls, endpoint: WebhookEndpoint) -> CreatedWebhookEndpointResource:
        return cls.model_validate(
            {**endpoint.model_dump(exclude={"secrets"}), "secret": endpoint.secrets[0].value}
        )


class WebhookEndpointListResponse(ResponseModel):
    items: list[WebhookEndpointResource]


class DeletedWebhookEndpointResponse(ResponseModel):
    id: str
    deleted: Literal[True] = True


class RotatedSecretResponse(ResponseModel):
    secret: Annotated[
        str, Field(description="The new signing secret (whsec_...): shown this once, keep it.")
    ]
    previous_secret_expires_at: Annotated[
        datetime, Field(description="Until then, deliveries carry a signature of the old one too.")
    ]


class DeliveryAttemptResource(ResponseModel):
    at: datetime
    # null when no answer came (no connection, a timeout, a refused target).
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookDeliveryResource(ResponseModel):
    id: Annotated[str, Field(description="The `webhook-id` header of each attempt.")]
    event_type: str
    event_id: str | None
    # The return the event is about, or the cancellation request or claim.
    rma_reference: str | None
    request_reference: str | None
    # The values of domain.webhooks.DeliveryStatus, under a name of their own: the returns'
    # DeliveryStatus (their parcel's) already has that name in the OpenAPI document.
    status: Literal["PENDING", "DELIVERED", "FAILED"]
    attempt_count: int
    attempts: Annotated[
        list[DeliveryAttemptResource], Field(description="The latest attempts, oldest first.")
    ]
    created_at: datetime
    next_attempt_at: datetime | None

    @classmethod
    def from_delivery(cls, delivery: WebhookDelivery) -> WebhookDeliveryResource:
        return cls.model_validate(delivery.model_dump(exclude={"payload", "endpoint_id"}))


class WebhookDeliveryPageResponse(ResponseModel):
    items: list[WebhookDeliveryResource]
    next_cursor: str | None
