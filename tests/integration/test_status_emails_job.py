"""Specification of the status email job: every status change a shopper cares about is emailed
once, in their language, oldest first; failures leave it due; the job never Scans.

On moto's DynamoDB and SES (sent emails are read back from moto's outbox). A failing address is
an `EmailSender` at the boundary that refuses it and hands every other email to SES.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from bench.counting import DynamoDBCallCounter
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action
from chalicelib.integrations.email import EmailMessage, EmailNotSentError, SesEmailSender
from chalicelib.notifications.brand import brand_from
from chalicelib.repositories.aws import client
from chalicelib.repositories.email_outbox import EmailOutbox
from chalicelib.services import container
from chalicelib.services.status_email_job import StatusEmailJob, StatusEmailRun
from chalicelib.settings import get_settings
from tests.support import deliver_return_events, reconfigure, sent_emails

AGENT = Actor(channel=Channel.GORGIAS, id="7", name="Alex")
JANE = "jane.doe@example.com"
CHLOE = "chloe@example.fr"


def sent_to(address: str) -> list[str]:
    """The subjects of the emails sent to `address`, oldest first."""
    return [m.subject for m in sent_emails() if m.destinations["ToAddresses"] == [address]]


def run_job(sender: Any | None = None) -> StatusEmailRun:
    """One run of the job as the schedule runs it, optionally through another sender, once
    the return events so far have made their emails due."""
    deliver_return_events()
    if sender is None:
        return container.status_email_job().run()
    settings = get_settings()
    return StatusEmailJob(
        EmailOutbox(settings.table_name),
        sender,
        container.policy_service().current,
        brand=brand_from(settings),
        batch_size=settings.status_email_batch_size,
        max_attempts=settings.status_email_max_attempts,
    ).run()


class RefusingSender:
    """SES, except for the addresses in `refused`, which fail as an SES refusal does."""

    def __init__(self, *refused: str) -> None:
        self._ses = SesEmailSender(get_settings().sender_email)
        self.refused = set(refused)
        self.tried: list[str] = []

    def send(self, recipient: str, message: EmailMessage) -> None:
        self.tried.append(recipient)
        if recipient in self.refused:
            raise EmailNotSentError("SES refused the email: MessageRejected")
        self._ses.send(recipient, message)


class ChangingSender:
    """SES; while the first email is being sent, `change` happens to its return."""

    def __init__(self, change: Callable[[], Any]) -> None:
        self._ses = SesEmailSender(get_settings().sender_email)
        self._change: Callable[[], Any] | None = change

    def send(self, recipient: str, message: EmailMessage) -> None:
        if self._change is not None:
            change, self._change = self._change, None
            change()
        self._ses.send(recipient, message)


def subject(rma: Rma, wording: str) -> str:
    return wording.format(merchant=get_settings().merchant_name, reference=rma.return_reference)


# --- Each change, one email -------------------------------------------------------------------


def test_every_change_a_shopper_cares_about_is_emailed_once_in_their_language(
    ses: Any, open_rma: Callable[..., Rma], rma_service: Any
) -> None:
    # Given an English shopper whose return was submitted and approved, and a French shopper
    # whose return was submitted and rejected, with a reason
    jane = open_rma(JANE)
    rma_service.act(jane.id, Action.ACCEPT, actor=AGENT)
    chloe = open_rma(CHLOE, customer={"email": CHLOE, "name": "Chloé", "locale": "fr-FR"})
    rma_service.act(chloe.id, Action.REJECT, actor=AGENT, note="Article porté")

    # When the job runs
    run = run_job()

    # Then each change is emailed, in the shopper's language, oldest first
    assert run == StatusEmailRun(sent=4)
    assert sent_to(JANE) == [
        subject(jane, "{merchant}: we received your return request {reference}"),
        subject(jane, "{merchant}: your return {reference} is approved"),
    ]
    assert sent_to(CHLOE) == [
        subject(chloe, "{merchant} : nous avons reçu votre demande de retour {reference}"),
        subject(chloe, "{merchant} : votre retour {reference} n'a pas été accepté"),
    ]
    # And the rejection quotes its reason; replies go to the support address
    assert "Article porté" in sent_emails()[-1].body
    # And a second run sends nothing again
    assert run_job() == StatusEmailRun()
    assert len(sent_emails()) == 4


def test_a_draft_and_changes_the_shopper_does_not_care_about_send_nothing(
    ses: Any, open_rma: Callable[..., Rma], rma_service: Any
) -> None:
    # Given a draft never submitted, and a return put on hold then resumed after its request
    # was emailed
    open_rma(submitted=False)
    held = open_rma("bob@example.com")
    run_job()
    rma_service.act(held.id, Action.HOLD, actor=AGENT)
    rma_service.act(held.id, Action.RESUME, actor=AGENT)
    # When the job runs again, Then nothing more is sent
    assert run_job() == StatusEmailRun()
    assert [m.destinations["ToAddresses"] for m in sent_emails()] == [["bob@example.com"]]


def test_a_change_made_while_its_email_is_sent_stays_due_for_the_next_run(
    ses: Any, open_rma: Callable[..., Rma], rma_service: Any
) -> None:
    # Given a submitted return whose shopper cancels it while the request email is being sent
    rma = open_rma()
    shopper = Actor(channel=Channel.PORTAL, email=JANE)
    sender = ChangingSender(lambda: rma_service.act(rma.id, Action.CANCEL, actor=shopper))

    # When the job runs, and runs again
    first = run_job(sender)
    second = run_job()

    # Then the request email went out in the first run, and the cancellation in the next
    assert (first.sent, second.sent) == (1, 1)
    assert sent_to(JANE) == [
        subject(rma, "{merchant}: we received your return request {reference}"),
        subject(rma, "{merchant}: your return {reference} was canceled"),
    ]


# --- Failures ---------------------------------------------------------------------------------


def test_when_ses_refuses_every_email_they_stay_due_and_the_run_stops_early(
    ses: Any, open_rma: Callable[..., Rma]
) -> None:
    # Given five submitted returns and SES refusing to send (the sender is not verified)
    for n in range(5):
        open_rma(f"shopper{n}@example.com")
    ses.delete_identity(Identity=get_settings().sender_email)

    # When the job runs
    run = run_job()

    # Then nothing is sent, and the run gives up after a few failures rather than spend every
    # email's attempts
    assert run == StatusEmailRun(retried_later=3, stopped_early=True)
    assert sent_emails() == []

    # When SES works again, Then the next run sends each email once
    ses.verify_email_identity(EmailAddress=get_settings().sender_email)
    assert run_job() == StatusEmailRun(sent=5)
    assert run_job() == StatusEmailRun()
    assert sorted(m.destinations["ToAddresses"][0] for m in sent_emails()) == [
        f"shopper{n}@example.com" for n in range(5)
    ]


def test_an_address_that_keeps_failing_is_set_aside_without_holding_up_the_others(
    ses: Any,
    open_rma: Callable[..., Rma],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given two tries per email, and a shopper whose address SES refuses among others
    reconfigure(monkeypatch, STATUS_EMAIL_MAX_ATTEMPTS="2")
    bounced = "bounced@example.com"
    open_rma(bounced)
    open_rma(JANE)
    sender = RefusingSender(bounced)

    # When the job runs three times
    runs = [run_job(sender) for _ in range(3)]

    # Then the others are sent at once, and the failing email is tried twice, then set aside
    assert runs == [
        StatusEmailRun(sent=1, retried_later=1),
        StatusEmailRun(set_aside=1),
        StatusEmailRun(),
    ]
    assert sender.tried == [bounced, JANE, bounced]
    assert len(sent_to(JANE)) == 1
    # And the logs never show the address
    assert bounced not in capsys.readouterr().out


class ThrottledSender:
    """SES throttling the first `times` sends, then taking them."""

    def __init__(self, times: int) -> None:
        self._ses = SesEmailSender(get_settings().sender_email)
        self.times = times

    def send(self, recipient: str, message: EmailMessage) -> None:
        if self.times > 0:
            self.times -= 1
            raise EmailNotSentError("SES refused the email: Throttling", transient=True)
        self._ses.send(recipient, message)


def test_throttling_never_uses_up_an_emails_tries(
    ses: Any, open_rma: Callable[..., Rma], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two tries per email, and SES throttling the first three sends
    reconfigure(monkeypatch, STATUS_EMAIL_MAX_ATTEMPTS="2")
    open_rma(JANE)
    sender = ThrottledSender(times=3)

    # When the job runs four times
    runs = [run_job(sender) for _ in range(4)]

    # Then the email waits through the throttling, is never set aside, and goes out once
    assert runs == [StatusEmailRun(retried_later=1)] * 3 + [StatusEmailRun(sent=1)]
    assert len(sent_to(JANE)) == 1


def damage_due_email(email: str, damage: Callable[[dict[str, Any]], None]) -> None:
    """Change the stored due email of `email`'s return as an older release may have left it."""
    deliver_return_events()
    dynamodb, table = client("dynamodb"), os.environ["TABLE_NAME"]
    [item] = [
        item
        for item in dynamodb.query(
            TableName=table,
            IndexName="email-due-index",
            KeyConditionExpression="due_pk = :due",
            ExpressionAttributeValues={":due": {"S": "EMAIL_DUE"}},
        )["Items"]
        if item["rma"]["M"]["customer"]["M"]["email"]["S"] == email
    ]
    damage(item)
    dynamodb.put_item(TableName=table, Item=item)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda item: item["rma"]["M"].pop("lines"), id="snapshot-unreadable"),
        pytest.param(lambda item: item.update(kind={"S": "GONE"}), id="cannot-render"),
    ],
)
def test_an_email_that_can_never_be_sent_is_set_aside_at_once_without_blocking_the_others(
    ses: Any,
    open_rma: Callable[..., Rma],
    damage: Callable[[dict[str, Any]], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given two due emails, the older of which can no longer be read or rendered
    broken = "broken@example.com"
    open_rma(broken)
    open_rma(JANE)
    damage_due_email(broken, damage)

    # When the job runs twice
    runs = [run_job(), run_job()]

    # Then the broken one is set aside at once, the other sent, and nothing is left
    assert runs == [StatusEmailRun(sent=1, set_aside=1), StatusEmailRun()]
    assert len(sent_to(JANE)) == 1
    assert sent_to(broken) == []
    # And the logs never show the address
    assert broken not in capsys.readouterr().out


def test_a_failed_email_holds_back_the_later_ones_of_its_return_to_keep_their_order(
    ses: Any, open_rma: Callable[..., Rma], rma_service: Any
) -> None:
    # Given a return submitted then approved, and SES refusing its shopper's first email once
    rma = open_rma()
    rma_service.act(rma.id, Action.ACCEPT, actor=AGENT)
    sender = RefusingSender(JANE)

    # When the job runs with the failure, then again without it
    first = run_job(sender)
    second = run_job()

    # Then the approval waited for the request email, and both went out in order
    assert first == StatusEmailRun(retried_later=1, skipped=1)
    assert second == StatusEmailRun(sent=2)
    assert sent_to(JANE) == [
        subject(rma, "{merchant}: we received your return request {reference}"),
        subject(rma, "{merchant}: your return {reference} is approved"),
    ]


class CrashingSender:
    """A run that dies while sending (a Lambda timeout, a bug): the error is not SES's."""

    def send(self, recipient: str, message: EmailMessage) -> None:
        raise RuntimeError("the run died")


def test_an_email_whose_run_died_waits_out_the_hold_then_counts_the_attempt(
    ses: Any, open_rma: Callable[..., Rma], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two tries per email, and a run that died while sending a return's request email
    reconfigure(monkeypatch, STATUS_EMAIL_MAX_ATTEMPTS="2")
    open_rma()
    crashed_at = datetime.now(UTC)
    with pytest.raises(RuntimeError):
        run_job(CrashingSender())

    # When the next run comes five minutes later, Then the email is still held: not tried
    with time_machine.travel(crashed_at + timedelta(minutes=5), tick=False):
        assert run_job() == StatusEmailRun(skipped=1)
    # When a run comes once the hold ran out, and dies again
    with (
        time_machine.travel(crashed_at + timedelta(minutes=20), tick=False),
        pytest.raises(RuntimeError),
    ):
        run_job(CrashingSender())
    # Then the run after that sets the email, out of tries, aside rather than die on it again
    with time_machine.travel(crashed_at + timedelta(minutes=40), tick=False):
        assert run_job() == StatusEmailRun(set_aside=1)
        assert run_job() == StatusEmailRun()
    assert sent_emails() == []


# --- Cost -------------------------------------------------------------------------------------


def test_the_job_reads_one_item_per_email_and_never_scans(
    ses: Any, open_rma: Callable[..., Rma], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given twelve due emails, and runs of five at most
    reconfigure(monkeypatch, STATUS_EMAIL_BATCH_SIZE="5")
    for n in range(12):
        open_rma(f"shopper{n}@example.com")
    deliver_return_events()
    counter = DynamoDBCallCounter().attach(client("dynamodb"))

    # When the job runs until nothing is due
    runs = [run_job() for _ in range(4)]

    # Then each run sent its five (the last the rest), reading exactly the items it sent, with
    # Queries of the due index, a claim and a "sent" mark per email, and no Scan
    assert [run.sent for run in runs] == [5, 5, 2, 0]
    usage = counter.usage()
    assert usage.items_read == 12
    assert usage.calls == {"Query": 4, "UpdateItem": 24}


# --- Through the schedule, with the lifecycle -------------------------------------------------


def test_the_scheduled_handler_sends_the_emails_due(ses: Any, open_rma: Callable[..., Rma]) -> None:
    # Given a submitted return, its event delivered
    open_rma()
    deliver_return_events()
    from chalice.test import Client

    from app import app

    # When the schedule fires
    with Client(app, stage_name="test") as chalice:
        event = chalice.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        result = chalice.lambda_.invoke("send_status_emails", event)

    # Then its email is sent, and the run says so
    assert result.payload == {
        "sent": 1,
        "retried_later": 0,
        "set_aside": 0,
        "skipped": 0,
        "stopped_early": False,
    }
    assert len(sent_to(JANE)) == 1


def test_with_the_lifecycle_the_approval_email_carries_the_return_instructions(
    ses: Any, lifecycle: str, api: Any
) -> None:
    from tests.lifecycle_support import (
        AUTO_APPROVED,
        ITEM_RECEIPT,
        REFUNDED_AUTOMATICALLY,
        ended,
        receive,
        submit_return,
        use_policy,
        waiting_in,
    )

    # Given a return approved by the policy, refunded and completed without a person
    use_policy(auto_execute_financial_resolution=True)
    created = submit_return(api, auto_execute_financial_resolution=True)
    waiting_in(created["id"], ITEM_RECEIPT)
    assert receive(api, created["id"], "BRAND_NEW_WITH_LABEL").status_code == 200
    ended(lifecycle, created["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])

    # When the job runs
    run_job()

    # Then the shopper got one email per step, the approval once, with its instructions
    rma = container.rma_service().find(created["id"])
    assert sent_to(JANE) == [
        subject(rma, "{merchant}: we received your return request {reference}"),
        subject(rma, "{merchant}: your return {reference} is approved"),
        subject(rma, "{merchant}: we received your parcel for return {reference}"),
        subject(rma, "{merchant}: your refund for return {reference} is on its way"),
        subject(rma, "{merchant}: your return {reference} is complete"),
    ]
    approval = sent_emails()[1].body
    assert rma.return_instructions is not None
    assert rma.return_instructions in approval
