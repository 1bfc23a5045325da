"""Order requests (cancellation requests and claims) and their action logs in DynamoDB. The only
module that knows their keys.

Item layout (one partition per request, so a request and its log come back in one Query):

- Request: pk `REQUEST#<reference>`, sk `REQUEST`; customer-index `CUSTOMER#<email>` /
  `REQUEST#<OPEN|CLOSED>#<created>#<reference>` (read backwards: open ones first, newest first:
  the widget and the portal in one Query, apart from the customer's returns and orders in the
  same partition); status-index `REQUESTS#<status>` / `<created>#<reference>` (the console's
  and the admin API's lists, one Query a page).
- Action-log entry: pk `REQUEST#<reference>`, sk `LOG#<version, 6 digits>`.
- Open cancellation of an order: pk `CANCELLATION#<order key>`, sk `CANCELLATION`, holding the
  reference. Put in the transaction that opens the request, conditional on its absence (one
  open request per order, whoever asks at the same instant), deleted in the one that refuses it.
- A claim's units: held on the order's lines like a return's (order_units.py), given back when
  the claim is rejected.
- Event: one per change, in the change's transaction (layout in return_events.py).
- Counter: pk `COUNTER#REQUEST_NUMBER`, sk `COUNTER`: one numbering for both kinds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.order_requests import (
    OrderRequest,
    OrderRequestEntry,
    OrderRequestEvent,
    OrderRequestKind,
    RequestStatus,
)
from chalicelib.domain.references import order_key
from chalicelib.errors import ConcurrentModificationError, StoredDataError, UnitsAlreadyClaimedError
from chalicelib.repositories.cursor_codec import CursorCodec
from chalicelib.repositories.dynamo import DynamoTable, raise_if_throttled
from chalicelib.repositories.order_units import units_update
from chalicelib.repositories.return_events import event_document
from chalicelib.repositories.stored_data import report_stored_data_fault, validation_summary
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

_REQUEST_SK = "REQUEST"
_LOG_PREFIX = "LOG#"
_COUNTER_KEY = {PARTITION_KEY: "COUNTER#REQUEST_NUMBER", SORT_KEY: "COUNTER"}
_CUSTOMER_PREFIX = "REQUEST#"
_INDEX_ATTRIBUTES = (CUSTOMER_INDEX_PK, CUSTOMER_INDEX_SK, STATUS_INDEX_PK, STATUS_INDEX_SK)


class CancellationAlreadyOpenError(Exception):
    """Another cancellation request of the order is open; `reference` names it (None when the
    guard's reference could not be read)."""

    def __init__(self, reference: str | None) -> None:
        super().__init__(f"A cancellation request is already open: {reference}")
        self.reference = reference


@dataclass(frozen=True)
class RequestPage:
    items: list[OrderRequest]
    # Where the next page starts (signed); None on the last one.
    cursor: str | None


def _request_pk(reference: str) -> str:
    return f"REQUEST#{reference}"


def _guard_key(order_number: str) -> dict[str, str]:
    return {PARTITION_KEY: f"CANCELLATION#{order_key(order_number)}", SORT_KEY: "CANCELLATION"}


def _status_pk(status: RequestStatus) -> str:
    return f"REQUESTS#{status}"


def _customer_pk(email_key: str) -> str:
    # The same partition as the customer's returns and orders (rma_repository.py).
    return f"CUSTOMER#{email_key}"


class OrderRequestRepository(DynamoTable):
    def __init__(
        self, table_name: str, dynamodb: Any | None = None, *, cursors: CursorCodec | None = None
    ) -> None:
        super().__init__(table_name, dynamodb)
        # Without a stable secret, cursors hold within this process only (tests, tools).
        self._cursors = cursors if cursors is not None else CursorCodec(os.urandom(32))

    def allocate_number(self) -> int:
        response = self._dynamodb.update_item(
            TableName=self._table,
            Key=self._to_dynamo(_COUNTER_KEY),
            UpdateExpression="ADD #value :one",
            ExpressionAttributeNames={"#value": "value"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["value"]["N"])

    # --- writes ------------------------------------------------------------------------------

    def create(
        self,
        request: OrderRequest,
        entry: OrderRequestEntry,
        event: OrderRequestEvent,
        *,
        ordered: dict[str, int] | None = None,
    ) -> None:
        """Store a new request with its first log entry and event, all or nothing: a
        cancellation with its order's guard, a claim with its units (`ordered`: each line's
        ordered quantity). Raises CancellationAlreadyOpenError or UnitsAlreadyClaimedError."""
        holds = [
            self._units(request, sku, give_back=False, ordered=ordered)
            for sku in self._skus(request)
        ]
        writes = [
            *holds,
            self._put(
                self._request_item(request), condition=f"attribute_not_exists({PARTITION_KEY})"
            ),
            self._put(self._entry_item(entry)),
            self._put(event_document(event), condition=f"attribute_not_exists({PARTITION_KEY})"),
        ]
        if request.kind is OrderRequestKind.CANCELLATION:
            writes.append(
                self._put(
                    {**_guard_key(request.order.number), "reference": request.reference},
                    condition=f"attribute_not_exists({PARTITION_KEY})",
                )
            )
        try:
            self._dynamodb.transact_write_items(TransactItems=writes)
        except self._dynamodb.exceptions.TransactionCanceledException as error:
            raise_if_throttled(error)
            reasons = error.response.get("CancellationReasons") or []
            failed = [i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"]
            taken = [self._skus(request)[i] for i in failed if i < len(holds)]
            if taken:
                raise UnitsAlreadyClaimedError(taken) from error
            if request.kind is OrderRequestKind.CANCELLATION and len(writes) - 1 in failed:
                raise CancellationAlreadyOpenError(
                    self.open_cancellation(request.order.number)
                ) from error
            raise ConcurrentModificationError(request.reference) from error

    def save(
        self,
        request: OrderRequest,
        entry: OrderRequestEntry | None,
        event: OrderRequestEvent | None,
        *,
        read_version: int,
        closes_without_settling: bool = False,
    ) -> None:
        """Write the next version of `request`, its log entry and its event, if the stored one
        is still at `read_version`; `closes_without_settling` when the change refuses it: its
        units are given back and its order's cancellation guard removed. No entry and no
        event for bookkeeping that is no one's action (the ticket a request was opened as)."""
        writes = [
            self._put(
                self._request_item(request),
                condition="version = :read_version",
                values={":read_version": read_version},
            )
        ]
        new = f"attribute_not_exists({PARTITION_KEY})"
        if entry is not None:
            writes.append(self._put(self._entry_item(entry), condition=new))
        if event is not None:
            writes.append(self._put(event_document(event), condition=new))
        if closes_without_settling:
            writes += [self._units(request, sku, give_back=True) for sku in self._skus(request)]
            if request.kind is OrderRequestKind.CANCELLATION:
                writes.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": self._to_dynamo(_guard_key(request.order.number)),
                        }
                    }
                )
        try:
            self._dynamodb.transact_write_items(TransactItems=writes)
        except self._dynamodb.exceptions.TransactionCanceledException as error:
            raise_if_throttled(error)
            raise ConcurrentModificationError(request.reference) from error

    def _skus(self, request: OrderRequest) -> list[str]:
        return [line.sku for line in request.lines]

    def _units(
        self,
        request: OrderRequest,
        sku: str,
        *,
        give_back: bool,
        ordered: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        line = next(line for line in request.lines if line.sku == sku)
        return units_update(
            self._table,
            self._to_dynamo,
            order_number=request.order.number,
            sku=sku,
            quantity=line.quantity,
            ordered=(ordered or {}).get(sku),
            give_back=give_back,
        )

    # --- reads -------------------------------------------------------------------------------

    def get(self, reference: str) -> OrderRequest | None:
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=self._to_dynamo({PARTITION_KEY: _request_pk(reference), SORT_KEY: _REQUEST_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return self._to_request(item) if item else None

    def get_with_log(self, reference: str) -> tuple[OrderRequest | None, list[OrderRequestEntry]]:
        """A request and its action log, oldest first, in one Query of its partition."""
        items = list(
            self._each_item(
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
                ExpressionAttributeValues={":pk": {"S": _request_pk(reference)}},
                ConsistentRead=True,
            )
        )
        request = next(
            (self._to_request(i) for i in items if i[SORT_KEY]["S"] == _REQUEST_SK), None
        )
        log = [
            OrderRequestEntry.model_validate(self._body(i))
            for i in items
            if i[SORT_KEY]["S"].startswith(_LOG_PREFIX)
        ]
        return request, log

    def open_cancellation(self, order_number: str) -> str | None:
        """The reference of the order's cancellation request that was not refused, if any."""
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=self._to_dynamo(_guard_key(order_number)),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return str(self._from_dynamo(item)["reference"]) if item else None

    def for_customer(self, email_key: str, limit: int = 50) -> list[OrderRequest]:
        """A customer's `limit` latest requests, the open ones first, each group newest first:
        one Query."""
        response = self._dynamodb.query(
            TableName=self._table,
            IndexName=CUSTOMER_INDEX,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#pk": CUSTOMER_INDEX_PK, "#sk": CUSTOMER_INDEX_SK},
            ExpressionAttributeValues={
                ":pk": {"S": _customer_pk(email_key)},
                ":prefix": {"S": _CUSTOMER_PREFIX},
            },
            ScanIndexForward=False,
            Limit=limit,
        )
        return self._readable(response["Items"])

    def in_status(
        self, status: RequestStatus, *, limit: int, cursor: str | None = None
    ) -> RequestPage:
        """A page of the requests in `status`, newest first: one Query."""
        partition = _status_pk(status)
        query: dict[str, Any] = {
            "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": STATUS_INDEX_PK},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            query["ExclusiveStartKey"] = self._cursors.decode(
                cursor,
                attributes=(PARTITION_KEY, SORT_KEY, STATUS_INDEX_PK, STATUS_INDEX_SK),
                fixed={STATUS_INDEX_PK: partition},
            )
        response = self._dynamodb.query(TableName=self._table, **query)
        last = response.get("LastEvaluatedKey")
        return RequestPage(
            items=self._readable(response["Items"]),
            cursor=self._cursors.encode(last) if last else None,
        )

    # --- mapping -----------------------------------------------------------------------------

    def _request_item(self, request: OrderRequest) -> dict[str, Any]:
        created = request.created_at.isoformat()
        openness = "OPEN" if request.is_open else "CLOSED"
        return {
            PARTITION_KEY: _request_pk(request.reference),
            SORT_KEY: _REQUEST_SK,
            CUSTOMER_INDEX_PK: _customer_pk(request.customer.email_key),
            CUSTOMER_INDEX_SK: f"{_CUSTOMER_PREFIX}{openness}#{created}#{request.reference}",
            STATUS_INDEX_PK: _status_pk(request.status),
            STATUS_INDEX_SK: f"{created}#{request.reference}",
            **request.model_dump(mode="json", exclude_none=True),
        }

    def _entry_item(self, entry: OrderRequestEntry) -> dict[str, Any]:
        return {
            PARTITION_KEY: _request_pk(entry.reference),
            SORT_KEY: f"{_LOG_PREFIX}{entry.version:06d}",
            **entry.model_dump(mode="json", exclude_none=True),
        }

    def _body(self, item: dict[str, Any]) -> dict[str, Any]:
        document = self._from_dynamo(item)
        for attribute in (PARTITION_KEY, SORT_KEY, *_INDEX_ATTRIBUTES):
            document.pop(attribute, None)
        return document

    def _to_request(self, item: dict[str, Any]) -> OrderRequest:
        try:
            return OrderRequest.model_validate(self._body(item))
        except ValidationError as error:
            key = f"{item[PARTITION_KEY]['S']}/{item[SORT_KEY]['S']}"
            raise StoredDataError(key, validation_summary(error)) from error

    def _readable(self, items: list[dict[str, Any]]) -> list[OrderRequest]:
        requests = []
        for item in items:
            try:
                requests.append(self._to_request(item))
            except StoredDataError as fault:
                report_stored_data_fault(fault)
        return requests
