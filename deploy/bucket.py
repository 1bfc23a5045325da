"""The returns bucket: photos shoppers upload through presigned POSTs (`returns/<id>/photos/`)
and the inspection files the warehouse drops (`inspections/`)."""

from __future__ import annotations

from deploy.cfn import Resource, sub
from deploy.stage import StageNames

RETURNS_BUCKET = "ReturnsBucket"
_BUCKET_NAME = "{prefix}-returns-${{AWS::AccountId}}"


def returns_bucket_name(names: StageNames) -> dict[str, str]:
    """Bucket names are global: the account id keeps two merchants' stages apart. The policy
    files name `<app>-<stage>-returns-*` for the same reason the state machine's name is fixed."""
    return sub(_BUCKET_NAME.format(prefix=names.prefix))


def returns_bucket_arn(names: StageNames) -> dict[str, str]:
    """The bucket's ARN from its name, for what the bucket itself waits for (its notification's
    queue policy), which therefore cannot refer to it."""
    return sub("arn:${AWS::Partition}:s3:::" + _BUCKET_NAME.format(prefix=names.prefix))


def returns_bucket_resource(names: StageNames) -> Resource:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BucketName": returns_bucket_name(names),
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            # Browsers post straight to S3 from the merchant's portal page.
            "CorsConfiguration": {
                "CorsRules": [
                    {
                        "AllowedMethods": ["POST"],
                        "AllowedOrigins": ["*"],
                        "AllowedHeaders": ["*"],
                        "MaxAge": 3000,
                    }
                ]
            },
        },
    }
