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
            f"Return {reference} was changed by someone else at the same time; reload and retry.",
            {"reference": reference},
        )


class DependencyUnavailableError(ReturnsDeskError):
    code = "dependency_unavailable"


class TransientError(Exception):
    """A lifecycle step may succeed if tried again (a lost race, a throttled call). The state
    machine retries errors of this name, with backoff."""


class DecisionNeeded(Exception):
    """The lifecycle meant to approve a return automatically, but a person put it on hold: it
    goes back to waiting for a decision (caught by name in the state machine)."""


class ParcelOverdueError(Exception):
    """The parcel delay ran out on a return that cannot simply expire (partly received, or on
    hold): a person has to look at it."""
