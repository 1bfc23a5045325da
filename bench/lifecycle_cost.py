"""What the lifecycle costs per return: state transitions, Lambda invocations and DynamoDB work
of the happy path (auto-approved, received, refund approved, completed), priced at public list
prices."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bench.counting import DynamoDBCallCounter, Usage
from bench.moto_table import moto_table

# us-east-1 list prices, November 2026 (Step Functions Standard, Lambda x86, DynamoDB on-demand).
PRICE_PER_STATE_TRANSITION = Decimal("0.000025")
PRICE_PER_LAMBDA_REQUEST = Decimal("0.0000002")
PRICE_PER_GB_SECOND = Decimal("0.0000166667")
PRICE_PER_READ_UNIT = Decimal("0.000000125")
PRICE_PER_WRITE_UNIT = Decimal("0.000000625")
# Assumptions the counts cannot tell: a task Lambda of 512 MB runs about 100 ms warm; an RMA
# item is under 4 KB (1 read unit strongly consistent) and under 2 KB (2 write units, 4 in a
# transaction, which DynamoDB bills twice).
LAMBDA_GB_SECONDS = Decimal("0.5") * Decimal("0.1")
WRITE_UNITS_PER_ITEM = 2
TRANSACTION_FACTOR = 2


@dataclass(frozen=True)
class LifecycleCost:
    returns: int
    state_transitions: float
    lambda_invocations: float
    dynamodb: Usage
    write_units: float

    @property
    def per_thousand(self) -> dict[str, Decimal]:
        per_return = {
            "Step Functions": PRICE_PER_STATE_TRANSITION * Decimal(self.state_transitions),
            "Lambda": (PRICE_PER_LAMBDA_REQUEST + PRICE_PER_GB_SECOND * LAMBDA_GB_SECONDS)
            * Decimal(self.lambda_invocations),
            "DynamoDB": PRICE_PER_READ_UNIT * Decimal(self.dynamodb.items_read / self.returns)
            + PRICE_PER_WRITE_UNIT * Decimal(self.write_units),
        }
        return {name: cost * 1000 for name, cost in per_return.items()}


def measure_lifecycle_cost(table_name: str, returns: int = 5) -> LifecycleCost:
    """Walk `returns` returns down the happy path on moto, running the real definition."""
    from app import handle_return_events
    from chalicelib.repositories.aws import client
    from chalicelib.services import container
    from local.pumps import stream_pump
    from local.step_functions import app_task_handlers, create_lifecycle, run_lambdas_in_process
    from local.stream_events import StreamDelivery, streams_client

    with moto_table(table_name) as dynamodb:
        arn = create_lifecycle(client("stepfunctions"), os.environ["AWS_DEFAULT_REGION"])
        os.environ["LIFECYCLE_STATE_MACHINE_ARN"] = arn
        container.reset()
        invocations: Counter[str] = Counter()
        run_lambdas_in_process(
            {
                name: _counted(name, handler, invocations)
                for name, handler in app_task_handlers().items()
            }
        )
        counter = DynamoDBCallCounter().attach(dynamodb)
        # The return events' consumer is a Lambda of the lifecycle's too: Lambda reads the
        # stream for free, and bills each invocation.
        delivery = StreamDelivery(
            streams_client(),
            table_name,
            _counted("handle_return_events", handle_return_events, invocations),
        )
        pump = stream_pump(delivery, interval=0.02).start()
        try:
            rma_ids = [_walk_happy_path(sequence) for sequence in range(returns)]
            transitions = sum(_state_transitions(arn, rma_id) for rma_id in rma_ids)
        finally:
            pump.stop()
            del os.environ["LIFECYCLE_STATE_MACHINE_ARN"]
        usage = counter.usage()
    # Counters (UpdateItem) and due emails (PutItem), one item each, are the only writes outside
    # transactions.
    single = usage.calls.get("UpdateItem", 0) + usage.calls.get("PutItem", 0)
    in_transactions = usage.items_written - single
    write_units = in_transactions * WRITE_UNITS_PER_ITEM * TRANSACTION_FACTOR + single
    return LifecycleCost(
        returns=returns,
        state_transitions=transitions / returns,
        lambda_invocations=sum(invocations.values()) / returns,
        dynamodb=usage,
        write_units=write_units / returns,
    )


def _counted(name: str, handler: Callable[..., Any], seen: Counter[str]) -> Callable[..., Any]:
    def run(event: dict[str, Any], context: Any) -> Any:
        seen[name] += 1
        return handler(event, context)

    return run


def _walk_happy_path(sequence: int) -> str:
    from bench.payloads import create_rma_body
    from chalicelib.api.models.admin import CreateRmaRequest
    from chalicelib.domain.handling import ReceivedLine
    from chalicelib.domain.rma import Actor
    from chalicelib.domain.statuses import Channel, LifecycleStep, ProductState
    from chalicelib.domain.transitions import Action
    from chalicelib.services import container

    admin = Actor(channel=Channel.ADMIN)
    rmas = container.rma_service()
    # One line, a reason and a value the default policy approves automatically.
    body = {
        **create_rma_body(sequence, customer=sequence),
        "lines": [
            {
                "sku": "TSHIRT-BLUE-M",
                "name": "Blue T-shirt (M)",
                "quantity": 1,
                "unit_price": "25.00",
                "reason": "SIZE_PROBLEM",
            }
        ],
    }
    rma = rmas.open(CreateRmaRequest.model_validate(body).to_draft(), actor=admin)
    rmas.act(rma.id, Action.SUBMIT, actor=admin)
    _wait(lambda: rmas.find(rma.id).waiting_for is LifecycleStep.ITEM_RECEIPT)
    received = [
        ReceivedLine(line.sku, line.quantity, ProductState.BRAND_NEW_WITH_LABEL)
        for line in rma.lines
    ]
    container.handling_service().receive(rma.id, received, actor=admin)
    _wait(lambda: rmas.find(rma.id).waiting_for is LifecycleStep.REFUND_APPROVAL)
    container.handling_service().approve_refund(rma.id, actor=admin)
    _wait(lambda: rmas.find(rma.id).processing_status == "COMPLETE")
    return rma.id


def _state_transitions(state_machine_arn: str, rma_id: str) -> int:
    """Step Functions bills each state entered."""
    from chalicelib.repositories.aws import client

    execution = f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{rma_id}"
    sfn = client("stepfunctions")
    _wait(lambda: sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED")
    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    return sum(1 for event in events if event["type"].endswith("StateEntered"))


def _wait(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the lifecycle did not get there in time")
        time.sleep(0.05)


def cost_summary(cost: LifecycleCost) -> str:
    per_thousand = cost.per_thousand
    calls = ", ".join(f"{n} {op}" for op, n in sorted(cost.dynamodb.calls.items()))
    lines = [
        f"Lifecycle, happy path, per return (mean of {cost.returns}):",
        f"  state transitions   {cost.state_transitions:.0f}",
        f"  Lambda invocations  {cost.lambda_invocations:.0f}",
        f"  DynamoDB            {cost.dynamodb.items_read / cost.returns:.0f} items read, "
        f"{cost.dynamodb.items_written / cost.returns:.0f} items written "
        f"(~{cost.write_units:.0f} write units); all {cost.returns} returns: {calls}",
        "Cost per 1,000 returns (us-east-1 list prices; 512 MB x 100 ms per task, items < 2 KB):",
        *(f"  {name:<16} ${amount:.4f}" for name, amount in per_thousand.items()),
        f"  {'total':<16} ${sum(per_thousand.values()):.4f}",
    ]
    return "\n".join(lines)
