"""`make run`: the whole backend on one laptop, in one process.

An in-process moto server stands in for AWS, the resources are created from the same definitions
the deployment uses, demo data is seeded through the service layer, and Chalice's local server
serves the API on 127.0.0.1. Unless real Gorgias credentials are given, a stand-in for Gorgias
(local/gorgias_standin.py) answers the REST calls and plays the chat-intake integration.
`start()` does all of it and returns a `RunningStack`, which the tests share with `main()`.
"""

from __future__ import annotations

import errno
import http.client
import json
import logging
import os
import re
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from chalicelib.api.models.admin import CreateRmaRequest
from chalicelib.domain.inspection import UPLOAD_PREFIX
from chalicelib.domain.rma import Rma
from chalicelib.integrations.login_requests import LOGIN_CODE_FUNCTION_NAME
from chalicelib.repositories.aws import client
from chalicelib.repositories.rma_repository import RmaRepository
from chalicelib.repositories.table_schema import table_definition
from chalicelib.services.order_service import OrderService
from chalicelib.settings import get_settings
from deploy.bucket import photo_upload_cors
from deploy.chat_intake import queue_attributes as chat_queue_attributes
from deploy.gorgias_updates import (
    dead_letter_queue_attributes as gorgias_dead_letter_queue_attributes,
)
from deploy.gorgias_updates import queue_attributes as gorgias_queue_attributes
from deploy.inspections import (
    bucket_notification,
    dead_letter_queue_attributes,
    queue_attributes,
)
from deploy.stage import StageNames
from deploy.webhook_deliveries import queue_attributes as webhook_queue_attributes
from local.demo_analytics import fill_demo_analytics
from local.demo_media import add_demo_photos, drop_past_inspection
from local.demo_orders import DEMO_ORDER_NUMBER, seed_demo_orders
from local.demo_shop import stock_demo_shop
from local.gorgias_standin import ADMIN_USER, GorgiasStandIn, ReturnsDesk
from local.outbox_page import OutboxPage, keep_sent_details
from local.pumps import BackgroundLoop, Handler, queue_pump, schedule_pump, stream_pump
from local.seed import DemoClock, DemoData, seed_demo_data, seeding_service
from local.shopify_standin import SHOP_DOMAIN, ShopifyStandIn
from local.webhook_receiver import LOCAL_ENDPOINT_ID, LOCAL_SECRET, WebhookReceiver

if TYPE_CHECKING:
    from chalice.local import LocalDevServer
    from moto.server import ThreadedMotoServer

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# The deployment's names for a stage called "local".
LOCAL_NAMES = StageNames(app_name="returns-desk", stage="local")
TABLE_NAME = LOCAL_NAMES.table_name
RETURNS_BUCKET = f"{LOCAL_NAMES.prefix}-returns"
# Deployed, a failed batch hides for six times the consumer's timeout; locally, a failure should
# come back while someone watches: five tries, a minute apart at most, then the dead letters.
LOCAL_VISIBILITY_TIMEOUT_SECONDS = 10
# The status emails run every five minutes deployed; locally, soon enough to watch them go.
EMAIL_INTERVAL_SECONDS = 15.0
# The functions' deployed timeouts (.chalice/config.json), for their local context.
INSPECTION_TIMEOUT_SECONDS = 300
EMAIL_TIMEOUT_SECONDS = 60
CHAT_TIMEOUT_SECONDS = 60
WEBHOOK_TIMEOUT_SECONDS = 150
DEMO_INSPECTION_FILE = "local/demo_inspection.csv"
# The console's demo merchant: its sign-in code is printed with the other emails.
DEMO_CONSOLE_USER = "merchant@returns-desk.example"
DEFAULT_WIDGET_TOKEN = "local-widget-token"
DEFAULT_ADMIN_TOKEN = "local-admin-token"
# Real Gorgias credentials, when all three are given, replace the local stand-in for Gorgias.
GORGIAS_CREDENTIALS = ("GORGIAS_SUBDOMAIN", "GORGIAS_API_EMAIL", "GORGIAS_API_KEY")
# The ticket the French chat demo writes on (the stand-in opens tickets from 1001 itself).
DEMO_CHAT_TICKET_ID = 501

# Variables that could make a client talk to something other than the embedded moto (a profile,
# a service-specific endpoint) or carry real credentials along with the dummy ones.
_FOREIGN_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)
_SERVICE_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"


class EnvironmentEditor(Protocol):
    """How the stack changes environment variables; pytest's `monkeypatch` is one."""

    def setenv(self, name: str, value: str) -> None: ...

    def delenv(self, name: str, raising: bool = ...) -> None: ...


class ProcessEnvironment:
    """Changes `os.environ` for good: what `make run` wants."""

    def setenv(self, name: str, value: str) -> None:
        os.environ[name] = value

    def delenv(self, name: str, raising: bool = True) -> None:
        if raising or name in os.environ:
            del os.environ[name]


