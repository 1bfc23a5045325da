"""The units of an order's lines that live returns and claims hold. The only module that knows
their items: pk `CLAIMS#<order key>`, sk `SKU#<sku>`, `claimed` the units held.

A return or a claim adds its units in the transaction that opens it, conditional on the
order's quantity, and gives them back in the one that closes it without them (rejected,
canceled): two requests for the last unit cannot both succeed, and a unit refunded as damaged
cannot be returned and refunded again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.domain.references import order_key
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY


def units_key(order_number: str, sku: str) -> dict[str, str]:
    return {PARTITION_KEY: f"CLAIMS#{order_key(order_number)}", SORT_KEY: f"SKU#{sku}"}


def units_update(
    table: str,
    to_dynamo: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    order_number: str,
    sku: str,
    quantity: int,
    ordered: int | None,
    give_back: bool,
) -> dict[str, Any]:
    """The transaction item that holds `quantity` units of the line (or gives them back). A
    hold is conditional on the units the order has left, when `ordered` is known."""
    update: dict[str, Any] = {
        "TableName": table,
        "Key": to_dynamo(units_key(order_number, sku)),
        "UpdateExpression": "ADD #claimed :units",
        "ExpressionAttributeNames": {"#claimed": "claimed"},
    }
    values: dict[str, int] = {":units": -quantity if give_back else quantity}
    if not give_back and ordered is not None and quantity <= ordered:
        update["ConditionExpression"] = "attribute_not_exists(#claimed) OR #claimed <= :room"
        values[":room"] = ordered - quantity
    update["ExpressionAttributeValues"] = to_dynamo(values)
    return {"Update": update}
