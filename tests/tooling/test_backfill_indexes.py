"""Specification of `python -m deploy.backfill_indexes`: the returns stored before the list
indexes were added enter them, read by Queries only, and a second run changes nothing."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from bench.counting import DynamoDBCallCounter
from chalicelib.domain.returns_listing import StatusDimension
from chalicelib.domain.rma import Rma
from chalicelib.repositories.aws import client
from chalicelib.repositories.table_schema import (
    DELIVERY_INDEX_PK,
    DELIVERY_INDEX_SK,
    FINANCIAL_INDEX_PK,
    FINANCIAL_INDEX_SK,
    FULFILLMENT_INDEX_PK,
    FULFILLMENT_INDEX_SK,
    MONTH_INDEX_PK,
    MONTH_INDEX_SK,
    ORDER_INDEX_PK,
    ORDER_INDEX_SK,
)
from chalicelib.services.console_returns import ConsoleReturns, ReturnsFilter
from deploy.backfill_indexes import main

ADDED_ATTRIBUTES = (
    DELIVERY_INDEX_PK,
    DELIVERY_INDEX_SK,
    FINANCIAL_INDEX_PK,
    FINANCIAL_INDEX_SK,
    FULFILLMENT_INDEX_PK,
    FULFILLMENT_INDEX_SK,
    ORDER_INDEX_PK,
    ORDER_INDEX_SK,
    MONTH_INDEX_PK,
    MONTH_INDEX_SK,
)
NOW = datetime(2026, 12, 10, tzinfo=UTC)
ORDER = {"number": "SHOP-42"}


@pytest.fixture
def stored_before(open_rma: Callable[..., Rma]) -> list[Rma]:
    """Returns opened in October and December, then stripped of what the upgrade added, as an
    earlier version stored them (the item layout is rma_repository.py's)."""
    opened = []
    for moment in (datetime(2026, 10, 5, tzinfo=UTC), NOW):
        # A second apart: returns opened at the same instant have no newest.
        with time_machine.travel(moment, tick=False):
            opened.append(open_rma(order=ORDER))
        with time_machine.travel(moment + timedelta(seconds=1), tick=False):
            opened.append(open_rma(submitted=False, order=ORDER))
    dynamodb = client("dynamodb")
    names = {f"#a{n}": name for n, name in enumerate(ADDED_ATTRIBUTES)}
    for rma in opened:
        dynamodb.update_item(
            TableName=os.environ["TABLE_NAME"],
            Key={"pk": {"S": f"RMA#{rma.id}"}, "sk": {"S": "RMA"}},
            UpdateExpression="REMOVE " + ", ".join(names),
            ExpressionAttributeNames=names,
        )
    dynamodb.update_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": "COUNTER#RETURN_NUMBER"}, "sk": {"S": "COUNTER"}},
        UpdateExpression="REMOVE first_month",
    )
    return opened


def listed(console: ConsoleReturns, **asked: Any) -> list[str]:
    return [rma.id for rma in console.list(ReturnsFilter(limit=50, **asked)).items]


def test_returns_stored_before_the_upgrade_enter_the_new_lists(
    stored_before: list[Rma], repository: Any
) -> None:
    console = ConsoleReturns(repository, clock=lambda: NOW)
    # Given returns missing from the lists the upgrade added
    assert listed(console) == []
    # When the backfill runs, with DynamoDB calls counted
    counter = DynamoDBCallCounter().attach(client("dynamodb"))
    out = io.StringIO()
    assert main(["--table", os.environ["TABLE_NAME"]], out=out) == 0
    # Then it read them with Queries, never a Scan, and says what it did
    assert counter.scans == 0
    assert "4 returns given their index attributes, 0 already had them" in out.getvalue()
    # And every list holds them, back to the oldest return's month
    newest_first = [rma.id for rma in reversed(stored_before)]
    assert listed(console) == newest_first
    assert listed(console, dimension=StatusDimension.DELIVERY, status="PENDING") == newest_first
    assert listed(console, query="SHOP-42") == newest_first


def test_a_second_run_changes_nothing(stored_before: list[Rma]) -> None:
    # Given a backfill that ran
    main(["--table", os.environ["TABLE_NAME"]], out=io.StringIO())
    # When it runs again
    out = io.StringIO()
    main(["--table", os.environ["TABLE_NAME"]], out=out)
    # Then every return already had its attributes
    assert "0 returns given their index attributes, 4 already had them" in out.getvalue()
