"""Warehouse inspection files and their reports in the returns bucket (S3)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.inspection import InspectionUpload


class InspectionFiles:
    def __init__(self, s3: Any | None = None) -> None:
        from chalicelib.repositories.aws import client

        self._s3 = s3 if s3 is not None else client("s3")

    def read(self, upload: InspectionUpload) -> bytes | None:
        """The content of exactly that upload; None when the key now holds another file (a
        newer upload, which its own notification brings). A deleted file raises NoSuchKey."""
        request: dict[str, Any] = {"Bucket": upload.bucket, "Key": upload.key}
        if upload.version_id:
            request["VersionId"] = upload.version_id
        else:
            # S3 compares the quoted form; notifications carry the ETag without quotes.
            etag = upload.etag.strip('"')
            request["IfMatch"] = f'"{etag}"'
        try:
            response = self._s3.get_object(**request)
        except self._s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") == "PreconditionFailed":
                return None
            raise
        content: bytes = response["Body"].read()
        return content

    def write_report(self, bucket: str, key: str, report: bytes) -> None:
        self._s3.put_object(
            Bucket=bucket, Key=key, Body=report, ContentType="application/json; charset=utf-8"
        )
