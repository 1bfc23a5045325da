"""Warehouse inspection files and their reports: the files and reports in the returns bucket
(S3), and the list of files processed in the table, newest first, for the console.

Item layout of the list: one partition, each processing of a file an item sorted by when it
was processed (`<processed_at>#<file>`), written once (conditional on not existing) with its
counts; the report itself stays in S3, which holds any size of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.inspection import (
    InspectionReport,
    InspectionUpload,
    ProcessedFile,
    result_key,
)
from chalicelib.repositories.cursor_codec import CursorCodec
from chalicelib.repositories.dynamo import DynamoTable
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY

_FILES_PARTITION = "INSPECTION_FILES"
_CURSOR_ATTRIBUTES = (PARTITION_KEY, SORT_KEY)


class InspectionFiles(DynamoTable):
    def __init__(
        self,
        table_name: str,
        *,
        cursors: CursorCodec,
        s3: Any | None = None,
        dynamodb: Any | None = None,
    ) -> None:
        from chalicelib.repositories.aws import client

        super().__init__(table_name, dynamodb)
        self._s3 = s3 if s3 is not None else client("s3")
        self._cursors = cursors

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

    def write_report(
        self, upload: InspectionUpload, report: InspectionReport, processed_at: datetime
    ) -> None:
        """The report next to the file, then the file in the list (a report without its list
        entry is what a crash between the two leaves: the file's retry writes both)."""
        self._s3.put_object(
            Bucket=upload.bucket,
            Key=result_key(upload.key),
            Body=report.to_json(),
            ContentType="application/json; charset=utf-8",
        )
        listed = ProcessedFile(
            id=f"{processed_at.isoformat()}#{upload.key}",
            bucket=upload.bucket,
            file_name=upload.key,
            processed_at=processed_at,
            rows_applied=len(report.rows_applied),
            rows_rejected=len(report.rows_rejected),
        )
        document = listed.model_dump(mode="json")
        self._dynamodb.put_item(
            TableName=self._table,
            Item=self._to_dynamo(
                {PARTITION_KEY: _FILES_PARTITION, SORT_KEY: listed.id, **document}
            ),
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": PARTITION_KEY},
        )

    def latest(
        self, limit: int, cursor: str | None = None
    ) -> tuple[list[ProcessedFile], str | None]:
        """The files processed, newest first, `limit` a page, and the next page's cursor: one
        Query of the list's partition."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":pk": {"S": _FILES_PARTITION}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = self._cursors.decode(
                cursor, attributes=_CURSOR_ATTRIBUTES, fixed={PARTITION_KEY: _FILES_PARTITION}
            )
        response = self._dynamodb.query(**request)
        files = [_processed_file(self._from_dynamo(item)) for item in response["Items"]]
        last = response.get("LastEvaluatedKey")
        return files, self._cursors.encode(last) if last else None

    def report(self, file_id: str) -> tuple[ProcessedFile, InspectionReport] | None:
        """A processed file of the list and its report; None when the list has no such file."""
        response = self._dynamodb.get_item(
            TableName=self._table,
            Key=self._to_dynamo({PARTITION_KEY: _FILES_PARTITION, SORT_KEY: file_id}),
        )
        if "Item" not in response:
            return None
        listed = _processed_file(self._from_dynamo(response["Item"]))
        stored = self._s3.get_object(Bucket=listed.bucket, Key=result_key(listed.file_name))
        return listed, InspectionReport.model_validate_json(stored["Body"].read())


def _processed_file(document: dict[str, Any]) -> ProcessedFile:
    fields = {k: v for k, v in document.items() if k not in _CURSOR_ATTRIBUTES}
    return ProcessedFile.model_validate(fields)
