"""How a view becomes a route. A `Router` holds the routes of one blueprint and what they share
(their guard, and how the OpenAPI document files them); `@router.post(path, summary=...)` over
a view registers it:

- the guard runs first, so that a caller without credentials learns nothing but 401;
- the view's signature says what it reads, and is the one place that says it: each path
  parameter by its name, `body: SomeModel` the JSON body parsed with that model, `query:
  SomeModel` the query string;
- the view returns a model (its return annotation), answered as JSON with the route's status,
  or `Created`, which also says where the new resource lives;
- every error on the way is answered by api/errors.py;
- what the route declares is kept in ROUTE_DOCS, which api/openapi.py describes.
"""

from __future__ import annotations

import functools
import re
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Required, TypedDict, TypeVar, Unpack
from urllib.parse import parse_qsl, unquote

from chalice import Blueprint, Chalice, Response
from chalice.app import Request
from pydantic import BaseModel

from chalicelib.api.auth import Guard, SecurityScheme
from chalicelib.api.cors import allow_cross_origin
from chalicelib.api.errors import JSON_HEADERS, response_for
from chalicelib.errors import InvalidRequestError, UnsupportedMediaTypeError
from chalicelib.settings import get_settings

ModelT = TypeVar("ModelT", bound=BaseModel)
View = Callable[..., Any]

_PATH_PARAMETER = re.compile(r"\{(\w+)\}")
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Created(Generic[ModelT]):
    """What a creating view returns: the new resource, and the path it is read at (answered
    as the Location header)."""

    resource: ModelT
    location: str


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
    # The body may also come form-encoded (Gorgias's action buttons send it so).
    forms: bool = False


@dataclass(frozen=True)
class RouteDoc:
    """One registered route: the function Chalice calls (named and documented as the view it
    wraps), and what the route declared."""

    endpoint: Callable[..., Response]
    path: str
    method: str
    guarded: bool
    security: SecurityScheme | None
    tags: tuple[str, ...]
    operation: Operation


# Every route registered through a Router, by the function Chalice calls; api/openapi.py reads it.
ROUTE_DOCS: dict[Callable[..., Response], RouteDoc] = {}


class RouteOptions(TypedDict, total=False):
    summary: Required[str]
    # The status of a successful answer.
    status: int
    # Error statuses besides those that follow from a body, a query or a guard (see Operation).
    errors: Collection[int]
    # For a creating route that honours `Idempotency-Key`: the caller the key belongs to, from
    # the request (api/idempotency.py).
    idempotency_scope: Callable[[Request], str]
    # The body may come as application/x-www-form-urlencoded as well as JSON.
    forms: bool


@dataclass(frozen=True)
class Router:
    """The routes of one blueprint: behind `guard` (None: open to anyone), described in the
    OpenAPI document with the `security` scheme of that guard and under `tags`; with `cors`,
    callable from the shop's own pages (PORTAL_ALLOWED_ORIGINS, api/cors.py)."""

    blueprint: Blueprint | Chalice
    guard: Guard | None = None
    security: SecurityScheme | None = None
    tags: tuple[str, ...] = ()
    cors: bool = False

    def get(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[View], View]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[View], View]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[View], View]:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[View], View]:
        return self.route("PATCH", path, **options)

    def route(
        self, method: str, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[View], View]:
        status = options.get("status", 200)
        scope = options.get("idempotency_scope")
        forms = options.get("forms", False)

        def register(view: View) -> View:
            body_model, query_model, answer_model = _declared_models(view, path)

            @functools.wraps(view)
            def endpoint(**params: str) -> Response:
                request = self.blueprint.current_request
                try:
                    if self.guard is not None:
                        self.guard(request)
                    # API Gateway hands path parameters over still percent-encoded: `#1042`
                    # typed in a URL arrives as `%231042`.
                    arguments: dict[str, Any] = {k: unquote(v) for k, v in params.items()}
                    if body_model is not None:
                        arguments["body"] = _parse_body(request, body_model, forms=forms)
                    if query_model is not None:
                        arguments["query"] = query_model.model_validate(
                            dict(request.query_params or {})
                        )

                    def answer() -> Response:
                        return _json_answer(view(**arguments), status)

                    if scope is None:
                        return answer()
                    from chalicelib.api.idempotency import created_once

                    return created_once(
                        request, scope(request), answer, self.blueprint.lambda_context
                    )
                except Exception as error:
                    return response_for(error)

            # Every content type reaches the endpoint, so that the guard runs before the body's
            # type is checked: an anonymous caller learns nothing but 401.
            self.blueprint.route(path, methods=[method], content_types=["*/*"])(endpoint)
            if self.cors:
                allow_cross_origin(self.blueprint, path, method)
            ROUTE_DOCS[endpoint] = RouteDoc(
                endpoint=endpoint,
                path=path,
                method=method,
                guarded=self.guard is not None,
                security=self.security,
                tags=self.tags,
                operation=Operation(
                    summary=options["summary"],
                    body=body_model,
                    query=query_model,
                    responses={status: answer_model},
                    errors=frozenset(options.get("errors", ())),
                    forms=forms,
                ),
            )
            return view

        return register


