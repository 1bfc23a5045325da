"""The deliveries of outgoing webhooks, each with its latest attempts. The only module that
knows their items.

- Delivery: pk `WEBHOOK#<endpoint id>`, sk `DELIVERY#<delivery id>`: an endpoint's deliveries
  are one partition, and their ids start with the event's time (domain.webhooks.delivery_id),
  so the newest come first by key alone. It holds the body every attempt sends, the last
  MAX_KEPT_ATTEMPTS attempts and `attempt_count`, the count of all of them.
- Each delivery expires (TTL) RETENTION after it was made: the log stays small, and the
  deliveries of a deleted endpoint go with time, no job deleting them.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.rma import revised
from chalicelib.domain.webhooks import (
    MAX_KEPT_ATTEMPTS,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
)
from chalicelib.errors import StoredDataError, WebhookDeliveryNotFoundError
from chalicelib.repositories.cursor_codec import CursorCodec
from chalicelib.repositories.dynamo import DynamoTable
from chalicelib.repositories.stored_data import validation_summary
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE

RETENTION = timedelta(days=30)

_PARTITION_PREFIX = "WEBHOOK#"
_SORT_PREFIX = "DELIVERY#"
_CURSOR_ATTRIBUTES = (PARTITION_KEY, SORT_KEY)
# Attempts of one delivery racing (SQS hands a message over twice): each write is conditional
# on the count it extends, and one that lost is made again over the winner's.
_RECORD_TRIES = 5


class WebhookDeliveries(DynamoTable):
    def __init__(
        self, table_name: str, dynamodb: Any | None = None, *, cursors: CursorCodec | None = None
    ) -> None:
        super().__init__(table_name, dynamodb)
        # Without a stable secret, cursors hold within this process only (tests, tools).
        self._cursors = cursors if cursors is not None else CursorCodec(os.urandom(32))

    def add(self, delivery: WebhookDelivery) -> bool:
        """Store a new delivery; False when it was made already (an event handed over again)."""
        item = {
            **_key(delivery.endpoint_id, delivery.id),
            **_document(delivery),
            TTL_ATTRIBUTE: int((delivery.created_at + RETENTION).timestamp()),
        }
        return self._put_new(item)

    def get(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery | None:
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=self._to_dynamo(_key(endpoint_id, delivery_id)),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return self._delivery(item) if item else None

    def record_attempt(
        self,
        delivery: WebhookDelivery,
        attempt: DeliveryAttempt,
        *,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> WebhookDelivery:
        """Add `attempt` to the delivery's record, with the status and the next attempt's time
        it leads to; the delivery as left. One write, unless another attempt of the same
        delivery was recorded since `delivery` was read: then this one is added after it.
        WebhookDeliveryNotFoundError when the delivery is gone (expired)."""
        current = delivery
        for _ in range(_RECORD_TRIES):
            recorded = _recorded(current, attempt, status, next_attempt_at)
            update = "SET attempts = :kept, attempt_count = :count, #status = :status"
            values: dict[str, Any] = {
                ":kept": _document(recorded)["attempts"],
                ":count": recorded.attempt_count,
                ":seen": current.attempt_count,
                ":status": status.value,
            }
            if next_attempt_at is None:
                update += " REMOVE next_attempt_at"
            else:
                update += ", next_attempt_at = :next"
                values[":next"] = next_attempt_at.isoformat()
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key=self._to_dynamo(_key(delivery.endpoint_id, delivery.id)),
                    UpdateExpression=update,
                    ConditionExpression="attempt_count = :seen",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues=self._to_dynamo(values),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except self._dynamodb.exceptions.ConditionalCheckFailedException as error:
                stored = error.response.get("Item")
                if not stored:
                    raise WebhookDeliveryNotFoundError(delivery.endpoint_id, delivery.id) from error
                current = self._delivery(stored)
                if current.status is DeliveryStatus.DELIVERED:
                    # A concurrent attempt got it through: this one's failure is kept in the
                    # log, but the delivery stays delivered.
                    status, next_attempt_at = DeliveryStatus.DELIVERED, None
                continue
            return recorded
        raise RuntimeError(f"Delivery {delivery.id}: its attempts kept racing; not recorded")

    def mark_pending(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """Make the delivery due again now (a person's retry), whatever became of it; the
        delivery as left. WebhookDeliveryNotFoundError when it is gone (expired)."""
        try:
            response = self._dynamodb.update_item(
                TableName=self._table,
                Key=self._to_dynamo(_key(delivery.endpoint_id, delivery.id)),
                UpdateExpression="SET #status = :pending REMOVE next_attempt_at",
                ConditionExpression=f"attribute_exists({PARTITION_KEY})",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=self._to_dynamo(
                    {":pending": DeliveryStatus.PENDING.value}
                ),
                ReturnValues="ALL_NEW",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException as error:
            raise WebhookDeliveryNotFoundError(delivery.endpoint_id, delivery.id) from error
        return self._delivery(response["Attributes"])

    def page(
        self, endpoint_id: str, *, limit: int, cursor: str | None = None
    ) -> tuple[list[WebhookDelivery], str | None]:
        """The endpoint's deliveries, newest first, `limit` a page, and the next page's cursor
        (None after the last): one Query of its partition."""
        partition = f"{_PARTITION_PREFIX}{endpoint_id}"
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :deliveries)",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY, "#sk": SORT_KEY},
            "ExpressionAttributeValues": {
                ":pk": {"S": partition},
                ":deliveries": {"S": _SORT_PREFIX},
            },
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            query["ExclusiveStartKey"] = self._cursors.decode(
                cursor, attributes=_CURSOR_ATTRIBUTES, fixed={PARTITION_KEY: partition}
            )
        response = self._dynamodb.query(**query)
        deliveries = [self._delivery(item) for item in response["Items"]]
        last = response.get("LastEvaluatedKey")
        return deliveries, self._cursors.encode(last) if last else None

    def _delivery(self, item: dict[str, Any]) -> WebhookDelivery:
        """The delivery an item holds; StoredDataError when it no longer reads as one."""
        document = self._from_dynamo(item)
        key = f"{document.pop(PARTITION_KEY)}/{document.pop(SORT_KEY)}"
        document.pop(TTL_ATTRIBUTE, None)
        try:
            return WebhookDelivery.model_validate(document)
        except ValidationError as error:
            raise StoredDataError(key, validation_summary(error)) from error


def _key(endpoint_id: str, delivery_id: str) -> dict[str, str]:
    return {
        PARTITION_KEY: f"{_PARTITION_PREFIX}{endpoint_id}",
        SORT_KEY: f"{_SORT_PREFIX}{delivery_id}",
    }


def _document(delivery: WebhookDelivery) -> dict[str, Any]:
    document = delivery.model_dump(mode="json", exclude_none=True)
    document["attempts"] = document["attempts"][-MAX_KEPT_ATTEMPTS:]
    return document


def _recorded(
    delivery: WebhookDelivery,
    attempt: DeliveryAttempt,
    status: DeliveryStatus,
    next_attempt_at: datetime | None,
) -> WebhookDelivery:
    return revised(
        delivery,
        attempts=[*delivery.attempts, attempt][-MAX_KEPT_ATTEMPTS:],
        attempt_count=delivery.attempt_count + 1,
        status=status,
        next_attempt_at=next_attempt_at,
    )
