"""The single DynamoDB table: key attributes and indexes.

These constants are the one description of the table. The tests, the local stack and the
deployment template all build it from `table_definition()`; the item layout of each aggregate
lives in its repository module.
"""

from __future__ import annotations

from typing import Any

PARTITION_KEY = "pk"
SORT_KEY = "sk"

# A customer's returns, newest first (widget, portal).
CUSTOMER_INDEX = "customer-index"
CUSTOMER_INDEX_PK = "customer_pk"
CUSTOMER_INDEX_SK = "customer_sk"

# Returns by processing status (admin lists, reminders).
STATUS_INDEX = "status-index"
STATUS_INDEX_PK = "status_pk"
STATUS_INDEX_SK = "status_sk"

# Returns by each of the other status dimensions, newest first (console and admin lists).
DELIVERY_INDEX = "delivery-index"
DELIVERY_INDEX_PK = "delivery_pk"
DELIVERY_INDEX_SK = "delivery_sk"
FINANCIAL_INDEX = "financial-index"
FINANCIAL_INDEX_PK = "financial_pk"
FINANCIAL_INDEX_SK = "financial_sk"
FULFILLMENT_INDEX = "fulfillment-index"
FULFILLMENT_INDEX_PK = "fulfillment_pk"
FULFILLMENT_INDEX_SK = "fulfillment_sk"

# An order's returns, newest first (console search by order number).
ORDER_INDEX = "order-index"
ORDER_INDEX_PK = "order_pk"
ORDER_INDEX_SK = "order_sk"

# Every return, newest first, one partition per month of creation: no partition grows forever.
MONTH_INDEX = "month-index"
MONTH_INDEX_PK = "month_pk"
MONTH_INDEX_SK = "month_sk"

# Status emails waiting to be sent, oldest first. Sparse: only items due carry its attributes,
# so the email job reads what it sends and nothing else.
EMAIL_DUE_INDEX = "email-due-index"
EMAIL_DUE_INDEX_PK = "due_pk"
EMAIL_DUE_INDEX_SK = "due_sk"

TTL_ATTRIBUTE = "expires_at"

# Return events reach their subscribers through the table's stream: each event item is written
# whole, with the change, and read from its new image only.
STREAM_VIEW_TYPE = "NEW_IMAGE"

# Every index projects all attributes: a list page is one Query, with no BatchGetItem of the
# items it names. The price is on writes: each version of a return (a Put of the whole item)
# writes its copy to each index, about 8 x its 1-3 KB a version: a few cents a month at hundreds
# of returns a day, where KEYS_ONLY would double the reads and round trips of every page.
# DynamoDB allows 20 indexes a table; a deployed table gains them one per stack update.
_INDEXES = {
    CUSTOMER_INDEX: (CUSTOMER_INDEX_PK, CUSTOMER_INDEX_SK),
    STATUS_INDEX: (STATUS_INDEX_PK, STATUS_INDEX_SK),
    EMAIL_DUE_INDEX: (EMAIL_DUE_INDEX_PK, EMAIL_DUE_INDEX_SK),
    DELIVERY_INDEX: (DELIVERY_INDEX_PK, DELIVERY_INDEX_SK),
    FINANCIAL_INDEX: (FINANCIAL_INDEX_PK, FINANCIAL_INDEX_SK),
    FULFILLMENT_INDEX: (FULFILLMENT_INDEX_PK, FULFILLMENT_INDEX_SK),
    ORDER_INDEX: (ORDER_INDEX_PK, ORDER_INDEX_SK),
    MONTH_INDEX: (MONTH_INDEX_PK, MONTH_INDEX_SK),
}


def table_definition(table_name: str) -> dict[str, Any]:
    """Arguments for DynamoDB CreateTable (on-demand billing, every index projecting all)."""
    key_attributes = {PARTITION_KEY, SORT_KEY} | {a for keys in _INDEXES.values() for a in keys}
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in sorted(key_attributes)
        ],
        "KeySchema": _key_schema(PARTITION_KEY, SORT_KEY),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index,
                "KeySchema": _key_schema(pk, sk),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, (pk, sk) in _INDEXES.items()
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
    }


def _key_schema(partition_key: str, sort_key: str) -> list[dict[str, str]]:
    return [
        {"AttributeName": partition_key, "KeyType": "HASH"},
        {"AttributeName": sort_key, "KeyType": "RANGE"},
    ]
