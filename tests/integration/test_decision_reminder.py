"""Specification of the daily reminder: the support address is told which returns wait for an
agent's decision longer than the policy allows, oldest first.

On moto's DynamoDB and SES; time-machine sets when each return was opened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from bench.counting import DynamoDBCallCounter
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action
from chalicelib.repositories.aws import client
from chalicelib.services import container
from chalicelib.services.decision_reminder import DecisionReminderRun
from chalicelib.settings import get_settings
from tests.support import reconfigure, sent_emails

AGENT = Actor(channel=Channel.GORGIAS, id="7", name="Alex")
NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


@pytest.fixture
def returns(ses: Any, open_rma: Callable[..., Rma], rma_service: Any) -> dict[str, Rma]:
    """Returns opened days before NOW (the policy allows agents two days), by what became of
    them."""

    def opened(days_ago: float, name: str, **kw: Any) -> Rma:
        with time_machine.travel(NOW - timedelta(days=days_ago), tick=False):
            return open_rma(f"{name.lower()}@example.com", customer=customer(name), **kw)

    made = {
        "waiting 5 days": opened(5, "Ana"),
        "waiting 3 days": opened(3, "Ben"),
        "waiting 1 day": opened(1, "Cleo"),
        "held 4 days": opened(4, "Dan"),
        "approved": opened(6, "Eve"),
        "draft": opened(6, "Finn", submitted=False),
    }
    rma_service.act(made["held 4 days"].id, Action.HOLD, actor=AGENT)
    rma_service.act(made["approved"].id, Action.ACCEPT, actor=AGENT)
    return made


def customer(name: str) -> dict[str, str]:
    return {"email": f"{name.lower()}@example.com", "name": name, "locale": "en"}


def remind() -> DecisionReminderRun:
    with time_machine.travel(NOW, tick=False):
        return container.decision_reminder().run()


def listed_references(text: str, returns: dict[str, Rma]) -> list[str]:
    """Which of `returns` the reminder names, in the order it names them."""
    named = [(text.find(rma.return_reference), key) for key, rma in returns.items()]
    return [key for position, key in sorted(named) if position >= 0]


def test_the_support_address_is_told_of_returns_waiting_too_long_oldest_first(
    returns: dict[str, Rma],
) -> None:
    # Given returns waiting for a decision for 5, 4 (on hold) and 3 days, one for 1 day, one
    # approved and a draft
    # When the daily reminder runs
    run = remind()

    # Then the support address gets one email naming the three waiting longer than two days,
    # oldest first, with their customer and how long they have waited
    assert run == DecisionReminderRun(overdue=3, listed=3, sent=True)
    [email] = sent_emails()
    assert email.destinations["ToAddresses"] == [get_settings().support_email]
    assert email.subject == (
        f"{get_settings().merchant_name}: 3 returns waiting for a decision for more than 2 days"
    )
    assert listed_references(email.body, returns) == [
        "waiting 5 days",
        "held 4 days",
        "waiting 3 days",
    ]
    for fact in ("Ana", "Dan", "Ben", "5 days", "4 days", "3 days", "On hold"):
        assert fact in email.body


def test_a_long_list_names_the_oldest_and_says_how_many_more(
    returns: dict[str, Rma], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a reminder limited to two returns
    reconfigure(monkeypatch, DECISION_REMINDER_LIMIT="2")
    # When it runs
    run = remind()
    # Then it names the two oldest and counts the third
    assert run == DecisionReminderRun(overdue=3, listed=2, sent=True)
    [email] = sent_emails()
    assert listed_references(email.body, returns) == ["waiting 5 days", "held 4 days"]
    assert "and 1 more" in email.body


def test_nothing_overdue_sends_nothing(ses: Any, open_rma: Callable[..., Rma]) -> None:
    # Given a return submitted an hour ago
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        open_rma()
    # When the reminder runs, Then no email is sent
    assert remind() == DecisionReminderRun(overdue=0, listed=0, sent=False)
    assert sent_emails() == []


def test_the_wait_counts_from_the_submission_not_the_draft(
    ses: Any, open_rma: Callable[..., Rma], rma_service: Any
) -> None:
    # Given a draft opened six days ago, submitted one day ago, and one submitted three days ago
    with time_machine.travel(NOW - timedelta(days=6), tick=False):
        late_draft = open_rma("gus@example.com", customer=customer("Gus"), submitted=False)
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        waiting = open_rma("hana@example.com", customer=customer("Hana"))
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        rma_service.act(late_draft.id, Action.SUBMIT, actor=AGENT)

    # When the reminder runs
    run = remind()

    # Then only the return waiting three days since its submission is named, with that wait
    assert run == DecisionReminderRun(overdue=1, listed=1, sent=True)
    [email] = sent_emails()
    assert waiting.return_reference in email.body
    assert late_draft.return_reference not in email.body
    assert "3 days" in email.body


def test_the_reminder_queries_the_status_index_and_never_scans(
    returns: dict[str, Rma],
) -> None:
    # Given the returns above, and DynamoDB calls counted
    counter = DynamoDBCallCounter().attach(client("dynamodb"))
    # When the reminder runs
    remind()
    # Then it made one Query per waiting status (plus the policy's read), reading the returns
    # it names and, of the held ones, only those held before a decision
    usage = counter.usage()
    assert usage.calls.get("Query") == 2
    assert set(usage.calls) <= {"Query", "GetItem"}
    assert usage.items_read <= 4
