"""The DynamoDB table as a CloudFormation resource, converted from `table_definition()`."""

from __future__ import annotations

from typing import Any

from chalicelib.repositories.table_schema import TTL_ATTRIBUTE, table_definition
from deploy.cfn import Resource

# CreateTable arguments whose CloudFormation property has the same name and shape. Anything
# else in table_definition() stops the generation: a new setting (a stream, an LSI) has to be
# mapped on purpose, not silently dropped from the deployed table.
_SAME_SHAPE = ("BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes")


class UnmappedTableSettingError(ValueError):
    """table_definition() holds a setting this module does not know how to deploy."""


def table_resource(table_name: str) -> Resource:
    """On-demand table with its indexes, TTL, point-in-time recovery and KMS encryption.

    Retained on stack deletion and replacement: the returns are the merchant's records.
    """
    definition: dict[str, Any] = table_definition(table_name)
    unmapped = set(definition) - {"TableName", *_SAME_SHAPE}
    if unmapped:
        raise UnmappedTableSettingError(
            f"table_definition() has settings with no CloudFormation mapping: {sorted(unmapped)}"
        )
    properties: dict[str, Any] = {"TableName": definition["TableName"]}
    properties.update({key: definition[key] for key in _SAME_SHAPE if key in definition})
    properties.update(
        {
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            # The AWS managed key (aws/dynamodb): its key policy already lets DynamoDB use it
            # on behalf of the account's principals, so the functions need no kms: permission.
            "SSESpecification": {"SSEEnabled": True},
        }
    )
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }
