"""Specification of what every route shares: who may call it, how bad requests are refused, and
the one error envelope `{"error": {"code", "message", "details"}}`. No request here may end in a
5xx: every refusal is the caller's to fix."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.api.cors import PREFLIGHT_ROUTES
from chalicelib.domain.statuses import ProcessingStatus
from chalicelib.pages.routing import PAGE_ROUTES
from tests.support import ADMIN_AUTH, JSON, WIDGET_AUTH, body, reconfigure, rma_payload

TOKENS = {"gorgias": "widget-token", "admin": "admin-token"}
AUTH = {"gorgias": WIDGET_AUTH, "admin": ADMIN_AUTH}


FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    path: str
    audience: str
    payload: dict[str, Any] | None = None
    # What the request is answered with the right token: a move the return's status does not
    # allow is a 409, which it gets past the guard only.
    answered: int = 200

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


# Every route behind a token, with a request that is answered given the right one (R-001001
# exists and waits for a decision).
ROUTES = [
    Route("GET", "/gorgias/widget", "/gorgias/widget?email=jane.doe@example.com", "gorgias"),
    Route(
        "POST", "/gorgias/actions/approve", "/gorgias/actions/approve", "gorgias", {"rma": "1001"}
    ),
    Route(
        "POST",
        "/gorgias/actions/reject",
        "/gorgias/actions/reject",
        "gorgias",
        {"rma": "1001", "reason": "Too late"},
    ),
    # An anonymous chat: nothing to queue, still answered (Gorgias counts failures).
    Route(
        "POST",
        "/gorgias/events/message",
        "/gorgias/events/message",
        "gorgias",
        {"ticket_id": "7001", "customer_email": ""},
        answered=202,
    ),
    Route("POST", "/rmas", "/rmas", "admin", rma_payload(), answered=201),
    Route("GET", "/rmas", "/rmas?status=REQUESTED", "admin"),
    Route("GET", "/rmas/{rma}", "/rmas/R-001001", "admin"),
    Route("GET", "/rmas/{rma}/events", "/rmas/R-001001/events", "admin"),
    Route("POST", "/rmas/{rma}/submit", "/rmas/R-001001/submit", "admin", answered=409),
    Route("POST", "/rmas/{rma}/accept", "/rmas/R-001001/accept", "admin"),
    Route("POST", "/rmas/{rma}/reject", "/rmas/R-001001/reject", "admin", {"reason": "Too late"}),
    Route("POST", "/rmas/{rma}/cancel", "/rmas/R-001001/cancel", "admin"),
    Route("POST", "/rmas/{rma}/hold", "/rmas/R-001001/hold", "admin"),
    Route("POST", "/rmas/{rma}/resume", "/rmas/R-001001/resume", "admin", answered=409),
    Route(
        "POST",
        "/rmas/{rma}/receive",
        "/rmas/R-001001/receive",
        "admin",
        {"lines": [{"sku": "TSHIRT-BLUE-M", "quantity": 1, "product_state": "WORE"}]},
        answered=409,
    ),
    Route("POST", "/rmas/{rma}/refund", "/rmas/R-001001/refund", "admin", answered=409),
    Route("POST", "/rmas/{rma}/complete", "/rmas/R-001001/complete", "admin", answered=409),
    Route("GET", "/config/policy", "/config/policy", "admin"),
    Route("PUT", "/config/policy", "/config/policy", "admin", {"policy": {}, "version": 0}),
    Route(
        "PATCH",
        "/config/policy",
        "/config/policy",
        "admin",
        {"policy": {"return_window_days": 21}, "version": 0},
    ),
    Route(
        "PUT",
        "/orders/{number}",
        "/orders/%235001",
        "admin",
        {
            "customer_email": "jane.doe@example.com",
            "ordered_at": "2026-11-01",
            "lines": [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "12.00"}],
        },
    ),
    Route("GET", "/openapi.json", "/openapi.json", "admin"),
    # Cancellation requests and claims: none is open here, so a named one is not found (404).
    Route("GET", "/requests", "/requests?status=OPEN", "admin"),
    Route("GET", "/requests/{reference}", "/requests/C-000001", "admin", answered=404),
    Route(
        "POST",
        "/requests/{reference}/approve",
        "/requests/C-000001/approve",
        "admin",
        {"note": "Sorry about that"},
        answered=404,
    ),
    Route(
        "POST",
        "/requests/{reference}/reject",
        "/requests/X-000001/reject",
        "admin",
        {"reason": "Already shipped"},
        answered=404,
    ),
    Route(
        "POST",
        "/requests/{reference}/carry-out",
        "/requests/C-000001/carry-out",
        "admin",
        answered=404,
    ),
    # A public address, so that no DNS is asked; the endpoint `ep_none` does not exist (404).
    Route(
        "POST",
        "/webhooks/endpoints",
        "/webhooks/endpoints",
        "admin",
        {"url": "https://93.184.215.14/hook", "events": ["return.approved"]},
        answered=201,
    ),
    Route("GET", "/webhooks/endpoints", "/webhooks/endpoints", "admin"),
    Route(
        "GET",
        "/webhooks/endpoints/{endpoint_id}",
        "/webhooks/endpoints/ep_none",
        "admin",
        answered=404,
    ),
    Route(
        "PATCH",
        "/webhooks/endpoints/{endpoint_id}",
        "/webhooks/endpoints/ep_none",
        "admin",
        {"description": "ERP"},
        answered=404,
    ),
    Route(
        "DELETE",
        "/webhooks/endpoints/{endpoint_id}",
        "/webhooks/endpoints/ep_none",
        "admin",
        answered=404,
    ),
    Route(
        "POST",
        "/webhooks/endpoints/{endpoint_id}/rotate-secret",
        "/webhooks/endpoints/ep_none/rotate-secret",
        "admin",
        answered=404,
    ),
    Route(
        "POST",
        "/webhooks/endpoints/{endpoint_id}/test",
        "/webhooks/endpoints/ep_none/test",
        "admin",
        answered=404,
    ),
    Route(
        "GET",
        "/webhooks/endpoints/{endpoint_id}/deliveries",
        "/webhooks/endpoints/ep_none/deliveries",
        "admin",
        answered=404,
    ),
    Route(
        "POST",
        "/webhooks/endpoints/{endpoint_id}/deliveries/{delivery_id}/retry",
        "/webhooks/endpoints/ep_none/deliveries/msg_none/retry",
        "admin",
        answered=404,
    ),
]
# Routes with other credentials, specified in test_security_matrix.py: the shoppers' portal
# (session tokens), its sign-in (none), and Shopify's webhooks (signed bodies).
OTHER_CREDENTIALS = {
    ("POST", "/portal/login"),
    ("POST", "/portal/verify"),
    ("GET", "/portal/orders"),
    ("GET", "/portal/orders/{number}"),
    ("GET", "/portal/orders/{number}/lines/{sku}/exchange-options"),
    ("POST", "/portal/returns"),
    ("GET", "/portal/returns"),
    ("GET", "/portal/returns/{reference}"),
    ("POST", "/portal/returns/{reference}/photos"),
    ("POST", "/portal/returns/{reference}/cancel"),
    ("POST", "/portal/returns/{reference}/submit"),
    ("POST", "/portal/orders/{number}/cancellation"),
    ("POST", "/portal/claim-photos"),
    ("POST", "/portal/orders/{number}/claims"),
    ("GET", "/portal/requests"),
    ("GET", "/portal/requests/{reference}"),
    ("POST", "/webhooks/shopify"),
}
POST_ROUTES = [route for route in ROUTES if route.method == "POST"]


def _other_audience(audience: str) -> str:
    return "admin" if audience == "gorgias" else "gorgias"


# Each way of calling a route without its own token, as headers for a route's audience.
REFUSED_CREDENTIALS: dict[str, Callable[[str], dict[str, str]]] = {
    "no-token": lambda audience: {},
    "wrong-token": lambda audience: {"Authorization": "Bearer not-the-token"},
    "other-audience-token": lambda audience: AUTH[_other_audience(audience)],
    "token-without-scheme": lambda audience: {"Authorization": TOKENS[audience]},
    "basic-scheme": lambda audience: {"Authorization": f"Basic {TOKENS[audience]}"},
    "token-with-suffix": lambda audience: {"Authorization": f"Bearer {TOKENS[audience]}x"},
}


@pytest.fixture(autouse=True)
def no_server_errors(api: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails any test of this module in which a request was answered with a 5xx."""
    answered: list[tuple[str, str, int]] = []
    send = api.http.request

    def recording(method: str, path: str, **kwargs: Any) -> Any:
        response = send(method, path, **kwargs)
        answered.append((method, path, response.status_code))
        return response

    monkeypatch.setattr(api.http, "request", recording)
    yield
    assert [answer for answer in answered if answer[2] >= 500] == []


