"""Warehouse inspection uploads: each file's rows are applied to the returns they name, and what
became of every row is written next to it as a report.

A file is read once, its returns are read in batches, and each return is written once, in one
conditional transaction that also records the upload on it. A file processed again, whether a
duplicate delivery or a run resumed after a crash, therefore skips the returns already done
and counts their rows as applied; nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.clock import utc_now
from chalicelib.domain.events import step_completed
from chalicelib.domain.inspection import (
    InspectionReport,
    InspectionUpload,
    ParsedFile,
    group_by_return,
    parse_inspection_file,
)
from chalicelib.domain.inspection_receipt import (
    ReturnReceipt,
    Rows,
    receive_inspection,
    refused_rows,
)
from chalicelib.domain.references import parse_return_number
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel
from chalicelib.errors import ConcurrentModificationError, RmaNotFoundError
from chalicelib.observability import logger, metrics
from chalicelib.services.rma_service import RmaService

WAREHOUSE = Actor(channel=Channel.WAREHOUSE, name="Warehouse inspection")
# Someone else writing a return while its rows are applied: read it again and retry, this many
# times in all, before the file fails and comes back from the queue.
WRITE_ATTEMPTS = 4


class InspectionFileStore(Protocol):
    def read(self, upload: InspectionUpload) -> bytes | None: ...

    def write_report(
        self, upload: InspectionUpload, report: InspectionReport, processed_at: datetime
    ) -> None: ...


class InspectionService:
    def __init__(
        self,
        rmas: RmaService,
        files: InspectionFileStore,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._rmas = rmas
        self._files = files
        self._clock = clock

    def process(self, upload: InspectionUpload) -> InspectionReport | None:
        """Apply `upload` and write its report; None when the key already holds a newer file."""
        content = self._files.read(upload)
        if content is None:
            logger.info("Inspection file replaced before it was read", extra={"key": upload.key})
            return None
        parsed = parse_inspection_file(upload.key, content)
        applied: list[int] = []
        rejected = list(parsed.rejected)
        for receipt in self._receipts(upload, parsed):
            applied += receipt.applied
            rejected += receipt.refused
        report = InspectionReport(
            file_name=upload.key,
            rows_applied=sorted(applied),
            rows_rejected=sorted(rejected, key=lambda row: row.line),
        )
        self._files.write_report(upload, report, self._clock())
        metrics.add_metric(name="InspectionRowsApplied", unit=MetricUnit.Count, value=len(applied))
        metrics.add_metric(
            name="InspectionRowsRejected", unit=MetricUnit.Count, value=len(rejected)
        )
        logger.info(
            "Inspection file processed",
            extra={"key": upload.key, "applied": len(applied), "rejected": len(rejected)},
        )
        return report

    def _receipts(self, upload: InspectionUpload, parsed: ParsedFile) -> list[ReturnReceipt]:
        by_reference = group_by_return(parsed.rows)
        numbers = {ref: parse_return_number(ref) for ref in by_reference}
        found = self._rmas.find_by_return_numbers(n for n in numbers.values() if n is not None)
        receipts = []
        for reference, rows in by_reference.items():
            rma = found.get(numbers[reference] or 0)
            if rma is None:
                unknown = RmaNotFoundError(reference).message
                receipts.append(ReturnReceipt(refused=refused_rows(rows, parsed.raw, unknown)))
            else:
                receipts.append(self._apply(rma, rows, parsed.raw, upload))
        return receipts

    def _apply(
        self, rma: Rma, rows: Rows, raw: dict[int, str], upload: InspectionUpload
    ) -> ReturnReceipt:
        """Apply one return's rows in one write, reading it again after a lost race."""
        receipt = receive_inspection(rma, rows, raw, upload, actor=WAREHOUSE, at=self._clock())
        attempts = 1
        while receipt.updated is not None:
            hand_off = step_completed(rma, "RECEIVED") if receipt.resumes_lifecycle else None
            try:
                self._rmas.save(receipt.updated, *receipt.events, before=rma, hand_off=hand_off)
                break
            except ConcurrentModificationError:
                if attempts == WRITE_ATTEMPTS:
                    raise
                attempts += 1
                logger.info("Return changed meanwhile", extra={"reference": rma.return_reference})
                rma = self._rmas.find(rma.id)
                receipt = receive_inspection(
                    rma, rows, raw, upload, actor=WAREHOUSE, at=self._clock()
                )
        if receipt.anomaly:
            metrics.add_metric(name="InspectionAnomalies", unit=MetricUnit.Count, value=1)
        return receipt
