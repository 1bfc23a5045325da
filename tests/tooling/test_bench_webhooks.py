"""The webhooks' and the shop's budgets of `make bench`, so that `make test` guards them: a return
event costs one Query of the endpoints, one conditional PutItem per subscribed endpoint and one
SendMessageBatch per ten deliveries; handed over again, it stores nothing and queues again only
the deliveries never attempted; an attempt is two GetItems, one UpdateItem (two when it changes
its endpoint's failing state) and one HTTP request;
and the shop is asked two GraphQL requests per refund or store credit, three per replacement."""

from __future__ import annotations

import os
from typing import Any

from bench.webhooks import (
    HTTP_REQUESTS_PER_ATTEMPT,
    SHOP_REQUESTS,
    SUBSCRIBED,
    measure_webhooks_and_shop,
)


def test_webhook_deliveries_and_shop_operations_stay_within_their_call_budgets(aws: Any) -> None:
    # Given three endpoints subscribed to a return's request and one that is not; when the
    # event is handed over, two of its deliveries attempted (one failing, then retried), the
    # event handed over again, and a refund, a store credit and a replacement made in the shop
    cost = measure_webhooks_and_shop(os.environ["TABLE_NAME"])
    webhooks = cost.webhooks
    # Then the handover listed the endpoints once and stored and queued one delivery each
    assert webhooks.first.dynamodb.calls == {"Query": 1, "PutItem": SUBSCRIBED}
    assert webhooks.first.refused_writes == 0
    assert webhooks.first.sqs_calls == {"SendMessageBatch": 1}
    assert len(webhooks.first.queued) == webhooks.first.stored == SUBSCRIBED
    # And handed over again, every PutItem was refused, and only the delivery never attempted
    # was queued again
    assert webhooks.again.dynamodb.calls == {"Query": 1, "PutItem": SUBSCRIBED, "GetItem": 3}
    assert webhooks.again.refused_writes == SUBSCRIBED
    assert webhooks.again.stored == SUBSCRIBED
    assert webhooks.again.queued == [webhooks.first.queued[2]]
    # And each attempt read the delivery and its endpoint, recorded itself and sent one request;
    # the endpoint was written only when its failing state changed (a first failure, the
    # success after it), never for a success of a healthy endpoint
    for attempt in webhooks.attempts:
        assert attempt.http_requests == HTTP_REQUESTS_PER_ATTEMPT
    assert [a.dynamodb.calls for a in webhooks.attempts] == [
        {"GetItem": 2, "UpdateItem": 1},
        {"GetItem": 2, "UpdateItem": 2},
        {"GetItem": 2, "UpdateItem": 2},
    ]
    assert [a.refused_writes for a in webhooks.attempts] == [0, 0, 0]
    # And the shop got two, two and three GraphQL requests
    assert cost.shop.requests == SHOP_REQUESTS
    assert cost.ok, webhooks.problems + cost.shop.problems
