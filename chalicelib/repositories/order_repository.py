"""Orders in DynamoDB. The only module that knows their keys.

Item layout: pk `ORDER#<order key>` (the number without Shopify's `#`, so that `#1001`, `1001`
and ` #1001 ` find the same item `ORDER#1001`: see `order_key`), sk `ORDER`;
customer-index `CUSTOMER#<email>` (the same partition as the customer's RMAs) /
`ORDER#<ordered on>#<number>`, so that a customer's orders and returns are told apart by the
sort key's prefix. `source_version` is `source_updated_at` in microseconds since the epoch: a
number, because DynamoDB compares the ISO strings of two offsets or precisions as text.

The order's timeline lives in its partition, a milestone an item: sk `TRACK#<event key>`
("TRACK##1001.1#DELIVERED"), written only if absent, so that the first told of a milestone wins
and a webhook told twice or late changes nothing. The order's upsert writes its own item only;
the order and its timeline are read together in one Query of the partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.order import Order, email_key
from chalicelib.domain.order_tracking import TrackingEvent
from chalicelib.domain.references import order_key
from chalicelib.repositories.dynamo import DynamoTable
from chalicelib.repositories.rma_repository import _customer_pk as customer_pk
from chalicelib.repositories.table_schema import (
    CUSTOMER_INDEX,
    CUSTOMER_INDEX_PK,
    CUSTOMER_INDEX_SK,
    PARTITION_KEY,
    SORT_KEY,
)

_ORDER_SK = "ORDER"
_ORDER_PREFIX = "ORDER#"
_TRACK_PREFIX = "TRACK#"
_SOURCE_VERSION = "source_version"
# What a milestone told again may add to the one kept, never change.
_TRACKING_DETAILS = frozenset(
    {"carrier", "tracking_number", "tracking_url", "estimated_delivery_at"}
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _order_pk(number: str) -> str:
    return f"{_ORDER_PREFIX}{order_key(number)}"


def _order_key(number: str) -> dict[str, str]:
    return {PARTITION_KEY: _order_pk(number), SORT_KEY: _ORDER_SK}


def _source_version(order: Order) -> int:
    return (order.source_updated_at - _EPOCH) // timedelta(microseconds=1)


class OrderRepository(DynamoTable):
    def get(self, number: str) -> Order | None:
        response = self._dynamodb.get_item(
            TableName=self._table, Key=self._to_dynamo(_order_key(number)), ConsistentRead=True
        )
        item = response.get("Item")
        return self._to_order(item) if item else None

    def upsert(self, order: Order) -> bool:
        """Store `order` unless the stored version is as new or newer; whether it was stored.

        Webhooks arrive twice and out of order: a duplicate or a stale version is no error, it
        just changes nothing.
        """
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=self._to_dynamo(self._order_item(order)),
                ConditionExpression=f"attribute_not_exists({PARTITION_KEY}) OR #version < :new",
                ExpressionAttributeNames={"#version": _SOURCE_VERSION},
                ExpressionAttributeValues=self._to_dynamo({":new": _source_version(order)}),
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def with_timeline(self, number: str) -> tuple[Order, list[TrackingEvent]] | None:
        """Order `number` and the milestones of its timeline, as stored (unsorted): one Query
        of its partition (a page more only past DynamoDB's 1 MB); None when no such order."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": _order_pk(number)}},
            "ConsistentRead": True,
        }
        order: Order | None = None
        events: list[TrackingEvent] = []
        while True:
            response = self._dynamodb.query(**query)
            for item in response["Items"]:
                sort_key = item[SORT_KEY]["S"]
                # The partition may hold other items of the order's: only these two are read.
                if sort_key == _ORDER_SK:
                    order = self._to_order(item)
                elif sort_key.startswith(_TRACK_PREFIX):
                    events.append(self._to_event(item))
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return None if order is None else (order, events)

    def add_milestones(self, number: str, events: Sequence[TrackingEvent]) -> list[TrackingEvent]:
        """Add to order `number`'s timeline the milestones it does not have yet; those that
        were new. One conditional PutItem a milestone: one already there stays as first told,
        but learns the tracking it was told without (a parcel's number and link usually come
        after its shipping), with one UpdateItem that fills only what is missing."""
        added: list[TrackingEvent] = []
        for event in events:
            try:
                self._dynamodb.put_item(
                    TableName=self._table,
                    Item=self._to_dynamo(self._event_item(number, event)),
                    ConditionExpression=f"attribute_not_exists({PARTITION_KEY})",
                )
            except self._dynamodb.exceptions.ConditionalCheckFailedException:
                self._fill_tracking(number, event)
                continue
            added.append(event)
        return added

    def _fill_tracking(self, number: str, event: TrackingEvent) -> None:
        known = {
            name: value
            for name, value in event.model_dump(mode="json").items()
            if name in _TRACKING_DETAILS and value is not None
        }
        if not known:
            return
        item = self._event_item(number, event)
        self._dynamodb.update_item(
            TableName=self._table,
            Key=self._to_dynamo({PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]}),
            UpdateExpression="SET "
            + ", ".join(f"#{name} = if_not_exists(#{name}, :{name})" for name in known),
            ExpressionAttributeNames={f"#{name}": name for name in known},
            ExpressionAttributeValues=self._to_dynamo({f":{n}": v for n, v in known.items()}),
        )

    def for_customer(self, email: str, limit: int = 50) -> list[Order]:
        """A customer's `limit` most recent orders, newest first: one Query."""
        response = self._dynamodb.query(
            TableName=self._table,
            IndexName=CUSTOMER_INDEX,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :order)",
            ExpressionAttributeNames={"#pk": CUSTOMER_INDEX_PK, "#sk": CUSTOMER_INDEX_SK},
            ExpressionAttributeValues={
                ":pk": {"S": customer_pk(email_key(email))},
                ":order": {"S": _ORDER_PREFIX},
            },
            ScanIndexForward=False,
            Limit=limit,
        )
        return [self._to_order(item) for item in response["Items"]]

    # --- mapping -----------------------------------------------------------------------------

    def _order_item(self, order: Order) -> dict[str, Any]:
        return {
            **_order_key(order.number),
            CUSTOMER_INDEX_PK: customer_pk(order.customer_key),
            CUSTOMER_INDEX_SK: f"{_ORDER_PREFIX}{order.ordered_at.isoformat()}#{order.number}",
            _SOURCE_VERSION: _source_version(order),
            **order.model_dump(mode="json", exclude_none=True),
        }

    def _event_item(self, number: str, event: TrackingEvent) -> dict[str, Any]:
        return {
            PARTITION_KEY: _order_pk(number),
            SORT_KEY: f"{_TRACK_PREFIX}{event.key}",
            **event.model_dump(mode="json", exclude_none=True),
        }

    def _to_event(self, item: dict[str, Any]) -> TrackingEvent:
        document = self._from_dynamo(item)
        document.pop(PARTITION_KEY, None)
        document.pop(SORT_KEY, None)
        return TrackingEvent.model_validate(document)

    def _to_order(self, item: dict[str, Any]) -> Order:
        document = self._from_dynamo(item)
        for attribute in (
            PARTITION_KEY,
            SORT_KEY,
            CUSTOMER_INDEX_PK,
            CUSTOMER_INDEX_SK,
            _SOURCE_VERSION,
        ):
            document.pop(attribute, None)
        return Order.model_validate(document)
