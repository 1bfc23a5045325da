"""What outgoing webhooks and the shop's operations cost, in calls.

Webhooks: a return event handed to its subscriber (services/webhook_subscriber.py) with three
endpoints subscribed to it and one not, then handed over again; and attempts of its deliveries
(services/webhook_delivery.py): one that succeeds, one that fails and is retried. DynamoDB calls
are counted on the app's client, SQS calls on the queue's, and HTTP requests at the sender's
transport (an httpx.MockTransport playing the receiver; names resolve to a public address).
A conditional write refused by its condition is still a call, billed one write unit: those are
counted apart, so that the report says which writes changed nothing.

The shop: a refund, a store credit and an exchange's replacement made by the real clients
against the local stand-in shop (local/shopify_standin.py), counting the HTTP requests it
receives. The replacement is the return events' subscriber (services/replacement_orders.py)
given an approved exchange.
"""

from __future__ import annotations

import math
import socket
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from bench.budgets import Budget
from bench.counting import DynamoDBCallCounter, Usage
from bench.payloads import create_rma_body
from chalicelib.api.models.admin import CreateRmaRequest
from chalicelib.domain.events import ReturnEvent, return_event
from chalicelib.domain.policy import ExchangeShipping, ReturnPolicy
from chalicelib.domain.rma import Actor, FinancialResolution, Rma
from chalicelib.domain.statuses import Channel, FinancialMethod
from chalicelib.domain.transitions import Action
from chalicelib.domain.webhooks import SigningSecret, WebhookEndpoint, new_secret
from chalicelib.integrations.shopify_admin import ShopifyAdmin
from chalicelib.integrations.shopify_exchanges import ShopifyDraftOrders
from chalicelib.integrations.shopify_payments import ShopifyPayments
from chalicelib.integrations.webhook_queue import QueuedDelivery, WebhookQueue, delivery_of_message
from chalicelib.integrations.webhook_sender import WebhookSender
from chalicelib.repositories.webhook_deliveries import WebhookDeliveries
from chalicelib.repositories.webhook_endpoints import WebhookEndpoints
from chalicelib.services.replacement_orders import ReplacementOrders
from chalicelib.services.rma_service import RmaService
from chalicelib.services.webhook_delivery import WebhookDeliveryService
from chalicelib.services.webhook_subscriber import WebhooksDue
from local.shopify_standin import SHOP_DOMAIN, ShopifyStandIn, ShopLine

SUBSCRIBED = 3
# Endpoints listed by the event: the subscribed ones and one that wants other events.
ENDPOINTS = SUBSCRIBED + 1
SQS_BATCH = 10
# Handing the event over: one Query of the endpoints, one conditional PutItem per delivery.
HANDOVER_BUDGET = Budget(
    calls={"Query": 1, "PutItem": SUBSCRIBED},
    max_items_read=ENDPOINTS,
    max_items_written=SUBSCRIBED,
)
HANDOVER_SQS_CALLS = {"SendMessageBatch": math.ceil(SUBSCRIBED / SQS_BATCH)}
# Again: each PutItem refused by its condition, and the delivery it found read back to see
# whether it was ever attempted.
REDELIVERY_BUDGET = Budget(
    calls={"Query": 1, "PutItem": SUBSCRIBED, "GetItem": SUBSCRIBED},
    max_items_read=ENDPOINTS + SUBSCRIBED,
    max_items_written=SUBSCRIBED,
)
# An attempt: the delivery and its endpoint read, the attempt recorded, and the endpoint's
# failing state written when it changes (a first failure, the first success after failures).
ATTEMPT_BUDGET = Budget(
    calls={"GetItem": 2, "UpdateItem": 2}, max_items_read=2, max_items_written=2
)
HTTP_REQUESTS_PER_ATTEMPT = 1
# GraphQL requests: the order then refundCreate; the shop's currency then giftCardCreate; the
# draft order tagged with the return's reference, then draftOrderCreate and draftOrderComplete.
SHOP_REQUESTS = {"refund": 2, "store credit": 2, "replacement order": 3}

