"""RMAs and their action logs in DynamoDB. The only module that knows their keys.

Item layout (one partition per RMA, so an RMA and its log come back in one Query):

- RMA: pk `RMA#<id>`, sk `RMA`; customer-index `CUSTOMER#<email>` / `RMA#<created>#<id>`;
  status-index `STATUS#<processing status>` / `<created>#<id>`.
- Action-log entry: pk `RMA#<id>`, sk `EVENT#<version, 6 digits>`.
- Reference: pk `REF#<return number>`, sk `REF`, holding the RMA id.
- Counters: pk `COUNTER#RETURN_NUMBER` or `COUNTER#CUSTOMER#<email>`, sk `COUNTER`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.rma import Rma, RmaEvent
from chalicelib.domain.statuses import ProcessingStatus
from chalicelib.errors import ConcurrentModificationError, InvalidRequestError
from chalicelib.repositories.dynamo import DynamoTable
from chalicelib.repositories.table_schema import (
    CUSTOMER_INDEX,
    CUSTOMER_INDEX_PK,
    CUSTOMER_INDEX_SK,
    PARTITION_KEY,
    SORT_KEY,
    STATUS_INDEX,
    STATUS_INDEX_PK,
    STATUS_INDEX_SK,
)

# References start at R-001001 so that early ones still read as return numbers, not as typos.
FIRST_RETURN_NUMBER = 1001
_RMA_SK = "RMA"
_EVENT_PREFIX = "EVENT#"


@dataclass(frozen=True)
class RmaPage:
    items: list[Rma]
    cursor: str | None


def _rma_pk(rma_id: str) -> str:
    return f"RMA#{rma_id}"


def _reference_key(return_number: int) -> dict[str, str]:
    return {PARTITION_KEY: f"REF#{return_number}", SORT_KEY: "REF"}


def _customer_pk(email_key: str) -> str:
    return f"CUSTOMER#{email_key}"


def _status_pk(status: ProcessingStatus) -> str:
    return f"STATUS#{status}"


class RmaRepository(DynamoTable):
    # --- numbering ---------------------------------------------------------------------------

    def allocate_return_number(self) -> int:
        """The next return number; atomic, so two RMAs never share one (gaps are possible)."""
        return FIRST_RETURN_NUMBER - 1 + self._increment("COUNTER#RETURN_NUMBER")

    def allocate_customer_return_count(self, email_key: str) -> int:
        return self._increment(f"COUNTER#{_customer_pk(email_key)}")

    def _increment(self, counter_pk: str) -> int:
        response = self._dynamodb.update_item(
            TableName=self._table,
            Key=self._key({PARTITION_KEY: counter_pk, SORT_KEY: "COUNTER"}),
            UpdateExpression="ADD #value :one",
            ExpressionAttributeNames={"#value": "value"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["value"]["N"])

    # --- writes ------------------------------------------------------------------------------

    def create(self, rma: Rma, opening_event: RmaEvent) -> None:
        """Store a new RMA, its reference and its first log entry, all or nothing."""
        self._dynamodb.transact_write_items(
            TransactItems=[
                self._put(self._rma_item(rma), condition=f"attribute_not_exists({PARTITION_KEY})"),
                self._put(
                    {**_reference_key(rma.return_number), "rma_id": rma.id},
                    condition=f"attribute_not_exists({PARTITION_KEY})",
                ),
                self._put(self._event_item(opening_event)),
            ]
        )

    def save_transition(self, rma: Rma, *events: RmaEvent, read_version: int) -> None:
        """Write `rma` and its log entries in one transaction, if the stored RMA is still at
        `read_version`.

        No event is for bookkeeping that is no action of anyone's (a task token kept for the
        lifecycle); several are for one write that moves an RMA more than one step. Raises
        ConcurrentModificationError when someone else wrote the RMA since it was read.
        """
        writes = [
            self._put(
                self._rma_item(rma),
                condition="version = :read_version",
                values={":read_version": read_version},
            )
        ]
        writes += [
            self._put(self._event_item(event), condition=f"attribute_not_exists({PARTITION_KEY})")
            for event in events
        ]
        try:
            self._dynamodb.transact_write_items(TransactItems=writes)
        except self._dynamodb.exceptions.TransactionCanceledException as error:
            raise ConcurrentModificationError(rma.return_reference) from error

    # --- reads -------------------------------------------------------------------------------

    def get(self, rma_id: str) -> Rma | None:
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=self._key({PARTITION_KEY: _rma_pk(rma_id), SORT_KEY: _RMA_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return self._to_rma(item) if item else None

    def find_id_by_return_number(self, return_number: int) -> str | None:
        response = self._dynamodb.get_item(
            TableName=self._table, Key=self._key(_reference_key(return_number)), ConsistentRead=True
        )
        item = response.get("Item")
        return self._from_dynamo(item)["rma_id"] if item else None

    def get_with_events(self, rma_id: str) -> tuple[Rma | None, list[RmaEvent]]:
        """An RMA and its whole action log, oldest first, in one Query of its partition."""
        items = self._query_all(
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
            ExpressionAttributeValues={":pk": {"S": _rma_pk(rma_id)}},
            ConsistentRead=True,
        )
        rma = next((self._to_rma(i) for i in items if i[SORT_KEY]["S"] == _RMA_SK), None)
        events = [
            RmaEvent.model_validate(self._body(i))
            for i in items
            if i[SORT_KEY]["S"].startswith(_EVENT_PREFIX)
        ]
        return rma, events

    def latest_for_customer(self, email_key: str, limit: int) -> list[Rma]:
        """A customer's `limit` newest RMAs: one Query, at most `limit` items read."""
        response = self._dynamodb.query(
            TableName=self._table,
            IndexName=CUSTOMER_INDEX,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :rma)",
            ExpressionAttributeNames={"#pk": CUSTOMER_INDEX_PK, "#sk": CUSTOMER_INDEX_SK},
            ExpressionAttributeValues={
                ":pk": {"S": _customer_pk(email_key)},
                ":rma": {"S": "RMA#"},
            },
            ScanIndexForward=False,
            Limit=limit,
        )
        return [self._to_rma(item) for item in response["Items"]]

    def list_by_status(
        self, status: ProcessingStatus, *, limit: int, cursor: str | None = None
    ) -> RmaPage:
        """One page of the RMAs in `status`, newest first; pass the returned cursor for more."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": STATUS_INDEX_PK},
            "ExpressionAttributeValues": {":pk": {"S": _status_pk(status)}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            query["ExclusiveStartKey"] = _decode_cursor(cursor, _status_pk(status))
        response = self._dynamodb.query(**query)
        last_key = response.get("LastEvaluatedKey")
        return RmaPage(
            items=[self._to_rma(item) for item in response["Items"]],
            cursor=_encode_cursor(last_key) if last_key else None,
        )

    # --- mapping -----------------------------------------------------------------------------

    def _rma_item(self, rma: Rma) -> dict[str, Any]:
        created = rma.created_at.isoformat()
        return {
            PARTITION_KEY: _rma_pk(rma.id),
            SORT_KEY: _RMA_SK,
            CUSTOMER_INDEX_PK: _customer_pk(rma.customer.email_key),
            CUSTOMER_INDEX_SK: f"RMA#{created}#{rma.id}",
            STATUS_INDEX_PK: _status_pk(rma.processing_status),
            STATUS_INDEX_SK: f"{created}#{rma.id}",
            **rma.model_dump(mode="json", exclude_none=True),
        }

    def _event_item(self, event: RmaEvent) -> dict[str, Any]:
        return {
            PARTITION_KEY: _rma_pk(event.rma_id),
            SORT_KEY: f"{_EVENT_PREFIX}{event.version:06d}",
            **event.model_dump(mode="json", exclude_none=True),
        }

    def _to_rma(self, item: dict[str, Any]) -> Rma:
        return Rma.model_validate(self._body(item))

    def _body(self, item: dict[str, Any]) -> dict[str, Any]:
        """The stored model without the table's own key attributes."""
        document = self._from_dynamo(item)
        for attribute in (
            PARTITION_KEY,
            SORT_KEY,
            CUSTOMER_INDEX_PK,
            CUSTOMER_INDEX_SK,
            STATUS_INDEX_PK,
            STATUS_INDEX_SK,
        ):
            document.pop(attribute, None)
        return document

    # --- low level ---------------------------------------------------------------------------

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

    def _key(self, key: dict[str, str]) -> dict[str, Any]:
        return self._to_dynamo(key)

    def _query_all(self, **query: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self._dynamodb.query(TableName=self._table, **query)
            items.extend(response["Items"])
            if "LastEvaluatedKey" not in response:
                return items
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _encode_cursor(last_evaluated_key: dict[str, Any]) -> str:
    plain = {name: value["S"] for name, value in last_evaluated_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, expected_status_pk: str) -> dict[str, Any]:
    """The ExclusiveStartKey a cursor stands for; refuses cursors from another listing."""
    expected = {PARTITION_KEY, SORT_KEY, STATUS_INDEX_PK, STATUS_INDEX_SK}
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        plain = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise _bad_cursor() from error
    if (
        not isinstance(plain, dict)
        or set(plain) != expected
        or not all(isinstance(v, str) for v in plain.values())
        or plain[STATUS_INDEX_PK] != expected_status_pk
    ):
        raise _bad_cursor()
    return {name: {"S": value} for name, value in plain.items()}


def _bad_cursor() -> InvalidRequestError:
    return InvalidRequestError("The cursor is not one this listing returned.", {"field": "cursor"})
