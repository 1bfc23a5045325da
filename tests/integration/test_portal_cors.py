"""Specification of CORS on the portal API: the shop's own pages (PORTAL_ALLOWED_ORIGINS) may
call it from a shopper's browser, every other site may not read its answers, and no answer
ever allows any origin (`*`)."""

from __future__ import annotations

from typing import Any

import pytest

from app import app
from chalicelib.api.cors import CORS_PATHS, PREFLIGHT_ROUTES
from tests.integration.test_portal import JANE, call, signed_in
from tests.support import JSON, reconfigure

SHOP = "https://shop.example.com"
SHOP_PREVIEW = "http://localhost:3000"
ELSEWHERE = "https://evil.example.net"


@pytest.fixture(autouse=True)
def allowed_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a merchant who lets their shop and its preview call the portal API
    reconfigure(monkeypatch, PORTAL_ALLOWED_ORIGINS=f"{SHOP}, {SHOP_PREVIEW}/")


def preflight(api: Any, path: str, origin: str, method: str = "POST") -> Any:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }
    return api.http.request("OPTIONS", path, headers=headers)


def test_every_portal_route_and_no_other_answers_the_preflight() -> None:
    # Given the app's routes
    portal_paths = {path for path in app.routes if path.startswith("/portal/")}
    # Then every portal path, and only those, has its preflight route
    assert set(CORS_PATHS) == portal_paths
    assert {("OPTIONS", path) for path in portal_paths} == PREFLIGHT_ROUTES
    assert {path for path, methods in app.routes.items() if "OPTIONS" in methods} == portal_paths


@pytest.mark.parametrize("origin", [SHOP, SHOP_PREVIEW])
def test_a_preflight_from_an_allowed_origin_is_answered_with_what_it_may_send(
    api: Any, origin: str
) -> None:
    # When the shop's page asks whether it may post a return
    response = preflight(api, "/portal/returns", origin)
    # Then it may, from its own origin, with the headers the API reads, and not anonymously
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST"
    assert response.headers["Access-Control-Allow-Headers"] == (
        "Authorization, Content-Type, Idempotency-Key"
    )
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.headers["Vary"] == "Origin"


def test_a_preflight_of_a_path_with_a_parameter_names_its_methods(api: Any) -> None:
    response = preflight(api, "/portal/returns/R-001001/cancel", SHOP)
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert response.headers["Access-Control-Allow-Methods"] == "POST"


@pytest.mark.parametrize("origin", [ELSEWHERE, "null", f"{SHOP}.evil.example.net", "*"])
def test_a_preflight_from_another_origin_allows_nothing(api: Any, origin: str) -> None:
    # When another site asks
    response = preflight(api, "/portal/login", origin)
    # Then the answer allows no origin and no method: the browser does not send the request
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers
    assert response.headers["Vary"] == "Origin"


def test_an_answer_to_an_allowed_origin_names_it(api: Any) -> None:
    # When the shop's page, signed in, reads the shopper's orders
    headers = {**signed_in(JANE), "Origin": SHOP}
    response = api.http.get("/portal/orders", headers=headers)
    # Then the browser lets the page read the answer
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SHOP
    assert response.headers["Vary"] == "Origin"


def test_a_refusal_to_an_allowed_origin_is_readable_too(api: Any) -> None:
    # A page must read a 401 to know its shopper has to sign in again
    response = api.http.get("/portal/returns", headers={"Origin": SHOP})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == SHOP


def test_an_answer_to_another_origin_names_no_origin(api: Any) -> None:
    headers = {**JSON, "Origin": ELSEWHERE}
    response = api.http.post(
        "/portal/verify", headers=headers, body='{"email": "a@example.com", "code": "000000"}'
    )
    assert response.status_code == 401
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"


def test_no_origin_is_allowed_when_none_is_configured(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    reconfigure(monkeypatch, PORTAL_ALLOWED_ORIGINS=None)
    assert "Access-Control-Allow-Origin" not in preflight(api, "/portal/login", SHOP).headers
    assert "Access-Control-Allow-Origin" not in call(api, "GET", "/portal/orders", JANE).headers


def test_routes_of_other_audiences_answer_no_cors_headers(api: Any) -> None:
    response = api.http.get("/health", headers={"Origin": SHOP})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers


@pytest.mark.parametrize(
    "configured",
    ["*", "https://*.example.com", "https://shop.example.com/returns", "shop.example.com"],
)
def test_a_wildcard_or_anything_but_an_origin_is_refused_as_a_setting(configured: str) -> None:
    from pydantic import ValidationError

    from chalicelib.settings_model import Settings

    with pytest.raises(ValidationError, match="not an origin"):
        Settings(portal_allowed_origins=configured)
