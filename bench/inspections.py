"""A warehouse inspection file of 10,000 rows through the real queue handler on moto: rows per
second, DynamoDB work per return touched, and time against as many bare UpdateItem calls on the
same table, the least any per-row processor would spend."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from bench.counting import DynamoDBCallCounter, Usage
from bench.dataset import batch_write
from bench.moto_table import moto_table
from bench.payloads import create_rma_body
from bench.recording import RecordingDynamoDB
from chalicelib.api.models.admin import CreateRmaRequest
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action
from chalicelib.repositories.rma_repository import RmaRepository
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY
from chalicelib.services.rma_service import RmaService

# The file may take at most this many times the bare UpdateItem calls, one per row.
TIME_RATIO_TARGET = 1.5
BUCKET = "returns-desk-bench-returns"
KEY = "inspections/bench/10k.csv"
_ADMIN = Actor(channel=Channel.ADMIN)
_HEADER = "return_reference,sku,quantity_received,product_state,notes,photo_keys,received_at"
_STATES = ("BRAND_NEW_WITH_LABEL", "BRAND_NEW_WITHOUT_LABEL", "WORE", "DAMAGED")


@dataclass(frozen=True)
class InspectionMeasurement:
    rows: int
    returns: int
    seconds: float
    baseline_seconds: float
    usage: Usage

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def transactions_per_return(self) -> float:
        return self.usage.calls.get("TransactWriteItems", 0) / self.returns

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds

    @property
    def problems(self) -> list[str]:
        problems = []
        if self.ratio > TIME_RATIO_TARGET:
            problems.append(f"{self.ratio:.2f} x the bare UpdateItem calls > {TIME_RATIO_TARGET}")
        if self.transactions_per_return != 1:
            problems.append(f"{self.transactions_per_return:.2f} transactions per return != 1")
        if self.usage.calls.get("Scan"):
            problems.append("a Scan")
        return problems

    @property
    def ok(self) -> bool:
        return not self.problems


def accepted_returns(returns: int, lines_per_return: int, units: int = 1) -> list[Rma]:
    """Approved returns of `lines_per_return` lines of `units` units each, stored in the app's
    table as the service writes them (recorded, then batch-written: no three round trips per
    return)."""
    from chalicelib.repositories.aws import client
    from chalicelib.settings import get_settings

    table = get_settings().table_name
    recorder = RecordingDynamoDB()
    service = RmaService(RmaRepository(table, recorder))
    rmas = []
    for sequence in range(returns):
        body = create_rma_body(sequence, customer=sequence % 100)
        body["lines"] = [
            {
                "sku": f"SKU-{line:03d}",
                "name": f"Item {line}",
                "quantity": units,
                "unit_price": "10.00",
                "reason": "SIZE_PROBLEM",
            }
            for line in range(lines_per_return)
        ]
        rma = service.open(CreateRmaRequest.model_validate(body).to_draft(), actor=_ADMIN)
        service.act(rma.id, Action.SUBMIT, actor=_ADMIN)
        rmas.append(service.act(rma.id, Action.ACCEPT, actor=_ADMIN))
    batch_write(client("dynamodb"), table, recorder.items)
    return rmas


def inspection_csv(rmas: list[Rma]) -> str:
    """One row per unit of every line of every return, as a warehouse scans them."""
    rows = [
        f"{rma.return_reference},{line.sku},1,{_STATES[index % len(_STATES)]},,,"
        for rma in rmas
        for index, line in enumerate(rma.lines)
        for _ in range(line.quantity)
    ]
    return "\n".join([_HEADER, *rows]) + "\n"


def measure_inspection_file(
    table_name: str, returns: int, lines_per_return: int, units: int = 1
) -> InspectionMeasurement:
    """Process a file of one row per unit through the SQS handler, on a fresh moto table."""
    with moto_table(table_name) as dynamodb:
        return measure_in_table(dynamodb, table_name, returns, lines_per_return, units)


def measure_in_table(
    dynamodb: Any, table_name: str, returns: int, lines_per_return: int, units: int = 1
) -> InspectionMeasurement:
    """The same, on the table moto already holds (the tests')."""
    from chalicelib.inspection_entrypoint import process_inspection_messages
    from chalicelib.repositories.aws import client
    from local.sqs_events import LocalLambdaContext

    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    rmas = accepted_returns(returns, lines_per_return, units)
    rows = returns * lines_per_return * units
    etag = s3.put_object(Bucket=BUCKET, Key=KEY, Body=inspection_csv(rmas).encode())["ETag"]
    counter = DynamoDBCallCounter().attach(dynamodb)
    started = time.perf_counter()
    answer = process_inspection_messages(
        _sqs_event(etag.strip('"')), LocalLambdaContext("process_inspection_uploads")
    )
    seconds = time.perf_counter() - started
    if answer["batchItemFailures"]:
        raise RuntimeError(f"The inspection file failed: {answer}")
    usage = counter.usage()
    return InspectionMeasurement(
        rows=rows,
        returns=returns,
        seconds=seconds,
        baseline_seconds=_bare_updates(dynamodb, table_name, rmas, rows),
        usage=usage,
    )


def _sqs_event(etag: str) -> dict[str, Any]:
    notification = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": BUCKET}, "object": {"key": KEY, "eTag": etag}},
            }
        ]
    }
    return {
        "Records": [
            {
                "messageId": "bench-1",
                "receiptHandle": "bench-1",
                "body": json.dumps(notification),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:inspections",
                "awsRegion": "us-east-1",
            }
        ]
    }


def _bare_updates(dynamodb: Any, table_name: str, rmas: list[Rma], calls: int) -> float:
    """Seconds `calls` UpdateItem calls take on the returns' own items, one attribute each."""
    started = time.perf_counter()
    for call in range(calls):
        rma = rmas[call % len(rmas)]
        dynamodb.update_item(
            TableName=table_name,
            Key={PARTITION_KEY: {"S": f"RMA#{rma.id}"}, SORT_KEY: {"S": "RMA"}},
            UpdateExpression="SET #touched = :call",
            ExpressionAttributeNames={"#touched": "bench_touched"},
            ExpressionAttributeValues={":call": {"N": str(call)}},
        )
    return time.perf_counter() - started


def inspection_summary(measured: InspectionMeasurement, *, gated: bool = True) -> str:
    """The figures of one file; an ungated file is reported for what it shows, not judged."""
    calls = ", ".join(f"{n} {op}" for op, n in sorted(measured.usage.calls.items()))
    verdict = "OK" if measured.ok else "FAIL: " + "; ".join(measured.problems)
    if not gated:
        verdict = f"reported, not judged ({verdict})"
    per_return = measured.rows // measured.returns
    return "\n".join(
        [
            f"Inspection file: {measured.rows:,} rows for {measured.returns:,} returns "
            f"({per_return} rows each), one Lambda run",
            f"  time            {measured.seconds:.2f} s ({measured.rows_per_second:,.0f} rows/s)",
            f"  bare UpdateItem {measured.baseline_seconds:.2f} s for {measured.rows:,} calls",
            f"  ratio           {measured.ratio:.2f} x   target <= {TIME_RATIO_TARGET} x",
            f"  per return      {measured.transactions_per_return:.2f} TransactWriteItems, "
            f"{measured.usage.items_written / measured.returns:.1f} items written",
            f"  DynamoDB        {calls}",
            f"  {verdict}",
        ]
    )
