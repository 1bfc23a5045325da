"""The DynamoDB budgets of `make bench`, on a small table so that `make test` guards them."""

from __future__ import annotations

import os
from typing import Any

import pytest

from app import app
from bench.counting import DynamoDBCallCounter
from bench.dataset import Dataset, DatasetSpec, load_dataset
from bench.measure import http_client, measure
from bench.scenarios import all_scenarios, approve, widget
from chalicelib.repositories.aws import client

# Enough customers and statuses for every scenario; the widget customer still has 30 RMAs.
SMALL = DatasetSpec(rmas=200, customers=20)


@pytest.fixture
def counter(aws: None) -> DynamoDBCallCounter:
    """Counts on the client the app uses: the `aws` fixture has just made it, inside moto."""
    return DynamoDBCallCounter().attach(client("dynamodb"))


@pytest.fixture
def dataset(counter: DynamoDBCallCounter) -> Dataset:
    """Loaded with the counter attached, so that a Scan while loading is seen too."""
    return load_dataset(client("dynamodb"), os.environ["TABLE_NAME"], SMALL)


@pytest.fixture
def app_client(aws: None) -> Any:
    """Not conftest's `api`: see `http_client` on Chalice's stage environment."""
    return http_client(app)


@pytest.mark.parametrize(
    ("customer", "returns_opened"),
    [("heavy_customer", SMALL.heavy_customer_rmas), ("light_customer", SMALL.light_customer_rmas)],
)
def test_the_widget_is_a_query_of_five_returns_and_one_of_five_requests_at_most(
    dataset: Dataset,
    counter: DynamoDBCallCounter,
    app_client: Any,
    customer: str,
    returns_opened: int,
) -> None:
    # Given a customer with many returns, or a few
    scenario = widget(getattr(dataset, customer), returns_opened)
    # When an agent opens their ticket
    measured = measure(app_client, counter, scenario)
    # Then the sidebar costs a Query of her returns and one of her requests (none here), each
    # reading at most five items, and shows the right returns
    assert measured.usage.calls == {"Query": 2}
    assert measured.usage.items_read <= 5
    assert measured.ok, measured.problems


def test_approving_a_typed_reference_reads_twice_and_writes_one_transaction(
    dataset: Dataset, counter: DynamoDBCallCounter, app_client: Any
) -> None:
    # Given a return waiting for a decision, typed by its bare number
    scenario = approve(str(dataset.requested_numbers[0]))
    # When an agent approves it from Gorgias
    measured = measure(app_client, counter, scenario)
    # Then the reference and the RMA are read, and one transaction writes the decision
    assert measured.usage.calls.get("GetItem", 0) <= 2
    assert measured.usage.calls.get("TransactWriteItems") == 1
    assert set(measured.usage.calls) <= {"GetItem", "TransactWriteItems"}
    assert measured.ok, measured.problems


def test_every_benchmarked_request_stays_within_its_budget_and_nothing_scans(
    dataset: Dataset, counter: DynamoDBCallCounter, app_client: Any
) -> None:
    # Given the loaded table
    # When every request of the bench is made
    measurements = [measure(app_client, counter, scenario) for scenario in all_scenarios(dataset)]
    # Then each stays within its budget, and nothing, loading included, ever scanned
    assert {m.scenario.name: m.problems for m in measurements if not m.ok} == {}
    assert counter.scans == 0


def test_the_portal_signs_in_and_opens_a_return_with_key_lookups_and_queries_only(
    counter: DynamoDBCallCounter, app_client: Any
) -> None:
    # Given a shopper with a stored order
    # When they sign in (code, then session), open a return, read an order, ask to cancel
    # another and report an issue, and the merchant accepts the claim
    from bench.portal import measure_portal

    measured = measure_portal(app_client, counter)
    # Then each request stays within its budget, and nothing Scans
    assert len(measured) == 7
    for measurement in measured:
        assert measurement.ok, (measurement.scenario.name, measurement.problems)
    assert counter.scans == 0
