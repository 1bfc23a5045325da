"""The OpenAPI 3.1 description of the HTTP API, built from what every route declares
(api/routing.py).

Served at `GET /openapi.json` (admin token) and checked in as `openapi.json` at the root of the
repository: `python -m chalicelib.api.openapi openapi.json` writes it, and a test fails when the
checked-in file is not what the code describes.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

from chalice import Chalice
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.api.cors import PREFLIGHT_ROUTES
from chalicelib.api.models.common import ErrorEnvelope
from chalicelib.api.routing import FORM_MEDIA_TYPE, ROUTE_DOCS, Operation, RouteDoc
from chalicelib.pages.routing import PAGE_ROUTES

OPENAPI_VERSION = "3.1.0"
API_TITLE = "returns-desk"
# pyproject.toml's version, which a test keeps equal: pyproject.toml is not deployed.
API_VERSION = "0.1.0"
# The API Gateway stage of .chalice/config.json, relative to where the document is served. The
# served document names the prefix it was requested under instead (none under `make run`).
DEFAULT_SERVER = "/api"

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "gorgias": {
        "type": "http",
        "scheme": "bearer",
        "description": "GORGIAS_WIDGET_TOKEN, sent by the Gorgias HTTP integrations.",
    },
    "admin": {
        "type": "http",
        "scheme": "bearer",
        "description": "ADMIN_API_TOKEN, for the merchant's own systems.",
    },
    "portal": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A shopper's session token from POST /portal/verify (one email).",
    },
    "shopify_hmac": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Shopify-Hmac-Sha256",
        "description": "Base64 HMAC-SHA256 of the raw body with SHOPIFY_WEBHOOK_SECRET.",
    },
}


@dataclass(frozen=True)
class _ErrorStatus:
    name: str
    meaning: str


# Every error status a route may declare: its name under components/responses and what it means
# here. Each is answered with the ErrorEnvelope.
ERROR_STATUSES = {
    400: _ErrorStatus(
        "BadRequest",
        "The request is invalid: malformed JSON, a body over the size limit, or values that fail"
        " validation (`details.errors` names each field).",
    ),
    401: _ErrorStatus("Unauthorized", "The bearer token is missing or wrong."),
    403: _ErrorStatus("Forbidden", "The caller is known but may not do this."),
    404: _ErrorStatus("NotFound", "Nothing matches the path: no such return or order."),
    409: _ErrorStatus(
        "Conflict",
        "The return's status does not allow this, or someone changed it at the same time.",
    ),
    413: _ErrorStatus(
        "ContentTooLarge", "The body is larger than the route reads at all (`details.max_bytes`)."
    ),
    415: _ErrorStatus("UnsupportedMediaType", "The body is not sent as application/json."),
    422: _ErrorStatus(
        "UnprocessableContent", "Some lines cannot be returned; `details` says which and why."
    ),
    428: _ErrorStatus(
        "PreconditionRequired",
        "The change must say the `version` it was made from (read it first), so that it never"
        " silently undoes someone else's.",
    ),
    503: _ErrorStatus("ServiceUnavailable", "A service this request needs did not answer."),
}
_METHOD_ORDER = ("GET", "PUT", "POST", "PATCH", "DELETE")
_PATH_PARAMETER = re.compile(r"\{(\w+)\}")
_SCHEMA_REF = "#/components/schemas/{model}"
_RESPONSE_REF = "#/components/responses/{name}"


@dataclass(frozen=True)
class _Documented:
    """One operation of the document: a method on a path, and what its route declared (None for
    a route registered without a Router)."""

    path: str
    method: str
    operation_id: str
    description: str | None
    declared: RouteDoc | None
    operation: Operation

    @property
    def error_statuses(self) -> list[int]:
        declared = set(self.operation.errors)
        if self.operation.body is not None:
            declared |= {400, 415}
        if self.operation.query is not None:
            declared.add(400)
        if self.declared is not None and self.declared.guarded:
            declared.add(401)
        return sorted(declared)


def build_openapi(app: Chalice, server: str = DEFAULT_SERVER) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route `app` serves, with `server` as its base URL."""
    operations = sorted(_operations(app), key=lambda op: (op.path, _METHOD_ORDER.index(op.method)))
    _require_unique_operation_ids(operations)
    refs, schemas = _schemas(operations)
    paths: dict[str, dict[str, Any]] = {}
    for documented in operations:
        paths.setdefault(documented.path, {})[documented.method.lower()] = _operation_object(
            documented, refs, schemas
        )
    statuses = sorted({status for op in operations for status in op.error_statuses})
    undescribed = [status for status in statuses if status not in ERROR_STATUSES]
    if undescribed:
        raise ValueError(f"Say what {undescribed} mean here: add them to ERROR_STATUSES")
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": API_TITLE,
            "version": API_VERSION,
            "description": "Returns (RMA) for merchants whose support team works in Gorgias."
            ' Every error is answered as `{"error": {"code", "message", "details"}}`.',
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {ERROR_STATUSES[s].name: _error_response(s, refs) for s in statuses},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
    # Query models are spread into parameters; their own schemas are left unreferenced.
    document["components"]["schemas"] = _referenced_schemas(document)
    return document


