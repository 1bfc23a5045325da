"""The models of the webhooks the shop sends: what Shopify is answered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from chalicelib.api.models.common import ResponseModel

if TYPE_CHECKING:
    from chalicelib.services.shopify_webhooks import WebhookOutcome


class WebhookReceipt(ResponseModel):
    """What became of a webhook: `recorded`, `unchanged` (a duplicate, or older than what is
    stored) or `ignored` (with the reason)."""

    status: Literal["recorded", "unchanged", "ignored"]
    order: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, outcome: WebhookOutcome) -> WebhookReceipt:
        return cls(status=outcome.status, order=outcome.order, reason=outcome.reason)
