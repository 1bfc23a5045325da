"""Specification of outgoing webhook deliveries, with small fakes of the endpoints, the
deliveries and the sender: which events make deliveries, how an attempt's answer decides the
next one (the schedule, Retry-After, 410, three days of failures), and when a delivery stops."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.events import ReturnEvent, ReturnEventType
from chalicelib.domain.order_requests import (
    ClaimIssue,
    ClaimLine,
    OrderRequest,
    OrderRequestEvent,
    OrderRequestEventType,
    OrderRequestKind,
    RequestStatus,
    Settlement,
    moved,
    request_event,
)
from chalicelib.domain.rma import Actor, Customer, OrderRef, revised
from chalicelib.domain.statuses import Channel, ExpectedResolution, ProcessingStatus
from chalicelib.domain.transitions import Action
from chalicelib.domain.webhooks import (
    DISABLE_AFTER,
    EVENT_TYPES,
    MAX_ATTEMPTS,
    MAX_FAILURE_GAP,
    RETRY_DELAYS,
    DeliveryAttempt,
    DeliveryStatus,
    SigningSecret,
    WebhookDelivery,
    WebhookEndpoint,
    delivery_id,
)
from chalicelib.integrations.webhook_queue import QueuedDelivery
from chalicelib.services.webhook_delivery import (
    DELIVERIES_FAILED_METRIC,
    ENDPOINTS_DISABLED_METRIC,
    GONE_REASON,
    WebhookDeliveryService,
)
from chalicelib.services.webhook_subscriber import WebhooksDue
from tests.unit.test_return_events import event_of
from tests.unit.test_transitions import an_rma

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SECRET = "whsec_" + "A" * 43 + "="
ENDPOINT_ID = "ep_1"


def an_endpoint(endpoint_id: str = ENDPOINT_ID, **fields: object) -> WebhookEndpoint:
    return WebhookEndpoint.model_validate(
        {
            "id": endpoint_id,
            "url": f"https://hooks.example.com/{endpoint_id}",
            "events": ["return.approved", "return.rejected"],
            "secrets": [SigningSecret(value=SECRET, created_at=NOW - timedelta(days=30))],
            "created_at": NOW - timedelta(days=30),
            "updated_at": NOW - timedelta(days=30),
            **fields,
        }
    )


def a_delivery(**fields: object) -> WebhookDelivery:
    return WebhookDelivery.model_validate(
        {
            "id": "msg_0001",
            "endpoint_id": ENDPOINT_ID,
            "event_type": "return.approved",
            "payload": '{"type":"return.approved"}',
            "created_at": NOW,
            **fields,
        }
    )


@dataclass
class Answer:
    status_code: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None
    duration_ms: int = 12

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


OK = Answer(200)
DOWN = Answer(503)


@dataclass
class Sent:
    url: str
    message_id: str
    body: str
    secrets: list[str]
    at: datetime


@dataclass
class FakeSender:
    answers: list[Answer]
    sent: list[Sent] = field(default_factory=list)

    def send(
        self, url: str, *, message_id: str, body: str, secrets: list[str], at: datetime
    ) -> Answer:
        self.sent.append(Sent(url, message_id, body, secrets, at))
        return self.answers.pop(0)


class FakeEndpoints:
    def __init__(self, *endpoints: WebhookEndpoint) -> None:
        self.items = {e.id: e for e in endpoints}
        self.lists = 0

    def list(self) -> list[WebhookEndpoint]:
        self.lists += 1
        return list(self.items.values())

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self.items.get(endpoint_id)

    def record_failure(self, endpoint_id: str, at: datetime) -> WebhookEndpoint | None:
        endpoint = self.items.get(endpoint_id)
        if endpoint is None:
            return None
        endpoint = self.items[endpoint_id] = endpoint.failed(at)
        return endpoint

    def record_success(self, endpoint_id: str) -> None:
        self.items[endpoint_id] = revised(
            self.items[endpoint_id], failing_since=None, last_failed_at=None
        )

    def disable(self, endpoint_id: str, reason: str, at: datetime) -> bool:
        endpoint = self.items[endpoint_id]
        if not endpoint.enabled:
            return False
        self.items[endpoint_id] = revised(
            endpoint, enabled=False, disabled_reason=reason, disabled_at=at
        )
        return True


class FakeDeliveries:
    def __init__(self, *deliveries: WebhookDelivery) -> None:
        self.items = {(d.endpoint_id, d.id): d for d in deliveries}

    def add(self, delivery: WebhookDelivery) -> bool:
        key = (delivery.endpoint_id, delivery.id)
        if key in self.items:
            return False
        self.items[key] = delivery
        return True

    def get(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery | None:
        return self.items.get((endpoint_id, delivery_id))

    def record_attempt(
        self,
        delivery: WebhookDelivery,
        attempt: DeliveryAttempt,
        *,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> WebhookDelivery:
        stored = self.items[(delivery.endpoint_id, delivery.id)]
        updated = revised(
            stored,
            attempts=[*stored.attempts, attempt],
            attempt_count=stored.attempt_count + 1,
            status=status,
            next_attempt_at=next_attempt_at,
        )
        self.items[(delivery.endpoint_id, delivery.id)] = updated
        return updated


@dataclass
class Desk:
    """The service with its fakes, its clock and the metrics it counted."""

    endpoints: FakeEndpoints
    deliveries: FakeDeliveries
    sender: FakeSender
    now: datetime = NOW
    counted: list[str] = field(default_factory=list)

    @property
    def service(self) -> WebhookDeliveryService:
        return WebhookDeliveryService(
            self.endpoints,
            self.deliveries,
            self.sender,
            clock=lambda: self.now,
            count=self.counted.append,
        )

    def attempt(self) -> timedelta | None:
        return self.service.attempt(ENDPOINT_ID, "msg_0001")

    @property
    def delivery(self) -> WebhookDelivery:
        found = self.deliveries.get(ENDPOINT_ID, "msg_0001")
        assert found is not None
        return found

    @property
    def endpoint(self) -> WebhookEndpoint:
        found = self.endpoints.get(ENDPOINT_ID)
        assert found is not None
        return found


def a_desk(*answers: Answer, endpoint: WebhookEndpoint | None = None, **delivery: object) -> Desk:
    endpoints = FakeEndpoints() if endpoint is None else FakeEndpoints(endpoint)
    return Desk(endpoints, FakeDeliveries(a_delivery(**delivery)), FakeSender(list(answers)))


def no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chalicelib.domain.webhooks._uniform", lambda low, high: 1.0)


# --- One attempt -------------------------------------------------------------------------------


def test_a_2xx_delivers_signed_with_the_delivery_id_and_the_stored_body() -> None:
    # Given an endpoint that had been failing since an hour ago
    desk = a_desk(OK, endpoint=an_endpoint(failing_since=NOW - timedelta(hours=1)))
    # When the delivery is attempted and the endpoint answers 200
    delay = desk.attempt()
    # Then it is finished: delivered, and the endpoint is healthy again
    assert delay is None
    assert desk.delivery.status is DeliveryStatus.DELIVERED
    assert desk.delivery.attempts[0].status_code == 200
    assert desk.endpoint.failing_since is None
    # And it was sent to the endpoint's URL, with the delivery's id and body, signed with its secret
    sent = desk.sender.sent[0]
    assert (sent.url, sent.message_id, sent.body) == (
        "https://hooks.example.com/ep_1",
        "msg_0001",
        '{"type":"return.approved"}',
    )
    assert (sent.secrets, sent.at) == ([SECRET], NOW)


def test_during_a_rotation_each_attempt_is_signed_with_both_secrets() -> None:
    newer = "whsec_" + "B" * 43 + "="
    endpoint = an_endpoint().rotated(newer, NOW - timedelta(hours=1))
    desk = a_desk(OK, endpoint=endpoint)
    desk.attempt()
    assert desk.sender.sent[0].secrets == [newer, SECRET]


def test_a_delivered_delivery_is_not_sent_again() -> None:
    # Given a delivery already delivered (its message came back after a crash)
    desk = a_desk(endpoint=an_endpoint(), status=DeliveryStatus.DELIVERED)
    # When its message is handled again, Then nothing is sent, and it is finished
    assert desk.attempt() is None
    assert desk.sender.sent == []


def test_a_failed_or_forgotten_delivery_is_not_sent() -> None:
    desk = a_desk(endpoint=an_endpoint(), status=DeliveryStatus.FAILED)
    assert desk.attempt() is None
    assert desk.service.attempt(ENDPOINT_ID, "msg_unknown") is None
    assert desk.sender.sent == []


def test_an_endpoint_deleted_meanwhile_fails_its_delivery_without_a_request() -> None:
    # Given a delivery whose endpoint was deleted
    desk = a_desk()
    # When it is attempted
    assert desk.attempt() is None
    # Then nothing is sent, and the delivery has failed, saying why
    assert desk.sender.sent == []
    assert desk.delivery.status is DeliveryStatus.FAILED
    assert desk.delivery.attempts[-1].error == "endpoint deleted"


def test_a_disabled_endpoint_fails_its_delivery_without_a_request() -> None:
    desk = a_desk(endpoint=an_endpoint(enabled=False))
    assert desk.attempt() is None
    assert desk.sender.sent == []
    assert desk.delivery.status is DeliveryStatus.FAILED
    assert desk.delivery.attempts[-1].error == "endpoint disabled"


# --- The schedule ------------------------------------------------------------------------------


def test_a_failure_waits_the_schedules_next_delay_then_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_jitter(monkeypatch)
    # Given an endpoint that answers 503 three times
    desk = a_desk(DOWN, DOWN, Answer(None, error="timed out"), endpoint=an_endpoint())
    # When the delivery is attempted three times, each when it is due
    delays = []
    for _ in range(3):
        delay = desk.attempt()
        assert delay is not None
        delays.append(delay)
        desk.now += delay
    # Then it waited 5 s, 1 min, then 5 min
    assert delays == list(RETRY_DELAYS[:3])
    # And it is still pending, its next attempt on record, each failure on record
    assert desk.delivery.status is DeliveryStatus.PENDING
    assert desk.delivery.next_attempt_at == desk.now
    assert [a.status_code for a in desk.delivery.attempts] == [503, 503, None]
    assert desk.delivery.attempts[-1].error == "timed out"
    # And the endpoint is failing since the first one
    assert desk.endpoint.failing_since == NOW


def test_a_retry_after_longer_than_the_schedule_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_jitter(monkeypatch)
    desk = a_desk(Answer(429, retry_after=timedelta(minutes=10)), endpoint=an_endpoint())
    assert desk.attempt() == timedelta(minutes=10)


def test_a_retry_after_shorter_than_the_schedule_waits_the_schedule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_jitter(monkeypatch)
    desk = a_desk(Answer(429, retry_after=timedelta(seconds=1)), endpoint=an_endpoint())
    assert desk.attempt() == RETRY_DELAYS[0]


def test_the_last_attempt_of_the_schedule_fails_the_delivery_and_counts_it() -> None:
    # Given a delivery attempted every time of the schedule but its last
    earlier = [DeliveryAttempt(at=NOW, status_code=503)] * (MAX_ATTEMPTS - 1)
    desk = a_desk(DOWN, endpoint=an_endpoint(), attempts=earlier, attempt_count=MAX_ATTEMPTS - 1)
    # When its last attempt fails too
    assert desk.attempt() is None
    # Then the delivery has failed, no next attempt, counted as such
    assert desk.delivery.status is DeliveryStatus.FAILED
    assert desk.delivery.next_attempt_at is None
    assert desk.counted == [DELIVERIES_FAILED_METRIC]
    # And the endpoint, failing for less than three days, stays enabled
    assert desk.endpoint.enabled


# --- The endpoint's health ---------------------------------------------------------------------


def test_a_410_gone_disables_the_endpoint_at_once() -> None:
    desk = a_desk(Answer(410), endpoint=an_endpoint())
    assert desk.attempt() is None
    assert desk.delivery.status is DeliveryStatus.FAILED
    assert not desk.endpoint.enabled
    assert desk.endpoint.disabled_reason == GONE_REASON
    assert ENDPOINTS_DISABLED_METRIC in desk.counted


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_delivery_stops() -> None:
    # Given an endpoint that has failed every delivery since three days ago, the latest an
    # hour ago
    failing = an_endpoint(
        failing_since=NOW - DISABLE_AFTER, last_failed_at=NOW - timedelta(hours=1)
    )
    desk = a_desk(DOWN, endpoint=failing)
    # When one more attempt fails
    assert desk.attempt() is None
    # Then the endpoint is disabled (an alarm's metric counted once), the delivery failed
    assert not desk.endpoint.enabled
    assert desk.endpoint.disabled_at == NOW
    assert desk.counted.count(ENDPOINTS_DISABLED_METRIC) == 1
    assert desk.delivery.status is DeliveryStatus.FAILED


def test_an_endpoint_failing_for_less_than_three_days_keeps_trying() -> None:
    failing = an_endpoint(
        failing_since=NOW - DISABLE_AFTER + timedelta(minutes=1),
        last_failed_at=NOW - timedelta(hours=1),
    )
    desk = a_desk(DOWN, endpoint=failing)
    assert desk.attempt() is not None
    assert desk.endpoint.enabled
    assert desk.counted == []


def test_a_failure_after_a_gap_longer_than_the_schedule_starts_the_three_days_again() -> None:
    # Given an endpoint whose one delivery failed four days ago, and was given up on a day later
    failing = an_endpoint(
        failing_since=NOW - timedelta(days=4), last_failed_at=NOW - timedelta(days=3)
    )
    desk = a_desk(DOWN, endpoint=failing)
    # When the next event's first attempt fails, after days with nothing to deliver
    delay = desk.attempt()
    # Then the endpoint stays enabled, failing since now, and the delivery is retried
    assert delay is not None
    assert desk.endpoint.enabled
    assert (desk.endpoint.failing_since, desk.endpoint.last_failed_at) == (NOW, NOW)
    assert desk.delivery.status is DeliveryStatus.PENDING
    assert desk.counted == []


def test_failures_no_further_apart_than_the_schedule_continue_the_streak() -> None:
    failing = an_endpoint(
        failing_since=NOW - timedelta(days=2), last_failed_at=NOW - MAX_FAILURE_GAP
    )
    desk = a_desk(DOWN, endpoint=failing)
    desk.attempt()
    assert (desk.endpoint.failing_since, desk.endpoint.last_failed_at) == (
        NOW - timedelta(days=2),
        NOW,
    )


def test_a_success_ends_the_streak() -> None:
    failing = an_endpoint(failing_since=NOW - timedelta(days=2), last_failed_at=NOW)
    desk = a_desk(Answer(200), endpoint=failing)
    desk.attempt()
    assert (desk.endpoint.failing_since, desk.endpoint.last_failed_at) == (None, None)


# --- The subscriber: which events make deliveries ------------------------------------------------


@dataclass
class FakeQueue:
    sent: list[QueuedDelivery] = field(default_factory=list)

    def send_all(self, deliveries: list[QueuedDelivery]) -> None:
        self.sent.extend(deliveries)


def approved() -> ReturnEvent:
    return event_of(an_rma(ProcessingStatus.REQUESTED), Action.ACCEPT)


def test_each_endpoint_that_wants_the_event_gets_one_delivery_of_the_return() -> None:
    # Given two endpoints that want approvals, one that does not, and one disabled
    endpoints = FakeEndpoints(
        an_endpoint("ep_a"),
        an_endpoint("ep_b"),
        an_endpoint("ep_c", events=["return.completed"]),
        an_endpoint("ep_d", enabled=False),
    )
    deliveries, queue = FakeDeliveries(), FakeQueue()
    event = approved()
    # When a return is approved
    WebhooksDue(endpoints, deliveries, queue)(event)
    # Then the endpoints were read once, and the two that want it each get a queued delivery
    assert endpoints.lists == 1
    ids = [delivery_id(event.id, e, event.occurred_at) for e in ("ep_a", "ep_b")]
    assert queue.sent == [QueuedDelivery("ep_a", ids[0]), QueuedDelivery("ep_b", ids[1])]
    stored = deliveries.get("ep_a", ids[0])
    assert stored is not None
    assert (stored.event_id, stored.rma_reference) == (event.id, event.rma.return_reference)
    assert stored.status is DeliveryStatus.PENDING


def test_the_payload_is_the_type_the_time_and_the_return_with_its_version() -> None:
    import json

    deliveries = FakeDeliveries()
    event = approved()
    WebhooksDue(FakeEndpoints(an_endpoint()), deliveries, FakeQueue())(event)
    (stored,) = deliveries.items.values()
    payload = json.loads(stored.payload)
    assert payload["type"] == "return.approved"
    assert payload["timestamp"] == event.occurred_at.isoformat()
    assert payload["data"]["rma"]["version"] == event.version
    assert payload["data"]["rma"]["id"] == event.rma_id
    assert "task_token" not in payload["data"]["rma"]


def test_an_event_handed_over_again_queues_only_the_deliveries_never_attempted() -> None:
    # Given an event delivered once to two endpoints, one of which has been attempted since
    endpoints = FakeEndpoints(an_endpoint("ep_a"), an_endpoint("ep_b"))
    deliveries, queue = FakeDeliveries(), FakeQueue()
    event = approved()
    WebhooksDue(endpoints, deliveries, queue)(event)
    attempted = deliveries.get("ep_a", queue.sent[0].delivery_id)
    assert attempted is not None
    deliveries.record_attempt(
        attempted,
        DeliveryAttempt(at=NOW, status_code=503),
        status=DeliveryStatus.PENDING,
        next_attempt_at=NOW + timedelta(seconds=5),
    )
    # When the stream hands the same event over again
    again = FakeQueue()
    WebhooksDue(endpoints, deliveries, again)(event)
    # Then no delivery is added, and only the never-attempted one is queued again
    assert len(deliveries.items) == 2
    assert again.sent == [queue.sent[1]]


def test_an_event_no_endpoint_wants_queues_nothing() -> None:
    queue = FakeQueue()
    WebhooksDue(FakeEndpoints(an_endpoint(events=["return.completed"])), FakeDeliveries(), queue)(
        approved()
    )
    assert queue.sent == []


# --- The subscriber: cancellation requests' and claims' events ----------------------------------

STORE_CREDIT_CODE = "GIFT-7Q2M-9XKD"


def a_claim_approved() -> OrderRequestEvent:
    """Claim C-000004 (a damaged mug) approved in store credit, whose code is already known."""
    opened = OrderRequest(
        reference="C-000004",
        kind=OrderRequestKind.CLAIM,
        order=OrderRef(number="#4930"),
        customer=Customer(email="jane.doe@example.com"),
        issue=ClaimIssue.DAMAGED,
        lines=[ClaimLine(sku="MUG-001", name="Ceramic mug", quantity=2, unit_price="18.00")],
        resolution=ExpectedResolution.VOUCHER,
        created_at=NOW - timedelta(hours=1),
        updated_at=NOW - timedelta(hours=1),
    )
    settlement = Settlement(
        resolution=ExpectedResolution.VOUCHER, amount="39.60", voucher_code=STORE_CREDIT_CODE
    )
    agent = Actor(channel=Channel.ADMIN)
    after, entry = moved(
        opened, RequestStatus.APPROVED, actor=agent, at=NOW, action="approve", settlement=settlement
    )
    return request_event(opened, after, entry)


def test_a_claims_event_goes_to_the_endpoints_subscribed_to_its_type_only() -> None:
    # Given an endpoint for claim approvals, and one for every return event but no claim's
    endpoints = FakeEndpoints(
        an_endpoint("ep_claims", events=["claim.opened", "claim.approved"]),
        an_endpoint("ep_returns", events=[t.value for t in ReturnEventType]),
    )
    deliveries, queue = FakeDeliveries(), FakeQueue()
    event = a_claim_approved()
    # When the claim's approval is handed over
    WebhooksDue(endpoints, deliveries, queue)(event)
    # Then only the claims' endpoint gets a delivery, id'd as a return event's would be
    expected = delivery_id("C-000004:2", "ep_claims", event.occurred_at)
    assert queue.sent == [QueuedDelivery("ep_claims", expected)]
    stored = deliveries.get("ep_claims", expected)
    assert stored is not None
    assert (stored.event_type, stored.event_id) == ("claim.approved", "C-000004:2")
    assert (stored.request_reference, stored.rma_reference) == ("C-000004", None)


def test_a_claims_payload_is_the_request_as_the_admin_api_shows_it() -> None:
    import json

    from chalicelib.api.models.order_requests import OrderRequestView

    deliveries = FakeDeliveries()
    event = a_claim_approved()
    WebhooksDue(FakeEndpoints(an_endpoint(events=["claim.approved"])), deliveries, FakeQueue())(
        event
    )
    (stored,) = deliveries.items.values()
    payload = json.loads(stored.payload)
    # The type, the time, and the request exactly as GET /requests/{reference} reads it
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == "claim.approved"
    assert payload["timestamp"] == event.occurred_at.isoformat()
    admin_view = OrderRequestView.of(event.request, for_shopper=False).model_dump(mode="json")
    assert payload["data"] == {"request": admin_view}
    assert (payload["data"]["request"]["reference"], payload["data"]["request"]["version"]) == (
        "C-000004",
        2,
    )
    # The store credit's code by its last four characters: the shopper's alone to spend
    settlement = payload["data"]["request"]["settlement"]
    assert (settlement["voucher_code"], settlement["voucher_code_ending"]) == (None, "9XKD")
    assert STORE_CREDIT_CODE not in stored.payload


def test_a_claims_event_handed_over_twice_is_one_delivery_queued_once() -> None:
    endpoints = FakeEndpoints(an_endpoint(events=["claim.approved"]))
    deliveries, queue = FakeDeliveries(), FakeQueue()
    event = a_claim_approved()
    WebhooksDue(endpoints, deliveries, queue)(event)
    (first,) = deliveries.items.values()
    deliveries.record_attempt(
        first,
        DeliveryAttempt(at=NOW, status_code=200),
        status=DeliveryStatus.DELIVERED,
        next_attempt_at=None,
    )
    again = FakeQueue()
    WebhooksDue(endpoints, deliveries, again)(event)
    assert len(deliveries.items) == 1
    assert again.sent == []


@pytest.mark.parametrize("event_type", [t.value for t in OrderRequestEventType])
def test_every_cancellation_and_claim_event_type_may_be_subscribed_to(event_type: str) -> None:
    assert event_type in EVENT_TYPES
    assert an_endpoint(events=[event_type]).wants(event_type)


def test_a_delivery_not_due_yet_waits_for_its_retry_without_a_request() -> None:
    # Given a delivery whose retry is due in 50 seconds (a second message of it came early)
    desk = a_desk(endpoint=an_endpoint(), next_attempt_at=NOW + timedelta(seconds=50))
    # When it is handled, Then nothing is sent, and it waits the 50 seconds left
    assert desk.attempt() == timedelta(seconds=50)
    assert desk.sender.sent == []
    assert desk.delivery.attempts == []


def test_a_delivery_a_person_retries_is_attempted_once_more_past_the_schedule() -> None:
    # Given a delivery that failed every attempt of the schedule, made due again by a person
    earlier = [DeliveryAttempt(at=NOW, status_code=503)] * MAX_ATTEMPTS
    desk = a_desk(OK, endpoint=an_endpoint(), attempts=earlier, attempt_count=MAX_ATTEMPTS)
    # When it is attempted and the receiver takes it, Then it is delivered
    assert desk.attempt() is None
    assert desk.delivery.status is DeliveryStatus.DELIVERED
