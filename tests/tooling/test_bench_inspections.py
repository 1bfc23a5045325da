"""The DynamoDB budget of `make bench`'s inspection file, on a small file so that `make test`
guards it: one transaction per return touched, batched reads, no Scan."""

from __future__ import annotations

import os

from bench.inspections import measure_in_table
from chalicelib.repositories.aws import client


def test_an_inspection_file_writes_each_return_once_and_reads_in_batches(aws: None) -> None:
    # Given 30 approved returns of 2 lines of 2 units, and a file with a row for every unit
    # When the file is processed through the queue handler
    measured = measure_in_table(client("dynamodb"), os.environ["TABLE_NAME"], 30, 2, 2)

    # Then each return is written in one transaction, the reads are two BatchGetItem calls
    # (references, then returns), and nothing scans
    calls = measured.usage.calls
    assert measured.rows == 120
    assert measured.transactions_per_return == 1
    assert calls["BatchGetItem"] == 2
    assert "Scan" not in calls
    # Besides the returns: the idempotency record, written then completed, and the file's
    # entry in the console's list of processed files
    assert set(calls) <= {"BatchGetItem", "TransactWriteItems", "PutItem", "UpdateItem"}
    assert calls.get("PutItem", 0) + calls.get("UpdateItem", 0) <= 3