@dataclass
class RunningStack:
    """A started stack: where it answers, with which tokens, what was seeded; `stop()` ends it."""

    url: str
    widget_token: str
    admin_token: str
    demo: DemoData
    # A return submitted at start-up, which the lifecycle approved by itself and which now
    # waits for its parcel.
    auto_approved: Rma
    startup_seconds: float
    # Where the local AWS answers, and the queue S3 tells of inspection uploads.
    aws_endpoint: str
    inspection_queue_url: str
    # The chat intake's queue, and the stand-in playing Gorgias (None with real credentials).
    chat_queue_url: str
    gorgias: GorgiasStandIn | None
    # The page of the emails the stack sent, each as the shopper sees it.
    outbox_page: OutboxPage
    # The merchant's endpoint every event is delivered to, printing each as a [webhook] line.
    webhook_receiver: WebhookReceiver
    # The stand-in for the Shopify shop (None when a real shop is configured).
    shopify: ShopifyStandIn | None
    _moto: ThreadedMotoServer
    _api: LocalDevServer
    _api_thread: threading.Thread
    # The stream, queue and schedule pumps and the outbox watcher.
    _loops: list[BackgroundLoop]

    def loops(self) -> list[BackgroundLoop]:
        return list(self._loops)

    @property
    def outbox_url(self) -> str:
        return self.outbox_page.url

    def stop(self) -> None:
        """Stop the pumps and the API first, so nothing calls a stopped moto; leave no state
        behind."""
        for loop in self._loops:
            loop.stop()
        self._api.shutdown()
        self._api.server.server_close()
        self._api_thread.join()
        if self.gorgias is not None:
            self.gorgias.stop()
        if self.shopify is not None:
            self.shopify.stop()
        self.outbox_page.stop()
        self.webhook_receiver.stop()
        stop_moto(self._moto)
        # The cached clients and services point at the endpoint that just went away.
        _forget_cached_clients()


def start(
    port: int = DEFAULT_PORT,
    environment: EnvironmentEditor | None = None,
    *,
    inspection_handler: Handler | None = None,
    email_job: Handler | None = None,
    email_interval: float = EMAIL_INTERVAL_SECONDS,
    chat_handler: Handler | None = None,
) -> RunningStack:
    """Start moto, create and seed the resources, pump the inspection and chat queues and the
    status emails (the app's handlers unless given others), start the stand-in for Gorgias
    unless real credentials are given, and serve the API on `HOST:port` (0: any free port) in a
    background thread. Returns once the API accepts connections."""
    started = time.perf_counter()
    moto = start_moto()
    loops: list[BackgroundLoop] = []
    gorgias: GorgiasStandIn | None = None
    shopify: ShopifyStandIn | None = None
    outbox: OutboxPage | None = None
    receiver: WebhookReceiver | None = None
    try:
        editor = environment or ProcessEnvironment()
        if not all(os.environ.get(variable) for variable in GORGIAS_CREDENTIALS):
            gorgias = start_gorgias_standin(port)
        if not os.environ.get("SHOPIFY_SHOP_DOMAIN"):
            shopify = start_shopify_standin(port)
        configure_environment(
            moto_endpoint(moto),
            editor,
            gorgias_api_url=gorgias.api_url if gorgias else None,
            shopify_api_url=shopify.api_url if shopify else None,
            api_url=f"http://{HOST}:{port}" if port else None,
        )
        outbox = start_outbox_page(port)
        table_name = get_settings().table_name
        queue_url = create_resources(table_name, editor)
        chat_queue_url = create_chat_queue(client("sqs"), editor)
        gorgias_updates_url = create_gorgias_updates_queue(client("sqs"), editor)
        webhook_deliveries_url = create_webhook_deliveries_queue(client("sqs"), editor)
        receiver = start_webhook_receiver(port)
        settings = get_settings()
        demo = seed(table_name, present=datetime.now(UTC).replace(second=0, microsecond=0))
        fill_demo_analytics(table_name, datetime.now(UTC).date())
        loops.append(pump_webhook_deliveries(webhook_deliveries_url))
        loops.append(pump_return_events(table_name))
        auto_approved = start_lifecycles(demo)
        demo_orders = seed_demo_orders(container_orders(), date.today())
        if shopify is not None:
            stock_demo_shop(shopify, [*demo.returns, auto_approved], demo_orders)
        loops.append(watch_outbox())
        loops.extend(pump_events(queue_url, inspection_handler, email_job, email_interval))
        add_demo_photos(demo.awaiting_decision)
        drop_past_inspection(RETURNS_BUCKET)
        loops.append(pump_chat(chat_queue_url, chat_handler))
        loops.append(pump_gorgias_updates(gorgias_updates_url))
        api, api_thread = serve(port)
    except BaseException:
        # Also on Ctrl-C while starting: neither moto, nor clients bound to it, nor the threads
        # calling it outlive the failure.
        for loop in loops:
            loop.stop()
        if gorgias is not None:
            gorgias.stop()
        if shopify is not None:
            shopify.stop()
        if outbox is not None:
            outbox.stop()
        if receiver is not None:
            receiver.stop()
        stop_moto(moto)
        _forget_cached_clients()
        raise
    assert settings.gorgias_widget_token is not None
    assert settings.admin_api_token is not None
    url = f"http://{HOST}:{api.server.server_address[1]}"
    if gorgias is not None:
        # Like the chat-intake HTTP integration of an account: each customer message, told.
        gorgias.notify(ReturnsDesk(url, settings.gorgias_widget_token.get_secret_value()))
    return RunningStack(
        url=url,
        widget_token=settings.gorgias_widget_token.get_secret_value(),
        admin_token=settings.admin_api_token.get_secret_value(),
        demo=demo,
        auto_approved=auto_approved,
        startup_seconds=time.perf_counter() - started,
        aws_endpoint=moto_endpoint(moto),
        inspection_queue_url=queue_url,
        chat_queue_url=chat_queue_url,
        gorgias=gorgias,
        shopify=shopify,
        outbox_page=outbox,
        webhook_receiver=receiver,
        _moto=moto,
        _api=api,
        _api_thread=api_thread,
        _loops=loops,
    )


