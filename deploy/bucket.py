"""The returns bucket: photos shoppers upload through presigned POSTs (`returns/<id>/photos/`)
and the inspection files the warehouse drops (`inspections/`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from deploy.cfn import Resource, sub
from deploy.stage import StageNames

RETURNS_BUCKET = "ReturnsBucket"
_BUCKET_NAME = "{prefix}-returns-${{AWS::AccountId}}"
# The portal page at the API's own address, which the bucket cannot name (the API's function
# names the bucket, so the bucket may not refer to the API): any API Gateway address of the
# stack's region. A presigned POST still has to be signed by this stack's API.
API_GATEWAY_ORIGINS = "https://*.execute-api.${AWS::Region}.${AWS::URLSuffix}"
# How long a browser may keep the bucket's answer to its preflight.
_PREFLIGHT_MAX_AGE_SECONDS = 3000


def returns_bucket_name(names: StageNames) -> dict[str, str]:
    """Bucket names are global: the account id keeps two merchants' stages apart. The policy
    files name `<app>-<stage>-returns-*` for the same reason the state machine's name is fixed."""
    return sub(_BUCKET_NAME.format(prefix=names.prefix))


def returns_bucket_arn(names: StageNames) -> dict[str, str]:
    """The bucket's ARN from its name, for what the bucket itself waits for (its notification's
    queue policy), which therefore cannot refer to it."""
    return sub("arn:${AWS::Partition}:s3:::" + _BUCKET_NAME.format(prefix=names.prefix))


def photo_upload_origins(environment: Mapping[str, str]) -> list[Any]:
    """The pages that post photos to the bucket: the portal at the API's address, at
    PUBLIC_BASE_URL (a custom domain), and the shop's own pages (PORTAL_ALLOWED_ORIGINS), from
    the stage's environment variables."""
    origins: list[str] = []
    public = urlsplit(environment.get("PUBLIC_BASE_URL", ""))
    if public.scheme and public.netloc:
        origins.append(f"{public.scheme}://{public.netloc}")
    listed = environment.get("PORTAL_ALLOWED_ORIGINS", "").split(",")
    origins.extend(origin.strip().rstrip("/") for origin in listed if origin.strip())
    return [sub(API_GATEWAY_ORIGINS), *dict.fromkeys(origins)]


def photo_upload_cors(origins: Sequence[Any]) -> dict[str, Any]:
    """The bucket's CORS rule, as S3's API spells it (the local stack's bucket gets it so): a
    browser on one of `origins` may post a photo with its presigned POST, and nothing else."""
    return {
        "CORSRules": [
            {
                "AllowedMethods": ["POST"],
                "AllowedOrigins": list(origins),
                "AllowedHeaders": ["*"],
                "MaxAgeSeconds": _PREFLIGHT_MAX_AGE_SECONDS,
            }
        ]
    }


def returns_bucket_resource(names: StageNames, upload_origins: Sequence[Any]) -> Resource:
    """The bucket, posted to by browsers on `upload_origins` (`photo_upload_origins`)."""
    # CloudFormation's names for S3's: MaxAge for MaxAgeSeconds.
    rules = [
        {**{k: v for k, v in rule.items() if k != "MaxAgeSeconds"}, "MaxAge": rule["MaxAgeSeconds"]}
        for rule in photo_upload_cors(upload_origins)["CORSRules"]
    ]
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
            # Browsers post photos straight to S3 from the portal page and the shop's pages.
            "CorsConfiguration": {"CorsRules": rules},
        },
    }
