"""The merchant's outgoing webhook endpoints. The only module that knows their items.

- Endpoint: pk `WEBHOOK_ENDPOINTS`, sk `ENDPOINT#<id>`, holding the endpoint whole (its signing
  secrets included). One partition holds every endpoint of the deployment (at most
  MAX_ENDPOINTS), so that listing them, as every return event does, is one Query.
- `version` goes up with every change of the endpoint: the merchant's edits (conditional on the
  version read), and the deliveries' own record of it starting or stopping to fail and of its
  being disabled. An edit read before such a change is refused (409) rather than writing back a
  stale `failing_since` or `enabled`. (A failure continuing a streak moves `last_failed_at`
  only, without a new version: edits are not refused for every failed attempt.)
- `last_failed_at` is stored in UTC to the microsecond, always that one width, so that the
  conditions comparing it compare times (`_sortable`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.rma import revised
from chalicelib.domain.webhooks import MAX_FAILURE_GAP, WebhookEndpoint
from chalicelib.errors import StoredDataError, WebhookEndpointChangedError
from chalicelib.repositories.dynamo import DynamoTable
from chalicelib.repositories.stored_data import validation_summary
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY

# At most this many endpoints a deployment: the service refuses one more.
MAX_ENDPOINTS = 20

_PARTITION = "WEBHOOK_ENDPOINTS"
_SORT_PREFIX = "ENDPOINT#"


class WebhookEndpoints(DynamoTable):
    def add(self, endpoint: WebhookEndpoint) -> None:
        """Store a new endpoint; WebhookEndpointChangedError if its id is taken already."""
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=self._to_dynamo(_item(endpoint)),
                ConditionExpression=f"attribute_not_exists({PARTITION_KEY})",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException as error:
            raise WebhookEndpointChangedError(endpoint.id) from error

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        response = self._dynamodb.get_item(
            TableName=self._table, Key=self._key(endpoint_id), ConsistentRead=True
        )
        item = response.get("Item")
        return self._endpoint(item) if item else None

    def list(self) -> list[WebhookEndpoint]:
        """Every endpoint, by id: one Query of their partition (a second only past 1 MB)."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": _PARTITION}},
            "ConsistentRead": True,
        }
        endpoints: list[WebhookEndpoint] = []
        while True:
            response = self._dynamodb.query(**query)
            endpoints += [self._endpoint(item) for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return endpoints
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def save(self, endpoint: WebhookEndpoint, *, expected_version: int) -> WebhookEndpoint:
        """Store `endpoint` over version `expected_version`, as the next version (returned).
        WebhookEndpointChangedError when the stored one is another version, or gone."""
        saved = revised(endpoint, version=expected_version + 1)
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=self._to_dynamo(_item(saved)),
                ConditionExpression="version = :expected",
                ExpressionAttributeValues=self._to_dynamo({":expected": expected_version}),
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException as error:
            raise WebhookEndpointChangedError(endpoint.id) from error
        return saved

    def delete(self, endpoint_id: str) -> bool:
        """Forget the endpoint (its deliveries expire by themselves); False when it was gone."""
        try:
            self._dynamodb.delete_item(
                TableName=self._table,
                Key=self._key(endpoint_id),
                ConditionExpression=f"attribute_exists({PARTITION_KEY})",
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def record_failure(self, endpoint_id: str, at: datetime) -> WebhookEndpoint | None:
        """A delivery to the endpoint failed at `at` (WebhookEndpoint.failed, as conditional
        writes): failing since then, unless that continues a streak, whose latest failure then
        moves to `at`. The endpoint as left; None when it is gone. A new streak is a change of
        the endpoint (a new version); a failure continuing one is not."""
        # Both writes answer with the endpoint: as written, or as found when refused.
        write = {
            "TableName": self._table,
            "Key": self._key(endpoint_id),
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        stamp = _sortable(at)
        try:
            response = self._dynamodb.update_item(
                **write,
                UpdateExpression="SET failing_since = :at, last_failed_at = :at ADD version :one",
                ConditionExpression=(
                    f"attribute_exists({PARTITION_KEY}) AND (attribute_not_exists(failing_since) "
                    "OR attribute_not_exists(last_failed_at) OR last_failed_at < :gap_before)"
                ),
                ExpressionAttributeValues=self._to_dynamo(
                    {":at": stamp, ":gap_before": _sortable(at - MAX_FAILURE_GAP), ":one": 1}
                ),
            )
            return self._endpoint(response["Attributes"])
        except self._dynamodb.exceptions.ConditionalCheckFailedException as error:
            if not error.response.get("Item"):
                return None
        try:
            # A success clearing the streak meanwhile wins: failing_since is gone then.
            response = self._dynamodb.update_item(
                **write,
                UpdateExpression="SET last_failed_at = :at",
                ConditionExpression="attribute_exists(failing_since) AND last_failed_at < :at",
                ExpressionAttributeValues=self._to_dynamo({":at": stamp}),
            )
            return self._endpoint(response["Attributes"])
        except self._dynamodb.exceptions.ConditionalCheckFailedException as error:
            # Succeeded meanwhile, a later failure recorded first, or gone: as it stands.
            item = error.response.get("Item")
            return self._endpoint(item) if item else None

    def record_success(self, endpoint_id: str) -> None:
        """A delivery to the endpoint succeeded: it is no longer failing. Writes only when it
        was (most successes follow successes, and cost nothing here)."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=self._key(endpoint_id),
                UpdateExpression="REMOVE failing_since, last_failed_at ADD version :one",
                ConditionExpression=(
                    "attribute_exists(failing_since) OR attribute_exists(last_failed_at)"
                ),
                ExpressionAttributeValues=self._to_dynamo({":one": 1}),
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return

    def disable(self, endpoint_id: str, reason: str, at: datetime) -> bool:
        """Stop deliveries to the endpoint; True when this call disabled it (False: it was
        disabled already, or is gone), so that the merchant is told once."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=self._key(endpoint_id),
                UpdateExpression=(
                    "SET enabled = :off, disabled_at = :at, disabled_reason = :reason, "
                    "updated_at = :at ADD version :one"
                ),
                ConditionExpression="enabled = :on",
                ExpressionAttributeValues=self._to_dynamo(
                    {
                        ":off": False,
                        ":on": True,
                        ":at": at.isoformat(),
                        ":reason": reason,
                        ":one": 1,
                    }
                ),
            )
        except self._dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _key(self, endpoint_id: str) -> dict[str, Any]:
        return self._to_dynamo(_key(endpoint_id))

    def _endpoint(self, item: dict[str, Any]) -> WebhookEndpoint:
        """The endpoint an item holds; StoredDataError when it no longer reads as one."""
        document = self._from_dynamo(item)
        key = f"{document.pop(PARTITION_KEY)}/{document.pop(SORT_KEY)}"
        try:
            return WebhookEndpoint.model_validate(document)
        except ValidationError as error:
            raise StoredDataError(key, validation_summary(error)) from error


def _key(endpoint_id: str) -> dict[str, str]:
    return {PARTITION_KEY: _PARTITION, SORT_KEY: f"{_SORT_PREFIX}{endpoint_id}"}


def _item(endpoint: WebhookEndpoint) -> dict[str, Any]:
    item = {**_key(endpoint.id), **endpoint.model_dump(mode="json", exclude_none=True)}
    if endpoint.last_failed_at is not None:
        item["last_failed_at"] = _sortable(endpoint.last_failed_at)
    return item


def _sortable(at: datetime) -> str:
    """`at` in UTC to the microsecond, as `2026-12-01T14:00:00.000000Z`: strings of this one
    width sort as the times do, which is what DynamoDB's `<` compares."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
