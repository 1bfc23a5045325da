"""Values and builders the tests share."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

WIDGET_AUTH = {"Authorization": "Bearer widget-token"}
ADMIN_AUTH = {"Authorization": "Bearer admin-token"}
JSON = {"Content-Type": "application/json"}


def rma_payload(email: str = "jane.doe@example.com", **overrides: Any) -> dict[str, Any]:
    """A valid admin `POST /rmas` body."""
    payload: dict[str, Any] = {
        "order": {
            "number": "#1001",
            "external_id": "gid://shopify/Order/1",
            "ordered_at": "2026-11-01",
        },
        "customer": {"email": email, "name": "Jane Doe", "locale": "en"},
        "lines": [
            {
                "sku": "TSHIRT-BLUE-M",
                "name": "Blue T-shirt (M)",
                "quantity": 1,
                "unit_price": "25.00",
                "reason": "SIZE_PROBLEM",
            }
        ],
        "expected_resolution": "REFUND",
        "currency": "EUR",
    }
    payload.update(overrides)
    return payload


def body(response: Any) -> Any:
    """The decoded JSON body of a `chalice.test.Client` response."""
    return json.loads(response.body)


def reconfigure(monkeypatch: pytest.MonkeyPatch, **environment: str | None) -> None:
    """Change the environment (None unsets), then rebuild the settings and services from it."""
    from chalicelib.services import container

    for name, value in environment.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    container.reset()


def sent_emails() -> list[Any]:
    """What the app sent through moto's SES, oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].sent_messages)


_deliveries: dict[str, Any] = {}


def deliver_return_events() -> Any:
    """Deliver what the table's stream holds and was not yet delivered to the app's consumer,
    as Lambda would have by the time a scheduled job runs. What the delivery did."""
    from app import handle_return_events
    from local.stream_events import StreamDelivery, streams_client

    table = os.environ["TABLE_NAME"]
    streams = streams_client()
    # Each test's table has a stream of its own: keep one reader per stream.
    arn = streams.list_streams(TableName=table)["Streams"][0]["StreamArn"]
    if arn not in _deliveries:
        _deliveries.clear()
        _deliveries[arn] = StreamDelivery(streams, table, handle_return_events)
    return _deliveries[arn].deliver()


def deliver_queue(queue_url: str, handler: Any, function_name: str) -> list[dict[str, Any]]:
    """Hand the waiting messages of `queue_url` to `handler` (an `@app.on_sqs_message`
    function) as Lambda does, a batch at a time, until the queue is empty or a batch reports
    failures. The handler's answers; a batch whose every record failed (Powertools then raises)
    is answered as Lambda treats it: all of it back to the queue."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from chalicelib.repositories.aws import client
    from local.sqs_events import LocalLambdaContext, deliver_batch

    answers: list[dict[str, Any]] = []

    def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            answers.append(handler(event, context))
        except BatchProcessingError:
            failed = [{"itemIdentifier": r["messageId"]} for r in event["Records"]]
            answers.append({"batchItemFailures": failed})
        return answers[-1]

    context = LocalLambdaContext(function_name=function_name, timeout_seconds=60)
    while deliver_batch(client("sqs"), queue_url, run, context):
        if answers[-1].get("batchItemFailures"):
            break
    return answers