_ADMIN = Actor(channel=Channel.ADMIN)
_EVENT = "return.requested"
_PUBLIC_ADDRESS = "93.184.216.34"
_ORDER = "gid://shopify/Order/4910"
_TEE = "gid://shopify/ProductVariant/491001"
_TEE_LARGE = "gid://shopify/ProductVariant/491002"


@dataclass(frozen=True)
class Handover:
    """One handover of the event to the webhooks' subscriber."""

    dynamodb: Usage
    # Conditional writes refused by their condition: calls that changed nothing.
    refused_writes: int
    sqs_calls: dict[str, int]
    queued: list[QueuedDelivery]
    # Deliveries in the table after the handover.
    stored: int


@dataclass(frozen=True)
class Attempt:
    name: str
    dynamodb: Usage
    refused_writes: int
    http_requests: int
    # Whether the attempt changes the endpoint's failing state (its first failure, or its first
    # success after failures): a second write that changes the table, rather than one refused.
    bookkeeping_expected: bool


@dataclass(frozen=True)
class WebhookCost:
    first: Handover
    again: Handover
    attempted: list[QueuedDelivery]
    attempts: list[Attempt]

    @property
    def problems(self) -> list[str]:
        problems = [f"handover: {p}" for p in HANDOVER_BUDGET.overruns(self.first.dynamodb)]
        if self.first.refused_writes:
            problems.append(f"handover: {self.first.refused_writes} writes refused")
        if self.first.sqs_calls != HANDOVER_SQS_CALLS:
            problems.append(f"handover: SQS {self.first.sqs_calls} != {HANDOVER_SQS_CALLS}")
        if len(self.first.queued) != SUBSCRIBED or self.first.stored != SUBSCRIBED:
            problems.append(
                f"handover: {len(self.first.queued)} queued, {self.first.stored} stored, "
                f"not {SUBSCRIBED}"
            )
        problems += [f"again: {p}" for p in REDELIVERY_BUDGET.overruns(self.again.dynamodb)]
        if self.again.stored != self.first.stored:
            problems.append(f"again: stored {self.again.stored - self.first.stored} more")
        if self.again.refused_writes != SUBSCRIBED:
            problems.append(f"again: {SUBSCRIBED - self.again.refused_writes} PutItems stored")
        never_attempted = [q for q in self.first.queued if q not in self.attempted]
        if self.again.queued != never_attempted:
            problems.append(
                f"again: queued {len(self.again.queued)}, not the {len(never_attempted)} "
                "never attempted"
            )
        for attempt in self.attempts:
            problems += [f"{attempt.name}: {p}" for p in ATTEMPT_BUDGET.overruns(attempt.dynamodb)]
            if attempt.http_requests != HTTP_REQUESTS_PER_ATTEMPT:
                problems.append(f"{attempt.name}: {attempt.http_requests} HTTP requests")
            changed = attempt.dynamodb.items_written - attempt.refused_writes
            if changed != 1 + attempt.bookkeeping_expected:
                problems.append(f"{attempt.name}: {changed} writes changed the table")
        return problems

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ShopCost:
    # GraphQL requests the stand-in received, by operation.
    requests: dict[str, int]

    @property
    def problems(self) -> list[str]:
        return [
            f"{operation}: {self.requests.get(operation)} requests > {most}"
            for operation, most in SHOP_REQUESTS.items()
            if self.requests.get(operation, math.inf) > most
        ]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class WebhooksAndShopCost:
    webhooks: WebhookCost
    shop: ShopCost

    @property
    def ok(self) -> bool:
        return self.webhooks.ok and self.shop.ok


