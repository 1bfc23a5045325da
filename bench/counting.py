"""Counts the DynamoDB calls a client makes, and the items they read and write."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCAN = "Scan"


@dataclass(frozen=True)
class Usage:
    """DynamoDB work: calls by operation name, items read and items written."""

    calls: Mapping[str, int] = field(default_factory=dict)
    items_read: int = 0
    items_written: int = 0

    def __sub__(self, earlier: Usage) -> Usage:
        calls = Counter(self.calls)
        calls.subtract(earlier.calls)
        return Usage(
            calls={name: count for name, count in calls.items() if count},
            items_read=self.items_read - earlier.items_read,
            items_written=self.items_written - earlier.items_written,
        )

    @property
    def call_count(self) -> int:
        return sum(self.calls.values())


def _request_count(requests_by_table: Mapping[str, list[Any]]) -> int:
    return sum(len(requests) for requests in requests_by_table.values())


# Items an operation writes, from its parameters.
_ITEMS_WRITTEN: dict[str, Callable[[Mapping[str, Any]], int]] = {
    "PutItem": lambda params: 1,
    "UpdateItem": lambda params: 1,
    "DeleteItem": lambda params: 1,
    "TransactWriteItems": lambda params: len(params["TransactItems"]),
    "BatchWriteItem": lambda params: _request_count(params["RequestItems"]),
}

# Items an operation read, from its answer. Query and Scan report ScannedCount: what DynamoDB
# read (and bills), which a filter expression would make larger than the items returned.
_ITEMS_READ: dict[str, Callable[[Mapping[str, Any]], int]] = {
    "GetItem": lambda answer: 1 if "Item" in answer else 0,
    "Query": lambda answer: answer.get("ScannedCount", answer.get("Count", 0)),
    SCAN: lambda answer: answer.get("ScannedCount", answer.get("Count", 0)),
    "BatchGetItem": lambda answer: _request_count(answer.get("Responses", {})),
    "TransactGetItems": lambda answer: sum(1 for r in answer.get("Responses", []) if "Item" in r),
}


class DynamoDBCallCounter:
    """Listens to a botocore DynamoDB client's events; `usage()` is everything seen so far.

    Take `usage()` before and after a request and subtract to get what the request cost.
    """

    def __init__(self) -> None:
        self._calls: Counter[str] = Counter()
        self._items_read = 0
        self._items_written = 0

    def attach(self, client: Any) -> DynamoDBCallCounter:
        events = client.meta.events
        # Calls and writes are counted before the parameters are serialized: `before-call` only
        # sees the request body on the wire, while this event sees the API parameters once per
        # call (retries happen later, inside the endpoint, and are not new calls).
        events.register(
            "before-parameter-build.dynamodb.*", self._on_call, unique_id="bench-count-calls"
        )
        events.register("after-call.dynamodb.*", self._on_answer, unique_id="bench-count-reads")
        return self

    def usage(self) -> Usage:
        return Usage(dict(self._calls), self._items_read, self._items_written)

    @property
    def scans(self) -> int:
        return self._calls[SCAN]

    def _on_call(self, model: Any, params: Mapping[str, Any], **_: Any) -> None:
        self._calls[model.name] += 1
        written = _ITEMS_WRITTEN.get(model.name)
        if written is not None:
            self._items_written += written(params)

    def _on_answer(self, model: Any, parsed: Mapping[str, Any], **_: Any) -> None:
        read = _ITEMS_READ.get(model.name)
        if read is not None:
            self._items_read += read(parsed)
