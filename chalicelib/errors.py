"""Every error returns-desk raises on purpose. The API maps them to HTTP in one place."""

from __future__ import annotations

from typing import Any

# Both modules hold only enumerations and tables: importing errors stays cheap and cycle-free.
from chalicelib.domain.labels import in_words
from chalicelib.domain.statuses import ProcessingStatus


class ReturnsDeskError(Exception):
    """Base class: a stable machine `code`, a sentence for people, and structured details."""

    code = "error"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidRequestError(ReturnsDeskError):
    code = "invalid_request"


class LinesNotReturnableError(ReturnsDeskError):
    """Requested lines break the return policy; `details.lines` says which and why."""

    code = "lines_not_returnable"


class UnsupportedMediaTypeError(ReturnsDeskError):
    code = "unsupported_media_type"


class AuthenticationError(ReturnsDeskError):
    code = "unauthorized"


class ForbiddenError(ReturnsDeskError):
    code = "forbidden"


class NotFoundError(ReturnsDeskError):
    code = "not_found"


class RmaNotFoundError(NotFoundError):
    code = "rma_not_found"

    def __init__(self, typed: str) -> None:
        super().__init__(f"No return matches '{typed}'.", {"rma": typed})


class InvalidTransitionError(ReturnsDeskError):
    """A move the return's processing status does not allow. The message says the status in
    words for the agent who reads it; `details.current_status` gives it as it is, for machines."""

    code = "invalid_transition"

    def __init__(self, reference: str, current: ProcessingStatus, action: str) -> None:
        super().__init__(
            f"Return {reference} is {in_words(current)}; it cannot be {action}.",
            {"reference": reference, "current_status": current, "action": action},
        )


class ConcurrentModificationError(ReturnsDeskError):
    code = "concurrent_modification"

    def __init__(self, reference: str) -> None:
        super().__init__(
            f"{reference} was changed by someone else at the same time; reload and retry.",
            {"reference": reference},
        )


class DependencyUnavailableError(ReturnsDeskError):
    code = "dependency_unavailable"


class RefundDeclinedError(ReturnsDeskError):
    """The shop or payment provider refused a refund a person approved, for good: the return
    is now an execution error, for a person to settle (in the shop, then here)."""

    code = "refund_declined"

    def __init__(self, reference: str, reason: str) -> None:
        super().__init__(
            f"The refund of return {reference} was declined: {reason}",
            {"reference": reference},
        )


class TransientError(Exception):
    """A lifecycle step may succeed if tried again (a lost race, a throttled call). The state
    machine retries errors of this name, with backoff."""


class DecisionNeeded(Exception):
    """The lifecycle meant to approve a return automatically, but a person put it on hold: it
    goes back to waiting for a decision (caught by name in the state machine)."""


class ParcelOverdueError(Exception):
    """The parcel delay ran out on a return that cannot simply expire (partly received, or on
    hold): a person has to look at it."""


class UnitsAlreadyClaimedError(ReturnsDeskError):
    """Units of an order line that another live return claimed in the meantime."""

    code = "units_already_claimed"

    def __init__(self, skus: list[str]) -> None:
        super().__init__(
            f"These items are already being returned or reported: {', '.join(skus)}.",
            {"skus": skus},
        )
        self.skus = skus


class StoredDataError(Exception):
    """A stored item no longer reads as the model it holds: a fault on our side, never the
    caller's. Raised with the item's key, never its values (they may be a shopper's)."""

    def __init__(self, key: str, problems: str) -> None:
        super().__init__(f"Stored item {key} is unreadable: {problems}")
        self.key = key
        self.problems = problems


class PhotoLimitReachedError(ReturnsDeskError):
    """A line already keeps as many photos as it may."""

    code = "photo_limit_reached"


class PayloadTooLargeError(ReturnsDeskError):
    """A request body over what its route reads at all: refused before any of it is used."""

    code = "payload_too_large"

    def __init__(self, max_bytes: int, received_bytes: int) -> None:
        super().__init__(
            f"The request body is larger than {max_bytes} bytes.",
            {"field": "body", "max_bytes": max_bytes, "received_bytes": received_bytes},
        )


class PreconditionRequiredError(ReturnsDeskError):
    """A change that must say which version it was made from did not (HTTP 428): without it,
    it could silently undo someone else's."""

    code = "precondition_required"


class WebhookEndpointNotFoundError(NotFoundError):
    code = "webhook_endpoint_not_found"

    def __init__(self, endpoint_id: str) -> None:
        super().__init__(f"No webhook endpoint has the id '{endpoint_id}'.", {"id": endpoint_id})


class WebhookDeliveryNotFoundError(NotFoundError):
    code = "webhook_delivery_not_found"

    def __init__(self, endpoint_id: str, delivery_id: str) -> None:
        super().__init__(
            f"Webhook endpoint '{endpoint_id}' has no delivery '{delivery_id}'.",
            {"id": endpoint_id, "delivery_id": delivery_id},
        )


class WebhookEndpointChangedError(ConcurrentModificationError):
    """The endpoint changed since it was read: an edit, or the deliveries' own record of it
    failing or being disabled."""

    def __init__(self, endpoint_id: str) -> None:
        ReturnsDeskError.__init__(
            self,
            f"Webhook endpoint {endpoint_id} changed meanwhile; reload it and retry.",
            {"id": endpoint_id},
        )


class WebhookEndpointDisabledError(ReturnsDeskError):
    """A delivery asked of a disabled endpoint: it sends nothing until it is enabled again."""

    code = "webhook_endpoint_disabled"

    def __init__(self, endpoint_id: str) -> None:
        super().__init__(
            f"Webhook endpoint {endpoint_id} is disabled; enable it before retrying a delivery.",
            {"id": endpoint_id},
        )


class WebhookEndpointLimitError(ReturnsDeskError):
    code = "webhook_endpoint_limit_reached"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"A deployment has at most {limit} webhook endpoints; delete one first.",
            {"limit": limit},
        )


class OrderRequestNotFoundError(NotFoundError):
    code = "request_not_found"

    def __init__(self, typed: str) -> None:
        super().__init__(f"No cancellation request or claim matches '{typed}'.", {"request": typed})


class OrderRequestNotAllowedError(ReturnsDeskError):
    """The policy does not let the shopper make this request now: `details.reason_code` says
    which rule, `message` says why in the shopper's language. A 409 for a cancellation (the
    order's state refuses it), a 422 for a claim (what was asked for is refused)."""

    def __init__(self, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(message, details)
        self.code = code


class CancellationNotAllowedError(OrderRequestNotAllowedError):
    code = "cancellation_not_allowed"

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__("cancellation_not_allowed", message, details)


class ClaimNotAllowedError(OrderRequestNotAllowedError):
    code = "claim_not_allowed"

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__("claim_not_allowed", message, details)


class RequestStateError(ReturnsDeskError):
    """A decision the request's status no longer allows (decided already, by someone else)."""

    code = "invalid_transition"