def measure_webhooks_and_shop(table_name: str) -> WebhooksAndShopCost:
    """Call inside `moto_table` (or the tests' `aws`)."""
    from chalicelib.repositories.aws import client
    from chalicelib.services import container

    dynamodb = client("dynamodb")
    counter = DynamoDBCallCounter().attach(dynamodb)
    refusals = _RefusedWrites().attach(dynamodb)
    rmas = container.rma_service()
    webhooks = _measure_webhooks(table_name, rmas, counter, refusals)
    return WebhooksAndShopCost(webhooks, _measure_shop(rmas))


# --- webhooks ------------------------------------------------------------------------------------


def _measure_webhooks(
    table_name: str, rmas: RmaService, counter: DynamoDBCallCounter, refusals: _RefusedWrites
) -> WebhookCost:
    from chalicelib.repositories.aws import client

    sqs = client("sqs")
    sqs_calls = _SqsCalls().attach(sqs)
    queue = WebhookQueue(sqs.create_queue(QueueName="bench-webhook-deliveries")["QueueUrl"], sqs)
    endpoints = WebhookEndpoints(table_name, client("dynamodb"))
    deliveries = WebhookDeliveries(table_name, client("dynamodb"))
    now = datetime.now(UTC)
    for number in range(ENDPOINTS):
        wanted = _EVENT if number < SUBSCRIBED else "return.completed"
        endpoints.add(_endpoint(f"ep_{number}", wanted, now - timedelta(days=30)))
    event = _requested_event(rmas)
    subscriber = WebhooksDue(endpoints, deliveries, queue)

    def handover() -> Handover:
        before, refused_before = counter.usage(), refusals.count
        sqs_calls.reset()
        subscriber(event)
        usage, refused = counter.usage() - before, refusals.count - refused_before
        stored = sum(len(deliveries.page(f"ep_{n}", limit=ENDPOINTS)[0]) for n in range(ENDPOINTS))
        return Handover(usage, refused, dict(sqs_calls.calls), list(sqs_calls.queued), stored)

    first = handover()
    receiver = _Receiver()
    sender = WebhookSender(
        allow_local=False, resolver=_public_resolver, transport=httpx.MockTransport(receiver)
    )
    clock = _Clock(event.occurred_at)
    service = WebhookDeliveryService(endpoints, deliveries, sender, clock=clock, count=_uncounted)

    def attempt(name: str, delivery: QueuedDelivery, status: int, bookkeeping: bool) -> Attempt:
        receiver.status = status
        before, refused_before, requests_before = counter.usage(), refusals.count, receiver.count
        delay = service.attempt(delivery.endpoint_id, delivery.delivery_id)
        if delay is not None:
            clock.advance(delay)
        return Attempt(
            name,
            counter.usage() - before,
            refusals.count - refused_before,
            receiver.count - requests_before,
            bookkeeping,
        )

    delivered, retried = first.queued[0], first.queued[1]
    attempts = [
        attempt("attempt delivered", delivered, 200, bookkeeping=False),
        attempt("attempt failed (503)", retried, 503, bookkeeping=True),
        attempt("its retry, delivered", retried, 200, bookkeeping=True),
    ]
    return WebhookCost(first, handover(), [delivered, retried], attempts)


def _endpoint(endpoint_id: str, event_type: str, created: datetime) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=endpoint_id,
        url=f"https://hooks.shop.example/{endpoint_id}",
        events=[event_type],
        secrets=[SigningSecret(value=new_secret(), created_at=created)],
        created_at=created,
        updated_at=created,
    )


def _requested_event(rmas: RmaService) -> ReturnEvent:
    request = CreateRmaRequest.model_validate(create_rma_body(0, 0))
    opened = rmas.open(request.to_draft(), actor=_ADMIN)
    return _event_of(rmas, opened, rmas.act(opened.id, Action.SUBMIT, actor=_ADMIN))


def _event_of(rmas: RmaService, before: Rma, after: Rma) -> ReturnEvent:
    """The event the change from `before` to `after` published, as the stream carries it."""
    _, entries = rmas.history(after.id)
    return return_event(before, after, entries[-1])


def _public_resolver(host: str, port: int, *_: Any, **__: Any) -> list[tuple[Any, ...]]:
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (_PUBLIC_ADDRESS, port))]