def _declared_models(
    view: View, path: str
) -> tuple[type[BaseModel] | None, type[BaseModel] | None, type[BaseModel]]:
    """The models `view`'s signature declares: its body's, its query's and its answer's.
    Checked at import, so that a route that would fail on its first request fails to load."""
    hints = typing.get_type_hints(view)
    answer = hints.get("return")
    if typing.get_origin(answer) is Created:
        (answer,) = typing.get_args(answer)
    declared = (hints.get("body"), hints.get("query"), answer)
    for name, model in zip(("body", "query", "return"), declared, strict=True):
        if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"{view.__name__}: `{name}` must be annotated with a pydantic model")
    if answer is None:
        raise TypeError(f"{view.__name__}: annotate the model the view returns")
    unknown = set(hints) - {"body", "query", "return", *_PATH_PARAMETER.findall(path)}
    if unknown:
        raise TypeError(f"{view.__name__}: {sorted(unknown)} are not parameters of {path}")
    return declared


def _parse_body(request: Request, model: type[ModelT], *, forms: bool = False) -> ModelT:
    """The request body as `model`; too large, malformed or invalid bodies are a 400, another
    media type than JSON (or, with `forms`, form-encoded) a 415."""
    content_type = request.headers.get("content-type") or "application/json"
    media_type = content_type.split(";")[0].strip().lower()
    is_json = media_type == "application/json" or media_type.endswith("+json")
    is_form = forms and media_type == FORM_MEDIA_TYPE
    if not (is_json or is_form):
        accepted = "application/json" + (f" or {FORM_MEDIA_TYPE}" if forms else "")
        raise UnsupportedMediaTypeError(
            f"Send the body as {accepted}, not {media_type}.", {"content_type": media_type}
        )
    raw = request.raw_body or (b"" if is_form else b"{}")
    limit = get_settings().max_body_bytes
    if len(raw) > limit:
        raise InvalidRequestError(
            f"The request body is larger than {limit} bytes.",
            {"field": "body", "max_bytes": limit, "received_bytes": len(raw)},
        )
    if is_form:
        try:
            fields = parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as error:
            raise InvalidRequestError(
                "The form body is not UTF-8 text.", {"field": "body"}
            ) from error
        # A key given twice keeps its last value, as most form readers do.
        return model.model_validate(dict(fields))
    return model.model_validate_json(raw)


def _json_answer(result: BaseModel | Created[Any], status: int) -> Response:
    # A dict of its own: middleware adds headers to it.
    headers = dict(JSON_HEADERS)
    if isinstance(result, Created):
        headers["Location"] = result.location
        result = result.resource
    return Response(body=result.model_dump_json(), status_code=status, headers=headers)
