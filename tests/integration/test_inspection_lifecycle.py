"""A warehouse inspection file resuming the return lifecycle, from the upload in the returns
bucket to the refund: S3 notification → queue → the app's SQS handler → Step Functions (moto,
running the definition file), through the receipt's return event."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inspection_support import Inbox, csv_file, open_inbox
from tests.lifecycle_support import (
    AUTO_APPROVED,
    ITEM_RECEIPT,
    REFUNDED_AUTOMATICALLY,
    current,
    ended,
    line,
    no_execution_outlives_its_test,  # noqa: F401 (autouse fixture)
    statuses,
    submit_return,
    use_policy,
    waiting_in,
)


@pytest.fixture
def inbox(lifecycle: str) -> Inbox:
    return open_inbox()


def test_an_inspection_upload_resumes_the_lifecycle_which_refunds_the_return(
    api: Any, lifecycle: str, inbox: Inbox
) -> None:
    # Given an auto-approved return of one T-shirt, refunded without a person, whose lifecycle
    # waits for the parcel
    use_policy(auto_execute_financial_resolution=True)
    rma = submit_return(api, auto_execute_financial_resolution=True)
    waiting_in(rma["id"], ITEM_RECEIPT)

    # When the warehouse uploads its inspection and the queue delivers the notification
    row = f"{rma['return_reference']},{line()['sku']},1,BRAND_NEW_WITH_LABEL,As new,,"
    key = inbox.upload("2026/11/03/morning.csv", csv_file(row))
    answers = inbox.deliver()

    # Then the message is handled, the lifecycle resumed, the refund paid, the return complete
    assert answers == [{"batchItemFailures": []}]
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    done = current(rma["id"])
    assert statuses(done) == ("COMPLETE", "DELIVERED", "REFUNDED", "COMPLETE")
    assert done.lines[0].inspection_notes == "As new"
    assert (done.task_token, done.waiting_for) == (None, None)
    assert inbox.report(key) == {"file_name": key, "rows_applied": [2], "rows_rejected": []}


def test_a_hand_off_that_fails_after_the_receipt_is_retried_by_the_stream_not_the_file(
    api: Any, lifecycle: str, inbox: Inbox
) -> None:
    # Given a return whose lifecycle waits for the parcel, and Step Functions failing the first
    # hand-off back to it
    use_policy(auto_execute_financial_resolution=True)
    rma = submit_return(api, auto_execute_financial_resolution=True)
    waiting_in(rma["id"], ITEM_RECEIPT)
    hand_offs = fail_first_task_success()

    # When the warehouse's file is delivered
    row = f"{rma['return_reference']},{line()['sku']},1,BRAND_NEW_WITH_LABEL,,,"
    inbox.upload("2026/11/03/morning.csv", csv_file(row))
    answers = inbox.deliver()

    # Then the file is done with at once; the return event of the receipt is delivered again
    # until the lifecycle is resumed, which refunds the return
    assert answers == [{"batchItemFailures": []}]
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    assert hand_offs["calls"] == 2
    done = current(rma["id"])
    assert done.lines[0].received_quantity == 1
    assert statuses(done) == ("COMPLETE", "DELIVERED", "REFUNDED", "COMPLETE")


def fail_first_task_success() -> dict[str, int]:
    """Step Functions refusing the first SendTaskSuccess as a network failure would."""
    from botocore.exceptions import EndpointConnectionError

    from chalicelib.repositories.aws import client

    calls = {"calls": 0}

    def fail_once(**_: Any) -> None:
        calls["calls"] += 1
        if calls["calls"] == 1:
            raise EndpointConnectionError(endpoint_url="https://states.example")

    client("stepfunctions").meta.events.register(
        "before-call.states.SendTaskSuccess", fail_once, unique_id="fail-first-task-success"
    )
    return calls
