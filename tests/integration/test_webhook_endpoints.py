"""Specification of the admin API of outgoing webhooks: the merchant adds endpoints (the signing
secret is shown once), never to an address of returns-desk's own network, changes, disables,
deletes and tests them, rotates their secrets, and reads each one's deliveries and retries one.

Names resolve through a fake resolver: no test needs DNS."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.webhooks import (
    EVENT_TYPES,
    DeliveryAttempt,
    DeliveryStatus,
    SigningSecret,
    WebhookDelivery,
    WebhookEndpoint,
    delivery_id,
    new_secret,
    webhook_payload,
)
from chalicelib.repositories.aws import client
from chalicelib.services import container
from tests.support import ADMIN_AUTH, JSON, body, reconfigure

ENDPOINTS = "/webhooks/endpoints"
AUTH = {**ADMIN_AUTH, **JSON}
# What the fake resolver answers: a public address, and a name of the merchant's own network.
DNS = {
    "hooks.shop.example": ["93.184.215.14"],
    "erp.shop.example": ["93.184.215.15"],
    "intranet.shop.example": ["93.184.215.16", "10.0.0.8"],
}
NEW = {"url": "https://hooks.shop.example/returns", "events": ["return.approved"]}


def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
    if host not in DNS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in DNS[host]]


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(container, "webhook_resolver", lambda: resolve)


@pytest.fixture
def queue(aws: None, resolver: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """The deliveries' queue, configured; its URL."""
    url = client("sqs").create_queue(QueueName="webhook-deliveries")["QueueUrl"]
    reconfigure(monkeypatch, WEBHOOK_DELIVERIES_QUEUE_URL=url)
    return str(url)


@pytest.fixture
def admin(api: Any, queue: str) -> Any:
    return api


def queued(queue: str) -> list[dict[str, str]]:
    answer = client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def create(api: Any, payload: dict[str, Any] | None = None, **headers: str) -> Any:
    return api.http.post(ENDPOINTS, body=json.dumps(payload or NEW), headers={**AUTH, **headers})


def created(api: Any, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = create(api, payload)
    assert answer.status_code == 201, answer.body
    return dict(body(answer))


def patch(api: Any, endpoint_id: str, changes: dict[str, Any]) -> Any:
    return api.http.request(
        "PATCH", f"{ENDPOINTS}/{endpoint_id}", body=json.dumps(changes), headers=AUTH
    )


def post(api: Any, path: str) -> Any:
    return api.http.post(path, headers=ADMIN_AUTH)


def a_delivery(endpoint_id: str, minutes: int, **fields: Any) -> WebhookDelivery:
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    return WebhookDelivery(
        id=delivery_id(f"ev-{minutes}", endpoint_id, at),
        endpoint_id=endpoint_id,
        event_type="return.approved",
        event_id=f"ev-{minutes}",
        rma_reference=f"R-{minutes:06d}",
        payload=webhook_payload("return.approved", at, {}),
        created_at=at,
        **fields,
    )


# --- adding endpoints ------------------------------------------------------------------------


def test_a_new_endpoint_shows_its_secret_once(admin: Any) -> None:
    # When the merchant adds an endpoint
    answer = create(admin, {**NEW, "description": "Our ERP"})
    # Then it is created, with its signing secret, where it can be read
    assert answer.status_code == 201
    new = body(answer)
    assert new["secret"].startswith("whsec_")
    assert new["id"].startswith("ep_")
    assert answer.headers["Location"] == f"{ENDPOINTS}/{new['id']}"
    assert new["url"] == NEW["url"]
    assert new["events"] == ["return.approved"]
    assert new["description"] == "Our ERP"
    assert new["enabled"] is True
    assert new["failing_since"] is None
    # And reading or listing it never shows the secret again
    read = admin.http.get(answer.headers["Location"], headers=ADMIN_AUTH)
    listed = admin.http.get(ENDPOINTS, headers=ADMIN_AUTH)
    assert read.status_code == 200
    assert body(read) == {k: v for k, v in new.items() if k != "secret"}
    assert body(listed)["items"] == [body(read)]
    assert new["secret"] not in read.body.decode() + listed.body.decode()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "its scheme must be https"),
        ("ftp://hooks.shop.example/returns", "its scheme must be https"),
        ("http://hooks.shop.example/returns", "its scheme must be https"),
        ("https://user:pass@hooks.shop.example/", "it must not carry a user name or password"),
        ("https://hooks.shop.example:8443/", "its port must be 443"),
        ("https://nowhere.shop.example/", "nowhere.shop.example does not resolve"),
    ],
)
def test_a_url_that_cannot_receive_webhooks_is_refused(admin: Any, url: str, reason: str) -> None:
    answer = create(admin, {**NEW, "url": url})
    assert answer.status_code == 400
    error = body(answer)["error"]
    assert error["details"] == {"field": "url", "reason": reason}
    assert reason in error["message"]
    assert body(admin.http.get(ENDPOINTS, headers=ADMIN_AUTH))["items"] == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://intranet.shop.example/hook", "resolves to 10.0.0.8, a private address"),
        ("https://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("https://127.0.0.1/hook", "a loopback address"),
        ("https://[::ffff:10.0.0.1]/hook", "a private address"),
    ],
)
def test_an_address_of_our_own_network_is_refused(admin: Any, url: str, reason: str) -> None:
    # When the merchant names an address returns-desk's own network would answer
    answer = create(admin, {**NEW, "url": url})
    # Then nothing is stored, and the refusal says why
    assert answer.status_code == 400
    assert reason in body(answer)["error"]["details"]["reason"]
    assert body(admin.http.get(ENDPOINTS, headers=ADMIN_AUTH))["items"] == []


