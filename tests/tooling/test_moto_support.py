"""The moto patches the tests, the local stack and the benchmarks rely on."""

from __future__ import annotations

import os

import pytest
from botocore.exceptions import ClientError

from chalicelib.repositories.aws import client


def _put(pk: str, value: str, condition: str | None = None) -> dict:
    put = {
        "TableName": os.environ["TABLE_NAME"],
        "Item": {"pk": {"S": pk}, "sk": {"S": "ITEM"}, "value": {"S": value}},
    }
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}


def _value(pk: str) -> str | None:
    item = (
        client("dynamodb")
        .get_item(TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": pk}, "sk": {"S": "ITEM"}})
        .get("Item")
    )
    return item["value"]["S"] if item else None


def test_a_failed_transaction_leaves_every_item_as_it_was(aws: None) -> None:
    # Given an existing item and a transaction that overwrites it, adds one, then fails
    dynamodb = client("dynamodb")
    dynamodb.transact_write_items(TransactItems=[_put("existing", "before")])
    doomed = [
        _put("existing", "after"),
        _put("new", "created"),
        _put("existing-too", "x", condition="attribute_exists(pk)"),
    ]
    # When it runs
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(TransactItems=doomed)
    # Then nothing it wrote before failing remains
    assert _value("existing") == "before"
    assert _value("new") is None
    assert _value("existing-too") is None


def test_a_failed_transaction_undoes_its_updates_and_deletes_too(aws: None) -> None:
    # Given two existing items
    dynamodb, table = client("dynamodb"), os.environ["TABLE_NAME"]
    dynamodb.transact_write_items(
        TransactItems=[_put("updated", "before"), _put("deleted", "kept")]
    )
    doomed = [
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": "updated"}, "sk": {"S": "ITEM"}},
                "UpdateExpression": "SET #value = :after",
                "ExpressionAttributeNames": {"#value": "value"},
                "ExpressionAttributeValues": {":after": {"S": "after"}},
            }
        },
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "deleted"}, "sk": {"S": "ITEM"}}}},
        _put("missing", "x", condition="attribute_exists(pk)"),
    ]
    # When a transaction updates one, deletes the other, then fails
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(TransactItems=doomed)
    # Then both are as they were
    assert (_value("updated"), _value("deleted")) == ("before", "kept")


def test_a_successful_transaction_writes_every_item(aws: None) -> None:
    # Given a transaction of two items, When it runs
    client("dynamodb").transact_write_items(TransactItems=[_put("a", "1"), _put("b", "2")])
    # Then both are stored
    assert (_value("a"), _value("b")) == ("1", "2")
