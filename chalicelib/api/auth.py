"""Who may call a route: each route stands behind one guard, a check of the request that raises
AuthenticationError (401) before anything else is read. The bearer tokens of the admin API and
of the Gorgias integrations are here; the shoppers' sessions are the portal's
(api/portal_auth.py), Shopify's signatures the webhooks' (api/webhooks.py)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Literal

from chalice.app import Request
from pydantic import SecretStr

from chalicelib.errors import AuthenticationError
from chalicelib.settings import get_settings

Guard = Callable[[Request], None]
TokenSource = Callable[[], SecretStr | None]
# Who may call a route, by the OpenAPI security scheme that describes its guard.
SecurityScheme = Literal["gorgias", "admin", "portal", "shopify_hmac"]


def bearer_token_guard(expected: TokenSource) -> Guard:
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


admin_token_guard = bearer_token_guard(lambda: get_settings().admin_api_token)
gorgias_token_guard = bearer_token_guard(lambda: get_settings().gorgias_widget_token)
