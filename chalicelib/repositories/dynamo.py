"""What every repository of the single table shares: its name, the client, and the conversion
between plain documents and DynamoDB's typed attribute values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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
