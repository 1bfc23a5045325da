"""An in-memory stand-in for the DynamoDB client, to capture what the repository writes.

Opening 10,000 RMAs through the service costs three DynamoDB round trips each. Handing the
repository this recorder instead keeps its exact writes — RMA items with their index attributes,
reference items, action-log entries, return events, counters, due emails — in memory, in
DynamoDB's own JSON, so that they can then be loaded with a few hundred BatchWriteItem calls.
Nothing here knows the item layout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

# The only update the repository makes is a counter's `ADD #name :value` (a return number, a
# customer's count, the units of an order line claimed), the return number's also setting the
# month of the first return once: `SET #first = if_not_exists(#first, :month)`.
_ADD_EXPRESSION = re.compile(r"ADD (#\w+) (:\w+)(?: SET (#\w+) = if_not_exists\(\3, (:\w+)\))?")


class RecordingDynamoDB:
    """Answers the calls the repository makes while opening and moving RMAs.

    Condition expressions are not evaluated: loading fresh ids and return numbers into an empty
    table satisfies them by construction, and the real conditions are exercised by the tests.
    A call the recorder does not understand fails loudly rather than being guessed at. Keyword
    names are boto3's, since the repository calls these methods as it calls the client.
    """

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], Item] = {}

    # No __len__ on purpose: RmaRepository takes `dynamodb or client("dynamodb")`, and an empty
    # recorder must not be mistaken for "no client given".
    @property
    def items(self) -> list[Item]:
        """The final state of every item written, one per key (a later write replaces it)."""
        return list(self._items.values())

    def transact_write_items(self, *, TransactItems: list[Mapping[str, Any]]) -> dict[str, Any]:
        for operation in TransactItems:
            if set(operation) == {"Update"}:
                self.update_item(**operation["Update"])
                continue
            if set(operation) != {"Put"}:
                raise NotImplementedError(
                    f"The recorder only replays Put and Update, not {set(operation)}"
                )
            item = operation["Put"]["Item"]
            self._items[_key_of(item)] = item
        return {}

    def put_item(self, *, Item: Item, **_: Any) -> dict[str, Any]:
        self._items[_key_of(Item)] = Item
        return {}

    def update_item(
        self,
        *,
        Key: Item,
        UpdateExpression: str,
        ExpressionAttributeNames: Mapping[str, str],
        ExpressionAttributeValues: Item,
        **_: Any,
    ) -> dict[str, Any]:
        match = _ADD_EXPRESSION.fullmatch(UpdateExpression)
        if match is None:
            raise NotImplementedError(f"The recorder only replays ADD, not {UpdateExpression!r}")
        attribute = ExpressionAttributeNames[match.group(1)]
        increment = int(ExpressionAttributeValues[match.group(2)]["N"])
        item = self._items.setdefault(_key_of(Key), dict(Key))
        total = int(item.get(attribute, {"N": "0"})["N"]) + increment
        item[attribute] = {"N": str(total)}
        if match.group(3):
            item.setdefault(
                ExpressionAttributeNames[match.group(3)], ExpressionAttributeValues[match.group(4)]
            )
        return {"Attributes": {attribute: item[attribute]}}

    def get_item(self, *, Key: Item, **_: Any) -> dict[str, Any]:
        item = self._items.get(_key_of(Key))
        return {"Item": item} if item is not None else {}


def _key_of(item: Item) -> tuple[str, str]:
    return item[PARTITION_KEY]["S"], item[SORT_KEY]["S"]
