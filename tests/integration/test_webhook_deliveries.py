"""Acceptance of outgoing webhooks, end to end: an endpoint the merchant registers through the
admin API receives one signed delivery per change of a return (or of a claim or a cancellation
request), retried with the same `webhook-id` until its receiver takes it, once however often
the stream hands an event over, and never at an address of returns-desk's own network.

The return events go through the app's stream consumer, the deliveries through the app's queue
consumer, as Lambda hands them over (moto's SQS; time-machine stands for the wait of a retry).
respx plays the receiver over the real httpx stack; names resolve through a fake resolver."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
import time_machine
from standardwebhooks import Webhook

from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.webhooks import EVENT_TYPES
from chalicelib.repositories.aws import client
from chalicelib.services import container
from chalicelib.settings import get_settings
from chalicelib.webhook_delivery_entrypoint import attempt_time_ms
from deploy.queues import dead_letter_queue_attributes
from deploy.webhook_deliveries import queue_attributes
from local.sqs_events import LocalLambdaContext, deliver_batch
from tests.integration.test_portal import JANE, call
from tests.lifecycle_support import (
    AUTO_APPROVED,
    ITEM_RECEIPT,
    REFUNDED_AUTOMATICALLY,
    action_log,
    ended,
    receive,
    submit_return,
    use_policy,
    waiting_in,
)
from tests.support import (
    ADMIN_AUTH,
    JSON,
    body,
    deliver_queue,
    deliver_return_events,
    reconfigure,
)

RECEIVER = "https://hooks.shop.example/returns"
PUBLIC_ADDRESS = "93.184.215.14"
# Where the sender connects: the address it checked, the receiver's name kept for Host and TLS.
PINNED = f"https://{PUBLIC_ADDRESS}/returns"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """What each name resolves to, for the admin API's check and the sender's; a test may
    change it."""
    answers = {"hooks.shop.example": [PUBLIC_ADDRESS]}

    def resolve(host: str, port: int, *_: Any, **__: Any) -> list[tuple[Any, ...]]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[host]]

    monkeypatch.setattr(container, "webhook_resolver", lambda: resolve)
    return answers


@pytest.fixture
def deliveries_queue(aws: None, dns: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> str:
    """The deliveries' queue and its dead letters, as deployed; the app configured with it."""
    sqs = client("sqs")
    dead_letters = sqs.create_queue(
        QueueName="webhook-deliveries-dlq", Attributes=dead_letter_queue_attributes()
    )["QueueUrl"]
    dead_letters_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    url = sqs.create_queue(
        QueueName="webhook-deliveries", Attributes=queue_attributes(dead_letters_arn, 720)
    )["QueueUrl"]
    reconfigure(monkeypatch, WEBHOOK_DELIVERIES_QUEUE_URL=url)
    return str(url)


@pytest.fixture
def receiver() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def registered(api: Any, events: list[str]) -> dict[str, Any]:
    """An endpoint added through the admin API; as answered (with its secret)."""
    answer = api.http.post(
        "/webhooks/endpoints",
        body=json.dumps({"url": RECEIVER, "events": events}),
        headers={**ADMIN_AUTH, **JSON},
    )
    assert answer.status_code == 201, answer.body
    return dict(body(answer))


def run_deliveries(queue_url: str) -> list[dict[str, Any]]:
    """The deliveries' consumer, given every message visible now, as Lambda would."""
    from app import deliver_webhooks

    return deliver_queue(queue_url, deliver_webhooks, "deliver_webhooks")


def deliver_return_events_again() -> None:
    """The stream hands every event over again, from its start (as after a failed batch)."""
    from app import handle_return_events
    from local.stream_events import StreamDelivery, streams_client

    StreamDelivery(streams_client(), os.environ["TABLE_NAME"], handle_return_events).deliver()


def waiting_messages(queue_url: str) -> int:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def deliveries_of(api: Any, endpoint_id: str) -> list[dict[str, Any]]:
    answer = api.http.get(f"/webhooks/endpoints/{endpoint_id}/deliveries", headers=ADMIN_AUTH)
    assert answer.status_code == 200, answer.body
    items: list[dict[str, Any]] = body(answer)["items"]
    return items


def submitted_return(open_rma: Any) -> Any:
    """A return opened and submitted without a lifecycle: two events, created and requested."""
    from tests.support import deliver_return_events

    rma = open_rma()
    deliver_return_events()
    return rma