def start_gorgias_standin(api_port: int) -> GorgiasStandIn:
    """The stand-in for Gorgias, on the port after the API's (8001 for 8000) when it is free,
    so that the banner's commands stay the same from one run to the next; on any free port
    otherwise."""
    if api_port:
        try:
            return GorgiasStandIn(api_port + 1).start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
    return GorgiasStandIn().start()


def start_outbox_page(api_port: int) -> OutboxPage:
    """The outbox page, on the port after the stand-in for Gorgias's (8002 for 8000) when it is
    free, on any free port otherwise; moto's SES made to keep what the page shows."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    keep_sent_details()
    backend = ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    if api_port:
        try:
            return OutboxPage(lambda: backend.sent_messages, api_port + 2).start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
    return OutboxPage(lambda: backend.sent_messages).start()


def start_shopify_standin(api_port: int) -> ShopifyStandIn:
    """The stand-in for the Shopify shop, on the port after the webhook receiver's (8004 for
    8000) when it is free, on any free port otherwise."""
    if api_port:
        try:
            return ShopifyStandIn(api_port + 4).start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
    return ShopifyStandIn().start()


def start_webhook_receiver(api_port: int) -> WebhookReceiver:
    """The receiver of the webhooks, on the port after the outbox page's (8003 for 8000) when
    it is free, on any free port otherwise; subscribed to every event type as the merchant's
    endpoint, stored as the admin API stores endpoints."""
    from chalicelib.services import container

    receiver: WebhookReceiver | None = None
    if api_port:
        try:
            receiver = WebhookReceiver(api_port + 3).start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
    receiver = receiver or WebhookReceiver().start()
    url = receiver.url

    def secrets_delivering_here() -> list[str]:
        # Endpoints a developer adds with the receiver's address verify too.
        now = datetime.now(UTC)
        endpoints = container.webhook_endpoints().list()
        return [s for e in endpoints if e.url == url for s in e.signing_secrets(now)]

    receiver.accept_secrets_of(secrets_delivering_here)
    try:
        container.webhook_endpoints().add(receiver.endpoint())
    except BaseException:
        receiver.stop()
        raise
    return receiver


def start_moto() -> ThreadedMotoServer:
    """moto's server on a free port of 127.0.0.1, its DynamoDB writes made atomic."""
    # Imported here: moto is heavy, and only the local stack and the tests need it.
    from moto.server import ThreadedMotoServer

    from local.moto_support import patch_moto_dynamodb
    from local.step_functions import execute_state_machines_in_server

    patch_moto_dynamodb()
    execute_state_machines_in_server()
    # werkzeug logs every AWS call at INFO; the API's own request lines are what matter here.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    server.start()
    return server


def moto_endpoint(server: ThreadedMotoServer) -> str:
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def stop_moto(server: ThreadedMotoServer) -> None:
    """Forget every resource, then stop the server.

    moto keeps its state in process-wide backends that `mock_aws` shares, so a stack that stops
    without resetting them would leak its table into the next stack or test of this process.
    """
    host, port = server.get_host_and_port()
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("POST", "/moto-api/reset")  # moto's documented reset endpoint
        connection.getresponse().read()
    finally:
        connection.close()
    server.stop()