def send(api: Any, route: Route, headers: dict[str, str], raw: bytes | str | None = None) -> Any:
    """`route`'s request with `headers`, carrying its payload unless a raw body is given."""
    if raw is None:
        raw = json.dumps(route.payload) if route.payload is not None else b""
    return api.http.request(route.method, route.path, headers={**JSON, **headers}, body=raw)


def create(api: Any, payload: dict[str, Any] | str) -> Any:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return api.http.post("/rmas", headers={**ADMIN_AUTH, **JSON}, body=raw)


def list_rmas(api: Any, query: str) -> Any:
    return api.http.get(f"/rmas?{query}", headers=ADMIN_AUTH)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is exactly the JSON error envelope with `status` and `code`; returns its
    details."""
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/json"
    envelope = body(response)
    assert set(envelope) == {"error"}
    assert set(envelope["error"]) == {"code", "message", "details"}
    assert envelope["error"]["code"] == code
    assert isinstance(envelope["error"]["message"], str)
    assert envelope["error"]["message"]
    assert isinstance(envelope["error"]["details"], dict)
    return envelope["error"]["details"]


def fields_named(details: dict[str, Any]) -> list[str]:
    return [problem["field"] for problem in details["errors"]]


# --- Who may call what ----------------------------------------------------------------------


def test_the_matrix_below_covers_every_route_of_the_app(api: Any) -> None:
    # Given the app as deployed
    from app import app

    # When its routes are listed
    registered = {(m, path) for path, methods in app.routes.items() for m in methods}
    registered -= PAGE_ROUTES  # specified in tests/contract/test_page_security.py
    registered -= PREFLIGHT_ROUTES  # specified in test_portal_cors.py
    # Then each is in the authorization matrix, except the health check and the routes with
    # credentials of their own
    matrix = {(r.method, r.template) for r in ROUTES}
    assert registered == matrix | {("GET", "/health")} | OTHER_CREDENTIALS


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_route_refuses_a_caller_without_its_own_token_and_changes_nothing(
    api: Any,
    open_rma: Callable[..., Any],
    rma_service: Any,
    route: Route,
    subtests: pytest.Subtests,
) -> None:
    # Given a return waiting for a decision (one for every way of calling without the token:
    # setting it up is the slow part)
    rma = open_rma()
    for credentials, headers_for in REFUSED_CREDENTIALS.items():
        with subtests.test(credentials):
            # When the route is called without its audience's token
            response = send(api, route, headers_for(route.audience))
            # Then it is a 401 in the envelope that says how to authenticate
            assert_error(response, 401, "unauthorized")
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="returns-desk"'
            # And nothing was written or shown
            assert rma_service.find(rma.id) == rma
            assert rma_service.list_by_status(ProcessingStatus.NEW, limit=10).items == []
            assert "jane.doe" not in response.body.decode()


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_route_answers_a_caller_with_its_own_token(
    api: Any, open_rma: Callable[..., Any], route: Route
) -> None:
    # Given a return waiting for a decision
    open_rma()
    # When the route is called with its audience's token, in any case of the scheme
    scheme, token = AUTH[route.audience]["Authorization"].split(" ")
    response = send(api, route, {"Authorization": f"{scheme.lower()} {token}"})
    # Then it answers
    assert response.status_code == route.answered, response.body


def test_the_health_check_needs_no_token(api: Any) -> None:
    # Given / When a load balancer calls the health check
    response = api.http.get("/health")
    # Then it is up
    assert response.status_code == 200
    assert body(response) == {"status": "ok"}


# --- Bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("route", POST_ROUTES, ids=str)
def test_malformed_json_is_refused(api: Any, open_rma: Callable[..., Any], route: Route) -> None:
    # Given a return waiting for a decision
    open_rma()
    # When a body that is not JSON is sent
    response = send(api, route, AUTH[route.audience], raw='{"rma": "1001",')
    # Then it is a 400 saying so, without echoing the body
    assert assert_error(response, 400, "malformed_json") == {}


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "abc"}, "lines.0.quantity"),
        ({"quantity": 0}, "lines.0.quantity"),
        ({"reason": "BORED"}, "lines.0.reason"),
        ({"unit_price": "-1"}, "lines.0.unit_price"),
        ({"unit_price": "cheap"}, "lines.0.unit_price"),
        ({"colour": "blue"}, "lines.0.colour"),
    ],
)
def test_an_invalid_line_is_refused_naming_its_field(
    api: Any, line: dict[str, Any], field: str
) -> None:
    # Given a body whose first line has one bad value
    payload = rma_payload()
    payload["lines"] = [{**payload["lines"][0], **line}]
    # When it is sent to open a return
    response = create(api, payload)
    # Then it is a 400 whose details and message name that field
    details = assert_error(response, 400, "validation_error")
    assert fields_named(details) == [field]
    assert field in body(response)["error"]["message"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"surprise": True}, "surprise"),
        ({"lines": []}, "lines"),
        ({"currency": "euro"}, "currency"),
        ({"expected_resolution": "CASH"}, "expected_resolution"),
        ({"customer": {"email": "not-an-email"}}, "customer.email"),
        ({"order": {}}, "order.number"),
    ],
)
def test_an_invalid_return_is_refused_naming_its_field(
    api: Any, overrides: dict[str, Any], field: str
) -> None:
    # Given a body with one unknown or invalid field
    # When it is sent to open a return
    response = create(api, rma_payload(**overrides))
    # Then it is a 400 naming that field, and nothing was opened
    assert fields_named(assert_error(response, 400, "validation_error")) == [field]
    assert body(list_rmas(api, "status=NEW"))["items"] == []


@pytest.mark.parametrize("raw", ["[]", '"R-001001"', "null", "42"])
def test_a_body_that_is_not_an_object_is_refused(api: Any, raw: str) -> None:
    # Given / When valid JSON that is not an object is sent
    response = create(api, raw)
    # Then it is a 400 about the body as a whole
    assert fields_named(assert_error(response, 400, "validation_error")) == ["body"]


def test_an_admin_action_refuses_unknown_fields(api: Any, open_rma: Callable[..., Any]) -> None:
    # Given a return waiting for a decision
    open_rma()
    # When an action body carries a field the admin API does not know
    response = api.http.post(
        "/rmas/R-001001/accept",
        headers={**ADMIN_AUTH, **JSON},
        body=json.dumps({"note": "ok", "urgent": True}),
    )
    # Then it is a 400 naming it
    assert fields_named(assert_error(response, 400, "validation_error")) == ["urgent"]


@pytest.mark.parametrize("route", POST_ROUTES, ids=str)
def test_a_body_larger_than_the_limit_is_refused(
    api: Any,
    open_rma: Callable[..., Any],
    rma_service: Any,
    monkeypatch: pytest.MonkeyPatch,
    route: Route,
) -> None:
    # Given bodies limited to 256 bytes, and a return waiting for a decision
    reconfigure(monkeypatch, MAX_BODY_BYTES="256")
    rma = open_rma()
    # When a larger (otherwise valid) body is sent
    raw = json.dumps({**(route.payload or {}), "comment": "x" * 300})
    response = send(api, route, AUTH[route.audience], raw=raw)
    # Then it is a 400 about the body, saying the limit, and nothing changed
    details = assert_error(response, 400, "invalid_request")
    assert details == {"field": "body", "max_bytes": 256, "received_bytes": len(raw)}
    assert rma_service.find(rma.id) == rma


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
@pytest.mark.parametrize("route", POST_ROUTES, ids=str)
def test_a_body_that_is_not_declared_json_is_refused(
    api: Any, route: Route, content_type: str
) -> None:
    # Given a route that reads JSON only (Gorgias's buttons' routes also read forms)
    if content_type == FORM_MEDIA_TYPE and _reads_forms(route):
        content_type = "multipart/form-data"
    # When a body is sent with another content type
    response = send(api, route, {**AUTH[route.audience], "Content-Type": content_type})
    # Then it is a 415 in the envelope
    assert_error(response, 415, "unsupported_media_type")


def _reads_forms(route: Route) -> bool:
    from chalicelib.api.routing import ROUTE_DOCS

    return any(
        doc.operation.forms
        for doc in ROUTE_DOCS.values()
        if (doc.method, doc.path) == (route.method, route.template)
    )


def test_json_with_a_charset_is_json(api: Any) -> None:
    # Given / When a body is declared as JSON with its charset
    response = api.http.post(
        "/rmas",
        headers={**ADMIN_AUTH, "Content-Type": "application/json; charset=utf-8"},
        body=json.dumps(rma_payload()),
    )
    # Then it is read as JSON
    assert response.status_code == 201, response.body


def test_an_unsupported_method_is_refused_in_the_envelope(api: Any) -> None:
    # Given / When a route is called with a method it does not have
    response = api.http.delete("/rmas", headers=ADMIN_AUTH)
    # Then it is a 405 in the envelope
    assert_error(response, 405, "method_not_allowed_error")


# --- Query strings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=BOGUS", "status"),
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("limit=abc", "limit"),
        ("colour=blue", "colour"),
    ],
)
def test_a_listing_with_an_invalid_query_is_refused(api: Any, query: str, field: str) -> None:
    # Given / When returns are listed with a bad query value
    response = list_rmas(api, query)
    # Then it is a 400 naming the parameter
    assert fields_named(assert_error(response, 400, "validation_error")) == [field]


@pytest.mark.parametrize("cursor", ["%25%25%25", "bm90IGpzb24", "eyJhIjogMX0", "W10", "x" * 200])
def test_a_forged_cursor_is_refused(api: Any, cursor: str) -> None:
    # Given / When returns are listed with a cursor this listing never gave
    response = list_rmas(api, f"status=REQUESTED&cursor={cursor}")
    # Then it is a 400 about the cursor
    assert assert_error(response, 400, "invalid_request") == {"field": "cursor"}


def test_a_cursor_of_another_status_is_refused(api: Any, open_rma: Callable[..., Any]) -> None:
    # Given a cursor into the REQUESTED returns
    for _ in range(3):
        open_rma()
    cursor = body(list_rmas(api, "status=REQUESTED&limit=1"))["next_cursor"]
    assert cursor
    # When it is used to list the NEW ones
    response = list_rmas(api, f"status=NEW&limit=1&cursor={cursor}")
    # Then it is a 400 about the cursor
    assert assert_error(response, 400, "invalid_request") == {"field": "cursor"}
