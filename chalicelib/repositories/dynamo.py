"""What every repository of the single table shares: its name, the client, and the conversion
between plain documents and DynamoDB's typed attribute values."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from chalicelib.repositories.table_schema import PARTITION_KEY

if TYPE_CHECKING:
    from chalicelib.errors import DependencyUnavailableError

# BatchGetItem takes at most 100 keys; keys it leaves unprocessed (throttling, its 16 MB answer
# limit) are asked again with growing pauses, this many times before giving up.
BATCH_GET_KEYS = 100
_BATCH_GET_ATTEMPTS = 8
_BATCH_GET_FIRST_PAUSE = 0.05


# What DynamoDB answers once the SDK's own retries of a throttled call are spent, and the reasons
# a transaction gives when one of its items was throttled.
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
    }
)
# How long a caller is asked to wait before trying a throttled request again.
RETRY_AFTER_SECONDS = 1


def is_throttling(error: BaseException) -> bool:
    """Whether `error` is DynamoDB refusing for load, not for what was asked."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    codes = {response.get("Error", {}).get("Code")}
    codes |= {reason.get("Code") for reason in response.get("CancellationReasons") or []}
    return bool(codes & THROTTLING_CODES)


def busy_error(error: BaseException) -> DependencyUnavailableError | None:
    """What a throttled call means to its caller (the database is busy, retry shortly), or
    None when `error` is no throttling."""
    from chalicelib.errors import DependencyUnavailableError

    if not is_throttling(error):
        return None
    return DependencyUnavailableError(
        "The returns database is busy; try again in a moment.",
        {"retry_after_seconds": RETRY_AFTER_SECONDS},
    )


def raise_if_throttled(error: BaseException) -> None:
    """A throttled write is no conflict with another person: the caller may retry shortly."""
    busy = busy_error(error)
    if busy is not None:
        raise busy from error


class DynamoTable:
    def __init__(self, table_name: str, dynamodb: Any | None = None) -> None:
        # Imported here rather than at module level: boto3 is only needed once a request arrives.
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        from chalicelib.repositories.aws import client

        self._table = table_name
        self._dynamodb = dynamodb if dynamodb is not None else client("dynamodb")
        self._serialize: Callable[[Any], dict[str, Any]] = TypeSerializer().serialize
        self._deserialize: Callable[[dict[str, Any]], Any] = TypeDeserializer().deserialize

    def _to_dynamo(self, document: dict[str, Any]) -> dict[str, Any]:
        return {name: self._serialize(value) for name, value in document.items()}

    def _from_dynamo(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: self._deserialize(value) for name, value in item.items()}

    def _put(
        self,
        document: dict[str, Any],
        *,
        condition: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": self._to_dynamo(document)}
        if condition:
            put["ConditionExpression"] = condition
        if values:
            put["ExpressionAttributeValues"] = self._to_dynamo(values)
        return {"Put": put}

    def _each_item(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item a Query finds, a page (1 MB at most) read at a time."""
        while True:
            response = self._dynamodb.query(TableName=self._table, **query)
            yield from response["Items"]
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _put_new(self, document: dict[str, Any]) -> bool:
        """Store `document` (a plain document, its key included) unless an item has its key;
        False when one had: what a handler handed the same thing twice makes of the second."""
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=self._to_dynamo(document),
                ConditionExpression=f"attribute_not_exists({PARTITION_KEY})",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items of `keys` (plain documents) that exist, strongly consistent, in no order:
        one BatchGetItem per 100 keys, plus one per retry of unprocessed keys."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), BATCH_GET_KEYS):
            chunk = [self._to_dynamo(key) for key in keys[start : start + BATCH_GET_KEYS]]
            pending: dict[str, Any] = {self._table: {"Keys": chunk, "ConsistentRead": True}}
            for attempt in range(_BATCH_GET_ATTEMPTS):
                if attempt:
                    time.sleep(_BATCH_GET_FIRST_PAUSE * 2 ** (attempt - 1))
                response = self._dynamodb.batch_get_item(RequestItems=pending)
                items.extend(response["Responses"].get(self._table, []))
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise RuntimeError(
                    f"DynamoDB left {len(pending[self._table]['Keys'])} keys unread "
                    f"after {_BATCH_GET_ATTEMPTS} attempts"
                )
        return items
