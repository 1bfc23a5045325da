"""A small client for the Shopify Admin GraphQL API: one call, `execute`, that answers the
query's `data` or says why it could not.

The call (https://shopify.dev/docs/api/admin-graphql, "Authentication" and "Endpoints"):
`POST https://{shop}.myshopify.com/admin/api/{version}/graphql.json` with the app's access token
in `X-Shopify-Access-Token` and `{"query", "variables"}` as JSON. Versions are quarterly
(`2026-04`); a version is pinned, so a field Shopify renames later does not break a deployment.

What comes back, and what the client makes of it:
- `{"data": ..., "extensions": {"cost": ...}}`: the data. A mutation's own refusals are in its
  payload's `userErrors`, with HTTP 200; reading them is the caller's job.
- `{"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
  "extensions": {"cost": {"requestedQueryCost", "actualQueryCost": null, "throttleStatus":
  {"maximumAvailable", "currentlyAvailable", "restoreRate"}}}}`, with HTTP 200: the app's
  bucket of query cost (100 points a second on the Standard plan, refilled at `restoreRate`)
  cannot pay for the query now
  (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits). The client waits
  (requestedQueryCost - currentlyAvailable) / restoreRate seconds and asks again.
- HTTP 429 with `Retry-After` seconds (https://shopify.dev/docs/api/usage/rate-limits): waited
  out likewise.
- Any other `errors` (a query Shopify cannot run, ACCESS_DENIED for a missing scope), or a 4xx:
  `ShopifyError`; asking again would not help.
- 5xx, an answer that is not JSON, a timeout or no connection: `ShopifyUnavailableError`.

Waits add up to at most `max_wait_seconds` for one call; past that the call gives up with
`ShopifyThrottledError`. Both transient errors are `TransientError`s, which the lifecycle retries
later with backoff, and `DependencyUnavailableError`s, which an API caller gets as a 503 to retry.

Idempotent mutations (`refundCreate` must carry `@idempotent(key: "<uuid>")` from 2026-04,
https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations):
the caller writes a bare `@idempotent` on the mutation and passes its own key to `execute`,
which writes it in as a UUID (the key itself if it is one, else a uuid5 named after it). Asked
again with the same key, Shopify answers the first call's result instead of doing it twice
(https://shopify.dev/docs/api/usage/idempotent-requests). A query without `@idempotent` is sent
as it is: the key then only names the call in the logs.

The token is never logged, nor put anywhere but its header; nor are an app's client credentials,
which only go to Shopify's token endpoint.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from chalicelib.errors import DependencyUnavailableError, TransientError
from chalicelib.observability import logger

ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"  # noqa: S105 (a header's name)
_BARE_IDEMPOTENT = re.compile(r"@idempotent\b(?!\s*\()")
# Names the `@idempotent` keys made from returns-desk's own keys (see idempotency_uuid).
IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0f6c1e-1d55-4c5e-9a57-2f3f4f2d7a10")
# Shopify's REST docs ask for 2 seconds between retries when it gives no figure.
_DEFAULT_WAIT_SECONDS = 2.0
# A client credentials token lives a day when Shopify does not say.
_DEFAULT_TOKEN_SECONDS = 86_400.0
_HEADERS = {"Accept": "application/json", "User-Agent": "returns-desk"}


class ShopifyError(Exception):
    """Shopify refused the request itself (its top-level `errors`, or a 4xx): trying again
    will not help. Carries Shopify's messages and error codes, never the request."""

    def __init__(self, message: str, codes: list[str] | None = None) -> None:
        super().__init__(message)
        self.codes = codes or []


class ShopifyUnavailableError(TransientError, DependencyUnavailableError):
    """Shopify could not answer now (5xx, timeout, no connection): a later try may succeed."""

    def __init__(self, message: str, *, retry_after: float = _DEFAULT_WAIT_SECONDS) -> None:
        DependencyUnavailableError.__init__(
            self, message, {"retry_after_seconds": max(1, round(retry_after))}
        )
        self.retry_after = retry_after


class ShopifyThrottledError(ShopifyUnavailableError):
    """Shopify's rate limit would need a longer wait than one call may take: `retry_after`
    seconds, as far as Shopify said."""


