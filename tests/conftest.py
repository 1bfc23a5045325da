"""Fixtures shared by every test: a clean environment, moto-backed AWS, the app's client."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import rma_payload

# Set before the app is imported anywhere: no test may reach real AWS or read a developer's
# own credentials, endpoints or Gorgias keys.
_TEST_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "TABLE_NAME": "returns-desk-test",
    "GORGIAS_WIDGET_TOKEN": "widget-token",
    "ADMIN_API_TOKEN": "admin-token",
    "SHOPIFY_WEBHOOK_SECRET": "shopify-secret",
    "PORTAL_SECRET": "portal-secret-for-tests-only-0123456789",
    "RETURNS_BUCKET": "returns-desk-returns-test",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
os.environ.update(_TEST_ENVIRONMENT)
for _variable in (
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "GORGIAS_SUBDOMAIN",
    "GORGIAS_API_EMAIL",
    "GORGIAS_API_KEY",
):
    os.environ.pop(_variable, None)


@pytest.fixture
def aws() -> Iterator[None]:
    """Moto for every AWS call, with the returns-desk table created as the template creates it."""
    from moto import mock_aws

    from chalicelib.repositories.aws import client
    from chalicelib.repositories.table_schema import table_definition
    from chalicelib.services import container
    from local.moto_support import patch_moto_dynamodb
    from local.step_functions import MOTO_CONFIG

    patch_moto_dynamodb()
    with mock_aws(config=MOTO_CONFIG):
        client.cache_clear()
        container.reset()
        client("dynamodb").create_table(**table_definition(os.environ["TABLE_NAME"]))
        yield
        client.cache_clear()
        container.reset()


@pytest.fixture
def repository(aws: None) -> Any:
    from chalicelib.repositories.rma_repository import RmaRepository

    return RmaRepository(os.environ["TABLE_NAME"])


@pytest.fixture
def rma_service(aws: None) -> Any:
    from chalicelib.services import container

    return container.rma_service()


@pytest.fixture
def api(aws: None) -> Iterator[Any]:
    """`chalice.test.Client` on the real app, backed by moto."""
    from chalice.test import Client

    from app import app

    # A stage the config does not define: requests run with only the top-level variables of
    # .chalice/config.json, not the dev stage's table and SSM parameter names.
    with Client(app, stage_name="test") as test_client:
        yield test_client


@pytest.fixture
def make_draft() -> Callable[..., Any]:
    """A factory of valid RMA drafts for service and repository tests."""
    from chalicelib.api.models.admin import CreateRmaRequest

    def build(email: str = "jane.doe@example.com", **overrides: Any) -> Any:
        return CreateRmaRequest.model_validate(rma_payload(email, **overrides)).to_draft()

    return build


@pytest.fixture
def open_rma(rma_service: Any, make_draft: Callable[..., Any]) -> Callable[..., Any]:
    """Opens an RMA through the service, optionally submitted (REQUESTED)."""
    from chalicelib.domain.rma import Actor
    from chalicelib.domain.statuses import Channel
    from chalicelib.domain.transitions import Action

    admin = Actor(channel=Channel.ADMIN)

    def open_one(email: str = "jane.doe@example.com", *, submitted: bool = True, **kw: Any) -> Any:
        rma = rma_service.open(make_draft(email, **kw), actor=admin)
        if submitted:
            rma = rma_service.act(rma.id, Action.SUBMIT, actor=admin)
        return rma

    return open_one


@pytest.fixture
def return_events(aws: None) -> Any:
    """The table's stream, delivered to the app's consumer when the test calls `deliver()`."""
    from app import handle_return_events
    from local.stream_events import StreamDelivery, streams_client

    return StreamDelivery(streams_client(), os.environ["TABLE_NAME"], handle_return_events)


@pytest.fixture
def lifecycle(aws: None, return_events: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The return lifecycle state machine, created from its definition file in moto, with its
    task Lambdas run in this process; the app is configured to start it, and return events are
    pumped to their consumer as Lambda would. Its ARN."""
    from chalicelib.repositories.aws import client
    from chalicelib.services import container
    from local.pumps import BackgroundLoop
    from local.step_functions import app_task_handlers, create_lifecycle, run_lambdas_in_process

    arn = create_lifecycle(client("stepfunctions"), os.environ["AWS_DEFAULT_REGION"])
    monkeypatch.setenv("LIFECYCLE_STATE_MACHINE_ARN", arn)
    container.reset()
    run_lambdas_in_process(app_task_handlers())
    pump = BackgroundLoop("return-events", return_events.deliver, interval=0.02).start()
    yield arn
    # No event starts an execution once the running ones are stopped.
    pump.stop()
    sfn = client("stepfunctions")
    for running in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]:
        sfn.stop_execution(executionArn=running["executionArn"])


@pytest.fixture
def ses(aws: None) -> Any:
    """SES with the sender's identity verified, as the deployment requires."""
    from chalicelib.repositories.aws import client
    from chalicelib.settings import get_settings

    ses = client("ses")
    ses.verify_email_identity(EmailAddress=get_settings().sender_email)
    return ses


@pytest.fixture
def console(api: Any, ses: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app, with a merchant (tests/console_support.py's MERCHANT) allowed in the console."""
    from tests.console_support import MERCHANT
    from tests.support import reconfigure

    reconfigure(monkeypatch, CONSOLE_USERS=MERCHANT)
    return api


@pytest.fixture
def cookie(console: Any) -> str:
    """The console's session cookie of the merchant, signed in."""
    from tests.console_support import sign_in

    return sign_in(console)
