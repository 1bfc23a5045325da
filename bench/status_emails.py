"""What the status email job costs: DynamoDB items read per email sent, and SES calls per email,
on a table of many RMAs of which a few have an email due.

Two RMAs are made by the real RmaService into a RecordingDynamoDB, their events handed to the
status emails' subscriber: a draft (nothing due) and a submitted one (its request email due).
Their items are copied under fresh ids, which stand everywhere the id stood, and batch-written:
the table holds what the repository writes without opening 100,000 RMAs one by one. Nothing here
knows the item layout.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from bench.counting import DynamoDBCallCounter, Usage
from bench.dataset import batch_write
from bench.payloads import create_rma_body
from bench.recording import Item, RecordingDynamoDB
from chalicelib.api.models.admin import CreateRmaRequest
from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action
from chalicelib.repositories.email_outbox import EmailOutbox
from chalicelib.repositories.return_events import event_from_image, is_event_item
from chalicelib.repositories.rma_repository import RmaRepository
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY
from chalicelib.services.rma_service import RmaService
from chalicelib.services.status_emails_due import StatusEmailsDue

ITEMS_READ_PER_EMAIL_TARGET = 1.05
SES_CALLS_PER_EMAIL_TARGET = 1.0
_ADMIN = Actor(channel=Channel.ADMIN)
# Copies are numbered ids (`000…0001`), which never meet this one.
_TEMPLATE_ID = "f" * 32


@dataclass(frozen=True)
class StatusEmailCost:
    rmas: int
    due: int
    runs: int
    emails_sent: int
    ses_calls: int
    dynamodb: Usage
    load_seconds: float

    @property
    def items_read_per_email(self) -> float:
        return self.dynamodb.items_read / max(1, self.emails_sent)

    @property
    def ses_calls_per_email(self) -> float:
        return self.ses_calls / max(1, self.emails_sent)

    @property
    def ok(self) -> bool:
        return (
            self.emails_sent == self.due
            and self.items_read_per_email <= ITEMS_READ_PER_EMAIL_TARGET
            and self.ses_calls_per_email == SES_CALLS_PER_EMAIL_TARGET
            and self.dynamodb.calls.get("Scan", 0) == 0
        )


def measure_status_emails(rmas: int = 100_000, due_every: int = 100) -> StatusEmailCost:
    """Load `rmas` RMAs, one in `due_every` with its request email due, then run the job until
    nothing is due. Call inside `moto_table`."""
    from chalicelib.repositories.aws import client
    from chalicelib.services import container
    from chalicelib.settings import get_settings

    settings = get_settings()
    started = time.perf_counter()
    draft, submitted = _template_items(settings.table_name)
    items = [
        item
        for n in range(rmas)
        for item in _copy(submitted if n % due_every == 0 else draft, f"{n:032x}")
    ]
    dynamodb = client("dynamodb")
    batch_write(dynamodb, settings.table_name, items)
    load_seconds = time.perf_counter() - started

    ses = client("ses")
    ses.verify_email_identity(EmailAddress=settings.sender_email)
    ses_calls: Counter[str] = Counter()
    ses.meta.events.register(
        "before-parameter-build.ses.*",
        lambda model, **_: ses_calls.update([model.name]),
        unique_id="bench-count-ses",
    )
    counter = DynamoDBCallCounter().attach(dynamodb)
    job = container.status_email_job()
    sent, runs = 0, 0
    while True:
        runs += 1
        run = job.run()
        sent += run.sent
        if run.sent == 0:
            break
    return StatusEmailCost(
        rmas=rmas,
        due=len(range(0, rmas, due_every)),
        runs=runs,
        emails_sent=sent,
        ses_calls=sum(ses_calls.values()),
        dynamodb=counter.usage(),
        load_seconds=load_seconds,
    )


def _template_items(table_name: str) -> tuple[list[Item], list[Item]]:
    """The items of a draft RMA and of a submitted one, as the repository writes them and as
    the status emails' subscriber leaves them once it got their events (the events themselves,
    delivered, are not loaded)."""
    made = []
    for submit in (False, True):
        recorder = RecordingDynamoDB()
        service = RmaService(RmaRepository(table_name, recorder), new_id=lambda: _TEMPLATE_ID)
        request = CreateRmaRequest.model_validate(create_rma_body(0, 0))
        rma = service.open(request.to_draft(), actor=_ADMIN)
        if submit:
            service.act(rma.id, Action.SUBMIT, actor=_ADMIN)
        emails_due = StatusEmailsDue(
            EmailOutbox(table_name, recorder), label_follows_approval=False
        )
        deserialize = TypeDeserializer().deserialize
        events = [item for item in recorder.items if is_event_item(_plain(item, deserialize))]
        for event in events:
            emails_due(event_from_image(_plain(event, deserialize)))
        # Only the items keyed by the RMA: counters and the reference would be one per copy.
        made.append(
            [
                item
                for item in recorder.items
                if _TEMPLATE_ID in _key_of(item) and item not in events
            ]
        )
    return made[0], made[1]


def _plain(item: Item, deserialize: Any) -> dict[str, Any]:
    return {name: deserialize(value) for name, value in item.items()}


def _key_of(item: Item) -> str:
    return f"{item[PARTITION_KEY]['S']} {item[SORT_KEY]['S']}"


def _copy(items: list[Item], rma_id: str) -> list[Item]:
    return [json.loads(json.dumps(item).replace(_TEMPLATE_ID, rma_id)) for item in items]


def status_email_summary(cost: StatusEmailCost) -> str:
    calls = ", ".join(f"{n} {op}" for op, n in sorted(cost.dynamodb.calls.items()))
    verdict = "OK" if cost.ok else "FAIL"
    return "\n".join(
        [
            f"Status emails: {cost.rmas:,} RMAs, {cost.due:,} with an email due "
            f"(loaded in {cost.load_seconds:.1f} s); {cost.runs} runs sent {cost.emails_sent:,}",
            f"  DynamoDB items read per email  {cost.items_read_per_email:.3f}   "
            f"target <= {ITEMS_READ_PER_EMAIL_TARGET}",
            f"  SES calls per email            {cost.ses_calls_per_email:.3f}   "
            f"target {SES_CALLS_PER_EMAIL_TARGET:.0f}",
            f"  DynamoDB calls, all runs: {calls}  {verdict}",
        ]
    )
