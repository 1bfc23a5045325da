"""Specification of return events: one event per change, written in the change's transaction,
delivered from the table's stream (moto's) to the app's consumer, and from it to every
subscriber — the lifecycle's hand-offs and the status emails — which a failure never loses and
a redelivery never doubles."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from app import handle_return_events
from chalicelib.domain.events import ReturnEventType
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import Action, decide
from chalicelib.errors import ConcurrentModificationError
from chalicelib.repositories.aws import client
from chalicelib.repositories.table_schema import PARTITION_KEY
from chalicelib.services import container
from local.sqs_events import LocalLambdaContext
from local.stream_events import StreamDelivery, lambda_record, streams_client
from tests.lifecycle_support import (
    AGENT_DECIDED,
    AGENT_DECISION,
    ITEM_RECEIPT,
    LABEL_ISSUED,
    REQUEST,
    admin_action,
    agents_decide,
    ended,
    gorgias_decision,
    still_running,
    submit_return,
    waiting_in,
)

AGENT = Actor(channel=Channel.GORGIAS, id="7", name="Alex")
TABLE = "returns-desk-test"


def throttled_once(operation: str) -> dict[str, int]:
    """Step Functions refusing the first call of `operation` for load, after the SDK's own
    retries (which a before-call hook bypasses). How many calls were made."""
    calls = {"calls": 0}

    def throttle(**_: Any) -> None:
        calls["calls"] += 1
        if calls["calls"] == 1:
            error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
            raise ClientError(error, operation)  # type: ignore[arg-type]

    client("stepfunctions").meta.events.register(
        f"before-call.states.{operation}", throttle, unique_id=f"throttle-{operation}"
    )
    return calls


def stored_events(rma_id: str) -> list[dict[str, Any]]:
    """The event items of a return, oldest first, as plain documents."""
    from boto3.dynamodb.types import TypeDeserializer

    items = client("dynamodb").query(
        TableName=TABLE,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": PARTITION_KEY},
        ExpressionAttributeValues={":pk": {"S": f"CHANGES#{rma_id}"}},
    )["Items"]
    deserialize = TypeDeserializer().deserialize
    return [{name: deserialize(value) for name, value in item.items()} for item in items]


def stream_records() -> list[dict[str, Any]]:
    """Every record of the table's stream so far, as Lambda hands them over."""
    streams = streams_client()
    arn = streams.list_streams(TableName=TABLE)["Streams"][0]["StreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return [lambda_record(record, arn) for record in records]


def consume(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One invocation of the app's stream consumer."""
    response: dict[str, Any] = handle_return_events(
        {"Records": records}, LocalLambdaContext(function_name="handle_return_events")
    )
    return response


def due_email_kinds(rma: Rma) -> list[str]:
    return [due.kind for due in container.email_outbox().due_status_emails(50) if due.rma == rma]


# --- Written with the change ------------------------------------------------------------------


def test_every_change_writes_one_event_with_the_return_as_it_left_it(
    open_rma: Callable[..., Rma], rma_service: Any
) -> None:
    # Given a return opened, submitted and approved by an agent
    rma = open_rma()
    approved = rma_service.act(rma.id, Action.ACCEPT, actor=AGENT, note="Fine")

    # Then each change left one event, named after it, in the order of the versions
    events = stored_events(rma.id)
    assert [(e["type"], e["version"]) for e in events] == [
        ("return.created", 1),
        ("return.requested", 2),
        ("return.approved", 3),
    ]
    last = events[-1]
    assert last["id"] == f"{rma.id}:3"
    assert (last["actor"]["channel"], last["note"]) == ("gorgias", "Fine")
    assert last["previous"]["processing_status"] == "REQUESTED"
    assert last["rma"]["processing_status"] == "ACCEPTED"
    assert Rma.model_validate(last["rma"]) == approved
    # And it goes away a week after the change, long after the stream delivered it
    assert last["expires_at"] > approved.updated_at.timestamp() + 6 * 24 * 3600


def test_a_refused_change_writes_no_event_and_streams_nothing(
    open_rma: Callable[..., Rma], rma_service: Any, repository: Any
) -> None:
    # Given a return, and a write made from a version someone else changed meanwhile
    rma = open_rma()
    stale = rma_service.find(rma.id)
    rma_service.act(rma.id, Action.HOLD, actor=AGENT)
    records_before = len(stream_records())

    # When an approval made from the stale version is written
    approved, entries = decide(stale, Action.ACCEPT, actor=AGENT, at=stale.updated_at)
    with pytest.raises(ConcurrentModificationError):
        rma_service.save(approved, *entries, before=stale)

    # Then no event is written, and nothing of the transaction reached the stream
    assert [e["type"] for e in stored_events(rma.id)][-1] == "return.on_hold"
    assert len(stream_records()) == records_before


def test_bookkeeping_no_one_did_publishes_nothing(
    open_rma: Callable[..., Rma], rma_service: Any
) -> None:
    # Given a submitted return, When a write without a log entry keeps a token on it
    from chalicelib.domain.rma import revised

    rma = open_rma()
    rma_service.save(revised(rma, task_token="token", version=rma.version + 1), before=rma)

    # Then no event tells of it
    assert [e["version"] for e in stored_events(rma.id)] == [1, 2]


# --- Delivered to the subscribers -------------------------------------------------------------


def test_the_consumer_makes_the_status_email_of_each_change_due_once(
    open_rma: Callable[..., Rma], rma_service: Any, return_events: StreamDelivery
) -> None:
    # Given a return submitted then approved
    rma = open_rma()
    approved = rma_service.act(rma.id, Action.ACCEPT, actor=AGENT)

    # When the stream is delivered, and every record of it is delivered once more
    delivery = return_events.deliver()
    again = consume(stream_records())

    # Then the approval's email is due once, and the redelivery changed nothing
    assert delivery.failed_batches == 0
    assert again == {"batchItemFailures": []}
    assert due_email_kinds(approved) == ["APPROVED"]
    assert len(list(container.email_outbox().due_status_emails(50))) == 2


def test_an_email_already_sent_is_not_made_due_again_by_a_redelivered_event(
    open_rma: Callable[..., Rma], ses: Any, return_events: StreamDelivery
) -> None:
    # Given a submitted return whose request email was sent
    open_rma()
    return_events.deliver()
    assert container.status_email_job().run().sent == 1

    # When its events are delivered again
    consume(stream_records())

    # Then nothing is due
    assert list(container.email_outbox().due_status_emails(50)) == []


def test_records_that_are_no_event_are_passed_over(open_rma: Callable[..., Rma]) -> None:
    # Given the stream of a return opened and submitted: counters, claims, the RMA, its log
    # entries, and its two events
    open_rma()
    records = stream_records()
    assert len(records) > 2

    # When the consumer gets them all, Then only the events count, and nothing fails
    assert consume(records) == {"batchItemFailures": []}
    assert [due.kind for due in container.email_outbox().due_status_emails(50)] == [
        "REQUEST_RECEIVED"
    ]


def test_an_event_that_no_longer_reads_is_reported_not_retried_forever(
    open_rma: Callable[..., Rma], caplog: pytest.LogCaptureFixture
) -> None:
    # Given an event record whose return does not read as one any more
    open_rma()
    records = stream_records()
    event_records = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("CHANGES#")]
    damaged = json.loads(json.dumps(event_records[-1]))
    damaged["dynamodb"]["NewImage"]["rma"]["M"]["lines"] = {"L": []}

    # When the consumer gets it, Then it is reported (logged with its key) and not failed
    assert consume([damaged]) == {"batchItemFailures": []}
    assert "Stored item unreadable" in caplog.text


def test_a_failing_subscriber_fails_its_record_and_those_after_it_are_kept_for_the_retry(
    open_rma: Callable[..., Rma], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two returns' events, and the email outbox refusing writes for the first return
    first = open_rma("a@example.com")
    open_rma("b@example.com")
    outbox = container.email_outbox()
    add = outbox.add

    def refusing(rma: Rma, kind: str, reason: str | None = None) -> bool:
        if rma.id == first.id:
            raise RuntimeError("DynamoDB is unreachable")
        return add(rma, kind, reason)

    monkeypatch.setattr(outbox, "add", refusing)
    events = [
        r for r in stream_records() if r["dynamodb"]["Keys"]["pk"]["S"].startswith("CHANGES#")
    ]

    # When the consumer gets the four (created, requested, for each), Then the first return's
    # request, the one owing an email, is reported failed by its sequence number; the other
    # return's email is due
    response = consume(events)
    assert response["batchItemFailures"] == [
        {"itemIdentifier": events[1]["dynamodb"]["SequenceNumber"]}
    ]
    [due] = list(outbox.due_status_emails(50))
    assert due.rma is not None
    assert due.rma.customer.email == "b@example.com"


# --- The lifecycle's hand-offs, throttled ----------------------------------------------------


def test_a_throttled_start_answers_200_and_the_stream_starts_the_lifecycle(
    api: Any, lifecycle: str
) -> None:
    # Given Step Functions throttling the first StartExecution
    agents_decide()
    starts = throttled_once("StartExecution")

    # When a return is submitted (submit_return asserts the 200)
    rma = submit_return(api)

    # Then the stream delivers its event again until the lifecycle starts and waits for an agent
    waiting_in(rma["id"], AGENT_DECISION)
    assert starts["calls"] == 2
    still_running(lifecycle, rma["id"], [*REQUEST, "WaitForAgentDecision"])


def test_a_throttled_decision_hand_off_answers_200_and_the_lifecycle_still_resumes(
    api: Any, lifecycle: str
) -> None:
    # Given a return waiting for an agent, and Step Functions throttling the first hand-off
    agents_decide()
    rma = submit_return(api)
    waiting_in(rma["id"], AGENT_DECISION)
    hand_offs = throttled_once("SendTaskSuccess")

    # When an agent approves it from Gorgias
    approved = gorgias_decision(api, "approve", rma["return_reference"])

    # Then the agent's request succeeded, and the lifecycle goes on to the instructions
    assert approved.status_code == 200
    waiting_in(rma["id"], ITEM_RECEIPT)
    assert hand_offs["calls"] == 2
    still_running(lifecycle, rma["id"], [*AGENT_DECIDED, *LABEL_ISSUED])


def test_a_throttled_cancellation_hand_off_still_ends_the_lifecycle(
    api: Any, lifecycle: str
) -> None:
    # Given a return waiting for an agent, and Step Functions throttling the first failure sent
    agents_decide()
    rma = submit_return(api)
    waiting_in(rma["id"], AGENT_DECISION)
    hand_offs = throttled_once("SendTaskFailure")

    # When the merchant cancels it
    assert admin_action(api, rma["id"], "cancel").status_code == 200

    # Then its lifecycle ends as closed once the stream delivers the hand-off again
    ended(lifecycle, rma["id"], "SUCCEEDED", [*REQUEST, "WaitForAgentDecision", "ReturnClosed"])
    assert hand_offs["calls"] == 2


def test_every_event_type_of_a_return_walked_through_the_lifecycle_is_published(
    api: Any, lifecycle: str
) -> None:
    # Given a return auto-approved and waiting for the parcel
    rma = submit_return(api)
    waiting_in(rma["id"], ITEM_RECEIPT)

    # Then its events tell the story in order
    types = [e["type"] for e in stored_events(rma["id"])]
    assert types == [
        ReturnEventType.CREATED,
        ReturnEventType.REQUESTED,
        ReturnEventType.APPROVED,
        ReturnEventType.LABEL_ISSUED,
    ]


def test_the_local_pump_filters_the_stream_as_the_deployed_event_source_does(
    open_rma: Callable[..., Rma],
) -> None:
    from deploy.return_events import RETURN_EVENT_RECORDS
    from local.stream_events import is_return_event_record

    # Given the records of a return opened and submitted
    open_rma()
    records = stream_records()

    # Then the pump keeps exactly the records the template's filter pattern matches
    prefix = RETURN_EVENT_RECORDS["dynamodb"]["Keys"]["pk"]["S"][0]["prefix"]

    def matches_pattern(record: dict[str, Any]) -> bool:
        return record["eventName"] in RETURN_EVENT_RECORDS["eventName"] and record["dynamodb"][
            "Keys"
        ]["pk"]["S"].startswith(prefix)

    kept = [record for record in records if is_return_event_record(record)]
    assert kept == [record for record in records if matches_pattern(record)]
    assert len(kept) == 2
