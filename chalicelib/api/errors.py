"""The one mapping from errors to HTTP answers. Every error is answered
`{"error": {"code", "message", "details"}}`: a refusal says what the caller can fix, and a fault
on our side is a 500 that says nothing but is logged with its stack trace."""

from __future__ import annotations

from typing import Any

from chalice import Response
from pydantic import ValidationError

from chalicelib.errors import (
    AuthenticationError,
    CancellationNotAllowedError,
    ClaimNotAllowedError,
    ConcurrentModificationError,
    DependencyUnavailableError,
    ForbiddenError,
    InvalidRequestError,
    InvalidTransitionError,
    LinesNotReturnableError,
    NotFoundError,
    PayloadTooLargeError,
    PhotoLimitReachedError,
    PreconditionRequiredError,
    RefundDeclinedError,
    RequestStateError,
    ReturnsDeskError,
    StoredDataError,
    UnitsAlreadyClaimedError,
    UnsupportedMediaTypeError,
    WebhookEndpointDisabledError,
    WebhookEndpointLimitError,
)
from chalicelib.observability import logger

JSON_HEADERS = {"Content-Type": "application/json"}

_STATUS_BY_ERROR: dict[type[ReturnsDeskError], int] = {
    InvalidRequestError: 400,
    AuthenticationError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    InvalidTransitionError: 409,
    LinesNotReturnableError: 422,
    ConcurrentModificationError: 409,
    UnitsAlreadyClaimedError: 422,
    PhotoLimitReachedError: 409,
    UnsupportedMediaTypeError: 415,
    PayloadTooLargeError: 413,
    PreconditionRequiredError: 428,
    DependencyUnavailableError: 503,
    RefundDeclinedError: 422,
    WebhookEndpointDisabledError: 409,
    WebhookEndpointLimitError: 409,
    CancellationNotAllowedError: 409,
    ClaimNotAllowedError: 422,
    RequestStateError: 409,
}


def error_response(
    status_code: int, code: str, message: str, details: dict[str, Any] | None = None
) -> Response:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    headers = dict(JSON_HEADERS)
    if status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="returns-desk"'
    if status_code == 503:
        headers["Retry-After"] = str((details or {}).get("retry_after_seconds", 5))
    return Response(body=body, status_code=status_code, headers=headers)


def response_for(error: Exception) -> Response:
    """The answer to `error`, raised while a route answered."""
    if isinstance(error, ValidationError):
        return _validation_error_response(error)
    if isinstance(error, ReturnsDeskError):
        status = next(s for cls, s in _STATUS_BY_ERROR.items() if isinstance(error, cls))
        return error_response(status, error.code, error.message, error.details)
    # DynamoDB still throttling once the SDK's retries are spent: a 503 to retry, no fault.
    from chalicelib.repositories.dynamo import busy_error

    busy = busy_error(error)
    if busy is not None:
        return response_for(busy)
    if isinstance(error, StoredDataError):
        # Our data, not the caller's request: counted for its alarm, with the item's key.
        from chalicelib.repositories.rma_repository import report_stored_data_fault

        report_stored_data_fault(error)
    logger.exception("Request failed", exc_info=error)
    return server_fault()


def server_fault() -> Response:
    """A 500 that tells the caller nothing of our internals."""
    return error_response(500, "internal_error", "Something went wrong on our side.")


def _validation_error_response(error: ValidationError) -> Response:
    problems = [
        {
            "field": ".".join(str(part) for part in problem["loc"]) or "body",
            "message": problem["msg"],
            "type": problem["type"],
        }
        for problem in error.errors(include_url=False, include_input=False)
    ]
    if any(problem["type"] == "json_invalid" for problem in problems):
        return error_response(400, "malformed_json", "The request body is not valid JSON.")
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:3])
    return error_response(
        400, "validation_error", f"Invalid request: {summary}", {"errors": problems}
    )


def normalize_framework_errors(response: Response) -> Response:
    """Re-shape the errors Chalice answers by itself (405, 415, 500...) into our envelope.
    Chalice logs the stack of a 500 of its own before answering it."""
    body = response.body
    if response.status_code < 400 or not (isinstance(body, dict) and "Code" in body):
        return response
    if response.status_code >= 500:
        return server_fault()
    code = "".join(f"_{c.lower()}" if c.isupper() else c for c in str(body["Code"])).lstrip("_")
    return error_response(response.status_code, code, str(body.get("Message", "")))
