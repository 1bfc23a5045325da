"""Specification of the rules of managing webhook endpoints, with small fakes of the stores,
the queue and the URL check: what a change changes, what enabling forgets, what a test delivery
is, and when nothing may be sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.rma import revised
from chalicelib.domain.webhooks import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    is_endpoint_id,
)
from chalicelib.errors import (
    ConcurrentModificationError,
    DependencyUnavailableError,
    InvalidRequestError,
    WebhookDeliveryNotFoundError,
    WebhookEndpointDisabledError,
    WebhookEndpointLimitError,
    WebhookEndpointNotFoundError,
)
from chalicelib.integrations.webhook_queue import QueuedDelivery
from chalicelib.services.webhook_endpoints import DISABLED_BY_MERCHANT, WebhookEndpointService
from local.webhook_receiver import LOCAL_ENDPOINT_ID

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
URL = "https://hooks.shop.example/returns"


class Endpoints:
    def __init__(self) -> None:
        self.stored: dict[str, WebhookEndpoint] = {}
        self.looked_up: list[str] = []

    def add(self, endpoint: WebhookEndpoint) -> None:
        self.stored[endpoint.id] = endpoint

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        self.looked_up.append(endpoint_id)
        return self.stored.get(endpoint_id)

    def list(self) -> list[WebhookEndpoint]:
        return list(self.stored.values())

    def save(self, endpoint: WebhookEndpoint, *, expected_version: int) -> WebhookEndpoint:
        if self.stored[endpoint.id].version != expected_version:
            raise ConcurrentModificationError(endpoint.id)
        self.stored[endpoint.id] = revised(endpoint, version=expected_version + 1)
        return self.stored[endpoint.id]

    def delete(self, endpoint_id: str) -> bool:
        self.looked_up.append(endpoint_id)
        return self.stored.pop(endpoint_id, None) is not None


class Deliveries:
    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], WebhookDelivery] = {}
        self.looked_up: list[str] = []

    def add(self, delivery: WebhookDelivery) -> bool:
        self.stored[(delivery.endpoint_id, delivery.id)] = delivery
        return True

    def get(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery | None:
        self.looked_up.append(delivery_id)
        return self.stored.get((endpoint_id, delivery_id))

    def mark_pending(self, delivery: WebhookDelivery) -> WebhookDelivery:
        pending = revised(delivery, status=DeliveryStatus.PENDING, next_attempt_at=None)
        self.stored[(delivery.endpoint_id, delivery.id)] = pending
        return pending

    def page(
        self, endpoint_id: str, *, limit: int, cursor: str | None = None
    ) -> tuple[list[WebhookDelivery], str | None]:
        mine = [d for (e, _), d in sorted(self.stored.items(), reverse=True) if e == endpoint_id]
        return mine[:limit], None


class Queue:
    def __init__(self) -> None:
        self.sent: list[QueuedDelivery] = []

    def send(self, delivery: QueuedDelivery, *, delay_seconds: int = 0) -> None:
        self.sent.append(delivery)


class Targets:
    """The URL check: refuses the URLs in `refused`, records the others and how."""

    def __init__(self) -> None:
        self.checked: list[tuple[str, bool]] = []
        self.refused: set[str] = set()

    def __call__(self, url: str, *, allow_local: bool) -> None:
        if url in self.refused:
            raise InvalidRequestError("This URL cannot receive webhooks.", {"field": "url"})
        self.checked.append((url, allow_local))


@pytest.fixture
def parts() -> dict[str, Any]:
    return {"endpoints": Endpoints(), "deliveries": Deliveries(), "queue": Queue()}


@pytest.fixture
def targets() -> Targets:
    return Targets()


@pytest.fixture
def service(parts: dict[str, Any], targets: Targets) -> WebhookEndpointService:
    return WebhookEndpointService(
        parts["endpoints"],
        parts["deliveries"],
        parts["queue"],
        check_target=targets,
        allow_local=False,
        clock=lambda: NOW,
        max_endpoints=3,
    )


def test_a_new_endpoint_has_its_url_checked_and_a_secret(
    service: WebhookEndpointService, targets: Targets
) -> None:
    endpoint = service.create(URL, ["return.approved"], "ERP")
    assert targets.checked == [(URL, False)]
    assert endpoint.secrets[0].value.startswith("whsec_")
    assert endpoint.created_at == endpoint.updated_at == NOW
    assert service.get(endpoint.id) == endpoint


def test_a_refused_url_stores_nothing(
    service: WebhookEndpointService, targets: Targets, parts: dict[str, Any]
) -> None:
    targets.refused.add(URL)
    with pytest.raises(InvalidRequestError):
        service.create(URL, ["return.approved"])
    assert parts["endpoints"].stored == {}


def test_no_more_endpoints_than_the_limit(service: WebhookEndpointService) -> None:
    for _ in range(3):
        service.create(URL, ["return.approved"])
    with pytest.raises(WebhookEndpointLimitError):
        service.create(URL, ["return.approved"])


def test_a_change_changes_only_what_is_given(service: WebhookEndpointService) -> None:
    endpoint = service.create(URL, ["return.approved"], "ERP")
    changed = service.update(endpoint.id, {"events": ["return.rejected", "return.rejected"]})
    assert changed.events == ["return.rejected"]
    assert changed.description == "ERP"
    assert changed.url == URL
    assert changed.version == endpoint.version + 1
    # And asking nothing new changes nothing
    assert service.update(changed.id, {"enabled": True}) == changed


def test_a_change_of_a_field_that_is_not_editable_is_refused(
    service: WebhookEndpointService,
) -> None:
    endpoint = service.create(URL, ["return.approved"])
    with pytest.raises(InvalidRequestError):
        service.update(endpoint.id, {"secrets": []})


def test_a_change_from_another_version_is_refused(service: WebhookEndpointService) -> None:
    endpoint = service.create(URL, ["return.approved"])
    service.update(endpoint.id, {"description": "A"})
    with pytest.raises(ConcurrentModificationError):
        service.update(endpoint.id, {"description": "B"}, version=endpoint.version)


def test_disabling_says_by_whom_and_enabling_forgets_the_failures(
    service: WebhookEndpointService, parts: dict[str, Any]
) -> None:
    endpoint = service.create(URL, ["return.approved"])
    stores = parts["endpoints"]
    stores.stored[endpoint.id] = revised(endpoint, failing_since=NOW - timedelta(days=2))
    disabled = service.update(endpoint.id, {"enabled": False})
    assert (disabled.enabled, disabled.disabled_at) == (False, NOW)
    assert disabled.disabled_reason == DISABLED_BY_MERCHANT
    enabled = service.update(endpoint.id, {"enabled": True})
    assert enabled.enabled
    assert (enabled.disabled_at, enabled.disabled_reason, enabled.failing_since) == (
        None,
        None,
        None,
    )


def test_a_test_delivery_goes_to_an_endpoint_whatever_it_subscribes_to(
    service: WebhookEndpointService, parts: dict[str, Any]
) -> None:
    endpoint = service.create(URL, ["return.approved"])
    delivery = service.send_test(endpoint.id)
    assert delivery.event_type == "webhook.test"
    assert delivery.created_at == NOW
    assert json.loads(delivery.payload)["data"]["endpoint_id"] == endpoint.id
    assert parts["queue"].sent == [QueuedDelivery(endpoint.id, delivery.id)]
    # Each test is a delivery of its own
    assert service.send_test(endpoint.id).id != delivery.id


def test_nothing_is_sent_to_a_disabled_endpoint(
    service: WebhookEndpointService, parts: dict[str, Any]
) -> None:
    endpoint = service.create(URL, ["return.approved"])
    service.update(endpoint.id, {"enabled": False})
    with pytest.raises(WebhookEndpointDisabledError):
        service.send_test(endpoint.id)
    assert parts["queue"].sent == []


def test_without_a_queue_nothing_is_sent(parts: dict[str, Any], targets: Targets) -> None:
    service = WebhookEndpointService(
        parts["endpoints"], parts["deliveries"], None, check_target=targets, allow_local=True
    )
    endpoint = service.create(URL, ["return.approved"])
    with pytest.raises(DependencyUnavailableError):
        service.send_test(endpoint.id)
    assert targets.checked == [(URL, True)]


def test_an_unknown_endpoint_is_not_found(service: WebhookEndpointService) -> None:
    for call in (
        lambda: service.get("ep_x"),
        lambda: service.delete("ep_x"),
        lambda: service.update("ep_x", {"description": "x"}),
        lambda: service.rotate_secret("ep_x"),
        lambda: service.deliveries("ep_x", limit=10),
        lambda: service.retry("ep_x", "msg_x"),
    ):
        with pytest.raises(WebhookEndpointNotFoundError):
            call()


# Longer than DynamoDB takes as a key (1 KB), and odd characters.
NOT_IDS = [
    "ep_" + "a" * 1500,
    "ep_",
    "ep_a b",
    "ep_a/../b",
    "ep_été",
    "ep_a'; --",
    "ep_abc\n",
    "EP_abc",
    "msg_abc",
]


@pytest.mark.parametrize("endpoint_id", NOT_IDS, ids=range(len(NOT_IDS)))
def test_an_id_that_cannot_be_an_endpoints_is_not_found_without_a_look_up(
    service: WebhookEndpointService, parts: dict[str, Any], endpoint_id: str
) -> None:
    for call in (
        lambda: service.get(endpoint_id),
        lambda: service.delete(endpoint_id),
        lambda: service.update(endpoint_id, {"description": "x"}),
        lambda: service.rotate_secret(endpoint_id),
        lambda: service.send_test(endpoint_id),
        lambda: service.deliveries(endpoint_id, limit=10),
        lambda: service.retry(endpoint_id, "msg_x"),
    ):
        with pytest.raises(WebhookEndpointNotFoundError):
            call()
    assert parts["endpoints"].looked_up == []


@pytest.mark.parametrize(
    "delivery_id", ["msg_" + "a" * 1500, "msg_", "msg_a b", "msg_a.b", "ep_abc", "x"]
)
def test_an_id_that_cannot_be_a_deliverys_is_not_found_without_a_look_up(
    service: WebhookEndpointService, parts: dict[str, Any], delivery_id: str
) -> None:
    endpoint = service.create(URL, ["return.approved"])
    with pytest.raises(WebhookDeliveryNotFoundError):
        service.retry(endpoint.id, delivery_id)
    assert parts["deliveries"].looked_up == []
    assert parts["queue"].sent == []


def test_the_ids_made_are_ids(service: WebhookEndpointService, parts: dict[str, Any]) -> None:
    endpoint = service.create(URL, ["return.approved"])
    delivery = service.send_test(endpoint.id)
    assert service.retry(endpoint.id, delivery.id).id == delivery.id
    # And the local stack's endpoint id is one too
    assert is_endpoint_id(LOCAL_ENDPOINT_ID)


def test_the_overview_lists_each_endpoint_oldest_first_with_its_latest_deliveries(
    service: WebhookEndpointService,
) -> None:
    first = service.create(URL, ["return.approved"])
    second = service.create(URL, ["return.approved"])
    service.send_test(second.id)
    overview = service.overview(10)
    assert [endpoint.id for endpoint, _ in overview] == [first.id, second.id]
    assert [len(deliveries) for _, deliveries in overview] == [0, 1]
