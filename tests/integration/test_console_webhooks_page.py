"""Specification of the console's webhooks page: each endpoint the merchant added, what it
receives, whether it is enabled, disabled (why, since when) or failing (since when), and its
latest deliveries with their status, attempts and last answer. Read-only: no secret shown."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest

from chalicelib.domain.webhooks import (
    DeliveryAttempt,
    DeliveryStatus,
    SigningSecret,
    WebhookDelivery,
    WebhookEndpoint,
    delivery_id,
    new_secret,
    webhook_payload,
)
from chalicelib.services import container

PAGE = "/console/webhooks"
CREATED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def text(page: Any) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.body.decode())))


def add_endpoint(number: int, url: str, events: list[str]) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        id=f"ep_{number}",
        url=url,
        events=events,
        secrets=[SigningSecret(value=new_secret(), created_at=CREATED)],
        created_at=CREATED + timedelta(minutes=number),
        updated_at=CREATED,
    )
    container.webhook_endpoints().add(endpoint)
    return endpoint


def add_delivery(
    endpoint: WebhookEndpoint, minutes: int, *answers: int | None, status: DeliveryStatus
) -> None:
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    delivery = WebhookDelivery(
        id=delivery_id(f"ev-{minutes}", endpoint.id, at),
        endpoint_id=endpoint.id,
        event_type="return.approved",
        event_id=f"ev-{minutes}",
        rma_reference=f"R-{minutes:06d}",
        payload=webhook_payload("return.approved", at, {}),
        created_at=at,
    )
    deliveries = container.webhook_deliveries()
    deliveries.add(delivery)
    for answer in answers:
        delivery = deliveries.record_attempt(
            delivery,
            DeliveryAttempt(
                at=at, status_code=answer, error=None if answer else "Connection refused"
            ),
            status=status,
            next_attempt_at=None,
        )


@pytest.fixture
def endpoints(console: Any) -> list[WebhookEndpoint]:
    """Three endpoints: one delivering, one failing since the 28th, one disabled on the 29th."""
    healthy = add_endpoint(1, "https://erp.shop.example/returns", ["return.approved"])
    failing = add_endpoint(2, "https://crm.shop.example/hook", ["return.rejected"])
    disabled = add_endpoint(3, "https://old.shop.example/hook", ["webhook.test"])
    stores = container.webhook_endpoints()
    stores.record_failure(failing.id, datetime(2026, 11, 28, 14, 5, tzinfo=UTC))
    stores.disable(disabled.id, "It answered 410 Gone.", datetime(2026, 11, 29, 7, 30, tzinfo=UTC))
    return [healthy, failing, disabled]


def test_no_endpoint_yet_says_how_to_add_one(console: Any, cookie: str) -> None:
    page = console.http.get(PAGE, headers={"Cookie": cookie})
    assert page.status_code == 200
    assert "No webhook endpoint yet." in text(page)
    assert "POST /webhooks/endpoints" in text(page)


def test_each_endpoint_shows_what_it_receives_and_its_state(
    console: Any, cookie: str, endpoints: list[WebhookEndpoint]
) -> None:
    page = text(console.http.get(PAGE, headers={"Cookie": cookie}))
    # The oldest first, each with its events and state
    assert page.index("erp.shop.example") < page.index("crm.shop.example")
    assert page.index("crm.shop.example") < page.index("old.shop.example")
    assert "Events return.approved State Enabled" in page
    assert "Events return.rejected State Failing since 28 Nov 2026, 14:05 UTC" in page
    assert (
        "Events webhook.test State Disabled since 29 Nov 2026, 07:30 UTC: It answered 410 Gone."
        in page
    )
    # And no secret is ever shown
    assert "whsec_" not in page


def test_an_endpoint_shows_its_latest_ten_deliveries_newest_first(
    console: Any, cookie: str, endpoints: list[WebhookEndpoint]
) -> None:
    # Given twelve deliveries to the first endpoint: delivered, but the newest failed after
    # a refused connection and a 503
    healthy = endpoints[0]
    for minutes in range(11):
        add_delivery(healthy, minutes, 200, status=DeliveryStatus.DELIVERED)
    add_delivery(healthy, 11, None, 503, status=DeliveryStatus.FAILED)
    # When the merchant opens the page
    page = text(console.http.get(PAGE, headers={"Cookie": cookie}))
    # Then the newest ten are shown, newest first: type, return, status, attempts, last answer
    assert "return.approved R-000011 Failed 2 HTTP 503" in page
    assert "return.approved R-000010 Delivered 1 HTTP 200" in page
    assert page.index("R-000011") < page.index("R-000010") < page.index("R-000002")
    assert "R-000001" not in page
    assert "R-000000" not in page
    # And the endpoints without deliveries say so
    assert page.count("Nothing was delivered to this endpoint yet.") == 2


def test_a_delivery_that_got_no_answer_says_why(
    console: Any, cookie: str, endpoints: list[WebhookEndpoint]
) -> None:
    add_delivery(endpoints[1], 0, None, status=DeliveryStatus.PENDING)
    page = text(console.http.get(PAGE, headers={"Cookie": cookie}))
    assert "return.approved R-000000 Pending 1 Connection refused" in page


def test_the_console_navigation_leads_to_the_webhooks(console: Any, cookie: str) -> None:
    page = console.http.get("/console/returns", headers={"Cookie": cookie})
    assert 'href="/console/webhooks"' in page.body.decode()
