"""Warehouse inspection files, from the upload in the returns bucket through its S3 notification
on the queue to the returns they update and the report written next to them (moto).

The lifecycle resumed by a file: test_inspection_lifecycle.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from bench.counting import DynamoDBCallCounter
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action
from chalicelib.repositories.aws import client
from chalicelib.repositories.rma_repository import RmaRepository
from chalicelib.services import container
from chalicelib.services.rma_service import RmaService
from tests.inspection_support import Inbox, csv_file, open_inbox

ADMIN = Actor(channel=Channel.ADMIN)


def item(sku: str, quantity: int = 1, price: str = "25.00") -> dict[str, Any]:
    return {
        "sku": sku,
        "name": f"Item {sku}",
        "quantity": quantity,
        "unit_price": price,
        "reason": "SIZE_PROBLEM",
    }


@pytest.fixture
def inbox(aws: None) -> Inbox:
    return open_inbox()


@pytest.fixture
def accepted(open_rma: Callable[..., Rma]) -> Callable[..., Rma]:
    """Opens an approved return (ACCEPTED) of the given lines: the parcel may arrive."""

    def open_accepted(*lines: dict[str, Any]) -> Rma:
        rma = open_rma(lines=list(lines) or [item("TSHIRT-BLUE-M")])
        return container.rma_service().act(rma.id, Action.ACCEPT, actor=ADMIN)

    return open_accepted


def history(rma: Rma) -> tuple[Rma, list[Any]]:
    return container.rma_service().history(rma.id)


def actions(rma: Rma) -> list[tuple[str, str, str | None]]:
    return [
        (e.action, e.to_status, e.note) for e in history(rma)[1] if e.actor.channel == "warehouse"
    ]


@contextmanager
def failing_writes(after: int) -> Iterator[None]:
    """DynamoDB refuses the transactions after the first `after` of them (a throttled or lost
    connection mid-file), until the block ends."""
    seen = {"writes": 0}

    def refuse(**_: Any) -> None:
        seen["writes"] += 1
        if seen["writes"] > after:
            raise ConnectionError("DynamoDB unreachable")

    events = client("dynamodb").meta.events
    events.register("before-call.dynamodb.TransactWriteItems", refuse, unique_id="fail-writes")
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="fail-writes")


# --- Applying a file ---------------------------------------------------------------------------


def test_a_file_updates_the_returns_it_names_and_reports_each_bad_row(
    inbox: Inbox, accepted: Callable[..., Rma]
) -> None:
    # Given an approved return of two T-shirts and a pair of jeans
    rma = accepted(item("TSHIRT-BLUE-M", 2), item("JEANS-32", 1, "79.90"))
    ref = rma.return_reference

    # When the warehouse uploads its inspection with good rows and bad ones
    key = inbox.upload(
        "2026/11/batch-1.csv",
        csv_file(
            f"{ref},TSHIRT-BLUE-M,1,BRAND_NEW_WITH_LABEL,,,2026-11-03T09:30:00Z",
            f"{ref},JEANS-32,1,worn out,,,",
            f"{ref},TSHIRT-BLUE-M,0,WORE,,,",
            f"{ref},JEANS-32,1,wore,Stain on the leg,photos/j-1.jpg|photos/j-2.jpg,",
            "R-999999,CAP-RED,1,WORE,,,",
        ),
    )
    answers = inbox.deliver()

    # Then every message was handled (S3's test event included) and the good rows applied
    assert all(answer == {"batchItemFailures": []} for answer in answers)
    received, log = history(rma)
    assert (received.processing_status, received.delivery_status) == ("PROCESSING", "DELIVERED")
    assert received.fulfillment_status == "IN_PROGRESS"  # one T-shirt is still to come
    tshirt, jeans = received.lines
    assert (tshirt.received_quantity, tshirt.product_state, tshirt.line_state) == (
        1,
        "BRAND_NEW_WITH_LABEL",
        "PARTIALLY_FULFILLED",
    )
    assert (jeans.received_quantity, jeans.product_state, jeans.line_state) == (
        1,
        "WORE",
        "FULFILLED",
    )
    assert jeans.inspection_notes == "Stain on the leg"
    assert jeans.inspection_photos == ["photos/j-1.jpg", "photos/j-2.jpg"]
    assert received.received_at == datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    # ...in one write with one log entry by the warehouse
    assert received.version == rma.version + 1
    assert [(e.action, e.actor.channel) for e in log[-1:]] == [("receive", "warehouse")]

    # And the report lists the applied rows and each bad row with its reason
    report = inbox.report(key)
    assert report["file_name"] == key
    assert report["rows_applied"] == [2, 5]
    rejected = {row["line"]: row for row in report["rows_rejected"]}
    assert sorted(rejected) == [3, 4, 6]
    assert "product_state" in rejected[3]["reason"]
    assert "quantity_received" in rejected[4]["reason"]
    assert rejected[6] == {
        "line": 6,
        "raw": "R-999999,CAP-RED,1,WORE,,,",
        "reason": "No return matches 'R-999999'.",
    }


def test_json_lines_with_a_space_in_the_key_complete_the_inspection_of_every_line(
    inbox: Inbox, accepted: Callable[..., Rma]
) -> None:
    # Given an approved return of one T-shirt
    rma = accepted()

    # When a JSON lines file whose name has a space reports it received
    row = {"return_reference": rma.return_reference, "sku": "TSHIRT-BLUE-M"}
    content = json.dumps({**row, "quantity_received": 1, "product_state": "WORE"})
    key = inbox.upload("inspection 2.jsonl", content)
    inbox.deliver()

    # Then every line is in: the inspection is COMPLETE, and the report is next to the file
    received = container.rma_service().find(rma.id)
    assert (received.delivery_status, received.fulfillment_status) == ("DELIVERED", "COMPLETE")
    assert inbox.report(key)["rows_applied"] == [1]


def test_a_file_named_in_capitals_is_an_upload_too(
    inbox: Inbox, accepted: Callable[..., Rma]
) -> None:
    # Given an approved return, When a warehouse export named BATCH.CSV reports it received
    rma = accepted()
    key = inbox.upload("BATCH.CSV", csv_file(f"{rma.return_reference},TSHIRT-BLUE-M,1,WORE,,,"))
    inbox.deliver()
    # Then S3 told the queue of it, and it was applied
    assert inbox.report(key)["rows_applied"] == [2]


def test_rows_that_do_not_match_their_return_make_it_an_anomaly_and_none_is_applied(
    inbox: Inbox, accepted: Callable[..., Rma]
) -> None:
    # Given two approved returns
    mismatched = accepted(item("TSHIRT-BLUE-M", 1), item("JEANS-32", 1))
    fine = accepted()

    # When the file has, for the first, a good row, a SKU it lacks and too many jeans
    ref = mismatched.return_reference
    key = inbox.upload(
        "mismatch.csv",
        csv_file(
            f"{ref},TSHIRT-BLUE-M,1,WORE,,,",
            f"{ref},SOCKS-RED,1,WORE,,,",
            f"{fine.return_reference},TSHIRT-BLUE-M,1,WORE,,,",
            f"{ref},JEANS-32,3,WORE,,,",
        ),
    )
    inbox.deliver()

    # Then the first is not received but an ANOMALY (started first, as the parcel arrived),
    # with the reason in its log
    flagged = container.rma_service().find(mismatched.id)
    assert (flagged.processing_status, flagged.delivery_status) == ("ANOMALY", "DELIVERED")
    assert flagged.fulfillment_status == "ERROR"
    assert [line.received_quantity for line in flagged.lines] == [0, 0]
    reason = (
        f"Not applied to return {ref}, now an anomaly: SOCKS-RED is not on return {ref}. "
        "3 x JEANS-32 received, but only 1 are being returned."
    )
    assert actions(mismatched) == [
        ("start_processing", "PROCESSING", "Parcel received"),
        ("flag_anomaly", "ANOMALY", reason),
    ]
    assert flagged.version == mismatched.version + 2

    # And each of its rows is rejected with that reason, while the other return's row applies
    report = inbox.report(key)
    assert report["rows_applied"] == [4]
    assert [(row["line"], row["reason"]) for row in report["rows_rejected"]] == [
        (2, reason),
        (3, reason),
        (5, reason),
    ]
    assert container.rma_service().find(fine.id).processing_status == "PROCESSING"


def test_a_return_that_cannot_receive_items_has_its_rows_rejected_and_stays_as_it_is(
    inbox: Inbox, open_rma: Callable[..., Rma]
) -> None:
    # Given a return still waiting for a decision
    requested = open_rma()

    # When a file reports its parcel
    key = inbox.upload(
        "early.csv", csv_file(f"{requested.return_reference},TSHIRT-BLUE-M,1,WORE,,,")
    )
    inbox.deliver()

    # Then its row is rejected with the reason, and the return is untouched
    assert inbox.report(key)["rows_rejected"][0]["reason"] == (
        f"Return {requested.return_reference} is waiting for a decision; it cannot be received."
    )
    assert container.rma_service().find(requested.id) == requested


# --- Once and only once ------------------------------------------------------------------------


def test_the_same_upload_delivered_twice_changes_nothing_the_second_time(
    inbox: Inbox, accepted: Callable[..., Rma]
) -> None:
    # Given a file applied to a return
    rma = accepted(item("TSHIRT-BLUE-M", 2))
    inbox.upload("twice.csv", csv_file(f"{rma.return_reference},TSHIRT-BLUE-M,1,WORE,,,"))
    notification = [body for body in inbox.waiting() if "Records" in body]
    inbox.deliver()
    once = container.rma_service().find(rma.id)

    # When its notification is delivered again
    counter = DynamoDBCallCounter().attach(client("dynamodb"))
    client("sqs").send_message(QueueUrl=inbox.queue_url, MessageBody=json.dumps(notification[0]))
    answers = inbox.deliver()

    # Then it succeeds without writing anything: the return still has one T-shirt received
    assert answers == [{"batchItemFailures": []}]
    assert "TransactWriteItems" not in counter.usage().calls
    assert container.rma_service().find(rma.id) == once
    assert once.lines[0].received_quantity == 1


def test_a_file_processed_again_after_its_first_run_was_forgotten_skips_every_return(
    inbox: Inbox, accepted: Callable[..., Rma]
) -> None:
    # Given a file applied to a return, whose idempotency record is gone (expired)
    rma = accepted(item("TSHIRT-BLUE-M", 2))
    key = inbox.upload("again.csv", csv_file(f"{rma.return_reference},TSHIRT-BLUE-M,1,WORE,,,"))
    notification = next(body for body in inbox.waiting() if "Records" in body)
    inbox.deliver()
    once = container.rma_service().find(rma.id)
    _forget_idempotency_records()

    # When the same upload is delivered again
    client("sqs").send_message(QueueUrl=inbox.queue_url, MessageBody=json.dumps(notification))
    inbox.deliver()

    # Then the return, which remembers the upload, is not counted twice; the report is the same
    assert container.rma_service().find(rma.id) == once
    assert inbox.report(key)["rows_applied"] == [2]


def test_a_run_interrupted_mid_file_resumes_without_counting_anything_twice(
    inbox: Inbox, accepted: Callable[..., Rma]
) -> None:
    # Given three approved returns named by one file
    rmas = [accepted(item("TSHIRT-BLUE-M", 3)) for _ in range(3)]
    key = inbox.upload(
        "interrupted.csv",
        csv_file(*(f"{rma.return_reference},TSHIRT-BLUE-M,1,WORE,,," for rma in rmas)),
    )

    # When DynamoDB fails after the first return was written
    with failing_writes(after=1):
        first = inbox.deliver()

    # Then the message fails and goes back to the queue, the first return written
    assert [len(answer["batchItemFailures"]) for answer in first] == [1]
    assert [current.version for current in map(_current, rmas)] == [
        rmas[0].version + 1,
        rmas[1].version,
        rmas[2].version,
    ]

    # When it is delivered again
    assert inbox.deliver() == [{"batchItemFailures": []}]

    # Then each return has its one T-shirt received once, with one log entry
    for rma in rmas:
        assert _current(rma).lines[0].received_quantity == 1
        assert [action for action, _, _ in actions(rma)] == ["receive"]
    assert inbox.report(key)["rows_applied"] == [2, 3, 4]


def test_a_return_changed_while_its_rows_are_applied_is_read_again_and_applied_once(
    inbox: Inbox, accepted: Callable[..., Rma]
) -> None:
    # Given an approved return, which an agent changes just as the file is being applied
    rma = accepted()
    _changed_before_first_write(rma)

    # When the file is processed
    key = inbox.upload("race.csv", csv_file(f"{rma.return_reference},TSHIRT-BLUE-M,1,WORE,,,"))
    inbox.deliver()

    # Then the write lost the race, was retried on the fresh version, and applied once
    received = _current(rma)
    assert received.lines[0].received_quantity == 1
    assert received.comment == "Changed meanwhile"
    assert inbox.report(key)["rows_applied"] == [2]


# --- Messages ----------------------------------------------------------------------------------


def test_a_missing_file_fails_its_message_alone(inbox: Inbox, accepted: Callable[..., Rma]) -> None:
    # Given two uploads, the first deleted before it could be processed
    rma = accepted()
    gone = inbox.upload("gone.csv", csv_file(f"{rma.return_reference},TSHIRT-BLUE-M,1,WORE,,,"))
    kept = inbox.upload("kept.csv", csv_file(f"{rma.return_reference},TSHIRT-BLUE-M,1,WORE,,,"))
    client("s3").delete_object(Bucket=inbox.bucket, Key=gone)
    messages = client("sqs").receive_message(QueueUrl=inbox.queue_url, MaxNumberOfMessages=10)
    by_key = {
        json.loads(m["Body"])["Records"][0]["s3"]["object"]["key"].replace("%2F", "/"): m
        for m in messages["Messages"]
        if "Records" in m["Body"]
    }

    # When both are delivered in one batch
    answers = inbox.deliver()

    # Then only the missing file's message is reported as failed; the other file is applied
    assert answers[0]["batchItemFailures"] == [{"itemIdentifier": by_key[gone]["MessageId"]}]
    assert inbox.report(kept)["rows_applied"] == [2]
    assert _current(rma).lines[0].received_quantity == 1


def test_test_events_and_keys_that_are_not_uploads_are_acknowledged_and_ignored(
    inbox: Inbox,
) -> None:
    # Given S3's test event and a notification of a report under the prefix
    report = {
        "Records": [
            {
                "s3": {
                    "bucket": {"name": inbox.bucket},
                    "object": {"key": "inspections/results/a.csv.json", "eTag": "0"},
                }
            }
        ]
    }
    client("sqs").send_message(QueueUrl=inbox.queue_url, MessageBody=json.dumps(report))

    # When they are delivered
    counter = DynamoDBCallCounter().attach(client("dynamodb"))
    answers = inbox.deliver()

    # Then they succeed without reading anything
    assert answers == [{"batchItemFailures": []}]
    assert counter.usage().calls == {}


# --- Scale -------------------------------------------------------------------------------------


def test_a_file_of_ten_thousand_rows_is_processed_in_one_call_one_write_per_return(
    inbox: Inbox,
) -> None:
    # Given 4 approved returns of 25 lines of 100 units each (moto copies the whole table in
    # every transaction, so the returns are few and the units many)
    from bench.inspections import accepted_returns, inspection_csv

    rmas = accepted_returns(returns=4, lines_per_return=25, units=100)

    # When one file reports every unit scanned, 10,000 rows
    content = inspection_csv(rmas)
    assert content.count("\n") == 10_001
    key = inbox.upload("big.csv", content)
    counter = DynamoDBCallCounter().attach(client("dynamodb"))
    assert inbox.deliver() == [{"batchItemFailures": []}]

    # Then all are applied in one run, with one transaction per return and batched reads
    assert len(inbox.report(key)["rows_applied"]) == 10_000
    calls = counter.usage().calls
    assert calls["TransactWriteItems"] == 4
    assert calls["BatchGetItem"] == 2
    assert "Scan" not in calls
    assert all(line.received_quantity == 100 for rma in rmas for line in _current(rma).lines)


def _current(rma: Rma) -> Rma:
    return container.rma_service().find(rma.id)


def _forget_idempotency_records() -> None:
    dynamodb = client("dynamodb")
    table = os.environ["TABLE_NAME"]
    records = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "IDEMPOTENCY#inspections"}},
    )["Items"]
    assert records
    for record in records:
        dynamodb.delete_item(TableName=table, Key={"pk": record["pk"], "sk": record["sk"]})


def _changed_before_first_write(rma: Rma) -> None:
    """Before the app's first transaction, another writer changes the return, through a client
    of its own which this hook does not see."""
    other = RmaService(RmaRepository(os.environ["TABLE_NAME"], boto3.client("dynamodb")))
    done = {"changed": False}

    def change(**_: Any) -> None:
        if not done["changed"]:
            done["changed"] = True
            current = other.find(rma.id)
            updated = current.model_copy(
                update={"comment": "Changed meanwhile", "version": current.version + 1}
            )
            other.save(updated, before=current)

    client("dynamodb").meta.events.register(
        "before-call.dynamodb.TransactWriteItems", change, unique_id="race"
    )
