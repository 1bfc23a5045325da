"""The shoppers' portal through the real HTTP app: signing in (code by email, then a session
token) and opening a return, each with its DynamoDB budget. Only key lookups and Queries."""

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
    return [login, verify, create]


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
