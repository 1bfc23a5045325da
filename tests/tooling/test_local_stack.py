"""The local stack of `make run`: its demo data, the whole stack over real HTTP, and the queue
and schedule it pumps."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest

from chalicelib.domain.inspection import parse_inspection_file
from chalicelib.domain.statuses import ProcessingStatus
from chalicelib.repositories.aws import client
from chalicelib.repositories.rma_repository import RmaRepository
from chalicelib.repositories.table_schema import table_definition
from chalicelib.services import container
from deploy.inspections import MAX_RECEIVE_COUNT, upload_key_filters
from local.demo_media import PAST_INSPECTION_NAME
from local.seed import DEMO_CUSTOMER_EMAIL, DemoClock, DemoData, seed_demo_data, seeding_service
from local.stack import (
    CHAT_DEMO_ENGLISH,
    CHAT_DEMO_FRENCH,
    DEMO_CHAT_TICKET_ID,
    DEMO_INSPECTION_FILE,
    RETURNS_BUCKET,
    RunningStack,
    banner,
    start,
)
from local.webhook_receiver import LOCAL_SECRET
from tests.lifecycle_support import eventually

ROOT = Path(__file__).resolve().parents[2]
PRESENT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
P = ProcessingStatus


def seed(table_name: str) -> DemoData:
    clock = DemoClock(PRESENT)
    return seed_demo_data(seeding_service(RmaRepository(table_name), clock), clock)


# --- the demo data, on moto in-process ---------------------------------------------------------


def test_the_demo_customer_fills_the_widget_with_two_returns_awaiting_a_decision(
    aws: None,
) -> None:
    # Given the demo data
    demo = seed(os.environ["TABLE_NAME"])
    # When the widget's query runs for the demo customer
    latest, total = container.rma_service().latest_for_customer(DEMO_CUSTOMER_EMAIL, 5)
    # Then five returns come back, two of them awaiting a decision: the two the demo names
    assert len(latest) == 5
    assert [r.id for r in latest if r.processing_status is P.REQUESTED] == [
        r.id for r in demo.awaiting_decision
    ]
    customer_returns = [r for r in demo.returns if r.customer.email == DEMO_CUSTOMER_EMAIL]
    assert total == len(customer_returns) >= 7
    assert {P.COMPLETE, P.REJECTED, P.CANCELED, P.ACCEPTED, P.ON_HOLD} <= {
        r.processing_status for r in customer_returns
    }


def test_the_demo_data_spans_customers_locales_products_and_weeks(aws: None) -> None:
    demo = seed(os.environ["TABLE_NAME"])
    customers = {r.customer for r in demo.returns}
    assert len(customers) >= 3
    assert {c.email.split("@")[1] for c in customers} == {"example.com", "example.fr"}
    assert "fr" in {c.locale for c in customers}
    lines = [line for r in demo.returns for line in r.lines]
    assert len({line.sku for line in lines}) >= 8
    assert all(line.unit_price > 0 for line in lines)
    assert len({line.reason for line in lines}) >= 5
    assert len({r.expected_resolution for r in demo.returns}) >= 3
    # Opened one after the other over the past weeks, so references follow creation order
    created = [r.created_at for r in demo.returns]
    assert created == sorted(set(created))
    assert created[0] <= PRESENT - timedelta(weeks=4)
    assert created[-1] < PRESENT


def test_every_demo_return_has_the_action_log_that_led_to_its_status(aws: None) -> None:
    demo = seed(os.environ["TABLE_NAME"])
    for seeded in demo.returns:
        stored, events = container.rma_service().history(seeded.return_reference)
        assert stored == seeded
        assert [e.version for e in events] == list(range(1, seeded.version + 1))
        assert events[-1].to_status is seeded.processing_status
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert events[-1].at < PRESENT


def test_seeding_twice_gives_the_same_data(aws: None) -> None:
    client("dynamodb").create_table(**table_definition("returns-desk-again"))
    assert seed(os.environ["TABLE_NAME"]) == seed("returns-desk-again")


# --- the running stack, over HTTP --------------------------------------------------------------


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningStack]:
    """A stack on a free port; monkeypatch undoes every variable it set (AWS_ENDPOINT_URL...)."""
    running = start(port=0, environment=monkeypatch)
    yield running
    running.stop()


@pytest.fixture
def http(stack: RunningStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=5, trust_env=False) as http_client:
        yield http_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestTheRunningStack:
    """One stack for the checks that each use their own demo return (or none): starting one
    costs seconds. The widget's is first, before any decision changes what it shows."""

    @pytest.fixture(scope="class")
    @classmethod
    def stack(cls) -> Iterator[RunningStack]:
        with pytest.MonkeyPatch.context() as environment:
            running = start(port=0, environment=environment)
            yield running
            running.stop()

    def test_health_answers(self, http: httpx.Client) -> None:
        response = http.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_the_widget_shows_the_demo_customer_with_two_returns_awaiting_a_decision(
        self, stack: RunningStack, http: httpx.Client
    ) -> None:
        response = http.get(
            "/gorgias/widget",
            params={"email": stack.demo.customer_email},
            headers=bearer(stack.widget_token),
        )
        assert response.status_code == 200
        widget = response.json()
        assert len(widget["returns"]) == 5
        assert widget["total"] >= 7
        assert [r["reference"] for r in widget["returns"] if r["status"] == "REQUESTED"] == [
            r.return_reference for r in stack.demo.awaiting_decision
        ]

    def test_an_agent_approves_a_return_by_typing_its_number_once(
        self, stack: RunningStack, http: httpx.Client
    ) -> None:
        # Given a demo return awaiting a decision, typed as a bare number
        pending = stack.demo.awaiting_decision[0]
        body = {"rma": str(pending.return_number), "agent": {"id": 1, "email": "agent@example.com"}}
        # When an agent approves it, then approves it again
        first = http.post("/gorgias/actions/approve", json=body, headers=bearer(stack.widget_token))
        again = http.post("/gorgias/actions/approve", json=body, headers=bearer(stack.widget_token))
        # Then the first approval moves it to ACCEPTED and the second is refused
        assert first.status_code == 200
        assert first.json()["rma"]["reference"] == pending.return_reference
        assert first.json()["rma"]["status"] == "ACCEPTED"
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "invalid_transition"

    def test_the_lifecycle_runs_locally_from_approval_to_refund(
        self, stack: RunningStack, http: httpx.Client
    ) -> None:
        # Given the stack, whose lifecycle approved a submitted return by itself at start-up
        parcel = stack.auto_approved
        assert (parcel.processing_status, parcel.delivery_status) == ("ACCEPTED", "HANDLED")
        admin = bearer(stack.admin_token)

        def stored() -> dict[str, Any]:
            answer: dict[str, Any] = http.get(f"/rmas/{parcel.id}", headers=admin).json()
            return answer

        # When its parcel is received worn, and the refund is approved once computed
        lines = [{"sku": parcel.lines[0].sku, "quantity": 1, "product_state": "WORE"}]
        received = http.post(f"/rmas/{parcel.id}/receive", json={"lines": lines}, headers=admin)
        assert received.status_code == 200
        eventually(
            lambda: stored()["waiting_for"] == "REFUND_APPROVAL", "the refund to be computed"
        )
        assert http.post(f"/rmas/{parcel.id}/refund", json={}, headers=admin).status_code == 200
        # Then the lifecycle completes it, 20% off for the wear
        eventually(lambda: stored()["processing_status"] == "COMPLETE", "the return to complete")
        done = stored()
        assert done["financial_status"] == "PARTIALLY_REFUNDED"
        assert done["financial_resolutions"][0]["amount"] == "23.20"
        # And the refund was made in the shop, once, the stand-in for Shopify printing it
        assert stack.shopify is not None
        [refund] = [line for line in stack.shopify.log if "refundCreate" in line]
        assert refund.startswith(
            "[shopify] refundCreate on #5001: 23.20 EUR (gid://shopify/Refund/"
        )
        assert done["financial_resolutions"][0]["reference"] in refund

    def test_an_endpoint_added_with_the_receivers_address_is_verified_too(
        self, stack: RunningStack, http: httpx.Client
    ) -> None:
        # Given an endpoint added through the API as the banner shows, to the stack's receiver
        receiver = stack.webhook_receiver
        added = http.post(
            "/webhooks/endpoints",
            json={"url": receiver.url, "events": ["webhook.test"]},
            headers=bearer(stack.admin_token),
        )
        assert added.status_code == 201, added.text
        # When it is sent a test delivery
        endpoint = added.json()["id"]
        test = http.post(f"/webhooks/endpoints/{endpoint}/test", headers=bearer(stack.admin_token))
        assert test.status_code == 202, test.text
        delivery = test.json()["id"]
        # Then the receiver verifies it with that endpoint's own secret
        eventually(
            lambda: f"[webhook] webhook.test verified ({delivery})" in receiver.log,
            "the test delivery to be verified",
        )

    def test_the_chat_demo_opens_returns_and_the_stand_in_shows_the_replies(
        self,
        stack: RunningStack,
    ) -> None:
        # Given the stand-in for Gorgias the stack started, and the banner's chat demo
        gorgias = stack.gorgias
        assert gorgias is not None
        assert f"tickets/{DEMO_CHAT_TICKET_ID}/messages" in banner(stack)
        customer = stack.demo.customer_email

        def says(text: str) -> dict[str, Any]:
            return {
                "channel": "chat",
                "from_agent": False,
                "sender": {"email": customer},
                "body_text": text,
            }

        def opened_on(ticket: int) -> list[Any]:
            latest = container.rma_service().latest_for_customer(customer, 20)[0]
            return [rma for rma in latest if rma.gorgias_ticket_id == ticket]

        with httpx.Client(base_url=gorgias.api_url, timeout=5, trust_env=False) as chat:
            # When the demo customer asks in English, in one message on a new chat ticket
            created = chat.post(
                "tickets",
                json={
                    "customer": {"email": customer},
                    "channel": "chat",
                    "messages": [says(CHAT_DEMO_ENGLISH)],
                },
            )
            ticket = created.json()["id"]
            # Then returns-desk opens the return, and answers in the chat with its reference
            (rma,) = eventually(lambda: opened_on(ticket), "the return opened from the chat")
            (reply,) = eventually(lambda: gorgias.replies(ticket), "the chat reply")
            assert f"Your return {rma.return_reference} is open for order #4910" in reply
            assert [line.sku for line in rma.lines] == ["TEE-ORGANIC-M"]

            # When another asks in French, first without the order number
            first, then = CHAT_DEMO_FRENCH
            chat.post(f"tickets/{DEMO_CHAT_TICKET_ID}/messages", json=says(first))
            (question,) = eventually(lambda: gorgias.replies(DEMO_CHAT_TICKET_ID), "a question")
            assert "numéro de commande" in question
            chat.post(f"tickets/{DEMO_CHAT_TICKET_ID}/messages", json=says(then))
            # Then the return opens once the number is given, answered in French
            (mug,) = eventually(lambda: opened_on(DEMO_CHAT_TICKET_ID), "the French return")
            replies = eventually(
                lambda: gorgias.replies(DEMO_CHAT_TICKET_ID)[1:], "the French confirmation"
            )
            assert replies[0].startswith(f"Votre retour {mug.return_reference} est ouvert")

        # And the stand-in printed each call returns-desk made: reads, replies, tags and notes
        def printed(fragment: str) -> bool:
            return any(fragment in line for line in gorgias.log)

        eventually(lambda: printed(f"tags: return-request, rma:{mug.return_reference}"), "the tags")
        eventually(lambda: printed("internal note:"), "the note")
        assert printed(f"GET /api/tickets/{ticket}/messages")
        assert printed(f"POST /api/tickets/{ticket}/messages chat reply:")
        assert printed("→ returns-desk POST /gorgias/events/message")

    def test_the_banners_button_forms_decide_and_each_decision_is_a_note_on_the_ticket(
        self, stack: RunningStack, http: httpx.Client
    ) -> None:
        # Given the stand-in for Gorgias, and the banner's approve command (a button's form)
        gorgias = stack.gorgias
        assert gorgias is not None
        approve = stack.demo.awaiting_decision[1]
        assert "--data-urlencode" in banner(stack)
        # When an agent clicks Approve, typing the number, from ticket 1
        answer = http.post(
            "/gorgias/actions/approve",
            data={
                "rma": str(approve.return_number),
                "ticket_id": "1",
                "agent_email": os.environ["GORGIAS_API_EMAIL"],
            },
            headers=bearer(stack.widget_token),
        )
        # Then it is approved by that agent, checked with the stand-in's users
        assert answer.status_code == 200, answer.text
        assert answer.json()["note"] == "queued"
        # And the decision reaches the ticket as an internal note, printed by the stand-in
        note = f"Return {approve.return_reference} approved by"
        eventually(
            lambda: any("internal note" in line and note in line for line in gorgias.log),
            "the decision's note on ticket 1",
        )

    def test_a_return_requested_through_the_admin_api_opens_a_ticket(
        self, stack: RunningStack, http: httpx.Client
    ) -> None:
        # Given the stand-in for Gorgias; When a merchant's system opens and submits a return
        gorgias = stack.gorgias
        assert gorgias is not None
        body = {
            "order": {"number": "#7001"},
            "customer": {"email": "ticket.demo@example.com"},
            "lines": [
                {
                    "sku": "MUG-1",
                    "name": "Mug",
                    "quantity": 1,
                    "unit_price": "12.00",
                    "reason": "DAMAGED_PRODUCT",
                }
            ],
        }
        created = http.post("/rmas", json=body, headers=bearer(stack.admin_token))
        reference = created.json()["return_reference"]
        http.post(f"/rmas/{reference}/submit", headers=bearer(stack.admin_token))
        eventually(
            lambda: (
                any(f"Return request {reference}" in line for line in gorgias.log)
                or any(
                    t.customer_email == "ticket.demo@example.com"
                    for t in list(gorgias.tickets.values())
                )
            ),
            "the request's ticket",
        )

    def test_a_wrong_token_is_refused(self, stack: RunningStack, http: httpx.Client) -> None:
        response = http.get(
            "/gorgias/widget",
            params={"email": stack.demo.customer_email},
            headers=bearer(stack.admin_token),
        )
        assert response.status_code == 401