def test_an_unknown_event_type_is_refused_naming_the_allowed_ones(admin: Any) -> None:
    answer = create(admin, {**NEW, "events": ["return.approved", "return.teleported"]})
    assert answer.status_code == 400
    error = body(answer)["error"]
    assert error["details"]["unknown"] == ["return.teleported"]
    assert error["details"]["allowed"] == list(EVENT_TYPES)
    assert "return.teleported" in error["message"]


def test_an_endpoint_needs_an_event_and_a_url(admin: Any) -> None:
    assert create(admin, {**NEW, "events": []}).status_code == 400
    assert create(admin, {"events": ["return.approved"]}).status_code == 400


def test_an_event_given_twice_is_subscribed_once(admin: Any) -> None:
    new = created(admin, {**NEW, "events": ["return.approved", "webhook.test", "return.approved"]})
    assert new["events"] == ["return.approved", "webhook.test"]


def test_a_deployment_has_at_most_twenty_endpoints(admin: Any) -> None:
    # Given twenty endpoints
    now = datetime.now(UTC)
    for number in range(20):
        container.webhook_endpoints().add(
            WebhookEndpoint(
                id=f"ep_{number}",
                url="https://hooks.shop.example/",
                events=["return.approved"],
                secrets=[SigningSecret(value=new_secret(), created_at=now)],
                created_at=now,
                updated_at=now,
            )
        )
    # When the merchant adds one more
    answer = create(admin)
    # Then it is refused
    assert answer.status_code == 409
    assert body(answer)["error"]["code"] == "webhook_endpoint_limit_reached"


def test_a_creation_retried_with_its_idempotency_key_creates_one_endpoint(admin: Any) -> None:
    # When the merchant's system sends the same creation twice with one key
    first = create(admin, **{"Idempotency-Key": "create-erp-hook"})
    again = create(admin, **{"Idempotency-Key": "create-erp-hook"})
    # Then one endpoint exists, and both answers are the first (its secret included)
    assert first.status_code == again.status_code == 201
    assert body(again) == body(first)
    assert len(body(admin.http.get(ENDPOINTS, headers=ADMIN_AUTH))["items"]) == 1
    # And the key with another body is refused
    other = create(
        admin, {**NEW, "events": ["return.rejected"]}, **{"Idempotency-Key": "create-erp-hook"}
    )
    assert other.status_code == 409
    assert body(other)["error"]["code"] == "idempotency_key_reused"


# --- changing and deleting them --------------------------------------------------------------


def test_an_endpoint_is_changed_by_the_fields_given(admin: Any) -> None:
    new = created(admin, {**NEW, "description": "Our ERP"})
    # When the merchant changes its events and URL
    answer = patch(
        admin,
        new["id"],
        {"events": ["return.rejected", "webhook.test"], "url": "https://erp.shop.example/hook"},
    )
    # Then those change, and nothing else
    assert answer.status_code == 200
    changed = body(answer)
    assert changed["events"] == ["return.rejected", "webhook.test"]
    assert changed["url"] == "https://erp.shop.example/hook"
    assert changed["description"] == "Our ERP"
    assert changed["version"] == new["version"] + 1
    # And a null description removes it
    assert body(patch(admin, new["id"], {"description": None}))["description"] is None


