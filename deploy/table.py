"""The DynamoDB table as a CloudFormation resource, converted from `table_definition()`."""

from __future__ import annotations

from typing import Any

from chalicelib.repositories.table_schema import TTL_ATTRIBUTE, table_definition
from deploy.cfn import Resource

# CreateTable arguments whose CloudFormation property has the same name and shape. Anything
# else in table_definition() that is not mapped below stops the generation: a new setting (an
# LSI, a table class) has to be mapped on purpose, not silently dropped from the deployed table.
_SAME_SHAPE = ("BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes")
_STREAM = "StreamSpecification"


class UnmappedTableSettingError(ValueError):
    """table_definition() holds a setting this module does not know how to deploy."""


def table_resource(table_name: str, *, indexes: int | None = None) -> Resource:
    """On-demand table with its indexes, TTL, point-in-time recovery and KMS encryption.

    Retained on stack deletion and replacement: the returns are the merchant's records.
    `indexes` keeps the first that many global secondary indexes of the definition: a stack
    update may add one index to a deployed table, so an upgrade that adds several deploys
    4, 5, ... in turn (see the README's upgrade notes); None deploys them all.
    """
    definition: dict[str, Any] = _with_indexes(table_definition(table_name), indexes)
    unmapped = set(definition) - {"TableName", _STREAM, *_SAME_SHAPE}
    if unmapped:
        raise UnmappedTableSettingError(
            f"table_definition() has settings with no CloudFormation mapping: {sorted(unmapped)}"
        )
    properties: dict[str, Any] = {"TableName": definition["TableName"]}
    properties.update({key: definition[key] for key in _SAME_SHAPE if key in definition})
    stream = stream_specification(definition.get(_STREAM))
    if stream is not None:
        properties[_STREAM] = stream
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


def _with_indexes(definition: dict[str, Any], indexes: int | None) -> dict[str, Any]:
    """`definition` with its first `indexes` global secondary indexes only, and only the
    attributes keys still use (CloudFormation refuses a definition of an unused attribute)."""
    if indexes is None:
        return definition
    kept = definition["GlobalSecondaryIndexes"][:indexes]
    used = {
        key["AttributeName"]
        for schema in [definition["KeySchema"], *(index["KeySchema"] for index in kept)]
        for key in schema
    }
    attributes = [a for a in definition["AttributeDefinitions"] if a["AttributeName"] in used]
    return {**definition, "GlobalSecondaryIndexes": kept, "AttributeDefinitions": attributes}


def stream_specification(api_shape: dict[str, Any] | None) -> dict[str, str] | None:
    """CreateTable's `StreamSpecification` as CloudFormation's: the API switches the stream on
    with `StreamEnabled`, CloudFormation by the presence of the property, which holds only the
    view type."""
    if not api_shape or not api_shape.get("StreamEnabled"):
        return None
    return {"StreamViewType": api_shape["StreamViewType"]}
