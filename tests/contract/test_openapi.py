"""Specification of the OpenAPI document: it describes every route the app serves as the route
declares itself, it is valid OpenAPI 3.1, the checked-in `openapi.json` is current, and the API
serves it to admins under the prefix it was called through."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from app import app
from chalicelib.api.cors import PREFLIGHT_ROUTES
from chalicelib.api.openapi import build_openapi, render
from chalicelib.pages.routing import PAGE_ROUTES
from tests.support import ADMIN_AUTH, WIDGET_AUTH, body

ROOT = Path(__file__).parents[2]
CHECKED_IN = ROOT / "openapi.json"
REGENERATE = "make openapi (python -m chalicelib.api.openapi openapi.json)"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi(app)


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every operation of the document, by `METHOD /path`."""
    return {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def schema_name(reference: dict[str, str]) -> str:
    return reference["$ref"].rpartition("/")[2]


def body_schema(operation: dict[str, Any]) -> str:
    return schema_name(operation["requestBody"]["content"]["application/json"]["schema"])


def answer_schema(operation: dict[str, Any], status: str) -> str:
    return schema_name(operation["responses"][status]["content"]["application/json"]["schema"])


# --- the document as a whole -------------------------------------------------------------------


def test_the_checked_in_document_is_the_one_the_code_describes(document: dict[str, Any]) -> None:
    # Given the document the routes describe, and the checked-in one
    expected = render(document)
    checked_in = CHECKED_IN.read_text(encoding="utf-8") if CHECKED_IN.exists() else ""
    # Then they are the same, character for character
    difference = "".join(
        list(
            difflib.unified_diff(
                checked_in.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                "openapi.json (checked in)",
                "openapi.json (from the code)",
            )
        )[:60]
    )
    assert checked_in == expected, f"openapi.json is stale: run `{REGENERATE}`.\n{difference}"


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    # Given / When the document is validated against the OpenAPI 3.1 specification
    validate(document, cls=OpenAPIV31SpecValidator)
    # Then it is valid, and survives JSON as the served and checked-in copies do
    assert json.loads(render(document)) == document


def test_the_generator_is_handed_the_app_and_never_imports_it() -> None:
    # Given a fresh interpreter
    # When the generator and the route that serves its document are imported
    imported = (
        "import sys, chalicelib.api.docs, chalicelib.api.openapi; print('app' in sys.modules)"
    )
    run = subprocess.run(  # noqa: S603 (this interpreter, a fixed command)
        [sys.executable, "-c", imported], cwd=ROOT, capture_output=True, text=True, check=True
    )
    # Then the app is not: app.py imports them, and only the command line looks the app up
    assert run.stdout.strip() == "False"


def test_the_document_carries_the_projects_version(document: dict[str, Any]) -> None:
    with (ROOT / "pyproject.toml").open("rb") as pyproject:
        assert document["info"]["version"] == tomllib.load(pyproject)["project"]["version"]


def test_every_route_of_the_app_declares_who_may_call_it_and_what_it_answers(
    document: dict[str, Any],
) -> None:
    # Given every operation of the app (each route registered through a Router, api/routing.py)
    # Then each names its callers' security scheme (an empty list: public) and its answers
    undeclared = [
        label
        for label, operation in operations(document).items()
        if "security" not in operation
        or not any(status.startswith("2") for status in operation["responses"])
    ]
    assert not undeclared, (
        f"Register {undeclared} through a Router (chalicelib/api/routing.py), which declares the"
        f" caller and the answers. Then run `{REGENERATE}`."
    )


def test_the_document_has_the_routes_the_app_serves_and_no_other(document: dict[str, Any]) -> None:
    # Given the routes Chalice serves, a `{parameter}` matching any one segment
    served = {
        (method, re.compile(re.sub(r"\{\w+\}", "[^/]+", path) + "$"))
        for path, methods in app.routes.items()
        for method in methods
        # Pages answer HTML to browsers (chalicelib/pages/routing.py), preflights a browser's
        # CORS question (chalicelib/api/cors.py, specified in test_portal_cors.py): not the API's.
        if (method, path) not in PAGE_ROUTES | PREFLIGHT_ROUTES
    }
    documented = [label.split(" ", 1) for label in operations(document)]
    # Then each documented operation is one the app serves
    assert [
        f"{method} {path}"
        for method, path in documented
        if not any(m == method and template.match(path) for m, template in served)
    ] == []
    # And each route the app serves is documented
    assert [
        f"{method} {template.pattern}"
        for method, template in served
        if not any(m == method and template.match(path) for m, path in documented)
    ] == []


def test_operation_ids_name_the_views(document: dict[str, Any]) -> None:
    found = operations(document)
    assert found["POST /rmas"]["operationId"] == "create_rma"
    assert found["POST /rmas/{rma}/receive"]["operationId"] == "receive_items"
    ids = [operation["operationId"] for operation in found.values()]
    assert len(ids) == len(set(ids))


# --- operations ----------------------------------------------------------------------------------

# The admin API's moves of a return, each a route of its own, by the last segment of its path.
STATUS_MOVES = {"submit", "accept", "reject", "cancel", "hold", "resume"}
HANDLING_STEPS = {"receive", "refund", "complete"}


def test_each_move_of_a_return_is_an_operation_of_its_own_with_its_body(
    document: dict[str, Any],
) -> None:
    # Given the admin operations on one return
    found = operations(document)
    moves = {
        label.rpartition("/")[2]: operation
        for label, operation in found.items()
        if label.startswith("POST /rmas/{rma}/")
    }
    # Then each move is an operation of its own, with the body its view reads
    assert set(moves) == STATUS_MOVES | HANDLING_STEPS
    assert body_schema(moves["receive"]) == "ReceiveItemsRequest"
    assert body_schema(moves["refund"]) == "ApproveRefundRequest"
    assert {body_schema(moves[name]) for name in STATUS_MOVES | {"complete"}} == {
        "AdminActionRequest"
    }
    # And a body without required fields may be left out; one with them may not
    assert moves["accept"]["requestBody"]["required"] is False
    assert moves["receive"]["requestBody"]["required"] is True
    # And every one answers the return, or why not
    for operation in moves.values():
        assert answer_schema(operation, "200") == "RmaResource"
        assert set(operation["responses"]) == {"200", "400", "401", "404", "409", "415"}
        assert [p["name"] for p in operation["parameters"]] == ["rma"]


# Cancellation requests and claims: each operation's callers, body, answer and errors.
ORDER_REQUEST_OPERATIONS = {
    "POST /portal/orders/{number}/cancellation": (
        "portal",
        "CancellationBody",
        ("201", "OrderRequestView"),
        {"400", "401", "404", "409", "415"},
    ),
    "POST /portal/claim-photos": (
        "portal",
        "ClaimPhotoRequest",
        ("201", "PhotoUploadAnswer"),
        {"400", "401", "415"},
    ),
    "POST /portal/orders/{number}/claims": (
        "portal",
        "ClaimBody",
        ("201", "OrderRequestView"),
        {"400", "401", "404", "415", "422"},
    ),
    "GET /portal/requests": ("portal", None, ("200", "OrderRequestsView"), {"401"}),
    "GET /portal/requests/{reference}": (
        "portal",
        None,
        ("200", "OrderRequestDetail"),
        {"401", "404"},
    ),
    "GET /requests": ("admin", None, ("200", "OrderRequestPage"), {"400", "401"}),
    "GET /requests/{reference}": ("admin", None, ("200", "OrderRequestDetail"), {"401", "404"}),
    "POST /requests/{reference}/approve": (
        "admin",
        "ApproveRequestBody",
        ("200", "OrderRequestView"),
        {"400", "401", "404", "409", "415", "422"},
    ),
    "POST /requests/{reference}/reject": (
        "admin",
        "RejectRequestBody",
        ("200", "OrderRequestView"),
        {"400", "401", "404", "409", "415"},
    ),
    "POST /requests/{reference}/carry-out": (
        "admin",
        "EmptyRequest",
        ("200", "OrderRequestView"),
        {"400", "401", "404", "409", "415"},
    ),
}


@pytest.mark.parametrize("label", ORDER_REQUEST_OPERATIONS)
def test_each_operation_on_cancellation_requests_and_claims_names_its_callers_and_answers(
    document: dict[str, Any], label: str
) -> None:
    # Given an operation of the shoppers' (portal) or the merchant's systems (admin)
    callers, request_body, (success, answer), errors = ORDER_REQUEST_OPERATIONS[label]
    operation = operations(document)[label]
    # Then it is theirs alone, reads its body, answers its model or one of its errors
    assert operation["security"] == [{callers: []}]
    assert operation["tags"] == [callers]
    if request_body is None:
        assert "requestBody" not in operation
    else:
        assert body_schema(operation) == request_body
    assert answer_schema(operation, success) == answer
    assert set(operation["responses"]) == {success, *errors}


def test_a_request_is_shown_to_the_merchant_without_its_store_credit_code(
    document: dict[str, Any],
) -> None:
    # Given how a request's settlement is documented
    settlement = document["components"]["schemas"]["SettlementView"]["properties"]
    # Then it has the code (the shopper's answers) and its last characters (everyone else's)
    assert {"voucher_code", "voucher_code_ending"} <= set(settlement)
    # And the admin listing filters by the request's status, a page at a time
    listing = {p["name"] for p in operations(document)["GET /requests"]["parameters"]}
    assert listing == {"status", "limit", "cursor"}


def test_no_path_is_documented_with_a_parameter_standing_for_an_action(
    document: dict[str, Any],
) -> None:
    # Given every path of the document, Then none ends in a parameter naming what to do
    assert [path for path in document["paths"] if path.endswith("{action}")] == []


def test_errors_follow_from_the_body_the_query_and_the_guard(document: dict[str, Any]) -> None:
    found = operations(document)
    # A body: 400 and 415; a query: 400; a guard: 401; the rest as each route declares
    assert set(found["POST /rmas"]["responses"]) == {"201", "400", "401", "415"}
    assert set(found["GET /rmas"]["responses"]) == {"200", "400", "401"}
    assert set(found["GET /rmas/{rma}"]["responses"]) == {"200", "401", "404"}
    assert set(found["POST /gorgias/actions/approve"]["responses"]) == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "415",
        "503",
    }
    # And every error is the one envelope, 401 with how to authenticate
    responses = document["components"]["responses"]
    for response in responses.values():
        assert schema_name(response["content"]["application/json"]["schema"]) == "ErrorEnvelope"
    assert "WWW-Authenticate" in responses["Unauthorized"]["headers"]
    envelope = document["components"]["schemas"]["ErrorDetail"]
    assert envelope["required"] == ["code", "message", "details"]


def test_a_query_model_becomes_one_parameter_per_field(document: dict[str, Any]) -> None:
    # Given the listing's query model
    parameters = {p["name"]: p for p in operations(document)["GET /rmas"]["parameters"]}
    # Then each field is an optional query parameter with the field's schema, never null
    assert set(parameters) == {
        "status",
        "delivery_status",
        "financial_status",
        "fulfillment_status",
        "q",
        "any_status",
        "limit",
        "cursor",
    }
    assert {p["in"] for p in parameters.values()} == {"query"}
    assert not any(p["required"] for p in parameters.values())
    assert parameters["status"]["schema"]["$ref"] == "#/components/schemas/ProcessingStatus"
    limit = parameters["limit"]["schema"]
    assert (limit["type"], limit["minimum"], limit["maximum"], limit["default"]) == (
        "integer",
        1,
        100,
        25,
    )
    assert parameters["cursor"]["schema"]["type"] == "string"
    # And the query model itself is not a schema of the document
    assert "ListRmasQuery" not in document["components"]["schemas"]
    # And the widget's email may be absent (a ticket with no customer email is answered 200)
    widget = {p["name"]: p for p in operations(document)["GET /gorgias/widget"]["parameters"]}
    assert widget["email"]["required"] is False


def test_bodies_are_documented_as_validated_and_answers_as_serialized(
    document: dict[str, Any],
) -> None:
    # Given the policy, read as a body and written as an answer
    schemas = document["components"]["schemas"]
    found = operations(document)
    replace = schemas[body_schema(found["PUT /config/policy"])]["properties"]["policy"]
    read = schemas[answer_schema(found["GET /config/policy"], "200")]["properties"]["policy"]
    # Then the body takes money as a number or a string, and the answer gives a string
    assert schema_name(replace) == "ReturnPolicy-Input"
    assert schema_name(read) == "ReturnPolicy-Output"
    assert schemas["ReturnPolicy-Output"]["properties"]["return_fee"]["type"] == "string"


