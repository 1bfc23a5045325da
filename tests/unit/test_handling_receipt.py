"""Specification of an approved return's parcel: its label, its receipt and inspection line by
line, the parcel that does not match, and the hand-off to the lifecycle once every item is in."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.handling import (
    ReceiptProblem,
    ReceivedLine,
    fit_note,
    flag_receipt_anomaly,
    issue_label,
    receipt_problems,
    receive_items,
    release_item_receipt,
)
from chalicelib.domain.rma import MAX_INSPECTION_PHOTOS, Actor, Rma, RmaLine, Shipment
from chalicelib.domain.statuses import (
    Channel,
    DeliveryStatus,
    FulfillmentStatus,
    LifecycleStep,
    LineState,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)
from chalicelib.errors import InvalidRequestError, InvalidTransitionError
from tests.unit.test_transitions import T0, an_rma

P = ProcessingStatus
S = ProductState
WAREHOUSE = Actor(channel=Channel.WAREHOUSE, id="dock-2")
AT = datetime(2026, 11, 5, 14, 0, tzinfo=UTC)
ON_THE_DOCK = datetime(2026, 11, 4, 8, 0, tzinfo=UTC)
EARLIER_ON_THE_DOCK = datetime(2026, 11, 3, 17, 0, tzinfo=UTC)
ON_ITS_WAY = Shipment(carrier="Colissimo", tracking_number="6A1", status=DeliveryStatus.DELIVERING)


def shirt(**fields: Any) -> RmaLine:
    return RmaLine(
        sku="SHIRT",
        name="Shirt",
        quantity=2,
        unit_price=Decimal("20.00"),
        reason=ReturnReason.SIZE_PROBLEM,
        **fields,
    )


def cap(**fields: Any) -> RmaLine:
    return RmaLine(
        sku="CAP",
        name="Cap",
        quantity=1,
        unit_price=Decimal("10.00"),
        reason=ReturnReason.COLOR_PROBLEM,
        **fields,
    )


def a_return(status: ProcessingStatus = P.ACCEPTED, *lines: RmaLine, **fields: Any) -> Rma:
    """R-001042 (version 3): two shirts, then a cap, its parcel on its way."""
    return an_rma(status).model_copy(
        update={"lines": list(lines or (shirt(), cap())), "shipments": [ON_ITS_WAY], **fields}
    )


def item(sku: str, quantity: int = 1, state: ProductState = S.WORE, **fields: Any) -> ReceivedLine:
    return ReceivedLine(sku=sku, quantity=quantity, product_state=state, **fields)


def line_of(rma: Rma, sku: str) -> RmaLine:
    [line] = [line for line in rma.lines if line.sku == sku]
    return line


# --- The label ------------------------------------------------------------------------------


def test_a_label_is_added_to_the_shipments_and_the_parcel_can_be_sent() -> None:
    # Given an approved return that had a label already
    rma = a_return()
    label = Shipment(carrier="UPS", tracking_number="1Z9", label_url="https://labels/1Z9.pdf")
    # When a new label is issued with instructions
    updated, event = issue_label(rma, label, "Drop it at any UPS point.", actor=WAREHOUSE, at=AT)
    # Then the return keeps both shipments, the newest last, and the shopper's instructions
    assert updated.shipments == [ON_ITS_WAY, label]
    assert updated.latest_shipment == label
    assert updated.return_instructions == "Drop it at any UPS point."
    assert updated.delivery_status is DeliveryStatus.HANDLED
    # And it is one version later, still approved, with its log entry naming the carrier
    assert (updated.version, updated.updated_at, updated.processing_status) == (4, AT, P.ACCEPTED)
    assert (event.action, event.actor, event.at, event.version) == ("issue_label", WAREHOUSE, AT, 4)
    assert event.note == "Return shipment with UPS"


# --- A receipt ------------------------------------------------------------------------------


def test_a_whole_parcel_starts_processing_and_completes_the_inspection() -> None:
    # Given an approved return whose parcel is on its way
    rma = a_return()
    # When the warehouse receives both shirts worn and the cap as new, with a note
    updated, event = receive_items(
        rma,
        [item("SHIRT", 2), item("CAP", 1, S.BRAND_NEW_WITH_LABEL)],
        actor=WAREHOUSE,
        at=AT,
        note="Box crushed",
    )
    # Then it is PROCESSING one version later, its parcel delivered and its inspection complete
    assert (updated.processing_status, updated.version, updated.updated_at) == (P.PROCESSING, 4, AT)
    assert updated.delivery_status is DeliveryStatus.DELIVERED
    assert updated.shipments == [ON_ITS_WAY.model_copy(update={"status": DeliveryStatus.DELIVERED})]
    assert updated.fulfillment_status is FulfillmentStatus.COMPLETE
    assert updated.received_at == AT
    # And each line has what came back, in which state, and is fulfilled
    assert [(line.received_states, line.line_state) for line in updated.lines] == [
        ({S.WORE: 2}, LineState.FULFILLED),
        ({S.BRAND_NEW_WITH_LABEL: 1}, LineState.FULFILLED),
    ]
    # And one log entry tells the receipt, what came back and the note
    assert event.model_dump() == {
        "rma_id": rma.id,
        "version": 4,
        "at": AT,
        "actor": WAREHOUSE.model_dump(),
        "action": "receive",
        "from_status": P.ACCEPTED,
        "to_status": P.PROCESSING,
        "note": "Received 2 x SHIRT (WORE), 1 x CAP (BRAND_NEW_WITH_LABEL); Box crushed",
    }


def test_a_receipt_on_a_return_already_processing_adds_to_what_came_back() -> None:
    # Given a return that received one worn shirt at T0, with a note and a photo
    rma = a_return(
        P.PROCESSING,
        shirt(
            received_states={S.WORE: 1},
            line_state=LineState.PARTIALLY_FULFILLED,
            inspection_notes="Stain on the collar",
            inspection_photos=["photos/1.jpg"],
        ),
        cap(),
        received_at=T0,
        fulfillment_status=FulfillmentStatus.IN_PROGRESS,
    )
    # When the second shirt comes back new, with a note and the same photo again and a new one
    updated, event = receive_items(
        rma,
        [
            item(
                "SHIRT",
                1,
                S.BRAND_NEW_WITH_LABEL,
                notes="Tag still on",
                photo_keys=("photos/1.jpg", "photos/2.jpg"),
            )
        ],
        actor=WAREHOUSE,
        at=AT,
    )
    # Then the shirts are fulfilled, one in each state, notes and photos added to the first ones
    shirts = line_of(updated, "SHIRT")
    assert shirts.received_states == {S.WORE: 1, S.BRAND_NEW_WITH_LABEL: 1}
    assert shirts.line_state is LineState.FULFILLED
    assert shirts.inspection_notes == "Stain on the collar; Tag still on"
    assert shirts.inspection_photos == ["photos/1.jpg", "photos/2.jpg"]
    # And the cap is still awaited: the inspection goes on, and the parcel arrived at T0
    assert line_of(updated, "CAP") == cap()
    assert updated.fulfillment_status is FulfillmentStatus.IN_PROGRESS
    assert updated.received_at == T0
    # And the return stays PROCESSING, one version later, with its log entry
    assert (updated.processing_status, updated.version, updated.updated_at) == (P.PROCESSING, 4, AT)
    assert event.model_dump() == {
        "rma_id": rma.id,
        "version": 4,
        "at": AT,
        "actor": WAREHOUSE.model_dump(),
        "action": "receive",
        "from_status": P.PROCESSING,
        "to_status": P.PROCESSING,
        "note": "Received 1 x SHIRT (BRAND_NEW_WITH_LABEL)",
    }


def test_a_line_received_in_parts_of_one_parcel_adds_them_up() -> None:
    # Given / When the two shirts come back as two items of the same state
    updated, _ = receive_items(
        a_return(), [item("SHIRT", 1), item("SHIRT", 1)], actor=WAREHOUSE, at=AT
    )
    # Then both are counted
    assert line_of(updated, "SHIRT").received_states == {S.WORE: 2}


def test_a_line_not_in_the_parcel_is_left_as_it_was_and_the_next_is_received() -> None:
    # Given / When only the cap, the second line, comes back
    updated, _ = receive_items(a_return(), [item("CAP")], actor=WAREHOUSE, at=AT)
    # Then the shirts are untouched, the cap fulfilled, and the inspection still in progress
    assert line_of(updated, "SHIRT") == shirt()
    assert line_of(updated, "CAP").received_states == {S.WORE: 1}
    assert updated.fulfillment_status is FulfillmentStatus.IN_PROGRESS


def test_part_of_a_line_leaves_it_partially_fulfilled_without_notes() -> None:
    updated, _ = receive_items(a_return(), [item("SHIRT", 1)], actor=WAREHOUSE, at=AT)
    shirts = line_of(updated, "SHIRT")
    assert shirts.line_state is LineState.PARTIALLY_FULFILLED
    assert shirts.inspection_notes is None


def test_the_parcel_arrived_when_the_warehouse_says_it_did() -> None:
    # Given / When the warehouse dates the items it received on two days
    updated, _ = receive_items(
        a_return(),
        [item("SHIRT", received_at=ON_THE_DOCK), item("CAP", received_at=EARLIER_ON_THE_DOCK)],
        actor=WAREHOUSE,
        at=AT,
    )
    # Then the parcel arrived on the first
    assert updated.received_at == EARLIER_ON_THE_DOCK


def test_a_long_receipt_is_summed_up_in_a_note_of_the_longest_length_kept() -> None:
    # Given / When the warehouse writes more notes than a line keeps
    updated, _ = receive_items(
        a_return(), [item("SHIRT", notes="x" * 2500)], actor=WAREHOUSE, at=AT
    )
    # Then the line keeps the first of them, marked as cut
    assert line_of(updated, "SHIRT").inspection_notes == "x" * 1999 + "…"


@pytest.mark.parametrize(
    "status", [s for s in ProcessingStatus if s not in {P.ACCEPTED, P.PROCESSING}]
)
def test_only_an_approved_or_processing_return_receives_items(status: ProcessingStatus) -> None:
    # Given a return that expects no parcel
    rma = a_return(status)
    # When items are received on it, Then the receipt is refused for its status
    with pytest.raises(InvalidTransitionError) as refused:
        receive_items(rma, [item("SHIRT")], actor=WAREHOUSE, at=AT)
    assert refused.value.details == {
        "reference": "R-001042",
        "current_status": status,
        "action": "received",
    }


def test_a_receipt_that_does_not_match_is_refused_with_its_first_problem() -> None:
    # Given / When a parcel holds a SKU not on the return and one shirt too many
    with pytest.raises(InvalidRequestError) as refused:
        receive_items(a_return(), [item("SHIRT", 3), item("HAT")], actor=WAREHOUSE, at=AT)
    # Then the receipt is refused, naming the first problem and its SKU
    assert refused.value.message == "HAT is not on return R-001042."
    assert refused.value.details == {"field": "lines", "sku": "HAT"}


# --- What cannot be recorded ----------------------------------------------------------------


def test_a_receipt_that_fits_the_return_has_no_problem() -> None:
    rma = a_return(P.PROCESSING, shirt(received_states={S.WORE: 1}), cap())
    assert receipt_problems(rma, [item("SHIRT"), item("CAP")]) == []


def test_every_problem_of_a_receipt_is_named_unknown_skus_first() -> None:
    # Given a return that already received one shirt
    rma = a_return(P.PROCESSING, shirt(received_states={S.WORE: 1}), cap())
    # When a parcel holds two more shirts, two caps and socks
    problems = receipt_problems(
        rma, [item("SHIRT", 2), item("CAP", 1), item("CAP", 1), item("SOCKS")]
    )
    # Then each problem is named with its SKU
    assert problems == [
        ReceiptProblem("SOCKS", "SOCKS is not on return R-001042."),
        ReceiptProblem("SHIRT", "3 x SHIRT received, but only 2 are being returned."),
        ReceiptProblem("CAP", "2 x CAP received, but only 1 are being returned."),
    ]


def test_a_line_ahead_of_the_received_ones_does_not_stop_the_check() -> None:
    # Given / When only the cap, the second line, comes back, twice
    problems = receipt_problems(a_return(), [item("CAP"), item("CAP")])
    # Then the cap is found over its quantity
    assert [problem.sku for problem in problems] == ["CAP"]


def test_a_line_may_keep_as_many_inspection_photos_as_the_limit() -> None:
    # Given a line with one inspection photo
    rma = a_return(P.PROCESSING, shirt(inspection_photos=["photos/0.jpg"]), cap())
    # When the rest of the limit comes, with a photo it already has
    keys = tuple(f"photos/{n}.jpg" for n in range(MAX_INSPECTION_PHOTOS))
    # Then it fits: a photo sent again counts once
    assert receipt_problems(rma, [item("SHIRT", photo_keys=keys)]) == []
    updated, _ = receive_items(rma, [item("SHIRT", photo_keys=keys)], actor=WAREHOUSE, at=AT)
    assert line_of(updated, "SHIRT").inspection_photos == list(keys)


def test_one_inspection_photo_over_the_limit_is_a_problem() -> None:
    # Given a line with one inspection photo
    rma = a_return(P.PROCESSING, shirt(inspection_photos=["photos/old.jpg"]), cap())
    # When as many new photos as the limit come
    keys = tuple(f"photos/{n}.jpg" for n in range(MAX_INSPECTION_PHOTOS))
    problems = receipt_problems(rma, [item("SHIRT", photo_keys=keys)])
    # Then the line would have one too many
    assert problems == [
        ReceiptProblem(
            "SHIRT",
            f"SHIRT would have {MAX_INSPECTION_PHOTOS + 1} inspection photos; a line keeps at "
            f"most {MAX_INSPECTION_PHOTOS}.",
        )
    ]


# --- A parcel that does not match -----------------------------------------------------------


def test_a_parcel_that_does_not_match_an_approved_return_makes_it_an_anomaly() -> None:
    # Given an approved return
    rma = a_return()
    # When its parcel arrives with something else in it
    flagged, events = flag_receipt_anomaly(
        rma, [item("SOCKS")], "SOCKS is not on return R-001042.", actor=WAREHOUSE, at=AT
    )
    # Then it started processing, then became an anomaly: two entries, two versions
    assert [(e.action, e.from_status, e.to_status, e.version, e.note) for e in events] == [
        ("start_processing", P.ACCEPTED, P.PROCESSING, 4, "Parcel received"),
        ("flag_anomaly", P.PROCESSING, P.ANOMALY, 5, "SOCKS is not on return R-001042."),
    ]
    assert {(e.actor, e.at) for e in events} == {(WAREHOUSE, AT)}
    # And the parcel is delivered, now, its inspection in error, and nothing recorded on its lines
    assert (flagged.processing_status, flagged.version) == (P.ANOMALY, 5)
    assert flagged.delivery_status is DeliveryStatus.DELIVERED
    assert [s.status for s in flagged.shipments] == [DeliveryStatus.DELIVERED]
    assert flagged.received_at == AT
    assert flagged.fulfillment_status is FulfillmentStatus.ERROR
    assert flagged.lines == rma.lines


def test_a_parcel_that_does_not_match_a_processing_return_flags_it_in_one_step() -> None:
    # Given a return already processing
    rma = a_return(P.PROCESSING)
    # When a parcel that does not match arrives
    flagged, events = flag_receipt_anomaly(
        rma, [item("SHIRT", 5)], "Too many shirts", actor=WAREHOUSE, at=AT
    )
    # Then it becomes an anomaly, one version later
    assert [(e.from_status, e.to_status, e.version, e.note) for e in events] == [
        (P.PROCESSING, P.ANOMALY, 4, "Too many shirts")
    ]
    assert flagged.processing_status is P.ANOMALY


# --- The hand-off to the lifecycle ----------------------------------------------------------


def waiting_for_items(status: ProcessingStatus = P.ACCEPTED) -> Rma:
    return a_return(status, waiting_for=LifecycleStep.ITEM_RECEIPT, task_token="token-1")


def test_the_last_items_end_the_lifecycle_wait_and_keep_its_token() -> None:
    # Given a return whose lifecycle waits for its items
    before = waiting_for_items()
    received, _ = receive_items(before, [item("SHIRT", 2), item("CAP")], actor=WAREHOUSE, at=AT)
    # When every line is in
    released, resumes = release_item_receipt(before, received)
    # Then the wait is over and the lifecycle is to be resumed with the token still kept
    assert resumes
    assert (released.waiting_for, released.task_token) == (None, "token-1")


def test_a_partial_receipt_keeps_the_lifecycle_waiting() -> None:
    before = waiting_for_items()
    received, _ = receive_items(before, [item("SHIRT", 2)], actor=WAREHOUSE, at=AT)
    released, resumes = release_item_receipt(before, received)
    assert not resumes
    assert released == received


@pytest.mark.parametrize("step", [None, LifecycleStep.REFUND_APPROVAL])
def test_every_line_in_resumes_nothing_unless_the_lifecycle_waited_for_the_items(
    step: LifecycleStep | None,
) -> None:
    before = a_return(waiting_for=step)
    received, _ = receive_items(before, [item("SHIRT", 2), item("CAP")], actor=WAREHOUSE, at=AT)
    released, resumes = release_item_receipt(before, received)
    assert not resumes
    assert released.waiting_for is step


# --- Notes ----------------------------------------------------------------------------------


def test_a_note_at_the_limit_is_kept_whole() -> None:
    text = "n" * 2000
    assert fit_note(text) == text


def test_a_note_over_the_limit_is_cut_to_it_and_marked() -> None:
    assert fit_note("n" * 1999 + "xy") == "n" * 1999 + "…"
