"""The shoppers' portal through the real HTTP app: signing in (code by email, then a session
token), opening a return, reading an order with what else may be asked of it, asking to cancel
one and reporting an issue with another, and a person accepting the claim: each with its
DynamoDB budget. Only key lookups and Queries."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from chalice.test import Client

from bench.budgets import Budget
from bench.counting import DynamoDBCallCounter
from bench.measure import Measurement, measure
from bench.scenarios import Scenario

SHOPPER = "portal.shopper@example.com"
ORDER_NUMBER = "#900001"
# Not shipped yet: what may be canceled.
UNSHIPPED_ORDER = "#900002"


def measure_portal(api: Client, counter: DynamoDBCallCounter) -> list[Measurement]:
    """Sign in as a shopper of a stored order and open a return, measuring each request."""
    from chalicelib.domain.order import Order, OrderLine
    from chalicelib.repositories.aws import client
    from chalicelib.services import container
    from chalicelib.settings import get_settings

    client("ses").verify_email_identity(EmailAddress=get_settings().sender_email)
    container.order_service().record(
        Order(
            number=ORDER_NUMBER,
            customer_email=SHOPPER,
            ordered_at=date.today() - timedelta(days=5),
            delivered_at=date.today() - timedelta(days=2),
            lines=[OrderLine(sku="TEE-M", name="T-shirt", quantity=2, unit_price=Decimal("25"))],
            source="admin",
            source_updated_at=datetime.now(UTC),
        )
    )
    login = measure(
        api,
        counter,
        Scenario(
            name="POST /portal/login",
            method="POST",
            path="/portal/login",
            token_variable=None,
            # Whose order is it, in what language, then the code (conditional Put).
            budget=Budget({"GetItem": 2, "PutItem": 1}, max_items_read=2, max_items_written=1),
            body={"email": SHOPPER, "order_number": ORDER_NUMBER},
            expected_status=202,
        ),
    )
    verify = measure(
        api,
        counter,
        Scenario(
            name="POST /portal/verify",
            method="POST",
            path="/portal/verify",
            token_variable=None,
            # Count the attempt (conditional update), then use the code up.
            budget=Budget({"UpdateItem": 1, "DeleteItem": 1}, max_items_written=2),
            body={"email": SHOPPER, "code": _last_code()},
            answer_is_right=lambda answer: bool(answer.get("token")),
        ),
    )
    # The session the verify answered, minted again: the measured answer is already consumed.
    session = _session()
    create = measure(
        api,
        counter,
        Scenario(
            name="POST /portal/returns",
            method="POST",
            path="/portal/returns",
            token_variable=None,
            token=session,
            # The order; the shopper's returns (already returned quantities); the policy (cached a
            # minute); two counters; the units its line claims, the RMA with reference, log and
            # event; then submit: find it, and its new version with log and event.
            budget=Budget(
                {"GetItem": 3, "Query": 1, "UpdateItem": 2, "TransactWriteItems": 2},
                max_items_read=3 + 100,
                max_items_written=2 + 5 + 3,
            ),
            body={
                "order_number": ORDER_NUMBER,
                "lines": [{"sku": "TEE-M", "quantity": 1, "reason": "SIZE_PROBLEM"}],
            },
            expected_status=201,
            answer_is_right=lambda answer: answer["status"] == "REQUESTED",
        ),
    )
    return [login, verify, create, *_measure_order_requests(api, counter, session)]


def _measure_order_requests(
    api: Client, counter: DynamoDBCallCounter, session: str
) -> list[Measurement]:
    from chalicelib.domain.order import Order, OrderLine
    from chalicelib.services import container

    container.order_service().record(
        Order(
            number=UNSHIPPED_ORDER,
            customer_email=SHOPPER,
            ordered_at=date.today() - timedelta(days=1),
            lines=[OrderLine(sku="MUG", name="Mug", quantity=1, unit_price=Decimal("12"))],
            source="admin",
            source_updated_at=datetime.now(UTC),
        )
    )
    order = measure(
        api,
        counter,
        Scenario(
            name="GET /portal/orders/{number}",
            method="GET",
            path="/portal/orders/%23900001",
            token_variable=None,
            token=session,
            # The order with its timeline (its partition); the shopper's returns and her
            # requests (a Query each); the policy (cached a minute).
            budget=Budget({"Query": 3, "GetItem": 1}, max_items_read=1 + 50 + 100 + 50),
            answer_is_right=lambda answer: answer["actions"]["cancellation"]["available"] is False,
        ),
    )
    cancel = measure(
        api,
        counter,
        Scenario(
            name="POST /portal/orders/{number}/cancellation",
            method="POST",
            path="/portal/orders/%23900002/cancellation",
            token_variable=None,
            token=session,
            # The order, its open cancellation (none), the policy; the request's number; the
            # request, its log entry, its event and the order's guard in one transaction.
            budget=Budget(
                {"GetItem": 3, "UpdateItem": 1, "TransactWriteItems": 1},
                max_items_read=3,
                max_items_written=1 + 4,
            ),
            body={},
            expected_status=201,
            answer_is_right=lambda answer: answer["status"] == "OPEN",
        ),
    )
    claim = measure(
        api,
        counter,
        Scenario(
            name="POST /portal/orders/{number}/claims",
            method="POST",
            path="/portal/orders/%23900001/claims",
            token_variable=None,
            token=session,
            # The order with its timeline, the policy; the claim's number; its units, the
            # claim, its log entry and its event in one transaction.
            budget=Budget(
                {"Query": 1, "GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 1},
                max_items_read=1 + 50 + 1,
                max_items_written=1 + 4,
            ),
            body={
                "issue": "MISSING_ITEM",
                "lines": [{"sku": "TEE-M", "quantity": 1}],
                "resolution": "REFUND",
            },
            expected_status=201,
        ),
    )
    # One numbering for both kinds: the cancellation above was the first request.
    reference = "C-000002"
    approve = measure(
        api,
        counter,
        Scenario(
            name="POST /requests/{reference}/approve",
            method="POST",
            path=f"/requests/{reference}/approve",
            token_variable="ADMIN_API_TOKEN",
            # The claim with its log (its partition), the policy; its new version, log entry
            # and event in one transaction.
            budget=Budget(
                {"Query": 1, "GetItem": 1, "TransactWriteItems": 1},
                max_items_read=1 + 10 + 1,
                max_items_written=3,
            ),
            body={},
            answer_is_right=lambda answer: answer["settlement"]["amount"] == "25.00",
        ),
    )
    return [order, cancel, claim, approve]


def _last_code() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].sent_messages
    found = re.search(r"\b\d{6}\b", sent[-1].body)
    assert found, "no sign-in code was emailed"
    return found.group(0)


def _session() -> str:
    from chalicelib.services import container

    return container.session_tokens().issue(SHOPPER).token
