"""Specification of how webhook endpoints and their deliveries are stored: every write that may
race is conditional, an endpoint keeps the first and latest times of its failure streak, is
disabled once, and a delivery keeps its latest attempts and the count of all of them."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.rma import revised
from chalicelib.domain.webhooks import (
    MAX_FAILURE_GAP,
    MAX_KEPT_ATTEMPTS,
    DeliveryAttempt,
    DeliveryStatus,
    SigningSecret,
    WebhookDelivery,
    WebhookEndpoint,
    delivery_id,
    new_endpoint_id,
    new_secret,
    webhook_payload,
)
from chalicelib.errors import (
    ConcurrentModificationError,
    InvalidRequestError,
    WebhookDeliveryNotFoundError,
)
from chalicelib.repositories.aws import client
from chalicelib.repositories.cursor_codec import CursorCodec
from chalicelib.repositories.table_schema import TTL_ATTRIBUTE
from chalicelib.repositories.webhook_deliveries import RETENTION, WebhookDeliveries
from chalicelib.repositories.webhook_endpoints import WebhookEndpoints

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def endpoints(aws: None) -> WebhookEndpoints:
    return WebhookEndpoints(os.environ["TABLE_NAME"])


@pytest.fixture
def deliveries(aws: None) -> WebhookDeliveries:
    return WebhookDeliveries(os.environ["TABLE_NAME"], cursors=CursorCodec(b"secret"))


def an_endpoint(**changes: Any) -> WebhookEndpoint:
    fields: dict[str, Any] = {
        "id": new_endpoint_id(),
        "url": "https://hooks.shop.example/returns",
        "events": ["return.approved"],
        "secrets": [SigningSecret(value=new_secret(), created_at=NOW)],
        "created_at": NOW,
        "updated_at": NOW,
    }
    return WebhookEndpoint.model_validate({**fields, **changes})


def a_delivery(endpoint_id: str = "ep_1", at: datetime = NOW, event: str = "ev-1") -> Any:
    return WebhookDelivery(
        id=delivery_id(event, endpoint_id, at),
        endpoint_id=endpoint_id,
        event_type="return.approved",
        event_id=event,
        rma_reference="R-001001",
        payload=webhook_payload("return.approved", at, {"reference": "R-001001"}),
        created_at=at,
    )


def an_attempt(status_code: int | None = 500, at: datetime = NOW) -> DeliveryAttempt:
    return DeliveryAttempt(at=at, status_code=status_code, duration_ms=12)


# --- endpoints -------------------------------------------------------------------------------


def test_an_endpoint_is_stored_once_and_read_back_whole(endpoints: WebhookEndpoints) -> None:
    endpoint = an_endpoint(description="ERP")
    endpoints.add(endpoint)
    assert endpoints.get(endpoint.id) == endpoint
    # An id taken already is refused, not overwritten
    with pytest.raises(ConcurrentModificationError):
        endpoints.add(an_endpoint(id=endpoint.id, url="https://other.example/"))
    assert endpoints.get(endpoint.id) == endpoint


def test_every_endpoint_is_listed_with_one_query(endpoints: WebhookEndpoints) -> None:
    added = [an_endpoint() for _ in range(3)]
    for endpoint in added:
        endpoints.add(endpoint)
    assert sorted(e.id for e in endpoints.list()) == sorted(e.id for e in added)
    assert endpoints.get("ep_unknown") is None


def test_a_save_over_another_version_is_refused(endpoints: WebhookEndpoints) -> None:
    # Given an endpoint read by two people
    endpoint = an_endpoint()
    endpoints.add(endpoint)
    # When the first saves a change
    saved = endpoints.save(endpoint.model_copy(update={"description": "A"}), expected_version=1)
    # Then it is the next version
    assert saved.version == 2
    assert endpoints.get(endpoint.id) == saved
    # And the second, over the version they read, is refused
    with pytest.raises(ConcurrentModificationError):
        endpoints.save(endpoint.model_copy(update={"description": "B"}), expected_version=1)
    assert endpoints.get(endpoint.id).description == "A"


def test_a_deleted_endpoint_is_gone_and_deleting_it_again_says_so(
    endpoints: WebhookEndpoints,
) -> None:
    endpoint = an_endpoint()
    endpoints.add(endpoint)
    assert endpoints.delete(endpoint.id) is True
    assert endpoints.get(endpoint.id) is None
    assert endpoints.delete(endpoint.id) is False


def test_an_endpoint_is_failing_since_its_first_failure(endpoints: WebhookEndpoints) -> None:
    # Given an endpoint that delivered so far
    endpoint = an_endpoint()
    endpoints.add(endpoint)
    # When two deliveries to it fail, an hour apart
    first = endpoints.record_failure(endpoint.id, NOW)
    second = endpoints.record_failure(endpoint.id, NOW + timedelta(hours=1))
    # Then it is failing since the first, the second its latest failure
    assert first is not None
    assert (first.failing_since, first.last_failed_at) == (NOW, NOW)
    assert second is not None
    assert (second.failing_since, second.last_failed_at) == (NOW, NOW + timedelta(hours=1))
    # And the first failure is a change of the endpoint (an edit read before it is refused),
    # the second none
    assert second.version == first.version == 2
    assert endpoints.get(endpoint.id) == second


def test_a_failure_after_a_gap_longer_than_the_schedule_starts_a_new_streak(
    endpoints: WebhookEndpoints,
) -> None:
    # Given an endpoint whose streak of failures began four days ago and lasted 20 hours
    endpoint = an_endpoint()
    endpoints.add(endpoint)
    endpoints.record_failure(endpoint.id, NOW - timedelta(days=4))
    endpoints.record_failure(endpoint.id, NOW - timedelta(days=4) + timedelta(hours=20))
    # When a delivery fails now
    failing = endpoints.record_failure(endpoint.id, NOW)
    # Then it is failing since now, as a change of the endpoint
    assert failing is not None
    assert (failing.failing_since, failing.last_failed_at) == (NOW, NOW)
    assert failing.version == 3


def test_a_failure_just_within_the_schedules_length_continues_the_streak(
    endpoints: WebhookEndpoints,
) -> None:
    endpoint = an_endpoint()
    endpoints.add(endpoint)
    endpoints.record_failure(endpoint.id, NOW)
    # (A moment with a fraction of a second: the stored times still compare as times.)
    later = NOW + MAX_FAILURE_GAP - timedelta(microseconds=500)
    failing = endpoints.record_failure(endpoint.id, later)
    assert failing is not None
    assert (failing.failing_since, failing.last_failed_at) == (NOW, later)


def test_a_failure_recorded_after_a_later_one_leaves_the_latest(
    endpoints: WebhookEndpoints,
) -> None:
    endpoint = an_endpoint()
    endpoints.add(endpoint)
    endpoints.record_failure(endpoint.id, NOW)
    endpoints.record_failure(endpoint.id, NOW + timedelta(minutes=5))
    late = endpoints.record_failure(endpoint.id, NOW + timedelta(minutes=1))
    assert late is not None
    assert (late.failing_since, late.last_failed_at) == (NOW, NOW + timedelta(minutes=5))


def test_an_edit_saved_during_a_streak_keeps_it_comparable(endpoints: WebhookEndpoints) -> None:
    # Given an endpoint failing since a moment with a fraction of a second, then edited
    endpoint = an_endpoint()
    endpoints.add(endpoint)
    failing = endpoints.record_failure(endpoint.id, NOW + timedelta(microseconds=250))
    assert failing is not None
    endpoints.save(revised(failing, description="ERP"), expected_version=failing.version)
    # When a failure follows on the whole second after it
    after = endpoints.record_failure(endpoint.id, NOW + timedelta(seconds=1))
    # Then the streak goes on
    assert after is not None
    assert after.failing_since == NOW + timedelta(microseconds=250)
    assert after.last_failed_at == NOW + timedelta(seconds=1)


def test_a_success_clears_the_failure_once(endpoints: WebhookEndpoints) -> None:
    endpoint = an_endpoint()
    endpoints.add(endpoint)
    endpoints.record_failure(endpoint.id, NOW)
    endpoints.record_success(endpoint.id)
    endpoints.record_success(endpoint.id)
    cleared = endpoints.get(endpoint.id)
    assert cleared is not None
    assert (cleared.failing_since, cleared.last_failed_at) == (None, None)
    assert cleared.version == 3
    # And a later failure starts a new period
    again = endpoints.record_failure(endpoint.id, NOW + timedelta(days=1))
    assert again is not None
    assert again.failing_since == NOW + timedelta(days=1)


def test_a_success_of_an_endpoint_never_failing_writes_nothing(
    endpoints: WebhookEndpoints,
) -> None:
    endpoint = an_endpoint()
    endpoints.add(endpoint)
    endpoints.record_success(endpoint.id)
    assert endpoints.get(endpoint.id) == endpoint


def test_the_failure_of_a_deleted_endpoint_creates_nothing(endpoints: WebhookEndpoints) -> None:
    assert endpoints.record_failure("ep_gone", NOW) is None
    endpoints.record_success("ep_gone")
    assert endpoints.disable("ep_gone", "Failing for 3 days", NOW) is False
    assert endpoints.get("ep_gone") is None
    assert endpoints.list() == []


def test_an_endpoint_is_disabled_once(endpoints: WebhookEndpoints) -> None:
    # Given an endpoint failing for days
    endpoint = an_endpoint()
    endpoints.add(endpoint)
    endpoints.record_failure(endpoint.id, NOW)
    later = NOW + timedelta(days=3)
    # When two deliveries both find it failing for too long
    first = endpoints.disable(endpoint.id, "Every delivery failed for 3 days.", later)
    second = endpoints.disable(endpoint.id, "Every delivery failed for 3 days.", later)
    # Then only the first disables it (the merchant is told once)
    assert (first, second) == (True, False)
    disabled = endpoints.get(endpoint.id)
    assert disabled is not None
    assert not disabled.enabled
    assert disabled.disabled_at == later
    assert disabled.disabled_reason == "Every delivery failed for 3 days."
    assert not disabled.wants("return.approved")
    # And an edit read before it was disabled cannot enable it again unseen
    with pytest.raises(ConcurrentModificationError):
        endpoints.save(endpoint, expected_version=2)


# --- deliveries ------------------------------------------------------------------------------


def test_a_delivery_is_made_once_and_expires_after_its_retention(
    deliveries: WebhookDeliveries,
) -> None:
    delivery = a_delivery()
    assert deliveries.add(delivery) is True
    assert deliveries.add(delivery) is False
    assert deliveries.get("ep_1", delivery.id) == delivery
    assert deliveries.get("ep_2", delivery.id) is None
    item = client("dynamodb").get_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": "WEBHOOK#ep_1"}, "sk": {"S": f"DELIVERY#{delivery.id}"}},
    )["Item"]
    assert int(item[TTL_ATTRIBUTE]["N"]) == int((NOW + RETENTION).timestamp())


def test_an_attempt_is_recorded_with_the_status_it_leads_to(
    deliveries: WebhookDeliveries,
) -> None:
    delivery = a_delivery()
    deliveries.add(delivery)
    retry_at = NOW + timedelta(seconds=5)
    failed = deliveries.record_attempt(
        delivery, an_attempt(503), status=DeliveryStatus.PENDING, next_attempt_at=retry_at
    )
    delivered = deliveries.record_attempt(
        failed, an_attempt(200), status=DeliveryStatus.DELIVERED, next_attempt_at=None
    )
    assert [a.status_code for a in delivered.attempts] == [503, 200]
    assert delivered.attempt_count == 2
    assert delivered.status == DeliveryStatus.DELIVERED
    assert delivered.next_attempt_at is None
    assert deliveries.get("ep_1", delivery.id) == delivered


def test_attempts_racing_on_one_delivery_are_both_recorded(
    deliveries: WebhookDeliveries,
) -> None:
    # Given a delivery read by two consumers of the same message
    delivery = a_delivery()
    deliveries.add(delivery)
    # When each records its attempt over the delivery it read
    deliveries.record_attempt(
        delivery, an_attempt(500), status=DeliveryStatus.PENDING, next_attempt_at=NOW
    )
    last = deliveries.record_attempt(
        delivery, an_attempt(200), status=DeliveryStatus.DELIVERED, next_attempt_at=None
    )
    # Then both attempts are on record, in the order they were recorded
    assert [a.status_code for a in last.attempts] == [500, 200]
    assert last.attempt_count == 2
    assert deliveries.get("ep_1", delivery.id) == last


def test_a_failure_recorded_after_a_racing_success_leaves_the_delivery_delivered(
    deliveries: WebhookDeliveries,
) -> None:
    # Given a delivery that one consumer got through while another's attempt failed
    delivery = a_delivery()
    deliveries.add(delivery)
    deliveries.record_attempt(
        delivery, an_attempt(200), status=DeliveryStatus.DELIVERED, next_attempt_at=None
    )
    # When the failed attempt is recorded over the delivery it read before
    last = deliveries.record_attempt(
        delivery, an_attempt(503), status=DeliveryStatus.PENDING, next_attempt_at=NOW
    )
    # Then both are on record, and the delivery is still delivered, with nothing due
    assert [a.status_code for a in last.attempts] == [200, 503]
    assert (last.status, last.next_attempt_at) == (DeliveryStatus.DELIVERED, None)
    assert deliveries.get("ep_1", delivery.id) == last


def test_only_the_latest_attempts_are_kept_but_all_are_counted(
    deliveries: WebhookDeliveries,
) -> None:
    delivery = a_delivery()
    deliveries.add(delivery)
    for second in range(MAX_KEPT_ATTEMPTS + 3):
        delivery = deliveries.record_attempt(
            delivery,
            an_attempt(500, NOW + timedelta(seconds=second)),
            status=DeliveryStatus.PENDING,
            next_attempt_at=NOW,
        )
    stored = deliveries.get("ep_1", delivery.id)
    assert stored is not None
    assert stored.attempt_count == MAX_KEPT_ATTEMPTS + 3
    assert len(stored.attempts) == MAX_KEPT_ATTEMPTS
    assert stored.attempts[0].at == NOW + timedelta(seconds=3)


def test_a_delivery_marked_pending_is_due_again(deliveries: WebhookDeliveries) -> None:
    delivery = a_delivery()
    deliveries.add(delivery)
    failed = deliveries.record_attempt(
        delivery, an_attempt(500), status=DeliveryStatus.FAILED, next_attempt_at=None
    )
    pending = deliveries.mark_pending(failed)
    assert pending.status == DeliveryStatus.PENDING
    assert pending.attempt_count == 1
    with pytest.raises(WebhookDeliveryNotFoundError):
        deliveries.mark_pending(a_delivery(event="never-made"))
    with pytest.raises(WebhookDeliveryNotFoundError):
        deliveries.record_attempt(
            a_delivery(event="never-made"),
            an_attempt(),
            status=DeliveryStatus.PENDING,
            next_attempt_at=None,
        )


def test_an_endpoints_deliveries_page_newest_first(deliveries: WebhookDeliveries) -> None:
    # Given five deliveries to one endpoint, a minute apart, and one to another endpoint
    made = [a_delivery(at=NOW + timedelta(minutes=m), event=f"ev-{m}") for m in range(5)]
    for delivery in made:
        deliveries.add(delivery)
    deliveries.add(a_delivery("ep_2"))
    # When the endpoint's deliveries are read two a page
    first, cursor = deliveries.page("ep_1", limit=2, cursor=None)
    second, cursor2 = deliveries.page("ep_1", limit=2, cursor=cursor)
    third, end = deliveries.page("ep_1", limit=2, cursor=cursor2)
    # Then they come newest first, each once
    assert [d.event_id for d in first + second + third] == [f"ev-{m}" for m in (4, 3, 2, 1, 0)]
    assert end is None
    # And a cursor of this listing does not read another endpoint's deliveries
    with pytest.raises(InvalidRequestError):
        deliveries.page("ep_2", limit=2, cursor=cursor)
