"""Specification of what an inspection file's rows do to the one return they name: all or
nothing, an anomaly rather than a guess, and the same upload never applied twice."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from chalicelib.domain.inspection import InspectionRow, InspectionUpload
from chalicelib.domain.inspection_receipt import ReturnReceipt, Rows, receive_inspection
from chalicelib.domain.rma import Actor, Rma, RmaLine
from chalicelib.domain.statuses import (
    Channel,
    DeliveryStatus,
    FulfillmentStatus,
    LifecycleStep,
    ProcessingStatus,
    ReturnReason,
)
from tests.unit.test_transitions import an_rma

P = ProcessingStatus
WAREHOUSE = Actor(channel=Channel.WAREHOUSE)
AT = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
UPLOAD = InspectionUpload(bucket="returns", key="inspections/monday.csv", etag="abc")


def a_return(status: ProcessingStatus = P.ACCEPTED) -> Rma:
    """R-001042: two shirts and a cap, approved, its lifecycle waiting for the parcel."""
    return an_rma(status).model_copy(
        update={
            "lines": [
                RmaLine(
                    sku="SHIRT",
                    name="Shirt",
                    quantity=2,
                    unit_price=Decimal("20.00"),
                    reason=ReturnReason.SIZE_PROBLEM,
                ),
                RmaLine(
                    sku="CAP",
                    name="Cap",
                    quantity=1,
                    unit_price=Decimal("10.00"),
                    reason=ReturnReason.COLOR_PROBLEM,
                ),
            ],
            "waiting_for": LifecycleStep.ITEM_RECEIPT,
            "task_token": "token-of-the-wait",
        }
    )


def rows(*cells: tuple[str, int, str]) -> Rows:
    """Rows of the file, from line 2 (under the header)."""
    return [
        (
            line,
            InspectionRow(
                return_reference="R-001042",
                sku=sku,
                quantity_received=quantity,
                product_state=state,
            ),
        )
        for line, (sku, quantity, state) in enumerate(cells, start=2)
    ]


def receive(rma: Rma, file_rows: Rows) -> ReturnReceipt:
    raw = {line: f"line {line}" for line, _ in file_rows}
    return receive_inspection(rma, file_rows, raw, UPLOAD, actor=WAREHOUSE, at=AT)


def test_rows_that_cover_every_line_complete_the_inspection_and_release_the_lifecycle() -> None:
    # Given an approved return whose lifecycle waits for the parcel
    # When the file reports both shirts and the cap
    receipt = receive(a_return(), rows(("SHIRT", 2, "WORE"), ("CAP", 1, "BRAND_NEW_WITH_LABEL")))

    # Then every row is applied in one new version, the parcel delivered, the inspection done
    assert receipt.applied == [2, 3]
    assert receipt.refused == []
    updated = receipt.updated
    assert updated.processing_status is P.PROCESSING
    assert updated.delivery_status is DeliveryStatus.DELIVERED
    assert updated.fulfillment_status is FulfillmentStatus.COMPLETE
    assert [line.received_quantity for line in updated.lines] == [2, 1]
    # And the lifecycle is to be resumed, its token kept until it is sent
    assert receipt.resumes_lifecycle
    assert (updated.waiting_for, updated.task_token) == (None, "token-of-the-wait")
    # And the return remembers the upload
    assert [u.upload for u in updated.inspection_uploads] == [UPLOAD.identity]


def test_a_partial_receipt_keeps_the_lifecycle_waiting() -> None:
    # When the file reports one shirt of two
    receipt = receive(a_return(), rows(("SHIRT", 1, "WORE")))
    # Then it is recorded, the inspection goes on, and the lifecycle still waits
    assert receipt.updated.fulfillment_status is FulfillmentStatus.IN_PROGRESS
    assert receipt.updated.waiting_for is LifecycleStep.ITEM_RECEIPT
    assert not receipt.resumes_lifecycle


def test_a_row_that_does_not_match_makes_the_return_an_anomaly_and_none_is_applied() -> None:
    # When the file reports a shirt and a SKU the return does not have
    receipt = receive(a_return(), rows(("SHIRT", 1, "WORE"), ("SOCKS", 1, "WORE")))

    # Then no row is applied, each is refused with the reason
    assert receipt.applied == []
    assert [row.line for row in receipt.refused] == [2, 3]
    assert all("SOCKS is not on return R-001042" in row.reason for row in receipt.refused)
    # And the approved return went to PROCESSING, then ANOMALY, in two log entries of one write
    assert receipt.anomaly
    assert [(e.from_status, e.to_status) for e in receipt.events] == [
        (P.ACCEPTED, P.PROCESSING),
        (P.PROCESSING, P.ANOMALY),
    ]
    assert receipt.updated.version == 5
    assert [line.received_quantity for line in receipt.updated.lines] == [0, 0]
    assert receipt.updated.fulfillment_status is FulfillmentStatus.ERROR


def test_more_units_than_returned_is_an_anomaly_too() -> None:
    receipt = receive(a_return(), rows(("SHIRT", 3, "WORE")))
    assert receipt.anomaly
    assert "3 x SHIRT received, but only 2 are being returned." in receipt.refused[0].reason


def test_a_return_not_expecting_a_parcel_refuses_the_rows_and_stays_as_it_is() -> None:
    # Given a return still waiting for a decision
    receipt = receive(a_return(P.REQUESTED), rows(("SHIRT", 1, "WORE")))
    # Then its rows are refused, and nothing is written
    assert receipt.updated is None
    assert not receipt.anomaly
    assert "is waiting for a decision; it cannot be received" in receipt.refused[0].reason


def test_the_same_upload_again_gives_its_first_outcome_and_writes_nothing() -> None:
    # Given a return that already took this file (a redelivery, a run resumed after a crash)
    first = receive(a_return(), rows(("SHIRT", 1, "WORE")))
    # When the file comes again
    again = receive(first.updated, rows(("SHIRT", 1, "WORE")))
    # Then its rows count as applied, and nothing is written or received twice
    assert again.applied == [2]
    assert again.updated is None
    assert again.events == []


def test_the_same_upload_again_changes_nothing_and_resumes_nothing() -> None:
    # Given a return that took the whole file, its hand-off to the lifecycle in its event
    first = receive(a_return(), rows(("SHIRT", 2, "WORE"), ("CAP", 1, "WORE")))
    assert first.resumes_lifecycle
    # When the file comes again
    again = receive(first.updated, rows(("SHIRT", 2, "WORE"), ("CAP", 1, "WORE")))
    # Then nothing is written, and nothing sent again: the stream retries the first hand-off
    assert again.updated is None
    assert not again.resumes_lifecycle


def test_an_upload_that_made_an_anomaly_is_refused_again_with_the_same_reason() -> None:
    first = receive(a_return(), rows(("SOCKS", 1, "WORE")))
    again = receive(first.updated, rows(("SOCKS", 1, "WORE")))
    assert again.updated is None
    assert again.refused[0].reason == first.refused[0].reason
