"""What every route shares: bearer-token guards, body and query parsing, JSON responses, and
the one mapping from errors to HTTP answers (`{"error": {"code", "message", "details"}}`)."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import BaseModel, SecretStr, ValidationError

from chalicelib.errors import (
    AuthenticationError,
    ConcurrentModificationError,
    DependencyUnavailableError,
    ForbiddenError,
    InvalidRequestError,
    InvalidTransitionError,
    LinesNotReturnableError,
    NotFoundError,
    ReturnsDeskError,
    UnsupportedMediaTypeError,
)
from chalicelib.settings import get_settings

ModelT = TypeVar("ModelT", bound=BaseModel)
TokenSource = Callable[[], SecretStr | None]

JSON_HEADERS = {"Content-Type": "application/json"}

_STATUS_BY_ERROR: dict[type[ReturnsDeskError], int] = {
    InvalidRequestError: 400,
    AuthenticationError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    InvalidTransitionError: 409,
    LinesNotReturnableError: 422,
    ConcurrentModificationError: 409,
    UnsupportedMediaTypeError: 415,
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


def route(
    blueprint: Blueprint,
    path: str,
    *,
    methods: Iterable[str] = ("GET",),
    guard: Callable[[Request], None] | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Register a JSON view behind `guard`, answering every error with the JSON envelope."""
    methods = list(methods)

    def register(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def endpoint(**params: str) -> Response:
            try:
                if guard is not None:
                    guard(blueprint.current_request)
                return view(**params)
            except (ReturnsDeskError, ValidationError) as error:
                return _response_for(error)

        # Every content type reaches the view, so that the token is checked before the body's
        # type: an anonymous caller learns nothing but 401.
        blueprint.route(path, methods=methods, content_types=["*/*"])(endpoint)
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
