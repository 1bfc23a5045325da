"""The Shopify Admin GraphQL client against the real httpx stack, with respx standing in for
Shopify and answering the documented shapes of tests/events/shopify_graphql/."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx

from chalicelib.errors import DependencyUnavailableError, TransientError
from chalicelib.integrations.shopify_admin import (
    ShopifyAdmin,
    ShopifyError,
    ShopifyThrottledError,
    ShopifyUnavailableError,
    idempotency_uuid,
)
from chalicelib.observability import logger
from local.shopify_standin import ShopifyStandIn
from tests.shopify_refunds_support import (
    GRAPHQL_URL,
    TOKEN,
    RecordedSleep,
    admin_client,
    fixture,
)
from tests.shopify_refunds_support import (
    SHOP as SHOP_DOMAIN,
)

SHOP_QUERY = "query ReturnsDeskShopCurrency { shop { currencyCode } }"
REFUND = (
    "mutation R($input: RefundInput!) { refundCreate(input: $input) @idempotent { refund { id } } }"
)
SHOP = fixture("shop")


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
def shopify(sleep: RecordedSleep) -> ShopifyAdmin:
    client: ShopifyAdmin = admin_client(sleep=sleep, max_wait_seconds=3.0)
    return client


@pytest.fixture
def app_logs(caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    """Every log line written so far, as the app's formatter writes them (extra keys too)."""
    caplog.set_level(logging.DEBUG)

    def lines() -> str:
        formatter = logger.registered_formatter
        return "\n".join(formatter.format(record) for record in caplog.records)

    return lines


def _sent(request: httpx.Request) -> dict[str, Any]:
    sent: dict[str, Any] = json.loads(request.content)
    return sent


# --- the call -------------------------------------------------------------------------------


def test_a_query_is_posted_to_the_pinned_version_with_the_token_and_answers_its_data(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin
) -> None:
    # Given the shop answers the documented shape
    route = respx_mock.post(GRAPHQL_URL).mock(return_value=httpx.Response(200, json=SHOP))
    # When a query is run
    data = shopify.execute(SHOP_QUERY, {"unused": 1})
    # Then its data comes back, from the shop's Admin API of the pinned version, with the
    # custom app's token in its header and the query and variables as JSON
    assert data == {"shop": {"currencyCode": "EUR"}}
    request = route.calls.last.request
    assert str(request.url) == "https://maison-lune.myshopify.com/admin/api/2026-04/graphql.json"
    assert request.headers["X-Shopify-Access-Token"] == TOKEN
    assert request.headers["Content-Type"] == "application/json"
    assert _sent(request) == {"query": SHOP_QUERY, "variables": {"unused": 1}}


def test_a_local_base_url_replaces_the_shops_address_only(respx_mock: respx.MockRouter) -> None:
    client = ShopifyAdmin(
        shop_domain="maison-lune.myshopify.com",
        access_token=TOKEN,
        api_version="2026-04",
        timeout_seconds=1.0,
        base_url="http://127.0.0.1:8765/",
    )
    assert client.url == "http://127.0.0.1:8765/admin/api/2026-04/graphql.json"


def test_no_proxy_from_the_environment_carries_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an environment naming a proxy (nothing listens there) for every address
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    shop = ShopifyStandIn(echo=False).start()
    try:
        client = ShopifyAdmin(
            shop_domain=SHOP_DOMAIN,
            access_token=TOKEN,
            api_version="2026-04",
            timeout_seconds=5.0,
            base_url=shop.api_url,
        )
        # When a query is run, then it goes to the shop itself, not through the proxy
        assert client.execute(SHOP_QUERY, {}) == {"shop": {"currencyCode": "EUR"}}
    finally:
        shop.stop()


def test_the_idempotency_key_is_written_into_the_mutation_as_a_uuid_named_after_it(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin
) -> None:
    route = respx_mock.post(GRAPHQL_URL).mock(return_value=httpx.Response(200, json=SHOP))
    # When the same payment's mutation is sent twice, and a UUID key once
    shopify.execute(REFUND, {}, idempotency_key="rma-1:0")
    shopify.execute(REFUND, {}, idempotency_key="rma-1:0")
    given = str(uuid.uuid4())
    shopify.execute(REFUND, {}, idempotency_key=given)
    # Then each carries `@idempotent(key: <uuid>)`, the same for the same key, the UUID as given
    first, second, third = (_sent(call.request)["query"] for call in route.calls)
    expected = idempotency_uuid("rma-1:0")
    assert str(uuid.UUID(expected)) == expected
    assert f'@idempotent(key: "{expected}")' in first
    assert first == second
    assert f'@idempotent(key: "{given}")' in third


def test_a_query_without_the_directive_is_sent_as_written_whatever_the_key(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin
) -> None:
    route = respx_mock.post(GRAPHQL_URL).mock(return_value=httpx.Response(200, json=SHOP))
    shopify.execute(SHOP_QUERY, {}, idempotency_key='x") { injected }')
    assert _sent(route.calls.last.request)["query"] == SHOP_QUERY


