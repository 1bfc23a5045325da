"""What every repository of the single table shares: its name, the client, and the conversion
between plain documents and DynamoDB's typed attribute values."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# BatchGetItem takes at most 100 keys; keys it leaves unprocessed (throttling, its 16 MB answer
# limit) are asked again with growing pauses, this many times before giving up.
BATCH_GET_KEYS = 100
_BATCH_GET_ATTEMPTS = 8
_BATCH_GET_FIRST_PAUSE = 0.05


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
