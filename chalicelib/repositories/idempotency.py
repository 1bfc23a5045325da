"""Powertools idempotency records, kept in the single table under a partition of their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer


def idempotency_store(
    table_name: str, purpose: str, dynamodb: Any | None = None
) -> DynamoDBPersistenceLayer:
    """Records of `purpose` (pk `IDEMPOTENCY#<purpose>`, sk the hashed key), expired by the
    table's TTL attribute like every other short-lived item."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from chalicelib.repositories.aws import client

    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr=PARTITION_KEY,
        sort_key_attr=SORT_KEY,
        static_pk_value=f"IDEMPOTENCY#{purpose}",
        expiry_attr=TTL_ATTRIBUTE,
        boto3_client=dynamodb if dynamodb is not None else client("dynamodb"),
    )