def configure_environment(
    endpoint_url: str,
    environment: EnvironmentEditor,
    *,
    gorgias_api_url: str | None = None,
    shopify_api_url: str | None = None,
    api_url: str | None = None,
) -> None:
    """Point every boto3 client at `endpoint_url` with dummy credentials, and give the app its
    local settings, Gorgias's REST API at `gorgias_api_url` when given (the stand-in). Must run
    before anything creates a client; forgets any already created."""
    for name in _FOREIGN_AWS_VARIABLES + tuple(
        name for name in os.environ if name.startswith(_SERVICE_ENDPOINT_PREFIX)
    ):
        environment.delenv(name, raising=False)
    local_values = {
        "AWS_ENDPOINT_URL": endpoint_url,  # honoured by boto3 for every service
        # moto's state machines call their task Lambdas through moto's server on this port.
        "MOTO_PORT": str(urlsplit(endpoint_url).port),
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": TABLE_NAME,
        # Empty counts as unset: `ADMIN_API_TOKEN= make run` should not lock the admin routes.
        "GORGIAS_WIDGET_TOKEN": os.environ.get("GORGIAS_WIDGET_TOKEN") or DEFAULT_WIDGET_TOKEN,
        "ADMIN_API_TOKEN": os.environ.get("ADMIN_API_TOKEN") or DEFAULT_ADMIN_TOKEN,
        "SHOPIFY_WEBHOOK_SECRET": os.environ.get("SHOPIFY_WEBHOOK_SECRET")
        or "local-shopify-secret",
        "PORTAL_SECRET": os.environ.get("PORTAL_SECRET")
        or "local-portal-secret-not-for-production",
        "RETURNS_BUCKET": RETURNS_BUCKET,
        # The shop's pages that may frame the portal and call its API (`make run` passes them).
        "PORTAL_ALLOWED_ORIGINS": os.environ.get("PORTAL_ALLOWED_ORIGINS", ""),
        "INSPECTION_QUEUE_NAME": LOCAL_NAMES.inspection_queue_name,
        "CHAT_INTAKE_QUEUE_NAME": LOCAL_NAMES.chat_intake_queue_name,
        # Lets the app talk to peers on the loopback address (the stand-in for Gorgias).
        "LOCAL_STACK": "1",
        # Sign-in requests go to the in-process function without the route waiting, as deployed.
        "LOGIN_CODE_FUNCTION": LOGIN_CODE_FUNCTION_NAME,
        # Who may sign in to the console: the demo merchant, unless others are named.
        "CONSOLE_USERS": os.environ.get("CONSOLE_USERS") or DEMO_CONSOLE_USER,
        # Metrics would print an EMF blob after every request, tracing would look for X-Ray.
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    if api_url is not None:
        # The emails' button to follow a return opens the portal page the API serves, and the
        # widget's, tickets' and notes' links open the console's page of the return.
        local_values["PORTAL_URL"] = f"{api_url}/portal/"
        local_values["CONSOLE_URL"] = f"{api_url}/console"
    if gorgias_api_url is not None:
        local_values.update(
            {
                "GORGIAS_SUBDOMAIN": "local",
                "GORGIAS_API_URL": gorgias_api_url,
                "GORGIAS_API_EMAIL": str(ADMIN_USER["email"]),
                "GORGIAS_API_KEY": "local-gorgias-key",
                # No account's rate limit to share with other apps: answers come quicker.
                "GORGIAS_MAX_RPS": "10",
            }
        )
    if shopify_api_url is not None:
        # Refunds, store credit and replacement orders go to the stand-in for the shop.
        local_values.update(
            {
                "SHOPIFY_SHOP_DOMAIN": SHOP_DOMAIN,
                "SHOPIFY_API_URL": shopify_api_url,
                "SHOPIFY_ADMIN_TOKEN": "local-shopify-admin-token",
            }
        )
    for name, value in local_values.items():
        environment.setenv(name, value)
    _forget_cached_clients()


def local_upload_origins() -> list[str]:
    """Where the local portal page posts photos from: the API on the loopback address, on
    whichever port it got, and the shop's pages."""
    return [f"http://{HOST}:*", "http://localhost:*", *get_settings().portal_allowed_origins]


def _forget_cached_clients() -> None:
    """Drop the cached clients, services and settings: the next ones read the environment anew."""
    # Imported here: the container brings in the Powertools singletons, which read the
    # environment when they are created, so not before configure_environment() has run.
    from chalicelib.services import container

    container.reset()
    client.cache_clear()


def create_resources(table_name: str, environment: EnvironmentEditor) -> str:
    """Every AWS resource the app needs, from the definitions the deployment template uses:
    the table, the bucket telling the inspection queue of uploads, the queue and its dead
    letters, the senders' identities, and the lifecycle state machine with its task Lambdas run
    in this process. Returns the inspection queue's URL.
    """
    from local.step_functions import app_task_handlers, create_lifecycle, run_lambdas_in_process

    client("dynamodb").create_table(**table_definition(table_name))
    client("s3").create_bucket(Bucket=RETURNS_BUCKET)
    client("s3").put_bucket_cors(
        Bucket=RETURNS_BUCKET, CORSConfiguration=photo_upload_cors(local_upload_origins())
    )
    queue_url = create_inspection_queue(client("sqs"), client("s3"))
    # SES sends only from verified identities, in moto as in AWS.
    settings = get_settings()
    for identity in dict.fromkeys((settings.sender_email, settings.support_email)):
        client("ses").verify_email_identity(EmailAddress=identity)
    arn = create_lifecycle(client("stepfunctions"), os.environ["AWS_DEFAULT_REGION"])
    environment.setenv("LIFECYCLE_STATE_MACHINE_ARN", arn)
    run_lambdas_in_process(app_task_handlers())
    # The services were built before the lifecycle existed; the next ones will start it.
    _forget_cached_clients()
    return queue_url


def create_inspection_queue(sqs: Any, s3: Any) -> str:
    """The inspection queue, its dead letters and the bucket's notification; the queue's URL.

    No queue policy: moto's S3 sends without asking, and nothing else can reach it."""
    dead_letters = sqs.create_queue(
        QueueName=LOCAL_NAMES.inspection_dead_letter_queue_name,
        Attributes=dead_letter_queue_attributes(),
    )["QueueUrl"]
    dead_letter_arn = _queue_arn(sqs, dead_letters)
    queue_url: str = sqs.create_queue(
        QueueName=LOCAL_NAMES.inspection_queue_name,
        Attributes=queue_attributes(dead_letter_arn, LOCAL_VISIBILITY_TIMEOUT_SECONDS),
    )["QueueUrl"]
    # S3 answers this with a test event on the queue, in moto as in AWS.
    s3.put_bucket_notification_configuration(
        Bucket=RETURNS_BUCKET,
        NotificationConfiguration=bucket_notification(_queue_arn(sqs, queue_url)),
    )
    return queue_url


def create_chat_queue(sqs: Any, environment: EnvironmentEditor) -> str:
    """The chat intake's queue and its dead letters, as deploy/chat_intake.py makes them; the
    API is pointed at it (CHAT_INTAKE_QUEUE_URL). The queue's URL."""
    return _create_redriven_queue(
        sqs,
        environment,
        LOCAL_NAMES.chat_intake_queue_name,
        LOCAL_NAMES.chat_intake_dead_letter_queue_name,
        dead_letter_attributes=dead_letter_queue_attributes(),
        attributes=chat_queue_attributes,
        url_variable="CHAT_INTAKE_QUEUE_URL",
    )


def create_gorgias_updates_queue(sqs: Any, environment: EnvironmentEditor) -> str:
    """The FIFO queue of what Gorgias must hear of (tickets, notes) and its dead letters, as
    deploy/gorgias_updates.py makes them; the return events' consumer is pointed at it."""
    return _create_redriven_queue(
        sqs,
        environment,
        LOCAL_NAMES.gorgias_updates_queue_name,
        LOCAL_NAMES.gorgias_updates_dead_letter_queue_name,
        dead_letter_attributes=gorgias_dead_letter_queue_attributes(),
        attributes=gorgias_queue_attributes,
        url_variable="GORGIAS_UPDATES_QUEUE_URL",
    )


def create_webhook_deliveries_queue(sqs: Any, environment: EnvironmentEditor) -> str:
    """The queue of the webhook deliveries and its dead letters, as deploy/webhook_deliveries.py
    makes them. A failed attempt hides its message for the retry's delay (5 s, then a minute,
    then 5 minutes...), which moto honours as SQS does."""
    return _create_redriven_queue(
        sqs,
        environment,
        LOCAL_NAMES.webhook_deliveries_queue_name,
        LOCAL_NAMES.webhook_deliveries_dead_letter_queue_name,
        dead_letter_attributes=dead_letter_queue_attributes(),
        attributes=webhook_queue_attributes,
        url_variable="WEBHOOK_DELIVERIES_QUEUE_URL",
    )


def _create_redriven_queue(
    sqs: Any,
    environment: EnvironmentEditor,
    name: str,
    dead_letter_name: str,
    *,
    dead_letter_attributes: dict[str, str],
    attributes: Callable[[str, int], dict[str, str]],
    url_variable: str,
) -> str:
    """A queue redriving to its dead-letter queue, failed messages back after the local
    visibility timeout; `url_variable` is set to its URL, which is returned."""
    dead_letters = sqs.create_queue(QueueName=dead_letter_name, Attributes=dead_letter_attributes)[
        "QueueUrl"
    ]
    queue_url: str = sqs.create_queue(
        QueueName=name,
        Attributes=attributes(_queue_arn(sqs, dead_letters), LOCAL_VISIBILITY_TIMEOUT_SECONDS),
    )["QueueUrl"]
    environment.setenv(url_variable, queue_url)
    _forget_cached_clients()
    return queue_url


def _queue_arn(sqs: Any, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def pump_events(
    queue_url: str,
    inspection_handler: Handler | None,
    email_job: Handler | None,
    email_interval: float,
) -> list[BackgroundLoop]:
    """Lambda's part, in threads: the inspection queue to its consumer, the schedule to the
    status emails. The app's handlers unless others are given."""
    from app import process_inspection_uploads, send_status_emails

    return [
        queue_pump(
            client("sqs"),
            queue_url,
            inspection_handler or process_inspection_uploads,
            function_name="process_inspection_uploads",
            timeout_seconds=INSPECTION_TIMEOUT_SECONDS,
        ).start(),
        schedule_pump(
            email_job or send_status_emails,
            function_name="send_status_emails",
            timeout_seconds=EMAIL_TIMEOUT_SECONDS,
            interval=email_interval,
        ).start(),
    ]


def pump_chat(queue_url: str, handler: Handler | None) -> BackgroundLoop:
    """The chat intake's queue to its consumer (the app's unless another is given)."""
    from app import handle_chat_messages

    return queue_pump(
        client("sqs"),
        queue_url,
        handler or handle_chat_messages,
        function_name="handle_chat_messages",
        timeout_seconds=CHAT_TIMEOUT_SECONDS,
    ).start()


def pump_gorgias_updates(queue_url: str) -> BackgroundLoop:
    """The Gorgias updates queue to its consumer: tickets and notes, at the stand-in or the
    account whose credentials were given."""
    from app import send_gorgias_updates

    return queue_pump(
        client("sqs"),
        queue_url,
        send_gorgias_updates,
        function_name="send_gorgias_updates",
        timeout_seconds=CHAT_TIMEOUT_SECONDS,
    ).start()


def pump_webhook_deliveries(queue_url: str) -> BackgroundLoop:
    """The webhook deliveries' queue to its consumer, which sends them to the receiver."""
    from app import deliver_webhooks

    return queue_pump(
        client("sqs"),
        queue_url,
        deliver_webhooks,
        function_name="deliver_webhooks",
        timeout_seconds=WEBHOOK_TIMEOUT_SECONDS,
    ).start()


def pump_return_events(table_name: str) -> BackgroundLoop:
    """Return events to their consumer from now on. The demo returns are history written
    before it ran: their events are not delivered (no lifecycle starts for a return decided
    weeks ago, no email is sent again)."""
    from app import handle_return_events
    from local.stream_events import StreamDelivery, streams_client

    delivery = StreamDelivery(streams_client(), table_name, handle_return_events)
    delivery.skip_what_is_there()
    return stream_pump(delivery).start()


def seed(table_name: str, present: datetime) -> DemoData:
    """Demo customers and returns, opened over the weeks before `present`: history, kept out
    of the table's stream (the stream's consumer starts after it, as deployed at LATEST)."""
    from local.moto_support import stream_paused

    clock = DemoClock(present)
    with stream_paused(table_name):
        return seed_demo_data(seeding_service(RmaRepository(table_name), clock), clock)


def start_lifecycles(demo: DemoData) -> Rma:
    """Put the lifecycle to work: the demo customer's two returns awaiting a decision get
    theirs (so an agent's approval sends instructions), and a new return is submitted, which
    the default policy approves by itself. That one, once it waits for its parcel."""
    from chalicelib.domain.rma import Actor
    from chalicelib.domain.statuses import Channel, LifecycleStep
    from chalicelib.domain.transitions import Action
    from chalicelib.services import container

    executions = container.lifecycle_executions()
    assert executions is not None
    for rma in demo.awaiting_decision:
        executions.start(rma.id)
    rmas = container.rma_service()
    shopper = Actor(channel=Channel.PORTAL, email=_NEW_CUSTOMER["email"])
    opened = rmas.open(CreateRmaRequest.model_validate(_NEW_RETURN).to_draft(), actor=shopper)
    rmas.act(opened.id, Action.SUBMIT, actor=shopper)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        current = rmas.find(opened.id)
        if current.waiting_for is LifecycleStep.ITEM_RECEIPT:
            return current
        time.sleep(0.05)
    raise RuntimeError("The lifecycle did not approve the demo return in time")


_NEW_CUSTOMER = {"email": "new.customer@example.com", "name": "New Customer"}
_NEW_RETURN: dict[str, Any] = {
    # An order of the shop (its stand-in sold it): the refund is made there.
    "order": {"number": "#5001", "external_id": "gid://shopify/Order/5001"},
    "customer": _NEW_CUSTOMER,
    "lines": [
        {
            "sku": "CANVAS-TOTE-NAT",
            "name": "Canvas tote bag, natural",
            "quantity": 1,
            "unit_price": "29.00",
            "reason": "SIZE_PROBLEM",
        }
    ],
}


def container_orders() -> OrderService:
    from chalicelib.services import container

    return container.order_service()


# Six digits on their own: not the digits of a reference such as R-001042.
_SIGN_IN_CODE = re.compile(r"(?<![\w-])\d{6}(?![\w-])")


def watch_outbox(interval: float = 0.5) -> BackgroundLoop:
    """Print what the app emails (sign-in codes, status emails): the local SES keeps sent
    messages instead of delivering them. Recipients are masked, as in the logs."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from chalicelib.observability import mask_email

    outbox = ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].sent_messages
    shown = len(outbox)

    def show_new() -> None:
        nonlocal shown
        for message in list(outbox)[shown:]:
            # The text part, kept by keep_sent_details(): the HTML's styles may hold six digits.
            code = _SIGN_IN_CODE.search(getattr(message, "text", None) or message.body or "")
            recipients = ", ".join(message.destinations.get("ToAddresses", []))
            print(
                f"[email] to {mask_email(recipients)}: {message.subject}"
                + (f" (code {code.group(0)})" if code else ""),
                flush=True,
            )
            shown += 1

    return BackgroundLoop("local-outbox", show_new, interval=interval).start()


def serve(port: int) -> tuple[LocalDevServer, threading.Thread]:
    """Chalice's local server for the app on `HOST:port`, answering from a daemon thread."""
    # Imported here, after configure_environment(), for the same reason as the container.
    from chalice.config import Config
    from chalice.local import LocalChalice, LocalDevServer, create_local_server

    from app import app

    # Not .chalice/config.json: its stages name deployed tables and SSM parameters.
    config = Config.create(app_name=app.app_name, chalice_app=app)
    if isinstance(app, LocalChalice):
        # create_local_server() re-parents the app's class to make `current_request` per thread;
        # doing it twice in one process (tests start several stacks) would make a cycle.
        server = LocalDevServer(app, config, HOST, port)
    else:
        server = create_local_server(app, config, HOST, port)
    # The HTTPServer's own loop: LocalDevServer.serve_forever() prints the port asked for, which
    # is wrong when it was 0. A short poll because shutdown() waits for the loop to notice it.
    thread = threading.Thread(
        target=server.server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="chalice-local",
        daemon=True,
    )
    thread.start()
    return server, thread


def banner(stack: RunningStack) -> str:
    """What to read and paste once the stack is up."""
    approve, reject = stack.demo.awaiting_decision
    widget = _curl(
        stack.widget_token, f"{stack.url}/gorgias/widget?email={stack.demo.customer_email}"
    )
    # What the widget's buttons send: the typed reference, the ticket and the agent who clicked
    # (the stand-in's admin, or whoever the real account's GORGIAS_API_EMAIL is).
    agent = {"ticket_id": "1", "agent_email": os.environ.get("GORGIAS_API_EMAIL", "")}
    decide = (
        _form_curl(
            stack.widget_token,
            f"{stack.url}/gorgias/actions/approve",
            {"rma": str(approve.return_number), **agent},
        ),
        _form_curl(
            stack.widget_token,
            f"{stack.url}/gorgias/actions/reject",
            {"rma": str(reject.return_number), **agent, "reason": "Outside the return window"},
        ),
    )
    create = _curl(
        stack.admin_token, f"{stack.url}/rmas", {**_NEW_RETURN, "order": {"number": "#5002"}}
    )
    parcel = stack.auto_approved.return_reference
    portal_login = _curl(
        None,
        f"{stack.url}/portal/login",
        {"email": stack.demo.customer_email, "order_number": DEMO_ORDER_NUMBER},
    )
    portal_verify = _curl(
        None, f"{stack.url}/portal/verify", {"email": stack.demo.customer_email, "code": "<code>"}
    )
    lifecycle = (
        _curl(
            stack.admin_token,
            f"{stack.url}/rmas/{parcel}/receive",
            {"lines": [{"sku": "CANVAS-TOTE-NAT", "quantity": 1, "product_state": "WORE"}]},
        ),
        _curl(stack.admin_token, f"{stack.url}/rmas/{parcel}/refund", {}),
        _curl(stack.admin_token, f"{stack.url}/rmas/{parcel}/events"),
    )
    return "\n".join(
        [
            f"returns-desk local stack ready in {stack.startup_seconds:.2f} s",
            f"  API            {stack.url}",
            f"  portal         {stack.url}/portal/   (shoppers: sign in as "
            f"{stack.demo.customer_email} with order {DEMO_ORDER_NUMBER})",
            f"  console        {stack.url}/console   (merchants: sign in as "
            f"{os.environ.get('CONSOLE_USERS') or DEMO_CONSOLE_USER})",
            f"  widget token   {stack.widget_token}   (Gorgias routes)",
            f"  admin token    {stack.admin_token}   (admin routes)",
            f"  outbox         {stack.outbox_url}   (the emails sent, as shoppers see them)",
            f"  demo customer  {stack.demo.customer_email}: "
            f"{approve.return_reference} and {reject.return_reference} await a decision",
            "",
            "The widget (5 newest returns, two awaiting a decision):",
            f"  {widget}",
            f"Approve {approve.return_reference} and reject {reject.return_reference} as the "
            "widget's buttons do (a form, the number typed as an agent would); each decision "
            "becomes a note on the ticket:",
            *(f"  {command}" for command in decide),
            f"{parcel} was approved by the lifecycle and waits for its parcel: receive it (worn:"
            " 20% off), approve the refund, then read its story:",
            *(f"  {command}" for command in lifecycle),
            f"The shoppers' portal: sign in as {stack.demo.customer_email} with order "
            f"{DEMO_ORDER_NUMBER} (its code is printed here once emailed), then use the token:",
            f"  {portal_login}",
            f"  {portal_verify}",
            f"  curl -s -H 'Authorization: Bearer <token>' {stack.url}/portal/orders",
            "Open a return through the admin API (submit it with POST /rmas/<ref>/submit):",
            f"  {create}",
            "Drop a warehouse inspection file (R-001009 and R-001007 received); the queue hands it "
            f"to the inspection handler, whose report lands under {UPLOAD_PREFIX}results/:",
            f"  .venv/bin/python -m local.drop_inspection {stack.aws_endpoint} "
            f"{DEMO_INSPECTION_FILE}",
            f"Status emails are sent every {EMAIL_INTERVAL_SECONDS:g} s and printed here.",
            *webhook_demo(stack),
            *shop_demo(stack),
            *chat_demo(stack),
            "",
            "Ctrl-C stops everything.",
        ]
    )


def webhook_demo(stack: RunningStack) -> list[str]:
    """The banner's webhook lines: the receiver, its secret, and how to add an endpoint."""
    receiver = stack.webhook_receiver
    endpoint = _curl(
        stack.admin_token,
        f"{stack.url}/webhooks/endpoints",
        {"url": receiver.url, "events": ["return.approved", "return.completed"]},
    )
    deliveries = _curl(
        stack.admin_token, f"{stack.url}/webhooks/endpoints/{LOCAL_ENDPOINT_ID}/deliveries"
    )
    return [
        f"Webhooks: every change of a return is delivered to {receiver.url} (endpoint",
        f"{LOCAL_ENDPOINT_ID}, every event type, secret {LOCAL_SECRET}), which verifies",
        "each one with the Standard Webhooks library and prints it as a [webhook] line. Its",
        "deliveries, and another endpoint (deployed, public HTTPS addresses only):",
        f"  {deliveries}",
        f"  {endpoint}",
    ]


def shop_demo(stack: RunningStack) -> list[str]:
    """The banner's shop lines: where refunds, store credit and replacements go."""
    if stack.shopify is None:
        return [
            f"Refunds, store credit and replacements go to {os.environ['SHOPIFY_SHOP_DOMAIN']}."
        ]
    return [
        f"The shop: a stand-in for Shopify at {stack.shopify.api_url} makes the refunds, gift "
        "cards and replacement orders and prints each as a [shopify] line.",
    ]


# What the demo customer writes in the chat: order #4910 is hers (local/demo_orders.py).
CHAT_DEMO_ENGLISH = "Hi, I would like to return the T-shirts from order #4910, they are too small."
CHAT_DEMO_FRENCH = (
    "Bonjour, je voudrais retourner le mug, il ne me plaît pas",
    "Le numéro de commande est #4910",
)


def chat_demo(stack: RunningStack) -> list[str]:
    """The banner's chat lines: a customer writing to the stand-in for Gorgias, which tells
    returns-desk, whose replies, tags and notes it prints as `[gorgias]` lines."""
    if stack.gorgias is None:
        return [
            f"The chat intake answers real Gorgias ({os.environ['GORGIAS_SUBDOMAIN']}): point its "
            f"chat-intake integration at {stack.url}/gorgias/events/message (make gorgias-setup).",
        ]
    api = stack.gorgias.api_url.rstrip("/")
    customer = stack.demo.customer_email
    english = _curl(
        None,
        f"{api}/tickets",
        {
            "customer": {"email": customer},
            "channel": "chat",
            "messages": [_chat_message(customer, CHAT_DEMO_ENGLISH)],
        },
    )
    french = [
        _curl(None, f"{api}/tickets/{DEMO_CHAT_TICKET_ID}/messages", _chat_message(customer, text))
        for text in CHAT_DEMO_FRENCH
    ]
    return [
        f"The chat: a stand-in for Gorgias answers at {api}/ and prints each call it gets",
        f"as a [gorgias] line. As {customer}, ask for a return of order {DEMO_ORDER_NUMBER}",
        "in English, in one message that opens a chat ticket:",
        f"  {english}",
        "Or in French, without the order number first (a question comes back), then with it:",
        *(f"  {command}" for command in french),
        "The reply, the ticket's tags and the agents' note follow as [gorgias] lines.",
    ]


def _chat_message(customer: str, text: str) -> dict[str, object]:
    return {
        "channel": "chat",
        "from_agent": False,
        "sender": {"email": customer},
        "body_text": text,
    }


def _curl(token: str | None, url: str, body: dict[str, object] | None = None) -> str:
    parts = ["curl", "-s"] + (["-H", f"Authorization: Bearer {token}"] if token else [])
    if body is not None:
        # Accents as typed: the French demo reads better than \u00ee.
        parts += [
            "-H",
            "Content-Type: application/json",
            "-d",
            json.dumps(body, ensure_ascii=False),
        ]
    return shlex.join([*parts, url])


def _form_curl(token: str, url: str, fields: dict[str, str]) -> str:
    """A form-encoded POST, as a Gorgias widget button sends it."""
    parts = ["curl", "-s", "-H", f"Authorization: Bearer {token}"]
    for name, value in fields.items():
        parts += ["--data-urlencode", f"{name}={value}"]
    return shlex.join([*parts, url])


def main() -> int:
    """`make run`: start, print the banner, and stop cleanly on Ctrl-C or SIGTERM."""
    # `timeout`, `docker stop` and IDE stop buttons send SIGTERM: stop as Ctrl-C does. SIGINT is
    # set too because a shell that starts us in the background ignores it, and Python keeps that.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, signal.default_int_handler)
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    try:
        stack = start(port)
    except KeyboardInterrupt:
        return 0
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(f"{HOST}:{port} is already in use; try PORT={port + 1} make run", file=sys.stderr)
        return 1
    print(banner(stack), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C while stopping must not turn a clean exit into a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