def test_each_change_of_a_return_reaches_the_local_receiver_verified_in_version_order(
    stack: RunningStack, http: httpx.Client
) -> None:
    # Given the stack, whose receiver the banner names with its secret
    receiver = stack.webhook_receiver
    assert receiver.url in banner(stack)
    assert LOCAL_SECRET in banner(stack)
    parcel = stack.auto_approved
    admin = bearer(stack.admin_token)

    def changes() -> list[int]:
        log = http.get(f"/rmas/{parcel.id}/events", headers=admin).json()["events"]
        return sorted({entry["version"] for entry in log})

    def lines() -> list[str]:
        return [line for line in receiver.log if f" {parcel.return_reference} " in line]

    # When its parcel is received (the return approved by the lifecycle at start-up)
    lines_ = [{"sku": parcel.lines[0].sku, "quantity": 1, "product_state": "WORE"}]
    received = http.post(f"/rmas/{parcel.id}/receive", json={"lines": lines_}, headers=admin)
    assert received.status_code == 200
    eventually(
        lambda: (
            http.get(f"/rmas/{parcel.id}", headers=admin).json()["waiting_for"] == "REFUND_APPROVAL"
        ),
        "the refund to be computed",
    )

    def versions() -> list[int]:
        return sorted(int(line.split(" v")[1].split(" ")[0]) for line in lines())

    # Then the receiver printed one verified line per change of the return, the reception's too
    eventually(lambda: versions() == changes(), "a webhook per change")
    assert any(line.startswith("[webhook] return.received ") for line in lines())
    assert all(line.startswith("[webhook] return.") for line in lines())
    assert all(" verified (msg_" in line for line in lines())
    assert "[webhook] NOT verified" not in "\n".join(receiver.log)


