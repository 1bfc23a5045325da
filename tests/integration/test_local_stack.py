"""The local stack of `make run`: its demo data, then the whole stack over real HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from chalicelib.domain.statuses import ProcessingStatus
from chalicelib.repositories.aws import client
from chalicelib.repositories.rma_repository import RmaRepository
from chalicelib.repositories.table_schema import table_definition
from chalicelib.services import container
from local.seed import DEMO_CUSTOMER_EMAIL, DemoClock, DemoData, seed_demo_data, seeding_service
from local.stack import RunningStack, start
from tests.lifecycle_support import eventually

PRESENT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
P = ProcessingStatus


def seed(table_name: str) -> DemoData:
    clock = DemoClock(PRESENT)
    return seed_demo_data(seeding_service(RmaRepository(table_name), clock), clock)


# --- the demo data, on moto in-process ---------------------------------------------------------


def test_the_demo_customer_fills_the_widget_with_two_returns_awaiting_a_decision(
    aws: None,
) -> None:
    # Given the demo data
    demo = seed(os.environ["TABLE_NAME"])
    # When the widget's query runs for the demo customer
    latest, total = container.rma_service().latest_for_customer(DEMO_CUSTOMER_EMAIL, 5)
    # Then five returns come back, two of them awaiting a decision: the two the demo names
    assert len(latest) == 5
    assert [r.id for r in latest if r.processing_status is P.REQUESTED] == [
        r.id for r in demo.awaiting_decision
    ]
    customer_returns = [r for r in demo.returns if r.customer.email == DEMO_CUSTOMER_EMAIL]
    assert total == len(customer_returns) >= 7
    assert {P.COMPLETE, P.REJECTED, P.CANCELED, P.ACCEPTED, P.ON_HOLD} <= {
        r.processing_status for r in customer_returns
    }


def test_the_demo_data_spans_customers_locales_products_and_weeks(aws: None) -> None:
    demo = seed(os.environ["TABLE_NAME"])
    customers = {r.customer for r in demo.returns}
    assert len(customers) >= 3
    assert {c.email.split("@")[1] for c in customers} == {"example.com", "example.fr"}
    assert "fr" in {c.locale for c in customers}
    lines = [line for r in demo.returns for line in r.lines]
    assert len({line.sku for line in lines}) >= 8
    assert all(line.unit_price > 0 for line in lines)
    assert len({line.reason for line in lines}) >= 5
    assert len({r.expected_resolution for r in demo.returns}) >= 3
    # Opened one after the other over the past weeks, so references follow creation order
    created = [r.created_at for r in demo.returns]
    assert created == sorted(set(created))
    assert created[0] <= PRESENT - timedelta(weeks=4)
    assert created[-1] < PRESENT


def test_every_demo_return_has_the_action_log_that_led_to_its_status(aws: None) -> None:
    demo = seed(os.environ["TABLE_NAME"])
    for seeded in demo.returns:
        stored, events = container.rma_service().history(seeded.return_reference)
        assert stored == seeded
        assert [e.version for e in events] == list(range(1, seeded.version + 1))
        assert events[-1].to_status is seeded.processing_status
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert events[-1].at < PRESENT


def test_seeding_twice_gives_the_same_data(aws: None) -> None:
    client("dynamodb").create_table(**table_definition("returns-desk-again"))
    assert seed(os.environ["TABLE_NAME"]) == seed("returns-desk-again")


# --- the running stack, over HTTP --------------------------------------------------------------


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningStack]:
    """A stack on a free port; monkeypatch undoes every variable it set (AWS_ENDPOINT_URL...)."""
    running = start(port=0, environment=monkeypatch)
    yield running
    running.stop()


@pytest.fixture
def http(stack: RunningStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=5, trust_env=False) as http_client:
        yield http_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_health_answers(http: httpx.Client) -> None:
    response = http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_widget_shows_the_demo_customer_with_two_returns_awaiting_a_decision(
    stack: RunningStack, http: httpx.Client
) -> None:
    response = http.get(
        "/gorgias/widget",
        params={"email": stack.demo.customer_email},
        headers=bearer(stack.widget_token),
    )
    assert response.status_code == 200
    widget = response.json()
    assert len(widget["returns"]) == 5
    assert widget["total"] >= 7
    assert [r["reference"] for r in widget["returns"] if r["status"] == "REQUESTED"] == [
        r.return_reference for r in stack.demo.awaiting_decision
    ]


def test_an_agent_approves_a_return_by_typing_its_number_once(
    stack: RunningStack, http: httpx.Client
) -> None:
    # Given a demo return awaiting a decision, typed as a bare number
    pending = stack.demo.awaiting_decision[0]
    body = {"rma": str(pending.return_number), "agent": {"id": 1, "email": "agent@example.com"}}
    # When an agent approves it, then approves it again
    first = http.post("/gorgias/actions/approve", json=body, headers=bearer(stack.widget_token))
    again = http.post("/gorgias/actions/approve", json=body, headers=bearer(stack.widget_token))
    # Then the first approval moves it to ACCEPTED and the second is refused
    assert first.status_code == 200
    assert first.json()["rma"]["reference"] == pending.return_reference
    assert first.json()["rma"]["status"] == "ACCEPTED"
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"


def test_the_lifecycle_runs_locally_from_approval_to_refund(
    stack: RunningStack, http: httpx.Client
) -> None:
    # Given the stack, whose lifecycle approved a submitted return by itself at start-up
    parcel = stack.auto_approved
    assert (parcel.processing_status, parcel.delivery_status) == ("ACCEPTED", "HANDLED")
    admin = bearer(stack.admin_token)

    def stored() -> dict[str, Any]:
        answer: dict[str, Any] = http.get(f"/rmas/{parcel.id}", headers=admin).json()
        return answer

    # When its parcel is received worn, and the refund is approved once computed
    lines = [{"sku": parcel.lines[0].sku, "quantity": 1, "product_state": "WORE"}]
    received = http.post(f"/rmas/{parcel.id}/receive", json={"lines": lines}, headers=admin)
    assert received.status_code == 200
    eventually(lambda: stored()["waiting_for"] == "REFUND_APPROVAL", "the refund to be computed")
    assert http.post(f"/rmas/{parcel.id}/refund", json={}, headers=admin).status_code == 200
    # Then the lifecycle completes it, 20% off for the wear
    eventually(lambda: stored()["processing_status"] == "COMPLETE", "the return to complete")
    done = stored()
    assert done["financial_status"] == "PARTIALLY_REFUNDED"
    assert done["financial_resolutions"][0]["amount"] == "23.20"


def test_a_wrong_token_is_refused(stack: RunningStack, http: httpx.Client) -> None:
    response = http.get(
        "/gorgias/widget",
        params={"email": stack.demo.customer_email},
        headers=bearer(stack.admin_token),
    )
    assert response.status_code == 401


def test_stopping_closes_both_servers_and_restores_the_environment() -> None:
    # Given a started stack
    before = dict(os.environ)
    with pytest.MonkeyPatch.context() as environment:
        running = start(port=0, environment=environment)
        moto_url = os.environ["AWS_ENDPOINT_URL"]
        # When it stops
        running.stop()
    # Then neither the API nor moto accepts connections, and no variable it set is left over
    for url in (f"{running.url}/health", f"{moto_url}/moto-api/"):
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, trust_env=False)
    assert dict(os.environ) == before
    # And no client bound to the stopped endpoint is cached
    assert client.cache_info().currsize == 0
