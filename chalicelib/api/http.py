"""What every route shares: bearer-token guards, body and query parsing, JSON responses, the
one mapping from errors to HTTP answers (`{"error": {"code", "message", "details"}}`), and what
each route declares about itself for the OpenAPI document (`ROUTE_DOCS`)."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import unquote

from chalice import Blueprint, Chalice, Response
from chalice.app import Request
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from chalicelib.errors import (
    AuthenticationError,
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
    ReturnsDeskError,
    StoredDataError,
    UnitsAlreadyClaimedError,
    UnsupportedMediaTypeError,
)
from chalicelib.settings import get_settings

ModelT = TypeVar("ModelT", bound=BaseModel)
TokenSource = Callable[[], SecretStr | None]
# Who may call a route, by the OpenAPI security scheme that describes its guard.
SecurityScheme = Literal["gorgias", "admin", "portal", "shopify_hmac"]

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
}


def json_response(
    model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body=model.model_dump_json(),
        status_code=status_code,
        headers={**JSON_HEADERS, **(headers or {})},
    )


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


def _response_for(error: Exception) -> Response:
    if isinstance(error, ValidationError):
        return _validation_error_response(error)
    assert isinstance(error, ReturnsDeskError)
    status = next(s for cls, s in _STATUS_BY_ERROR.items() if isinstance(error, cls))
    return error_response(status, error.code, error.message, error.details)


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


def bearer_token_guard(expected: TokenSource) -> Callable[[Request], None]:
    """A check that the request carries `Authorization: Bearer <expected token>`."""

    def check(request: Request) -> None:
        token = expected()
        scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
        # compare_digest keeps the comparison time independent of where the tokens differ.
        if (
            token is None
            or not token.get_secret_value()
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode())
        ):
            raise AuthenticationError("A valid bearer token is required.")

    return check


class ErrorDetail(BaseModel):
    model_config = ConfigDict(defer_build=True)

    code: str
    message: str
    details: dict[str, Any]


class ErrorEnvelope(BaseModel):
    """How every error is answered (`error_response`): only the OpenAPI document uses it."""

    model_config = ConfigDict(defer_build=True)

    error: ErrorDetail


@dataclass(frozen=True)
class Operation:
    """What an operation takes and answers, for the OpenAPI document. `errors` adds to the
    statuses that follow from the rest: 400 for a body or a query, 415 for a body, 401 for a
    guard."""

    summary: str | None = None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    # Success status -> the model of its JSON body.
    responses: Mapping[int, type[BaseModel]] = field(default_factory=dict)
    errors: Collection[int] = ()


@dataclass(frozen=True)
class RouteDoc:
    """One `route()` registration: the function Chalice calls (named and documented as the
    view it wraps), and what the route declared."""

    endpoint: Callable[..., Response]
    path: str
    methods: tuple[str, ...]
    guarded: bool
    security: SecurityScheme | None
    tags: tuple[str, ...]
    operation: Operation
    # For a path ending in a parameter that names an action (`/rmas/{rma}/{action}`): each
    # action as its own operation; what it leaves unset comes from `operation`.
    actions: Mapping[str, Operation]


# Every route() registration, in import order; chalicelib.api.openapi reads it.
ROUTE_DOCS: list[RouteDoc] = []


def route(
    blueprint: Blueprint | Chalice,
    path: str,
    *,
    methods: Iterable[str] = ("GET",),
    guard: Callable[[Request], None] | None = None,
    security: SecurityScheme | None = None,
    summary: str | None = None,
    tags: Iterable[str] = (),
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    responses: Mapping[int, type[BaseModel]] | None = None,
    errors: Iterable[int] = (),
    actions: Mapping[str, Operation] | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a JSON view behind `guard`, answering every error with the JSON envelope.

    The other arguments only describe the route in the OpenAPI document: `security` names the
    scheme of `guard`, `body` and `query` the models the view parses, `responses` the model of
    each success status, and `errors` the error statuses besides those that follow from a body,
    a query or a guard (see `Operation`)."""
    methods = list(methods)
    operation = Operation(
        summary=summary,
        body=body,
        query=query,
        responses=dict(responses or {}),
        errors=frozenset(errors),
    )

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def endpoint(**params: str) -> Response:
            try:
                if guard is not None:
                    guard(blueprint.current_request)
                # API Gateway hands path parameters over still percent-encoded: `#1042` typed
                # in a URL arrives as `%231042`.
                return view(**{name: unquote(value) for name, value in params.items()})
            except (ReturnsDeskError, ValidationError) as error:
                return _response_for(error)
            except StoredDataError as fault:
                # Our data, not the caller's request: a 500, reported like any unreadable item.
                from chalicelib.repositories.rma_repository import report_stored_data_fault

                report_stored_data_fault(fault)
                return error_response(500, "internal_error", "Something went wrong on our side.")
            except Exception as error:
                # DynamoDB still throttling once the SDK's retries are spent: a 503 to retry.
                from chalicelib.repositories.dynamo import busy_error

                busy = busy_error(error)
                if busy is None:
                    raise
                return _response_for(busy)

        # Every content type reaches the view, so that the token is checked before the body's
        # type: an anonymous caller learns nothing but 401.
        blueprint.route(path, methods=methods, content_types=["*/*"])(endpoint)
        ROUTE_DOCS.append(
            RouteDoc(
                endpoint=endpoint,
                path=path,
                methods=tuple(methods),
                guarded=guard is not None,
                security=security,
                tags=tuple(tags),
                operation=operation,
                actions=dict(actions or {}),
            )
        )
        return view

    return register


def parse_body(request: Request, model: type[ModelT]) -> ModelT:
    """The request body as `model`; too large, malformed or invalid bodies are a 400."""
    content_type = request.headers.get("content-type") or "application/json"
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaTypeError(
            f"Send the body as application/json, not {media_type}.",
            {"content_type": media_type},
        )
    raw = request.raw_body or b"{}"
    limit = get_settings().max_body_bytes
    if len(raw) > limit:
        raise InvalidRequestError(
            f"The request body is larger than {limit} bytes.",
            {"field": "body", "max_bytes": limit, "received_bytes": len(raw)},
        )
    return model.model_validate_json(raw)


def parse_query(request: Request, model: type[ModelT]) -> ModelT:
    return model.model_validate(dict(request.query_params or {}))


def normalize_framework_errors(response: Response) -> Response:
    """Re-shape the errors Chalice answers by itself (415, 500...) into our envelope."""
    body = response.body
    if response.status_code < 400 or not (isinstance(body, dict) and "Code" in body):
        return response
    if response.status_code >= 500:
        return error_response(500, "internal_error", "Something went wrong on our side.")
    code = "".join(f"_{c.lower()}" if c.isupper() else c for c in str(body["Code"])).lstrip("_")
    return error_response(response.status_code, code, str(body.get("Message", "")))