def test_stopping_closes_both_servers_and_restores_the_environment() -> None:
    # Given a started stack
    before = dict(os.environ)
    with pytest.MonkeyPatch.context() as environment:
        running = start(port=0, environment=environment)
        moto_url = os.environ["AWS_ENDPOINT_URL"]
        # When it stops
        running.stop()
    # Then neither the API nor moto accepts connections, and no variable it set is left over
    for url in (f"{running.url}/health", f"{moto_url}/moto-api/"):
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, trust_env=False)
    assert dict(os.environ) == before
    # And no client bound to the stopped endpoint is cached
    assert client.cache_info().currsize == 0


# --- the event handlers, pumped locally ---------------------------------------------------------


class Recorder:
    """A stand-in handler: keeps each event it gets, and fails if told to."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self._failure = failure

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        self.contexts.append(context)
        if self._failure is not None:
            raise self._failure
        return {"batchItemFailures": []}

    def uploaded_keys(self) -> list[str]:
        """The keys S3 notified of (URL-encoded in the notification, as in AWS)."""
        bodies = [json.loads(r["body"]) for event in self.events for r in event["Records"]]
        return [
            unquote_plus(r["s3"]["object"]["key"])
            for body in bodies
            for r in body.get("Records", [])
        ]


def test_an_inspection_upload_reaches_the_queue_consumer(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a stack whose queue consumer records what it gets
    consumer = Recorder()
    running = start(
        port=0, environment=monkeypatch, inspection_handler=consumer, email_job=Recorder()
    )
    try:
        sqs, s3 = client("sqs"), client("s3")
        # Then its queue redrives to the dead letters, and the bucket notifies it of uploads
        attributes = sqs.get_queue_attributes(
            QueueUrl=running.inspection_queue_url, AttributeNames=["All"]
        )["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["maxReceiveCount"] == MAX_RECEIVE_COUNT
        assert redrive["deadLetterTargetArn"].endswith(":returns-desk-local-inspections-dlq")
        notification = s3.get_bucket_notification_configuration(Bucket=RETURNS_BUCKET)
        assert len(notification["QueueConfigurations"]) == len(upload_key_filters())
        # When a photo, a report and an inspection file land in the bucket, in that order
        for key in (
            "returns/r1/photos/a.jpg",
            "inspections/results/a.csv.json",
            "inspections/a.csv",
        ):
            s3.put_object(Bucket=RETURNS_BUCKET, Key=key, Body=b"return_reference\n")
        # Then the consumer gets the inspection file, and only it (besides the demo's own file
        # of last week, dropped at start)
        eventually(lambda: "inspections/a.csv" in consumer.uploaded_keys(), "the upload")
        keys = consumer.uploaded_keys()
        assert [key for key in keys if not key.endswith(PAST_INSPECTION_NAME)] == [
            "inspections/a.csv"
        ]
        assert (
            sqs.get_queue_attributes(
                QueueUrl=running.inspection_queue_url,
                AttributeNames=["ApproximateNumberOfMessages"],
            )["Attributes"]["ApproximateNumberOfMessages"]
            == "0"
        )
    finally:
        running.stop()


def test_the_pumps_outlive_failing_handlers_and_stop_with_the_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given handlers that are not written yet
    consumer = Recorder(NotImplementedError())
    emails = Recorder(NotImplementedError())
    running = start(
        port=0,
        environment=monkeypatch,
        inspection_handler=consumer,
        email_job=emails,
        email_interval=0.05,
    )
    try:
        # When each has failed more than once (the queue starts with S3's test event)
        eventually(lambda: len(emails.events) >= 2, "the email job to run twice")
        eventually(lambda: len(consumer.events) >= 1, "the consumer to get a batch")
        # Then the pumps still run, and the email job got EventBridge's scheduled event
        assert all(loop.is_alive() for loop in running.loops())
        assert emails.events[0]["detail-type"] == "Scheduled Event"
        # And both got a context with what powertools reads of Lambda's
        for context in (emails.contexts[0], consumer.contexts[0]):
            assert context.get_remaining_time_in_millis() > 0
            assert context.aws_request_id
            assert context.invoked_function_arn.endswith(f":function:{context.function_name}")
            assert context.memory_limit_in_mb
    finally:
        running.stop()
    # And stopping the stack stops them
    assert not any(loop.is_alive() for loop in running.loops())


def test_the_demo_inspection_file_receives_returns_the_demo_awaits(aws: None) -> None:
    # Given the demo data and the inspection file the banner offers
    demo = seed(os.environ["TABLE_NAME"])
    parsed = parse_inspection_file(DEMO_INSPECTION_FILE, (ROOT / DEMO_INSPECTION_FILE).read_bytes())
    # Then every row is valid and names a line of a return waiting for its parcel
    assert not parsed.rejected
    by_reference = {r.return_reference: r for r in demo.returns}
    for _, row in parsed.rows:
        rma = by_reference[row.return_reference]
        assert rma.processing_status in {P.ACCEPTED, P.PROCESSING}
        assert row.sku in {line.sku for line in rma.lines}
