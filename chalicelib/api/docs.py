"""GET /openapi.json: this API's OpenAPI 3.1 description, generated on first request."""

from __future__ import annotations

import functools

from chalice import Blueprint, Chalice

from chalicelib.api.auth import admin_token_guard
from chalicelib.api.models.admin import OpenApiDocument
from chalicelib.api.routing import Router

docs = Blueprint(__name__)
routes = Router(docs, guard=admin_token_guard, security="admin", tags=("docs",))


@functools.lru_cache(maxsize=4)
def _served_document(app: Chalice, server: str) -> OpenApiDocument:
    # Imported here: generating the document needs pydantic's JSON-schema machinery, which no
    # other request does. The app is handed over, never imported: it imports this module.
    from chalicelib.api.openapi import build_openapi

    return OpenApiDocument(build_openapi(app, server))


@routes.get("/openapi.json", summary="This API's OpenAPI 3.1 description")
def openapi_document() -> OpenApiDocument:
    """The document's server is the path prefix of this request: the stage, behind API
    Gateway."""
    context = docs.current_request.context or {}
    path, resource = context.get("path") or "", context.get("resourcePath") or ""
    prefix = path[: -len(resource)] if resource and path.endswith(resource) else ""
    return _served_document(docs.current_app, prefix or "/")
