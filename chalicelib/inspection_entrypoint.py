"""The Lambda entry point of warehouse inspection uploads (S3 → SQS → here).

Each SQS message is an S3 notification. Messages succeed or fail one by one (partial batch
responses), so a failed file alone goes back to the queue, and to the dead-letter queue once it
has failed too often. A file is processed at most once per upload: powertools idempotency,
keyed on bucket, key, ETag and version, answers a duplicate delivery with the first result;
should a run crash, the returns themselves remember the upload (see
services/inspection_service.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from chalicelib.observability import logger
from chalicelib.services import container

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from chalicelib.domain.inspection import InspectionUpload

# S3 sends this once, when the notification is configured; it names no object.
S3_TEST_EVENT = "s3:TestEvent"
# Duplicates of a processed notification (S3 and SQS deliver at least once) arrive within
# minutes; a message that failed keeps no record, so a redrive from the dead-letter queue, days
# later, is processed. Past a day, the returns' own memory of their last 20 uploads still
# refuses to count a file twice.
IDEMPOTENCY_SECONDS = 24 * 60 * 60


def process_inspection_messages(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Process each S3 notification of the batch; the failed ones are reported back to SQS.
    (The Lambda context, the correlation id and the metrics are Powertools' middleware's: see
    observability.py.)"""
    # Imported here, like the domain's inspection module below: every function of the app
    # imports this module, and only this one uses them.
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from aws_lambda_powertools.utilities.idempotency import (
        IdempotencyConfig,
        idempotent_function,
    )

    config = IdempotencyConfig(expires_after_seconds=IDEMPOTENCY_SECONDS)
    # An interrupted run's record then expires with the Lambda's timeout, not an hour later.
    config.register_lambda_context(context)
    process_once = idempotent_function(
        data_keyword_argument="upload",
        persistence_store=container.inspection_idempotency(),
        config=config,
    )(_process_upload)

    def handle(record: SQSRecord) -> None:
        for upload in inspection_uploads(record.json_body):
            with logger.append_context_keys(key=upload.key):
                process_once(upload={**vars(upload)})

    return dict(
        process_partial_response(
            event=event,
            record_handler=handle,
            processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )
    )


def inspection_uploads(notification: dict[str, Any]) -> list[InspectionUpload]:
    """The inspection files an S3 notification names; none for S3's test event or for other
    keys under the prefix (the reports, above all, which live there too)."""
    if notification.get("Event") == S3_TEST_EVENT:
        logger.info("S3 test event skipped")
        return []
    from aws_lambda_powertools.utilities.data_classes import S3Event

    from chalicelib.domain.inspection import InspectionUpload, is_inspection_upload

    uploads = []
    for record in S3Event(notification).records:
        stored = record.s3.get_object
        # S3 sends keys URL-encoded, with "+" for a space.
        key = unquote_plus(stored.key)
        if not is_inspection_upload(key):
            logger.info("Not an inspection upload", extra={"key": key})
            continue
        uploads.append(
            InspectionUpload(
                bucket=record.s3.bucket.name,
                key=key,
                etag=stored.etag,
                version_id=stored.version_id,
            )
        )
    return uploads


def _process_upload(upload: dict[str, Any]) -> dict[str, Any]:
    """One upload, once: the result is what powertools keeps, so it stays small (row counts,
    not the report, which can be far larger than an item)."""
    from chalicelib.domain.inspection import InspectionUpload

    report = container.inspection_service().process(InspectionUpload(**upload))
    if report is None:
        return {"replaced": True}
    return {"applied": len(report.rows_applied), "rejected": len(report.rows_rejected)}