def _uncounted(metric: str) -> None:
    """The bench flushes no metrics."""


class _Receiver:
    """The merchant's endpoint: answers `status` to every request, and counts them."""

    def __init__(self) -> None:
        self.status = 200
        self.count = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        # As a network answer comes: a stream not read yet, which the sender reads itself.
        return httpx.Response(self.status, stream=httpx.ByteStream(b""))


class _Clock:
    def __init__(self, start: datetime) -> None:
        self._now = start

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delay: timedelta) -> None:
        self._now += delay


class _RefusedWrites:
    """Conditional writes DynamoDB refused: calls made, billed, and changing nothing."""

    def __init__(self) -> None:
        self.count = 0

    def attach(self, client: Any) -> _RefusedWrites:
        client.meta.events.register(
            "after-call.dynamodb.*", self._on_answer, unique_id="bench-refused-writes"
        )
        return self

    def _on_answer(self, parsed: dict[str, Any], **_: Any) -> None:
        if parsed.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            self.count += 1


class _SqsCalls:
    """SQS calls by operation, and the deliveries the batches sent name."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.queued: list[QueuedDelivery] = []

    def attach(self, client: Any) -> _SqsCalls:
        client.meta.events.register(
            "before-parameter-build.sqs.*", self._on_call, unique_id="bench-count-sqs"
        )
        return self

    def reset(self) -> None:
        self.calls.clear()
        self.queued.clear()

    def _on_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls[model.name] += 1
        if model.name == "SendMessageBatch":
            self.queued += [delivery_of_message(e["MessageBody"]) for e in params["Entries"]]


# --- the shop ------------------------------------------------------------------------------------


def _measure_shop(rmas: RmaService) -> ShopCost:
    shop = ShopifyStandIn(echo=False).start()
    try:
        shop.add_order(
            _ORDER, "#4910", [ShopLine("TEE-ORGANIC-M", 2, Decimal("25.00"), "li-1", _TEE)]
        )
        shop.add_variants(
            "gid://shopify/Product/4910",
            [
                (_TEE, "Organic T-shirt / M", Decimal("25.00")),
                (_TEE_LARGE, "Organic T-shirt / L", Decimal("25.00")),
            ],
        )
        transport = _CountingTransport(httpx.HTTPTransport())
        admin = ShopifyAdmin(
            shop_domain=SHOP_DOMAIN,
            access_token="bench-token",  # the stand-in checks no token
            api_version="2026-04",
            timeout_seconds=5,
            base_url=shop.api_url,
            transport=transport,
        )
        payments = ShopifyPayments(admin, ReturnPolicy, gift_card_secret=b"bench-secret")
        requests: dict[str, int] = {}

        def count(operation: str, make: Any) -> None:
            before = transport.count
            make()
            requests[operation] = transport.count - before

        paid = _paid_return()
        count(
            "refund",
            lambda: payments.refund(
                paid, _owed(FinancialMethod.REFUND), idempotency_key="bench:refund"
            ),
        )
        count(
            "store credit",
            lambda: payments.refund(
                paid, _owed(FinancialMethod.VOUCHER), idempotency_key="bench:credit"
            ),
        )
        replacements = ReplacementOrders(
            rmas,
            lambda: ReturnPolicy(exchange_ships=ExchangeShipping.ON_APPROVAL),
            ShopifyDraftOrders(admin),
        )
        approved = _approved_exchange(rmas)
        count("replacement order", lambda: replacements(approved))
        return ShopCost(requests)
    finally:
        shop.stop()


def _paid_return() -> Rma:
    body = create_rma_body(0, 0)
    body["order"]["external_id"] = _ORDER
    body["lines"] = [
        {
            "sku": "TEE-ORGANIC-M",
            "name": "Organic T-shirt (M)",
            "quantity": 1,
            "unit_price": "25.00",
            "reason": "SIZE_PROBLEM",
            "variant_id": _TEE,
        }
    ]
    now = datetime.now(UTC)
    draft = CreateRmaRequest.model_validate(body).to_draft()
    received = [line.model_copy(update={"received_quantity": 1}) for line in draft.lines]
    return Rma(
        **{**dict(draft), "lines": received},
        id="b" * 32,
        return_number=4910,
        return_reference="R-004910",
        created_at=now,
        updated_at=now,
    )


def _owed(method: FinancialMethod) -> FinancialResolution:
    return FinancialResolution(amount=Decimal("25.00"), method=method)


def _approved_exchange(rmas: RmaService) -> ReturnEvent:
    """An exchange of the T-shirt in M for the same variant, approved: under ON_APPROVAL, the
    moment its replacement is ordered."""
    body = create_rma_body(0, 0)
    body["expected_resolution"] = "REPLACE"
    body["lines"][0]["variant_id"] = _TEE
    opened = rmas.open(CreateRmaRequest.model_validate(body).to_draft(), actor=_ADMIN)
    submitted = rmas.act(opened.id, Action.SUBMIT, actor=_ADMIN)
    return _event_of(rmas, submitted, rmas.act(opened.id, Action.ACCEPT, actor=_ADMIN))


class _CountingTransport(httpx.BaseTransport):
    """Passes each request on, counting them: the requests the shop receives."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner
        self.count = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


