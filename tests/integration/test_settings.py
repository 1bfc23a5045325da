"""Specification of where the secrets come from: the environment locally, SSM Parameter Store
(SecureString) in the deployed stages. Observed through the routes each secret guards."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
import respx
from aws_lambda_powertools.utilities import parameters

from chalicelib.repositories.aws import client
from tests.support import JSON, body, reconfigure


class GuardedRoute(NamedTuple):
    """A route and the setting that holds the token it requires."""

    variable: str
    method: str
    path: str
    test_token: str  # what tests/conftest.py sets `variable` to

    def call(self, api: Any, headers: dict[str, str]) -> Any:
        return api.http.request(self.method, self.path, headers=headers)


ROUTES = [
    pytest.param(GuardedRoute("ADMIN_API_TOKEN", "GET", "/rmas", "admin-token"), id="admin"),
    pytest.param(
        GuardedRoute(
            "GORGIAS_WIDGET_TOKEN", "GET", "/gorgias/widget?email=a@example.com", "widget-token"
        ),
        id="gorgias",
    ),
]


@pytest.fixture
def ssm(api: Any) -> Iterator[Any]:
    """Parameter Store (moto, inside the `aws` fixture), with no value cached between tests."""
    parameters.clear_caches()
    yield client("ssm")
    parameters.clear_caches()


def store_secret(ssm: Any, name: str, value: str) -> None:
    ssm.put_parameter(Name=name, Value=value, Type="SecureString")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("route", ROUTES)
def test_a_token_comes_from_its_securestring_parameter_when_not_given_directly(
    api: Any, ssm: Any, monkeypatch: pytest.MonkeyPatch, route: GuardedRoute
) -> None:
    # Given the token stored in Parameter Store, and only the parameter's name configured
    parameter = f"/returns-desk/test/{route.variable.lower()}"
    store_secret(ssm, parameter, "token-from-ssm")
    reconfigure(monkeypatch, **{route.variable: None, f"{route.variable}_PARAMETER": parameter})
    # When the route is called with the stored token, then with the one tests use elsewhere
    with_stored = route.call(api, bearer("token-from-ssm"))
    with_old = route.call(api, bearer(route.test_token))
    # Then only the stored one opens it
    assert with_stored.status_code == 200, with_stored.body
    assert with_old.status_code == 401


@pytest.mark.parametrize("route", ROUTES)
def test_a_token_given_directly_wins_over_its_parameter(
    api: Any, ssm: Any, monkeypatch: pytest.MonkeyPatch, route: GuardedRoute
) -> None:
    # Given a token in the environment and another one in Parameter Store
    parameter = f"/returns-desk/test/{route.variable.lower()}"
    store_secret(ssm, parameter, "token-from-ssm")
    reconfigure(monkeypatch, **{f"{route.variable}_PARAMETER": parameter})
    # When the route is called with each
    # Then the environment's token is the one that opens it
    assert route.call(api, bearer(route.test_token)).status_code == 200
    assert route.call(api, bearer("token-from-ssm")).status_code == 401


def test_the_gorgias_api_key_comes_from_its_parameter(
    api: Any, ssm: Any, open_rma: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Gorgias credentials whose API key is in Parameter Store, and a return to approve
    store_secret(ssm, "/returns-desk/test/gorgias-api-key", "key-from-ssm")
    reconfigure(
        monkeypatch,
        GORGIAS_SUBDOMAIN="acme",
        GORGIAS_API_EMAIL="bot@acme.example",
        GORGIAS_API_KEY=None,
        GORGIAS_API_KEY_PARAMETER="/returns-desk/test/gorgias-api-key",
    )
    open_rma()
    with respx.mock() as gorgias:
        lookup = gorgias.get("https://acme.gorgias.com/api/users/17").respond(
            200, json={"id": 17, "role": {"name": "admin"}}
        )
        # When an agent approves it from Gorgias
        response = api.http.post(
            "/gorgias/actions/approve",
            headers={"Authorization": "Bearer widget-token", **JSON},
            body='{"rma": "1001", "agent": {"id": 17}}',
        )
    # Then returns-desk called Gorgias with the stored key
    assert response.status_code == 200, response.body
    expected = base64.b64encode(b"bot@acme.example:key-from-ssm").decode()
    assert lookup.calls.last.request.headers["Authorization"] == f"Basic {expected}"
    assert body(response)["note"] == "queued"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("authorization", ["Bearer", "Bearer ", "Bearer none", ""])
def test_a_token_not_configured_at_all_locks_its_routes(
    api: Any, monkeypatch: pytest.MonkeyPatch, route: GuardedRoute, authorization: str
) -> None:
    # Given neither the token nor its parameter is configured
    reconfigure(monkeypatch, **{route.variable: None, f"{route.variable}_PARAMETER": None})
    # When the route is called with whatever credentials
    response = route.call(api, {"Authorization": authorization})
    # Then nobody gets in
    assert response.status_code == 401


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("authorization", ["Bearer", "Bearer "])
def test_an_empty_token_setting_locks_its_routes_rather_than_opening_them(
    api: Any, monkeypatch: pytest.MonkeyPatch, route: GuardedRoute, authorization: str
) -> None:
    # Given the token configured as an empty string (a blank line in a stage's config)
    reconfigure(monkeypatch, **{route.variable: ""})
    # When the route is called with an empty bearer token
    response = route.call(api, {"Authorization": authorization})
    # Then nobody gets in
    assert response.status_code == 401