class ShopifyAdmin:
    """Calls the Admin GraphQL API of one shop, with an app's access token: a fixed one (an app
    made in the shop's admin before 2026), or one obtained from the app's client credentials
    (an app made in the Dev Dashboard, see `ClientCredentials`)."""

    def __init__(
        self,
        *,
        shop_domain: str,
        access_token: str | None = None,
        client_credentials: tuple[str, str] | None = None,
        api_version: str,
        timeout_seconds: float,
        base_url: str | None = None,
        max_wait_seconds: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        root = (base_url or f"https://{shop_domain}").rstrip("/")
        self._url = f"{root}/admin/api/{api_version}/graphql.json"
        # No proxy or CA bundle from the environment: the token goes to the shop named here
        # only, over the certificates httpx ships with (as the webhook sender does).
        self._http = httpx.Client(
            transport=transport, timeout=httpx.Timeout(timeout_seconds), trust_env=False
        )
        self._tokens: _Tokens
        if client_credentials is not None:
            client_id, client_secret = client_credentials
            self._tokens = ClientCredentials(
                f"{root}/admin/oauth/access_token", client_id, client_secret, self._http, clock
            )
        elif access_token:
            self._tokens = _FixedToken(access_token)
        else:
            raise ValueError("an access token or the app's client credentials are required")
        self._max_wait = max_wait_seconds
        self._sleep = sleep

    @property
    def url(self) -> str:
        return self._url

    def execute(
        self, query: str, variables: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The `data` of `query` run with `variables`, waiting out Shopify's rate limits up to
        the client's `max_wait_seconds`. With `idempotency_key`, the query's bare `@idempotent`
        directive gets its UUID (`idempotency_uuid`) as its key, on every try."""
        body = {"query": _with_key(query, idempotency_key), "variables": variables}
        waited = 0.0
        while True:
            answer = self._post(body)
            wait = _throttled_for(answer)
            if wait is None:
                return _data(answer)
            if waited + wait > self._max_wait:
                raise ShopifyThrottledError(
                    f"Shopify is rate limiting returns-desk: ready in about {wait:.1f} s",
                    retry_after=wait,
                )
            logger.warning(
                "Shopify rate limit, waiting",
                extra={"wait_seconds": round(wait, 2), "idempotency_key": idempotency_key},
            )
            self._sleep(wait)
            waited += wait

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        response = _sent(self._http, self._url, json=body, headers=self._headers())
        if response.status_code == 401 and self._tokens.renewable:
            # A token Shopify no longer takes (revoked, or expired early): one new one, once.
            self._tokens.forget()
            response = _sent(self._http, self._url, json=body, headers=self._headers())
        return response

    def _headers(self) -> dict[str, str]:
        return {ACCESS_TOKEN_HEADER: self._tokens.current(), **_HEADERS}


class _Tokens(Protocol):
    renewable: bool

    def current(self) -> str: ...

    def forget(self) -> None: ...


class _FixedToken:
    renewable = False

    def __init__(self, token: str) -> None:
        self._token = token

    def current(self) -> str:
        return self._token

    def forget(self) -> None:
        return None


class ClientCredentials:
    """The access tokens of an app made in the Dev Dashboard, which has no fixed token: its
    client id and secret are exchanged for one (the client credentials grant, `POST
    https://{shop}/admin/oauth/access_token` with `grant_type=client_credentials`,
    https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant),
    which expires after `expires_in` seconds (a day). A token serves until a minute before
    that; one Shopify refuses (401) is replaced once."""

    renewable = True
    _MARGIN_SECONDS = 60.0

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        http: httpx.Client,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = token_url
        self._form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._http = http
        self._clock = clock
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = threading.Lock()

    def current(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._valid_until:
                self._token, lifetime = self._granted()
                self._valid_until = self._clock() + max(lifetime - self._MARGIN_SECONDS, 0.0)
            return self._token

    def forget(self) -> None:
        with self._lock:
            self._token = None

    def _granted(self) -> tuple[str, float]:
        response = _sent(self._http, self._url, data=self._form, headers=dict(_HEADERS))
        if response.status_code >= 500:
            raise ShopifyUnavailableError(
                f"Shopify's token endpoint answered {response.status_code}"
            )
        if response.status_code != 200:
            # Never the body: it may echo what was sent.
            raise ShopifyError(
                f"Shopify refused the app's client credentials with HTTP {response.status_code}",
                [f"HTTP_{response.status_code}"],
            )
        body = _json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ShopifyUnavailableError("Shopify's token endpoint answered no access token")
        try:
            lifetime = float(body.get("expires_in", _DEFAULT_TOKEN_SECONDS))
        except (TypeError, ValueError):
            lifetime = _DEFAULT_TOKEN_SECONDS
        return token, lifetime


def _sent(http: httpx.Client, url: str, **request: Any) -> httpx.Response:
    try:
        return http.post(url, **request)
    except httpx.TimeoutException as exc:
        raise ShopifyUnavailableError("Shopify did not answer in time") from exc
    except httpx.TransportError as exc:
        raise ShopifyUnavailableError("Shopify could not be reached") from exc


def idempotency_uuid(key: str) -> str:
    """The `@idempotent` key Shopify gets for `key`: a UUID, as Shopify recommends; `key`
    itself when it is one, else a UUID named after it (uuid5), the same on every try."""
    try:
        if str(uuid.UUID(key)) == key:
            return key
    except ValueError:
        pass
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, key))


def _with_key(query: str, key: str | None) -> str:
    """`query` with its bare `@idempotent` keyed. Only a canonical UUID is written into the
    text of the query: nothing else can get in with it."""
    if key is None:
        return query
    return _BARE_IDEMPOTENT.sub(f'@idempotent(key: "{idempotency_uuid(key)}")', query)


def _throttled_for(response: httpx.Response) -> float | None:
    """Seconds to wait before asking again, when Shopify says so; None otherwise."""
    if response.status_code == 429:
        return _retry_after(response)
    if response.status_code != 200:
        return None
    body = _json(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not any(_is_throttled(e) for e in errors):
        return None
    return _cost_wait(body.get("extensions"))


def _is_throttled(error: Any) -> bool:
    if not isinstance(error, dict):
        return False
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return code == "THROTTLED" or error.get("message") == "Throttled"


def _cost_wait(extensions: Any) -> float:
    """How long until the bucket holds the query's cost again, from `extensions.cost`."""
    try:
        cost = extensions["cost"]
        status = cost["throttleStatus"]
        deficit = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        rate = float(status["restoreRate"])
    except (TypeError, KeyError, ValueError):
        return _DEFAULT_WAIT_SECONDS
    if rate <= 0:
        return _DEFAULT_WAIT_SECONDS
    return max(deficit, 1.0) / rate


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return _DEFAULT_WAIT_SECONDS


def _data(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    if status >= 500:
        raise ShopifyUnavailableError(f"Shopify answered {status}")
    if status != 200:
        # 401 (the token), 402 (the shop's plan), 403 (a scope), 404 (the shop or the version)
        # and 423 (a locked shop) are all for a person to settle. The body may echo the
        # request: it is not repeated here.
        raise ShopifyError(f"Shopify refused the call with HTTP {status}", [f"HTTP_{status}"])
    body = _json(response)
    if not isinstance(body, dict):
        raise ShopifyUnavailableError("Shopify answered something other than a JSON object")
    errors = body.get("errors")
    if errors:
        raise ShopifyError(f"Shopify refused the query: {_messages(errors)}", _codes(errors))
    data = body.get("data")
    if not isinstance(data, dict):
        raise ShopifyUnavailableError("Shopify answered without data")
    return data


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ShopifyUnavailableError("Shopify answered something other than JSON") from exc


def _messages(errors: Any) -> str:
    if isinstance(errors, list):
        return "; ".join(str(e.get("message")) if isinstance(e, dict) else str(e) for e in errors)
    return str(errors)


def _codes(errors: Any) -> list[str]:
    if not isinstance(errors, list):
        return []
    return [
        str(e["extensions"]["code"])
        for e in errors
        if isinstance(e, dict)
        and isinstance(e.get("extensions"), dict)
        and "code" in e["extensions"]
    ]