def test_each_route_names_its_callers(document: dict[str, Any]) -> None:
    found = operations(document)
    assert found["GET /gorgias/widget"]["security"] == [{"gorgias": []}]
    assert found["GET /rmas"]["security"] == [{"admin": []}]
    assert found["GET /openapi.json"]["security"] == [{"admin": []}]
    # And the health check is public, and answers nothing but its status
    assert found["GET /health"]["security"] == []
    assert set(found["GET /health"]["responses"]) == {"200"}
    schemes = document["components"]["securitySchemes"]
    assert schemes["portal"]["bearerFormat"] == "JWT"
    shopify = schemes["shopify_hmac"]
    assert (shopify["type"], shopify["in"], shopify["name"]) == (
        "apiKey",
        "header",
        "X-Shopify-Hmac-Sha256",
    )


# --- GET /openapi.json ---------------------------------------------------------------------------


def test_an_admin_reads_the_document_from_the_api(api: Any) -> None:
    # Given / When an admin asks the local API for its document
    response = api.http.get("/openapi.json", headers=ADMIN_AUTH)
    # Then it is the document, with the API at the root it was called under
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/json"
    assert body(response) == build_openapi(app, server="/")


@pytest.mark.parametrize("headers", [{}, WIDGET_AUTH], ids=["no-token", "widget-token"])
def test_the_document_is_for_admins_only(api: Any, headers: dict[str, str]) -> None:
    response = api.http.get("/openapi.json", headers=headers)
    assert response.status_code == 401
    assert body(response)["error"]["code"] == "unauthorized"


def test_behind_api_gateway_the_document_names_the_stage_as_its_server(aws: None) -> None:
    # Given a request as API Gateway hands it over, for the `api` stage
    event = {
        "resource": "/openapi.json",
        "path": "/openapi.json",
        "httpMethod": "GET",
        "headers": ADMIN_AUTH,
        "multiValueHeaders": {name: [value] for name, value in ADMIN_AUTH.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": "/openapi.json",
            "path": "/api/openapi.json",
            "httpMethod": "GET",
            "requestId": "request-1",
            "stage": "api",
        },
    }
    # When the function answers it
    response = app(event, None)
    # Then the document's server is the stage's path
    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["servers"] == [{"url": "/api"}]
