"""The return policy in DynamoDB. The only module that knows its key.

Item layout: pk `CONFIG#POLICY`, sk `POLICY`, holding `policy` (the policy as a JSON-shaped map)
and `version` (1 for the first stored policy, one more on each replacement).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.policy import ReturnPolicy
from chalicelib.errors import ConcurrentModificationError
from chalicelib.repositories.dynamo import DynamoTable
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY

_POLICY_KEY = {PARTITION_KEY: "CONFIG#POLICY", SORT_KEY: "POLICY"}


class PolicyRepository(DynamoTable):
    def get(self) -> tuple[ReturnPolicy, int]:
        """The stored policy and its version; the default policy and version 0 until one is."""
        response = self._dynamodb.get_item(
            TableName=self._table, Key=self._to_dynamo(_POLICY_KEY), ConsistentRead=True
        )
        item = response.get("Item")
        if not item:
            return ReturnPolicy(), 0
        return (
            ReturnPolicy.model_validate(self._deserialize(item["policy"])),
            int(self._deserialize(item["version"])),
        )

    def replace(self, policy: ReturnPolicy, expected_version: int) -> int:
        """Store `policy` over version `expected_version` (0: none stored yet); its new version.

        Raises ConcurrentModificationError when the stored version is another one.
        """
        if expected_version == 0:
            condition: dict[str, Any] = {
                "ConditionExpression": f"attribute_not_exists({PARTITION_KEY})"
            }
        else:
            condition = {
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": self._to_dynamo({":expected": expected_version}),
            }
        new_version = expected_version + 1
        item = {**_POLICY_KEY, "policy": policy.model_dump(mode="json"), "version": new_version}
        try:
            self._dynamodb.put_item(TableName=self._table, Item=self._to_dynamo(item), **condition)
        except self._dynamodb.exceptions.ConditionalCheckFailedException as error:
            raise ConcurrentModificationError("policy") from error
        return new_version
