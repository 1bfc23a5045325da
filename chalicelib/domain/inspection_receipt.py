"""What an inspection file does to each return it names. A return takes all of its rows or none:
rows that do not match it (a SKU it lacks, more units than it returns) are not guessed at, the
return becomes an ANOMALY and every one of its rows is refused with the reason. Pure, like the
rest of the domain; the service reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.handling import (
    RECEIVING_STATUSES,
    ReceivedLine,
    flag_receipt_anomaly,
    receipt_problems,
    receive_items,
    release_item_receipt,
)
from chalicelib.domain.inspection import InspectionRow, InspectionUpload, RejectedRow
from chalicelib.domain.rma import (
    MAX_REMEMBERED_UPLOADS,
    Actor,
    AppliedUpload,
    Rma,
    RmaEvent,
    revised,
)
from chalicelib.errors import InvalidTransitionError

Rows = list[tuple[int, InspectionRow]]


@dataclass(frozen=True)
class ReturnReceipt:
    """One return's part of a file: the lines of the rows applied and refused, and, when the
    return changes, its next version and log entries, written together."""

    applied: list[int] = field(default_factory=list)
    refused: list[RejectedRow] = field(default_factory=list)
    updated: Rma | None = None
    events: list[RmaEvent] = field(default_factory=list)
    anomaly: bool = False
    # The lifecycle waited for these items: the change's event resumes it with the token of the
    # version read.
    resumes_lifecycle: bool = False


def receive_inspection(
    rma: Rma,
    rows: Rows,
    raw: dict[int, str],
    upload: InspectionUpload,
    *,
    actor: Actor,
    at: datetime,
) -> ReturnReceipt:
    """What `rows` of `upload` do to `rma`. An upload the return already took (the same file
    processed again) gives its first outcome again and changes nothing."""
    lines = [line for line, _ in rows]
    earlier = next((u for u in rma.inspection_uploads if u.upload == upload.identity), None)
    if earlier is not None:
        if earlier.refused is None:
            return ReturnReceipt(applied=lines)
        return ReturnReceipt(refused=refused_rows(rows, raw, earlier.refused))
    if rma.processing_status not in RECEIVING_STATUSES:
        closed = InvalidTransitionError(rma.return_reference, rma.processing_status, "received")
        return ReturnReceipt(refused=refused_rows(rows, raw, closed.message))
    received = [_received_line(row) for _, row in rows]
    problems = receipt_problems(rma, received)
    if problems:
        reason = " ".join(
            [
                f"Not applied to return {rma.return_reference}, now an anomaly:",
                *(problem.sentence for problem in problems),
            ]
        )
        flagged, events = flag_receipt_anomaly(rma, received, reason, actor=actor, at=at)
        return ReturnReceipt(
            refused=refused_rows(rows, raw, reason),
            updated=_remember(flagged, AppliedUpload(upload=upload.identity, refused=reason)),
            events=events,
            anomaly=True,
        )
    updated, event = receive_items(rma, received, actor=actor, at=at, note=f"From {upload.key}")
    updated, resumes = release_item_receipt(rma, updated)
    return ReturnReceipt(
        applied=lines,
        updated=_remember(updated, AppliedUpload(upload=upload.identity)),
        events=[event],
        resumes_lifecycle=resumes,
    )


def refused_rows(rows: Rows, raw: dict[int, str], reason: str) -> list[RejectedRow]:
    return [RejectedRow(line=line, raw=raw.get(line, ""), reason=reason) for line, _ in rows]


def _received_line(row: InspectionRow) -> ReceivedLine:
    return ReceivedLine(
        sku=row.sku,
        quantity=row.quantity_received,
        product_state=row.product_state,
        notes=row.notes or None,
        photo_keys=tuple(row.photo_keys),
        received_at=row.received_at,
    )


def _remember(rma: Rma, applied: AppliedUpload) -> Rma:
    uploads = [*rma.inspection_uploads, applied][-MAX_REMEMBERED_UPLOADS:]
    return revised(rma, inspection_uploads=uploads)