# --- rate limits ----------------------------------------------------------------------------


def test_a_429_is_waited_out_as_retry_after_says_then_the_answer_is_used(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin, sleep: RecordedSleep
) -> None:
    # Given the shop asks for 1.5 s once, then answers
    respx_mock.post(GRAPHQL_URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1.5"}, json={"errors": "Throttled"}),
            httpx.Response(200, json=SHOP),
        ]
    )
    # When a query is run, then it waited 1.5 s and got the data
    assert shopify.execute(SHOP_QUERY, {}) == SHOP["data"]
    assert sleep.calls == [1.5]


def test_a_throttled_query_waits_until_the_bucket_holds_its_cost_and_keeps_its_key(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin, sleep: RecordedSleep
) -> None:
    # Given the documented THROTTLED answer: 202 points asked, 118 left, 50 restored a second
    route = respx_mock.post(GRAPHQL_URL).mock(
        side_effect=[
            httpx.Response(200, json=fixture("throttled")),
            httpx.Response(200, json=SHOP),
        ]
    )
    # When a mutation is run
    assert shopify.execute(REFUND, {}, idempotency_key="rma-1:0") == SHOP["data"]
    # Then it waited (202 - 118) / 50 = 1.68 s, and asked again with the same key
    assert sleep.calls == [pytest.approx(1.68)]
    first, second = (_sent(call.request)["query"] for call in route.calls)
    assert first == second


def test_throttling_past_the_wait_allowed_gives_up_with_a_transient_error(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin, sleep: RecordedSleep
) -> None:
    # Given a shop that stays throttled, and a client that waits at most 3 s a call
    respx_mock.post(GRAPHQL_URL).mock(return_value=httpx.Response(200, json=fixture("throttled")))
    # When a query is run
    with pytest.raises(ShopifyThrottledError) as raised:
        shopify.execute(SHOP_QUERY, {})
    # Then it waited once (1.68 s; a second would pass 3 s), then gave up with the wait left:
    # an error the lifecycle retries, and an API caller is told to retry (503, Retry-After)
    assert sleep.calls == [pytest.approx(1.68)]
    assert raised.value.retry_after == pytest.approx(1.68)
    assert isinstance(raised.value, TransientError)
    assert isinstance(raised.value, DependencyUnavailableError)
    assert raised.value.details == {"retry_after_seconds": 2}


def test_a_429_asking_for_longer_than_allowed_gives_up_at_once(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin, sleep: RecordedSleep
) -> None:
    respx_mock.post(GRAPHQL_URL).mock(
        return_value=httpx.Response(429, headers={"Retry-After": "30"})
    )
    with pytest.raises(ShopifyThrottledError) as raised:
        shopify.execute(SHOP_QUERY, {})
    assert (sleep.calls, raised.value.retry_after) == ([], 30.0)


# --- failures -------------------------------------------------------------------------------


def test_top_level_errors_are_a_shopify_error_with_their_messages_and_codes(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin
) -> None:
    # Given the documented answer to a query the app's scopes do not allow
    respx_mock.post(GRAPHQL_URL).mock(
        return_value=httpx.Response(200, json=fixture("access_denied"))
    )
    with pytest.raises(ShopifyError) as raised:
        shopify.execute(REFUND, {}, idempotency_key="rma-1:0")
    # Then it is not retried: a person grants the scope
    assert not isinstance(raised.value, TransientError)
    assert raised.value.codes == ["ACCESS_DENIED"]
    assert "Access denied for refundCreate field" in str(raised.value)


@pytest.mark.parametrize("status", [401, 402, 403, 404, 423])
def test_a_4xx_is_a_shopify_error_that_does_not_repeat_the_body(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin, status: int
) -> None:
    respx_mock.post(GRAPHQL_URL).mock(
        return_value=httpx.Response(status, json={"errors": f"echo {TOKEN}"})
    )
    with pytest.raises(ShopifyError) as raised:
        shopify.execute(SHOP_QUERY, {})
    assert str(raised.value) == f"Shopify refused the call with HTTP {status}"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, text="Internal Server Error"),
        httpx.Response(503, json={"errors": "Unavailable"}),
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.ConnectTimeout("no answer"),
        httpx.ConnectError("refused"),
    ],
    ids=["500", "503", "not-json", "timeout", "no-connection"],
)
def test_an_outage_is_transient(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin, answer: Any
) -> None:
    route = respx_mock.post(GRAPHQL_URL)
    if isinstance(answer, Exception):
        route.mock(side_effect=answer)
    else:
        route.mock(return_value=answer)
    with pytest.raises(ShopifyUnavailableError) as raised:
        shopify.execute(SHOP_QUERY, {})
    assert isinstance(raised.value, TransientError)


