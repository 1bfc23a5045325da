"""Specification of the local receiver's lines: each delivery it verifies is printed with its
type, its subject's reference and version, and its webhook id, whatever the event is about."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from local.webhook_receiver import LOCAL_SECRET, WebhookReceiver

MESSAGE_ID = "msg_0194c5f0a2b3claimapproved"


def signed(payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """A delivery as returns-desk sends it: the body, and its Standard Webhooks headers."""
    body = json.dumps(payload)
    at = datetime.now(UTC)
    signature = Webhook(LOCAL_SECRET).sign(MESSAGE_ID, at, body)
    headers = {
        "webhook-id": MESSAGE_ID,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """The local receiver, listening on a free port."""
    running = WebhookReceiver(echo=False).start()
    yield running
    running.stop()


@pytest.mark.parametrize(
    ("payload", "line"),
    [
        (
            {
                "type": "return.approved",
                "data": {"rma": {"return_reference": "R-001042", "version": 5}},
            },
            "[webhook] return.approved R-001042 v5 verified (msg_0194c5f0a2b3claimapproved)",
        ),
        (
            {
                "type": "claim.approved",
                "data": {"request": {"reference": "C-000004", "version": 2}},
            },
            "[webhook] claim.approved C-000004 v2 verified (msg_0194c5f0a2b3claimapproved)",
        ),
        (
            {
                "type": "cancellation.requested",
                "data": {"request": {"reference": "X-000007", "version": 1}},
            },
            "[webhook] cancellation.requested X-000007 v1 verified (msg_0194c5f0a2b3claimapproved)",
        ),
        (
            {"type": "webhook.test", "data": {"endpoint_id": "ep_local"}},
            "[webhook] webhook.test verified (msg_0194c5f0a2b3claimapproved)",
        ),
    ],
)
def test_each_verified_delivery_is_one_line_naming_what_it_is_about(
    receiver: WebhookReceiver, payload: dict[str, Any], line: str
) -> None:
    # When a delivery signed with the local secret is posted to the receiver
    body, headers = signed({"timestamp": "2026-12-01T10:00:00+00:00", **payload})
    answer = httpx.post(receiver.url, content=body, headers=headers)
    # Then it is taken, and printed as one verified line
    assert answer.status_code == 200
    assert receiver.log == [line]


def test_a_delivery_signed_otherwise_is_refused_and_said_so(receiver: WebhookReceiver) -> None:
    body, headers = signed({"type": "claim.opened", "data": {"request": {}}})
    answer = httpx.post(receiver.url, content=body + b" ", headers=headers)
    assert answer.status_code == 400
    assert receiver.log[0].startswith("[webhook] NOT verified")