def test_a_changed_url_is_checked_again(admin: Any) -> None:
    new = created(admin)
    answer = patch(admin, new["id"], {"url": "https://intranet.shop.example/"})
    assert answer.status_code == 400
    assert body(answer)["error"]["details"]["field"] == "url"
    read = body(admin.http.get(f"{ENDPOINTS}/{new['id']}", headers=ADMIN_AUTH))
    assert read["url"] == NEW["url"]


def test_a_change_over_another_version_is_refused(admin: Any) -> None:
    new = created(admin)
    assert patch(admin, new["id"], {"description": "A"}).status_code == 200
    stale = patch(admin, new["id"], {"description": "B", "version": new["version"]})
    assert stale.status_code == 409


def test_a_change_must_name_something_to_change(admin: Any) -> None:
    new = created(admin)
    assert patch(admin, new["id"], {}).status_code == 400
    assert patch(admin, new["id"], {"url": None}).status_code == 400
    assert patch(admin, new["id"], {"secrets": []}).status_code == 400


def test_an_endpoint_disabled_then_enabled_forgets_its_failures(admin: Any) -> None:
    # Given an endpoint failing since yesterday
    new = created(admin)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    container.webhook_endpoints().record_failure(new["id"], yesterday)
    # When the merchant disables it
    disabled = body(patch(admin, new["id"], {"enabled": False}))
    # Then it is disabled, saying by whom
    assert disabled["enabled"] is False
    assert disabled["disabled_reason"] == "Disabled by the merchant."
    assert disabled["disabled_at"] is not None
    # When they enable it again
    enabled = body(patch(admin, new["id"], {"enabled": True}))
    # Then it starts afresh
    assert enabled["enabled"] is True
    assert enabled["disabled_at"] is None
    assert enabled["disabled_reason"] is None
    assert enabled["failing_since"] is None
    stored = container.webhook_endpoints().get(new["id"])
    assert stored is not None
    assert stored.last_failed_at is None


def test_a_new_url_forgets_the_old_ones_failures(admin: Any) -> None:
    # Given an endpoint failing since yesterday
    new = created(admin)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    container.webhook_endpoints().record_failure(new["id"], yesterday)
    # When the merchant changes its description, it is still failing
    assert body(patch(admin, new["id"], {"description": "ERP"}))["failing_since"] is not None
    # When they give it a new URL
    changed = body(patch(admin, new["id"], {"url": "https://erp.shop.example/hook"}))
    # Then its failures are forgotten: the new URL's start afresh
    assert changed["failing_since"] is None
    stored = container.webhook_endpoints().get(new["id"])
    assert stored is not None
    assert (stored.failing_since, stored.last_failed_at) == (None, None)


def test_a_deleted_endpoint_is_gone(admin: Any) -> None:
    new = created(admin)
    path = f"{ENDPOINTS}/{new['id']}"
    deleted = admin.http.request("DELETE", path, headers=ADMIN_AUTH)
    assert deleted.status_code == 200
    assert body(deleted) == {"id": new["id"], "deleted": True}
    assert admin.http.get(path, headers=ADMIN_AUTH).status_code == 404
    assert admin.http.request("DELETE", path, headers=ADMIN_AUTH).status_code == 404
    assert patch(admin, new["id"], {"description": "x"}).status_code == 404
    assert body(admin.http.get(ENDPOINTS, headers=ADMIN_AUTH))["items"] == []


def test_an_unknown_endpoint_is_not_found(admin: Any) -> None:
    answer = admin.http.get(f"{ENDPOINTS}/ep_nothing", headers=ADMIN_AUTH)
    assert answer.status_code == 404
    assert body(answer)["error"]["code"] == "webhook_endpoint_not_found"


# Longer than DynamoDB takes as a key (1 KB, refused with an error), and odd characters.
NOT_ENDPOINT_IDS = ["ep_" + "a" * 1500, "ep_a%20b", "ep_%C3%A9t%C3%A9", "ep_a'%3B--", "nothing"]