def test_the_token_is_never_logged(
    respx_mock: respx.MockRouter, shopify: ShopifyAdmin, app_logs: Callable[[], str]
) -> None:
    # Given calls that are throttled, refused and answered, logged at every level
    respx_mock.post(GRAPHQL_URL).mock(
        side_effect=[
            httpx.Response(200, json=fixture("throttled")),
            httpx.Response(200, json=SHOP),
            httpx.Response(200, json=fixture("access_denied")),
        ]
    )
    shopify.execute(REFUND, {}, idempotency_key="rma-1:0")
    with pytest.raises(ShopifyError):
        shopify.execute(SHOP_QUERY, {})
    # Then the logs said it waited, and never held the token
    assert "Shopify rate limit, waiting" in app_logs()
    assert TOKEN not in app_logs()
    assert TOKEN not in repr(shopify.__dict__.get("_url"))


# --- the lifecycle --------------------------------------------------------------------------


def test_the_lifecycle_retries_shopify_being_busy_by_the_name_its_state_machine_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a lifecycle task that meets Shopify's rate limit
    from chalicelib import lifecycle_entrypoints
    from chalicelib.services import container

    class Tasks:
        def execute_refund(self, rma_id: str) -> dict[str, Any]:
            raise ShopifyThrottledError("Shopify is rate limiting", retry_after=4.0)

    monkeypatch.setattr(container, "lifecycle_tasks", lambda: Tasks())
    # When the task runs, then the Lambda fails with an error named TransientError, which the
    # state machine's Retry names (Lambda reports an error by its class name)
    with pytest.raises(TransientError) as raised:
        lifecycle_entrypoints.run_lifecycle_task("execute_refund", {"rma_id": "r1"}, None)
    assert type(raised.value).__name__ == "TransientError"
    assert isinstance(raised.value.__cause__, ShopifyThrottledError)


# --- an app made in the Dev Dashboard: client credentials --------------------------------------

TOKEN_URL = "https://maison-lune.myshopify.com/admin/oauth/access_token"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def granted(token: str, expires_in: int = 86399) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": token, "scope": "write_orders", "expires_in": expires_in}
    )


def dev_dashboard_app(clock: Clock) -> ShopifyAdmin:
    return ShopifyAdmin(
        shop_domain="maison-lune.myshopify.com",
        client_credentials=("client-id-1", "client-secret-1"),
        api_version="2026-04",
        timeout_seconds=1.0,
        clock=clock,
    )


def test_an_app_with_client_credentials_asks_a_token_and_reuses_it_until_it_expires(
    respx_mock: respx.MockRouter,
) -> None:
    # Given an app made in the Dev Dashboard, whose tokens live a day
    clock = Clock()
    tokens = respx_mock.post(TOKEN_URL).mock(
        side_effect=[granted("shpat_first"), granted("shpat_second")]
    )
    graphql = respx_mock.post(GRAPHQL_URL).mock(return_value=httpx.Response(200, json=SHOP))
    shopify = dev_dashboard_app(clock)
    # When it queries twice within the day, and once more the next day
    shopify.execute(SHOP_QUERY, {})
    shopify.execute(SHOP_QUERY, {})
    clock.now += 86399 - 30
    shopify.execute(SHOP_QUERY, {})
    # Then it asked for a token with its credentials, used it twice, and asked again before
    # the token expired
    assert tokens.call_count == 2
    form = tokens.calls[0].request.content.decode()
    assert form == (
        "grant_type=client_credentials&client_id=client-id-1&client_secret=client-secret-1"
    )
    used = [call.request.headers["X-Shopify-Access-Token"] for call in graphql.calls]
    assert used == ["shpat_first", "shpat_first", "shpat_second"]


def test_a_token_shopify_refuses_is_replaced_once(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(TOKEN_URL).mock(side_effect=[granted("shpat_revoked"), granted("shpat_new")])
    graphql = respx_mock.post(GRAPHQL_URL).mock(
        side_effect=[
            httpx.Response(401, json={"errors": "Invalid"}),
            httpx.Response(200, json=SHOP),
        ]
    )
    assert dev_dashboard_app(Clock()).execute(SHOP_QUERY, {}) == SHOP["data"]
    used = [call.request.headers["X-Shopify-Access-Token"] for call in graphql.calls]
    assert used == ["shpat_revoked", "shpat_new"]


def test_client_credentials_shopify_refuses_are_a_shopify_error_without_the_secret(
    respx_mock: respx.MockRouter, app_logs: Callable[[], str]
) -> None:
    respx_mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(400, json={"error": "client-secret-1 is not valid"})
    )
    with pytest.raises(ShopifyError) as raised:
        dev_dashboard_app(Clock()).execute(SHOP_QUERY, {})
    assert str(raised.value) == "Shopify refused the app's client credentials with HTTP 400"
    assert "client-secret-1" not in app_logs()


def test_an_app_needs_a_token_or_its_client_credentials() -> None:
    with pytest.raises(ValueError, match="an access token or the app's client credentials"):
        ShopifyAdmin(shop_domain=SHOP_DOMAIN, api_version="2026-04", timeout_seconds=1.0)