def render(document: dict[str, Any]) -> str:
    """The document as checked in: stable, indented JSON."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- operations ------------------------------------------------------------------------------


def _operations(app: Chalice) -> Iterator[_Documented]:
    for path, entries in app.routes.items():
        for method, entry in entries.items():
            if (method, path) in PAGE_ROUTES | PREFLIGHT_ROUTES:
                # Pages answer HTML to browsers, preflights a browser's CORS question: not
                # operations of the API this document describes.
                continue
            doc = ROUTE_DOCS.get(entry.view_function)
            yield _Documented(
                path,
                method,
                entry.view_name,
                inspect.getdoc(entry.view_function),
                doc,
                doc.operation if doc is not None else Operation(),
            )


def _require_unique_operation_ids(operations: list[_Documented]) -> None:
    ids = [op.operation_id for op in operations]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"Views with the same name in several blueprints: {repeated}")


def _operation_object(
    documented: _Documented, refs: dict[tuple[type[BaseModel], str], Any], schemas: dict[str, Any]
) -> dict[str, Any]:
    operation = documented.operation
    declared = documented.declared
    result: dict[str, Any] = {"operationId": documented.operation_id}
    if operation.summary:
        result["summary"] = operation.summary
    if documented.description:
        result["description"] = documented.description
    if declared is not None and declared.tags:
        result["tags"] = list(declared.tags)
    # Left out when unknown: a guarded route that does not name its scheme.
    if declared is not None and declared.security is not None:
        result["security"] = [{declared.security: []}]
    elif declared is not None and not declared.guarded:
        result["security"] = []
    parameters = [
        _parameter(name, "path", required=True, schema={"type": "string", "minLength": 1})
        for name in _PATH_PARAMETER.findall(documented.path)
    ]
    if operation.query is not None:
        parameters += _query_parameters(schemas[_name(refs[operation.query, "validation"])])
    if parameters:
        result["parameters"] = parameters
    if operation.body is not None:
        result["requestBody"] = {
            # An empty body reads as `{}`: it is only required when some field is.
            "required": any(f.is_required() for f in operation.body.model_fields.values()),
            "content": {
                media_type: {"schema": refs[operation.body, "validation"]}
                for media_type in (
                    ("application/json", FORM_MEDIA_TYPE)
                    if operation.forms
                    else ("application/json",)
                )
            },
        }
    responses: dict[str, Any] = {
        str(status): {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"schema": refs[model, "serialization"]}},
        }
        for status, model in sorted(operation.responses.items())
    }
    for status in documented.error_statuses:
        responses[str(status)] = {"$ref": _RESPONSE_REF.format(name=ERROR_STATUSES[status].name)}
    result["responses"] = responses or {
        "default": {"description": "Not documented: the route declares no responses."}
    }
    return result


def _parameter(name: str, where: str, *, required: bool, schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    parameter = {"name": name, "in": where, "required": required}
    if "description" in schema:
        parameter["description"] = schema.pop("description")
    return {**parameter, "schema": schema}


def _query_parameters(definition: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(definition.get("required", ()))
    return [
        _parameter(name, "query", required=name in required, schema=_without_null(schema))
        for name, schema in definition.get("properties", {}).items()
    ]


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query string cannot carry null: an optional parameter is one that is left out."""
    choices = [choice for choice in schema.get("anyOf", ()) if choice != {"type": "null"}]
    if len(choices) == len(schema.get("anyOf", ())):
        return schema
    result = {k: v for k, v in schema.items() if k != "anyOf" and (k, v) != ("default", None)}
    return {**result, **choices[0]} if len(choices) == 1 else {**result, "anyOf": choices}


def _error_response(status: int, refs: dict[tuple[type[BaseModel], str], Any]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_STATUSES[status].meaning,
        "content": {"application/json": {"schema": refs[ErrorEnvelope, "serialization"]}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": 'Always `Bearer realm="returns-desk"`.',
                "schema": {"type": "string"},
            }
        }
    return response


# --- schemas ---------------------------------------------------------------------------------


def _schemas(
    operations: list[_Documented],
) -> tuple[dict[tuple[type[BaseModel], str], Any], dict[str, Any]]:
    """References to each model in the mode it is used in (bodies and queries as validated,
    answers as serialized), and the schemas they point to. pydantic names a model that differs
    between the two modes (`Decimal` fields...) `-Input` and `-Output`."""
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorEnvelope, "serialization")]
    for documented in operations:
        operation = documented.operation
        wanted += [(model, "validation") for model in (operation.body, operation.query) if model]
        wanted += [(model, "serialization") for model in operation.responses.values()]
    refs, definitions = models_json_schema(list(dict.fromkeys(wanted)), ref_template=_SCHEMA_REF)
    return dict(refs), dict(sorted(definitions.get("$defs", {}).items()))


def _name(reference: dict[str, str]) -> str:
    return reference["$ref"].rpartition("/")[2]


def _referenced_schemas(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    reachable: set[str] = set()
    pending = [document["paths"], document["components"]["responses"]]
    while pending:
        for name in _references(pending.pop()) - reachable:
            reachable.add(name)
            pending.append(schemas[name])
    return {name: schema for name, schema in schemas.items() if name in reachable}


def _references(value: Any) -> set[str]:
    """The names of the schemas `value` refers to, at any depth."""
    if isinstance(value, list):
        return set().union(*map(_references, value))
    if not isinstance(value, dict):
        return set()
    found = set().union(*map(_references, value.values()))
    if str(value.get("$ref", "")).startswith(_SCHEMA_REF.format(model="")):
        found.add(_name(value))
    return found


# --- GET /openapi.json -------------------------------------------------------------------------


def main(arguments: list[str]) -> int:
    """`python -m chalicelib.api.openapi [FILE]`: the document on stdout, or written to FILE."""
    # The command line is where the app is looked up; everything above is handed it.
    from app import app

    text = render(build_openapi(app))
    if arguments:
        Path(arguments[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
