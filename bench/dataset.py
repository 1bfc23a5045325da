"""Loads a realistic table: many customers, RMAs spread over time, in every common status.

RMAs are opened and moved by the real RmaService and RmaRepository, writing into a
RecordingDynamoDB; the recorded items are then batch-written to the table. The table therefore
holds exactly what the repository writes, without three round trips per RMA.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.payloads import create_rma_body, customer_email
from bench.recording import Item, RecordingDynamoDB
from chalicelib.api.models.admin import CreateRmaRequest
from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel, ProcessingStatus
from chalicelib.domain.transitions import Action
from chalicelib.repositories.rma_repository import RmaRepository
from chalicelib.services.rma_service import RmaService

# BatchWriteItem takes at most 25 requests.
_BATCH_SIZE = 25

_ADMIN = Actor(channel=Channel.ADMIN)
_AGENT = Actor(channel=Channel.GORGIAS, id="7", email="alex@example.com", name="Alex")

# How far each RMA goes, in turn: a fifth stays NEW, two fifths wait for a decision (REQUESTED),
# the rest are decided.
_LIFECYCLES: tuple[tuple[Action, ...], ...] = (
    (),
    (Action.SUBMIT,),
    (Action.SUBMIT,),
    (Action.SUBMIT, Action.ACCEPT),
    (Action.SUBMIT, Action.REJECT),
)
_ACTORS = {Action.SUBMIT: _ADMIN, Action.ACCEPT: _AGENT, Action.REJECT: _AGENT}
_NOTES = {Action.REJECT: "Outside the return window."}

HEAVY_CUSTOMER = 0
LIGHT_CUSTOMER = 1


@dataclass(frozen=True)
class DatasetSpec:
    """What to load. Customer 0 has `heavy_customer_rmas`, customer 1 `light_customer_rmas`,
    the others share the rest evenly (each has at least one)."""

    rmas: int = 10_000
    customers: int = 1_000
    heavy_customer_rmas: int = 30
    light_customer_rmas: int = 3
    seed: int = 1042
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    # Time between two service calls: 10,000 RMAs (about 22,000 calls) span about two years.
    clock_step: timedelta = timedelta(minutes=45)


@dataclass(frozen=True)
class Dataset:
    spec: DatasetSpec
    heavy_customer: str
    light_customer: str
    # Return numbers of the RMAs left waiting for a decision, oldest first.
    requested_numbers: tuple[int, ...]
    # When the newest RMA was opened: "now" for the list of every return, which starts at
    # the current month.
    last_opened_at: datetime
    items_written: int
    batch_calls: int
    build_seconds: float
    write_seconds: float


class _SteppingClock:
    """The service's clock: every reading is `step` later than the one before."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self._now = start
        self._step = step

    def __call__(self) -> datetime:
        now = self._now
        self._now += self._step
        return now


def load_dataset(dynamodb: Any, table_name: str, spec: DatasetSpec) -> Dataset:
    """Open and move `spec.rmas` RMAs through the service, then batch-write what it stored."""
    started = time.perf_counter()
    recorder = RecordingDynamoDB()
    rng = random.Random(spec.seed)  # noqa: S311 - reproducible data, not secrets
    service = RmaService(
        RmaRepository(table_name, recorder),
        clock=_SteppingClock(spec.start, spec.clock_step),
        new_id=lambda: f"{rng.getrandbits(128):032x}",
    )
    requested: list[int] = []
    last_opened_at = spec.start
    for sequence, customer in enumerate(_customer_of_each_rma(spec, rng)):
        request = CreateRmaRequest.model_validate(create_rma_body(sequence, customer))
        rma = service.open(request.to_draft(), actor=_ADMIN)
        last_opened_at = rma.created_at
        for action in _LIFECYCLES[sequence % len(_LIFECYCLES)]:
            rma = service.act(rma.id, action, actor=_ACTORS[action], note=_NOTES.get(action))
        if rma.processing_status is ProcessingStatus.REQUESTED:
            requested.append(rma.return_number)
    built = time.perf_counter()
    items = recorder.items
    batch_calls = batch_write(dynamodb, table_name, items)
    return Dataset(
        spec=spec,
        heavy_customer=customer_email(HEAVY_CUSTOMER),
        light_customer=customer_email(LIGHT_CUSTOMER),
        requested_numbers=tuple(requested),
        last_opened_at=last_opened_at,
        items_written=len(items),
        batch_calls=batch_calls,
        build_seconds=built - started,
        write_seconds=time.perf_counter() - built,
    )


def _customer_of_each_rma(spec: DatasetSpec, rng: random.Random) -> list[int]:
    """The customer of each RMA in creation order, shuffled so customers interleave in time."""
    others = range(LIGHT_CUSTOMER + 1, spec.customers)
    shared = spec.rmas - spec.heavy_customer_rmas - spec.light_customer_rmas
    if shared < len(others):
        raise ValueError(f"{spec.rmas} RMAs cannot give each of {spec.customers} customers one")
    customers = (
        [HEAVY_CUSTOMER] * spec.heavy_customer_rmas
        + [LIGHT_CUSTOMER] * spec.light_customer_rmas
        + [others[n % len(others)] for n in range(shared)]
    )
    rng.shuffle(customers)
    return customers


def batch_write(dynamodb: Any, table_name: str, items: list[Item]) -> int:
    """Put `items` 25 at a time; the number of BatchWriteItem calls it took. The loaded items
    stand for history, written before anything consumed the table's stream: they are kept out
    of it (moto would serialize every item once more for a stream no one reads here)."""
    from local.moto_support import stream_paused

    with stream_paused(table_name):
        return _batch_write(dynamodb, table_name, items)


def _batch_write(dynamodb: Any, table_name: str, items: list[Item]) -> int:
    calls = 0
    for start in range(0, len(items), _BATCH_SIZE):
        batch = items[start : start + _BATCH_SIZE]
        pending: dict[str, Any] = {table_name: [{"PutRequest": {"Item": item}} for item in batch]}
        # Moto never throttles; against DynamoDB, unprocessed items would need a backoff here.
        while pending:
            calls += 1
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})
    return calls