# --- (i) one signed delivery per change ---------------------------------------------------------


def test_an_endpoint_gets_one_verified_delivery_per_change_of_a_return_in_version_order(
    api: Any, deliveries_queue: str, receiver: respx.MockRouter, lifecycle: str, return_events: Any
) -> None:
    # Given an endpoint registered through the admin API for every event type
    endpoint = registered(api, list(EVENT_TYPES))
    route = receiver.post(PINNED).mock(return_value=httpx.Response(204))
    # When a return is walked from its request to its refund by the lifecycle
    use_policy(auto_execute_financial_resolution=True)
    rma = submit_return(api, auto_execute_financial_resolution=True)
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert receive(api, rma["id"], "BRAND_NEW_WITH_LABEL").status_code == 200
    ended(lifecycle, rma["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])
    return_events.deliver()
    # And the deliveries' consumer is handed what the changes queued
    run_deliveries(deliveries_queue)

    # Then the receiver got one request per change of the return (one version in its log each)
    changes = sorted({entry["version"] for entry in action_log(api, rma["id"])})
    requests = [call.request for call in route.calls]
    assert len(requests) == len(changes) >= 6
    # Each verified with the endpoint's secret by the Standard Webhooks library
    payloads = {
        request.headers["webhook-id"]: Webhook(endpoint["secret"]).verify(
            request.content, dict(request.headers)
        )
        for request in requests
    }
    assert len(payloads) == len(requests)
    # Each a `{type, timestamp, data: {rma}}` of this return, as the admin API shows it
    for payload in payloads.values():
        assert set(payload) == {"type", "timestamp", "data"}
        assert payload["type"] in EVENT_TYPES
        assert payload["data"]["rma"]["id"] == rma["id"]
        assert payload["data"]["rma"]["return_reference"] == rma["return_reference"]
    # And in the order of their ids (the events' order) the versions are the log's, increasing
    in_order = [payloads[webhook_id] for webhook_id in sorted(payloads)]
    assert [p["data"]["rma"]["version"] for p in in_order] == changes
    assert in_order[0]["type"] == "return.created"
    assert in_order[-1]["type"] == "return.completed"
    # And every delivery is on record as delivered, nothing left in the queue
    assert {d["status"] for d in deliveries_of(api, endpoint["id"])} == {"DELIVERED"}
    assert waiting_messages(deliveries_queue) == 0


# --- (i b) claims and cancellation requests -------------------------------------------------------

CLAIM_EVENTS = [t for t in EVENT_TYPES if t.startswith("claim.")]
RETURN_EVENTS = [t for t in EVENT_TYPES if t.startswith("return.")]


def a_claim_opened(api: Any) -> dict[str, Any]:
    """Jane's claim on #4930 (delivered 3 days ago): one of her two mugs was not in the parcel.
    As the portal answered it."""
    container.order_service().record(
        Order(
            number="#4930",
            customer_email=JANE,
            customer_name="Jane Doe",
            ordered_at=date.today() - timedelta(days=6),
            delivered_at=date.today() - timedelta(days=3),
            currency="EUR",
            lines=[
                OrderLine(
                    sku="MUG-001",
                    name="Ceramic mug",
                    quantity=2,
                    unit_price=Decimal("18.00"),
                    fulfilled_quantity=2,
                )
            ],
            source="admin",
            source_updated_at=datetime.now(UTC),
        )
    )
    claim = {"issue": "MISSING_ITEM", "lines": [{"sku": "MUG-001", "quantity": 1}]}
    answer = call(api, "POST", "/portal/orders/%234930/claims", JANE, claim)
    assert answer.status_code == 201, answer.body
    return dict(body(answer))


def test_a_claim_opened_and_approved_gives_one_verified_delivery_per_change_even_handed_over_twice(
    api: Any, deliveries_queue: str, receiver: respx.MockRouter
) -> None:
    # Given an endpoint for every claim event, and one for every return event only
    claims = registered(api, CLAIM_EVENTS)
    returns_only = registered(api, RETURN_EVENTS)
    route = receiver.post(PINNED).mock(return_value=httpx.Response(204))
    # When Jane reports an issue on the portal, and the merchant's system approves her claim
    claim = a_claim_opened(api)
    deliver_return_events()
    approved = api.http.post(
        f"/requests/{claim['reference']}/approve",
        body=json.dumps({"note": "Sorry, we send the refund."}),
        headers={**ADMIN_AUTH, **JSON},
    )
    assert approved.status_code == 200, approved.body
    # And the stream hands the changes over (the approval, then what carrying it out wrote),
    # then every one of them again, before and after the deliveries' consumer ran
    deliver_return_events()
    deliver_return_events()
    deliver_return_events_again()
    run_deliveries(deliveries_queue)
    deliver_return_events_again()
    run_deliveries(deliveries_queue)

    # Then the receiver got one request per change of the claim (one version in its log each)
    read = body(api.http.get(f"/requests/{claim['reference']}", headers=ADMIN_AUTH))
    changes = list(range(1, read["version"] + 1))
    assert len(read["log"]) == len(changes)
    requests = [call_.request for call_ in route.calls]
    assert len(requests) == len(changes) >= 2
    # Each verified with the claims endpoint's secret by the Standard Webhooks library
    payloads = {
        request.headers["webhook-id"]: Webhook(claims["secret"]).verify(
            request.content, dict(request.headers)
        )
        for request in requests
    }
    assert len(payloads) == len(requests)
    # Each a `{type, timestamp, data: {request}}` of this claim, as the admin API shows it
    in_order = [payloads[webhook_id] for webhook_id in sorted(payloads)]
    assert [p["data"]["request"]["version"] for p in in_order] == changes
    assert [p["type"] for p in in_order[:2]] == ["claim.opened", "claim.approved"]
    for payload in in_order:
        assert set(payload) == {"type", "timestamp", "data"}
        assert payload["type"] in CLAIM_EVENTS
        assert payload["data"]["request"]["reference"] == claim["reference"]
    assert in_order[1]["data"]["request"]["status"] == "APPROVED"
    assert in_order[1]["data"]["request"]["decision_note"] == "Sorry, we send the refund."
    # And every delivery is on record as delivered, naming the claim; nothing left to send
    delivered = deliveries_of(api, claims["id"])
    assert {(d["status"], d["request_reference"]) for d in delivered} == {
        ("DELIVERED", claim["reference"])
    }
    assert waiting_messages(deliveries_queue) == 0
    # And the endpoint subscribed to return events only got none of them
    assert deliveries_of(api, returns_only["id"]) == []


# --- (ii) retries --------------------------------------------------------------------------------


def test_a_receiver_failing_twice_gets_the_same_webhook_id_until_it_takes_the_delivery(
    api: Any, deliveries_queue: str, receiver: respx.MockRouter, open_rma: Any
) -> None:
    # Given an endpoint for requested returns, whose receiver fails twice, then answers 200
    endpoint = registered(api, ["return.requested"])
    route = receiver.post(PINNED).mock(
        side_effect=[httpx.Response(503), httpx.Response(500), httpx.Response(200)]
    )
    with time_machine.travel(datetime.now(UTC), tick=True) as clock:
        # When a return is requested, and the consumer makes the first attempt
        submitted_return(open_rma)
        run_deliveries(deliveries_queue)
        # Then the message waits in the queue, hidden until the retry (5 s, give or take)
        assert route.call_count == 1
        assert waiting_messages(deliveries_queue) == 1
        assert run_deliveries(deliveries_queue) == []
        # When the wait is over, the second attempt fails too; then a minute later, the third
        clock.shift(timedelta(seconds=10))
        run_deliveries(deliveries_queue)
        assert route.call_count == 2
        clock.shift(timedelta(minutes=2))
        run_deliveries(deliveries_queue)

        # Then the receiver got the same delivery three times: one webhook-id, each signed anew
        requests = [call.request for call in route.calls]
        assert len(requests) == 3
        assert len({r.headers["webhook-id"] for r in requests}) == 1
        timestamps = [int(r.headers["webhook-timestamp"]) for r in requests]
        assert timestamps == sorted(timestamps)
        assert len(set(timestamps)) == 3
        for request in requests:
            Webhook(endpoint["secret"]).verify(request.content, dict(request.headers))
        assert len({r.content for r in requests}) == 1
    # And the delivery is delivered, its three attempts on record; the queue is empty
    (delivery,) = deliveries_of(api, endpoint["id"])
    assert delivery["status"] == "DELIVERED"
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 500, 200]
    assert waiting_messages(deliveries_queue) == 0


# --- (iii) idempotent on the event --------------------------------------------------------------


def test_an_event_the_stream_hands_over_twice_is_delivered_once(
    api: Any, deliveries_queue: str, receiver: respx.MockRouter, open_rma: Any
) -> None:
    # Given an endpoint for requested returns, and a return requested
    endpoint = registered(api, ["return.requested"])
    route = receiver.post(PINNED).mock(return_value=httpx.Response(200))
    submitted_return(open_rma)
    # When the stream hands the events over again before the delivery was attempted
    deliver_return_events_again()
    run_deliveries(deliveries_queue)
    # And once more after it was delivered
    deliver_return_events_again()
    run_deliveries(deliveries_queue)
    # Then there is one delivery, sent once, and nothing left to send
    assert len(deliveries_of(api, endpoint["id"])) == 1
    assert route.call_count == 1
    assert waiting_messages(deliveries_queue) == 0


# --- (iv) never to a private address --------------------------------------------------------------


def test_an_endpoint_whose_name_now_resolves_to_a_private_address_gets_no_request(
    api: Any,
    deliveries_queue: str,
    receiver: respx.MockRouter,
    open_rma: Any,
    dns: dict[str, list[str]],
) -> None:
    # Given an endpoint registered while its name resolved to a public address
    endpoint = registered(api, ["return.requested"])
    receiver.post(PINNED).mock(return_value=httpx.Response(200))
    # When its name now resolves to an address of the private network, and a return is requested
    dns["hooks.shop.example"] = ["10.0.0.1"]
    submitted_return(open_rma)
    run_deliveries(deliveries_queue)
    # Then no request left at all
    assert receiver.calls.call_count == 0
    # And the attempt is on record as refused, the delivery waiting for its retry
    (delivery,) = deliveries_of(api, endpoint["id"])
    (attempt,) = delivery["attempts"]
    assert attempt["status_code"] is None
    assert "refused" in attempt["error"]
    assert delivery["status"] == "PENDING"


# --- what the consumer cannot read ---------------------------------------------------------------


def test_an_unreadable_message_is_dropped_rather_than_retried(
    deliveries_queue: str, receiver: respx.MockRouter
) -> None:
    # Given a message that names no delivery
    client("sqs").send_message(QueueUrl=deliveries_queue, MessageBody='{"endpoint": 1}')
    # When the consumer is handed it, Then it reports no failure, sends nothing, keeps nothing
    assert run_deliveries(deliveries_queue) == [{"batchItemFailures": []}]
    assert receiver.calls.call_count == 0
    assert waiting_messages(deliveries_queue) == 0


# --- an invocation running out of time ------------------------------------------------------------


@dataclass
class RunningOutContext(LocalLambdaContext):
    """Lambda's context, whose remaining time is each of `left_ms` in turn (then the last)."""

    left_ms: list[int] = field(default_factory=list)

    def get_remaining_time_in_millis(self) -> int:
        return self.left_ms.pop(0) if len(self.left_ms) > 1 else self.left_ms[0]


def test_messages_without_time_for_an_attempt_go_back_to_the_queue_unattempted(
    api: Any, deliveries_queue: str, receiver: respx.MockRouter, open_rma: Any
) -> None:
    # Given an endpoint for created and requested returns, and a return requested: two deliveries
    endpoint = registered(api, ["return.created", "return.requested"])
    route = receiver.post(PINNED).mock(return_value=httpx.Response(200))
    submitted_return(open_rma)
    # When the consumer is handed both, with time for one attempt only
    from app import deliver_webhooks

    one_attempt = attempt_time_ms(get_settings().webhook_timeout_seconds)
    context = RunningOutContext("deliver_webhooks", left_ms=[one_attempt + 1000, one_attempt - 1])
    answers: list[dict[str, Any]] = []

    def run(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
        answers.append(deliver_webhooks(event, lambda_context))
        return answers[-1]

    assert deliver_batch(client("sqs"), deliveries_queue, run, context) == 2
    # Then the first was delivered, and the second reported failed without a request
    assert route.call_count == 1
    (answer,) = answers
    assert len(answer["batchItemFailures"]) == 1
    statuses = sorted(d["status"] for d in deliveries_of(api, endpoint["id"]))
    assert statuses == ["DELIVERED", "PENDING"]
    left = next(d for d in deliveries_of(api, endpoint["id"]) if d["status"] == "PENDING")
    assert left["attempts"] == []
    # And its message is visible again at once: the next invocation delivers it
    assert run_deliveries(deliveries_queue) == [{"batchItemFailures": []}]
    assert route.call_count == 2
    assert waiting_messages(deliveries_queue) == 0