@pytest.mark.parametrize("endpoint_id", NOT_ENDPOINT_IDS, ids=range(len(NOT_ENDPOINT_IDS)))
def test_a_path_naming_no_possible_endpoint_is_not_found_on_every_route(
    admin: Any, endpoint_id: str
) -> None:
    path = f"{ENDPOINTS}/{endpoint_id}"
    answers = [
        admin.http.get(path, headers=ADMIN_AUTH),
        patch(admin, endpoint_id, {"description": "x"}),
        admin.http.delete(path, headers=ADMIN_AUTH),
        post(admin, f"{path}/rotate-secret"),
        post(admin, f"{path}/test"),
        admin.http.get(f"{path}/deliveries", headers=ADMIN_AUTH),
        post(admin, f"{path}/deliveries/msg_x/retry"),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert {body(a)["error"]["code"] for a in answers} == {"webhook_endpoint_not_found"}


@pytest.mark.parametrize("delivery_id", ["msg_" + "a" * 1500, "msg_a%20b", "msg_%E2%9C%93"])
def test_a_path_naming_no_possible_delivery_is_not_found(admin: Any, delivery_id: str) -> None:
    new = created(admin)
    answer = post(admin, f"{ENDPOINTS}/{new['id']}/deliveries/{delivery_id}/retry")
    assert answer.status_code == 404
    assert body(answer)["error"]["code"] == "webhook_delivery_not_found"


# --- secrets ---------------------------------------------------------------------------------


def test_a_rotated_secret_is_shown_once_and_the_old_one_signs_a_day_more(admin: Any) -> None:
    new = created(admin)
    # When the merchant rotates the secret
    answer = post(admin, f"{ENDPOINTS}/{new['id']}/rotate-secret")
    # Then the new secret is shown, and when the old one stops signing
    assert answer.status_code == 200
    rotated = body(answer)
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != new["secret"]
    expires = datetime.fromisoformat(rotated["previous_secret_expires_at"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)
    # And deliveries are signed with both meanwhile, with the new one only afterwards
    endpoint = container.webhook_endpoints().get(new["id"])
    assert endpoint is not None
    assert endpoint.signing_secrets(datetime.now(UTC)) == [rotated["secret"], new["secret"]]
    assert endpoint.signing_secrets(expires) == [rotated["secret"]]
    # And the endpoint's reads still show neither
    read = admin.http.get(f"{ENDPOINTS}/{new['id']}", headers=ADMIN_AUTH).body.decode()
    assert rotated["secret"] not in read
    assert new["secret"] not in read


# --- test deliveries, the log and retries ----------------------------------------------------


def test_a_test_delivery_is_queued_once(admin: Any, queue: str) -> None:
    new = created(admin)
    # When the merchant sends a test
    answer = post(admin, f"{ENDPOINTS}/{new['id']}/test")
    # Then a webhook.test delivery is made, waiting for its first attempt
    assert answer.status_code == 202
    delivery = body(answer)
    assert delivery["event_type"] == "webhook.test"
    assert delivery["status"] == "PENDING"
    assert delivery["attempt_count"] == 0
    assert delivery["attempts"] == []
    # And one message names it on the deliveries' queue
    assert queued(queue) == [{"endpoint_id": new["id"], "delivery_id": delivery["id"]}]
    # And its body says what it is
    stored = container.webhook_deliveries().get(new["id"], delivery["id"])
    assert stored is not None
    payload = json.loads(stored.payload)
    assert payload["type"] == "webhook.test"
    assert payload["data"]["endpoint_id"] == new["id"]
    assert payload["data"]["message"]


def test_a_disabled_endpoint_sends_no_test(admin: Any, queue: str) -> None:
    new = created(admin)
    patch(admin, new["id"], {"enabled": False})
    answer = post(admin, f"{ENDPOINTS}/{new['id']}/test")
    assert answer.status_code == 409
    assert body(answer)["error"]["code"] == "webhook_endpoint_disabled"
    assert queued(queue) == []


def test_the_deliveries_page_newest_first(admin: Any) -> None:
    # Given five deliveries to an endpoint, a minute apart, and one to another endpoint
    new = created(admin)
    other = created(admin)
    for minutes in range(5):
        container.webhook_deliveries().add(a_delivery(new["id"], minutes))
    container.webhook_deliveries().add(a_delivery(other["id"], 9))
    path = f"{ENDPOINTS}/{new['id']}/deliveries"
    # When the merchant reads them two a page
    first = body(admin.http.get(f"{path}?limit=2", headers=ADMIN_AUTH))
    second = body(
        admin.http.get(f"{path}?limit=2&cursor={first['next_cursor']}", headers=ADMIN_AUTH)
    )
    third = body(
        admin.http.get(f"{path}?limit=2&cursor={second['next_cursor']}", headers=ADMIN_AUTH)
    )
    # Then they come newest first, each once, without their bodies
    listed = first["items"] + second["items"] + third["items"]
    assert [d["event_id"] for d in listed] == ["ev-4", "ev-3", "ev-2", "ev-1", "ev-0"]
    assert third["next_cursor"] is None
    assert set(listed[0]) == {
        "id",
        "event_type",
        "event_id",
        "rma_reference",
        "request_reference",
        "status",
        "attempt_count",
        "attempts",
        "created_at",
        "next_attempt_at",
    }
    # And a cursor of one endpoint's log reads no other's
    foreign = admin.http.get(
        f"{ENDPOINTS}/{other['id']}/deliveries?cursor={first['next_cursor']}", headers=ADMIN_AUTH
    )
    assert foreign.status_code == 400
    # And an unknown endpoint has no log
    missing = admin.http.get(f"{ENDPOINTS}/ep_nothing/deliveries", headers=ADMIN_AUTH)
    assert missing.status_code == 404


def test_a_failed_delivery_is_retried_now(admin: Any, queue: str) -> None:
    # Given a delivery that failed every attempt
    new = created(admin)
    deliveries = container.webhook_deliveries()
    made = a_delivery(new["id"], 0)
    deliveries.add(made)
    deliveries.record_attempt(
        made,
        DeliveryAttempt(at=made.created_at, status_code=500, duration_ms=40),
        status=DeliveryStatus.FAILED,
        next_attempt_at=None,
    )
    # When the merchant retries it
    answer = post(admin, f"{ENDPOINTS}/{new['id']}/deliveries/{made.id}/retry")
    # Then it waits for an attempt again, its past attempts kept
    assert answer.status_code == 202
    retried = body(answer)
    assert retried["status"] == "PENDING"
    assert retried["attempt_count"] == 1
    assert retried["attempts"][0]["status_code"] == 500
    # And one message names it on the deliveries' queue
    assert queued(queue) == [{"endpoint_id": new["id"], "delivery_id": made.id}]


def test_a_retry_of_an_unknown_delivery_or_a_disabled_endpoint_is_refused(
    admin: Any, queue: str
) -> None:
    new = created(admin)
    made = a_delivery(new["id"], 0)
    container.webhook_deliveries().add(made)
    unknown = post(admin, f"{ENDPOINTS}/{new['id']}/deliveries/msg_nothing/retry")
    assert unknown.status_code == 404
    assert body(unknown)["error"]["code"] == "webhook_delivery_not_found"
    patch(admin, new["id"], {"enabled": False})
    disabled = post(admin, f"{ENDPOINTS}/{new['id']}/deliveries/{made.id}/retry")
    assert disabled.status_code == 409
    assert queued(queue) == []


def test_without_a_deliveries_queue_nothing_can_be_sent(
    api: Any, resolver: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployment without the deliveries' queue
    reconfigure(monkeypatch, WEBHOOK_DELIVERIES_QUEUE_URL=None)
    new = created(api)
    made = a_delivery(new["id"], 0)
    container.webhook_deliveries().add(made)
    # When the merchant tests the endpoint, or retries a delivery
    test = post(api, f"{ENDPOINTS}/{new['id']}/test")
    retry = post(api, f"{ENDPOINTS}/{new['id']}/deliveries/{made.id}/retry")
    # Then both are refused as unavailable, saying what is missing
    for answer in (test, retry):
        assert answer.status_code == 503
        assert "WEBHOOK_DELIVERIES_QUEUE_URL" in body(answer)["error"]["message"]


def test_the_delivery_statuses_answered_are_the_models() -> None:
    from typing import get_args

    from chalicelib.api.models.webhook_endpoints import WebhookDeliveryResource

    answered = get_args(WebhookDeliveryResource.model_fields["status"].annotation)
    assert set(answered) == {status.value for status in DeliveryStatus}
