"""Gorgias in tests: its REST API played by respx with the documented shapes, and the queue
between the return events and the tickets and notes, handed to the app's consumer as Lambda's
SQS event source would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx

from chalicelib.repositories.aws import client
from deploy.gorgias_updates import dead_letter_queue_attributes, queue_attributes
from tests.support import deliver_queue, deliver_return_events, reconfigure

GORGIAS_API = "https://acme.gorgias.com/api"
API_USER = "bot@acme.example"


def configure_gorgias(monkeypatch: pytest.MonkeyPatch, **more: str) -> None:
    """Gorgias REST API credentials; any Retry-after is "too long", so no test sleeps."""
    reconfigure(
        monkeypatch,
        GORGIAS_SUBDOMAIN="acme",
        GORGIAS_API_EMAIL=API_USER,
        GORGIAS_API_KEY="key",
        GORGIAS_MAX_RETRY_AFTER_SECONDS="0",
        GORGIAS_BACKGROUND_MAX_RETRY_AFTER_SECONDS="0",
        GORGIAS_MAX_RPS="40",
        **more,
    )


@dataclass(frozen=True)
class GorgiasUpdates:
    """The FIFO queue of updates for Gorgias, as the deployment creates it (no wait between
    tries: a failed message is there again at once)."""

    queue_url: str

    def deliver(self) -> list[dict[str, Any]]:
        """Deliver the return events, then the updates they queued, batch by batch, until the
        queue is empty or a batch reports failures. The consumer's answers."""
        from app import send_gorgias_updates

        deliver_return_events()
        return deliver_queue(self.queue_url, send_gorgias_updates, "send_gorgias_updates")

    def waiting(self) -> int:
        attributes = client("sqs").get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])


def gorgias_updates_queue(monkeypatch: pytest.MonkeyPatch) -> GorgiasUpdates:
    sqs = client("sqs")
    dead_letters = sqs.create_queue(
        QueueName="gorgias-updates-dlq.fifo", Attributes=dead_letter_queue_attributes()
    )["QueueUrl"]
    dead_letters_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName="gorgias-updates.fifo", Attributes=queue_attributes(dead_letters_arn, 0)
    )["QueueUrl"]
    reconfigure(monkeypatch, GORGIAS_UPDATES_QUEUE_URL=queue_url)
    return GorgiasUpdates(queue_url)


def ticket_created(router: respx.MockRouter, ticket_id: int = 9001) -> respx.Route:
    return router.post(f"{GORGIAS_API}/tickets").respond(201, json={"id": ticket_id})


def notes_on(
    router: respx.MockRouter,
    ticket_id: int,
    answer: httpx.Response | None = None,
    *,
    name: str | None = None,
) -> respx.Route:
    return router.post(f"{GORGIAS_API}/tickets/{ticket_id}/messages", name=name).mock(
        return_value=answer or httpx.Response(201, json={"id": 1})
    )


def posted(route: respx.Route) -> list[dict[str, Any]]:
    """The JSON bodies a route received, in order."""
    return [json.loads(call.request.content) for call in route.calls]
