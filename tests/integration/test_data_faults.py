"""Faults on our side are never the caller's: a stored return that no longer reads is a 500
that names no one and is left out of every list, a throttled write is a 503 to retry, not a
409 blaming another person, and a transaction that met another one is tried again."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto.core.botocore_stubber import MockRawResponse

from chalicelib.repositories.aws import client
from tests.support import ADMIN_AUTH, JSON, WIDGET_AUTH, body, rma_payload

JANE = "jane.doe@example.com"


def spoil(rma_id: str) -> None:
    """Store eleven photo keys on the RMA's first line, past what a line may keep, as an older
    version of the code could."""
    dynamodb = client("dynamodb")
    key = {"pk": {"S": f"RMA#{rma_id}"}, "sk": {"S": "RMA"}}
    item = dynamodb.get_item(TableName=os.environ["TABLE_NAME"], Key=key)["Item"]
    photos = [{"S": f"returns/{rma_id}/photos/{n}.jpg"} for n in range(11)]
    item["lines"]["L"][0]["M"]["photos"] = {"L": photos}
    dynamodb.put_item(TableName=os.environ["TABLE_NAME"], Item=item)


def test_a_stored_return_that_no_longer_reads_hides_no_other_return(
    api: Any,
    open_rma: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given three submitted returns of Jane's, one of them stored with eleven photos on a line
    kept = [open_rma(JANE), open_rma(JANE)]
    spoiled = open_rma(JANE)
    spoil(spoiled.id)

    # When agents list the returns waiting for a decision, and open Jane's widget
    listed = api.http.get("/rmas?status=REQUESTED", headers=ADMIN_AUTH)
    widget = api.http.get(f"/gorgias/widget?email={JANE}", headers=WIDGET_AUTH)

    # Then both answer, with every other return
    assert listed.status_code == 200, listed.body
    assert {r["id"] for r in body(listed)["items"]} == {rma.id for rma in kept}
    assert widget.status_code == 200, widget.body
    assert {r["id"] for r in body(widget)["returns"]} == {rma.id for rma in kept}
    # And the fault is logged with the item's key, and counted for its alarm
    faults = [r for r in caplog.records if r.getMessage() == "Stored item unreadable"]
    assert {getattr(r, "item_key", None) for r in faults} == {f"RMA#{spoiled.id}/RMA"}
    assert '"StoredItemsUnreadable":[1.0]' in capsys.readouterr().out.replace(" ", "")


@pytest.mark.parametrize("action", ["accept", "cancel"])
def test_acting_on_a_return_that_no_longer_reads_is_a_server_fault(
    api: Any, open_rma: Any, action: str
) -> None:
    # Given a return stored with eleven photos on a line
    spoiled = open_rma(JANE)
    spoil(spoiled.id)
    # When an agent reads it or acts on it
    for response in (
        api.http.get(f"/rmas/{spoiled.return_reference}", headers=ADMIN_AUTH),
        api.http.post(
            f"/rmas/{spoiled.return_reference}/{action}",
            headers={**ADMIN_AUTH, **JSON},
            body="{}",
        ),
    ):
        # Then it is a 500 on our side, never a 400 that blames the request
        assert response.status_code == 500, response.body
        assert body(response)["error"]["code"] == "internal_error"


@contextmanager
def next_transaction_canceled(*reasons: str) -> Iterator[None]:
    """DynamoDB cancels the next TransactWriteItems for `reasons` (one per item), as botocore
    hands the error to the client once its own retries are spent."""
    canceled = {
        "Error": {
            "Code": "TransactionCanceledException",
            "Message": f"Transaction cancelled [{', '.join(reasons)}]",
        },
        "CancellationReasons": [{"Code": reason} for reason in reasons],
    }
    once: list[bool] = []

    def cancel(**_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        if once:
            return None
        once.append(True)
        return AWSResponse("https://dynamodb", 400, {}, MockRawResponse(b"")), canceled

    events = client("dynamodb").meta.events
    events.register_first("before-call.dynamodb.TransactWriteItems", cancel)
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", cancel)


def test_a_throttled_transaction_is_a_503_to_retry_not_a_conflict(api: Any, open_rma: Any) -> None:
    # Given DynamoDB cancelling the next transaction because it is throttled
    rma = open_rma(JANE)
    with next_transaction_canceled("ThrottlingError", "None"):
        # When an agent approves the return
        response = api.http.post(
            f"/rmas/{rma.return_reference}/accept", headers={**ADMIN_AUTH, **JSON}, body="{}"
        )
    # Then the answer says to retry shortly, and nothing was written
    assert response.status_code == 503, response.body
    assert body(response)["error"]["code"] == "dependency_unavailable"
    assert response.headers["Retry-After"] == "1"
    again = api.http.post(
        f"/rmas/{rma.return_reference}/accept", headers={**ADMIN_AUTH, **JSON}, body="{}"
    )
    assert again.status_code == 200, again.body
    assert body(again)["processing_status"] == "ACCEPTED"


def test_opening_a_return_while_another_writes_its_claim_counter_is_tried_again(
    api: Any,
) -> None:
    # Given another transaction writing the order line's claim counter at the same instant
    with next_transaction_canceled("TransactionConflict", "None", "None", "None"):
        # When a return is opened
        response = api.http.post(
            "/rmas", headers={**ADMIN_AUTH, **JSON}, body=json.dumps(rma_payload())
        )
    # Then it is opened on the next try, not answered with an error
    assert response.status_code == 201, response.body