# --- the report ----------------------------------------------------------------------------------


def _calls(usage: Usage) -> str:
    return " + ".join(f"{n} {op}" for op, n in sorted(usage.calls.items())) or "none"


def _sqs_target() -> str:
    return ", ".join(f"{n} {op}" for op, n in HANDOVER_SQS_CALLS.items())


def webhooks_summary(cost: WebhooksAndShopCost) -> str:
    webhooks, shop = cost.webhooks, cost.shop
    first, again = webhooks.first, webhooks.again
    rows = [
        ("event handed over", first.dynamodb, first.refused_writes, first, None),
        ("same event again", again.dynamodb, again.refused_writes, again, None),
        *((a.name, a.dynamodb, a.refused_writes, None, a.http_requests) for a in webhooks.attempts),
    ]
    lines = [
        f"Webhooks: a return event, {SUBSCRIBED} endpoints subscribed and "
        f"{ENDPOINTS - SUBSCRIBED} not",
        f"  {'':<24}{'DynamoDB calls':<36}{'refused':>8}  {'SQS / HTTP':<26}",
    ]
    for name, usage, refused, handover, http in rows:
        if handover is not None:
            sqs = ", ".join(f"{n} {op}" for op, n in sorted(handover.sqs_calls.items()))
            other = f"{sqs or 'no SQS'} ({len(handover.queued)} queued)"
        else:
            other = f"{http} HTTP request{'s' if http != 1 else ''}"
        lines.append(f"  {name:<24}{_calls(usage):<36}{refused:>8}  {other}")
    never = SUBSCRIBED - len(webhooks.attempted)
    lines += [
        f"  again: {again.stored - first.stored} deliveries stored, only the {never} never "
        "attempted queued again",
        f"  target: handover {HANDOVER_BUDGET}; {_sqs_target()}",
        f"          again {REDELIVERY_BUDGET}, nothing stored",
        f"          attempt {ATTEMPT_BUDGET}; {HTTP_REQUESTS_PER_ATTEMPT} HTTP request",
        "  (refused: conditional writes refused by their condition, each billed a write unit)",
        f"  {'OK' if webhooks.ok else 'FAIL: ' + '; '.join(webhooks.problems)}",
        "Shop (local stand-in), GraphQL requests:",
    ]
    lines += [
        f"  {operation:<24}{shop.requests.get(operation, '-')!s:>3}   target <= {most}"
        for operation, most in SHOP_REQUESTS.items()
    ]
    lines.append(f"  {'OK' if shop.ok else 'FAIL: ' + '; '.join(shop.problems)}")
    return "\n".join(lines)
