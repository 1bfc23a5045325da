"""GET /openapi.json: this API's OpenAPI 3.1 description, generated on first request."""

from __future__ import annotations

import functools
from typing import Any

from chalice import Blueprint, Chalice, Response
from pydantic import ConfigDict, RootModel

from chalicelib.api.http import bearer_token_guard, json_response, route
from chalicelib.settings import get_settings

docs = Blueprint(__name__)
_guard = bearer_token_guard(lambda: get_settings().admin_api_token)


class OpenApiDocument(RootModel[dict[str, Any]]):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(defer_build=True)


@functools.lru_cache(maxsize=4)
def _served_document(app: Chalice, server: str) -> OpenApiDocument:
    # Imported here: generating the document needs pydantic's JSON-schema machinery, which no
    # other request does.
    from chalicelib.api.openapi import build_openapi

    return OpenApiDocument(build_openapi(app, server))


@route(
    docs,
    "/openapi.json",
    guard=_guard,
    security="admin",
    summary="This API's OpenAPI 3.1 description",
    tags=("docs",),
    responses={200: OpenApiDocument},
)
def openapi_document() -> Response:
    """The document's server is the path prefix of this request: the stage, behind API
    Gateway."""
    context = docs.current_request.context or {}
    path, resource = context.get("path") or "", context.get("resourcePath") or ""
    prefix = path[: -len(resource)] if resource and path.endswith(resource) else ""
    return json_response(_served_document(docs.current_app, prefix or "/"))
