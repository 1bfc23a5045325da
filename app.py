"""returns-desk: wires the Chalice app, its middleware and the blueprints of each audience."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from chalice import Chalice, Cron, Rate
from chalice.app import CloudWatchEvent, DynamoDBEvent, SQSEvent

from chalicelib.api.admin import admin
from chalicelib.api.assets import assets
from chalicelib.api.console import console
from chalicelib.api.console_analytics import console_analytics
from chalicelib.api.console_auth import console_auth
from chalicelib.api.console_inspections_page import console_inspections_page
from chalicelib.api.console_policy_page import console_policy_page
from chalicelib.api.console_request_page import console_request_page
from chalicelib.api.console_requests_page import console_requests_page
from chalicelib.api.console_return_page import console_return_page
from chalicelib.api.console_returns_page import console_returns_page
from chalicelib.api.console_webhooks_page import console_webhooks_page
from chalicelib.api.docs import docs
from chalicelib.api.gorgias import gorgias
from chalicelib.api.gorgias_chat import gorgias_chat
from chalicelib.api.health import liveness
from chalicelib.api.middleware import observe_request
from chalicelib.api.order_requests import order_requests
from chalicelib.api.orders import orders
from chalicelib.api.policy import policy
from chalicelib.api.portal import portal
from chalicelib.api.portal_auth import portal_auth
from chalicelib.api.portal_page import portal_page
from chalicelib.api.portal_requests import portal_requests
from chalicelib.api.webhook_endpoints import webhook_endpoints
from chalicelib.api.webhooks import webhooks
from chalicelib.chat_entrypoint import CHAT_INTAKE_FUNCTION_NAME, process_chat_messages
from chalicelib.email_entrypoints import run_decision_reminder, run_status_emails
from chalicelib.event_entrypoint import process_return_events
from chalicelib.gorgias_updates_entrypoint import (
    GORGIAS_UPDATES_FUNCTION_NAME,
    process_gorgias_updates,
)
from chalicelib.inspection_entrypoint import process_inspection_messages
from chalicelib.integrations.login_requests import LOGIN_CODE_FUNCTION_NAME
from chalicelib.lifecycle_entrypoints import run_lifecycle_task
from chalicelib.login_entrypoint import handle_login_request
from chalicelib.observability import logger, powertools_middleware
from chalicelib.webhook_delivery_entrypoint import (
    WEBHOOK_DELIVERY_FUNCTION_NAME,
    process_webhook_deliveries,
)

app = Chalice(app_name="returns-desk", configure_logs=False)
# Chalice's own logger (unhandled errors) writes through ours: JSON, emails masked.
copy_config_to_registered_loggers(source_logger=logger, include={app.log.name})
# Powertools' first, so outermost: whatever the functions and observe_request log carries the
# Lambda context and correlation id, and their metrics are flushed last.
for middleware in powertools_middleware():
    app.register_middleware(middleware, "all")
app.register_middleware(observe_request, "http")
app.register_blueprint(liveness)
app.register_blueprint(gorgias)
app.register_blueprint(gorgias_chat)
app.register_blueprint(admin)
app.register_blueprint(policy)
app.register_blueprint(orders)
app.register_blueprint(webhooks)
app.register_blueprint(webhook_endpoints)
app.register_blueprint(portal_auth)
app.register_blueprint(portal)
app.register_blueprint(portal_requests)
app.register_blueprint(order_requests)
app.register_blueprint(portal_page)
app.register_blueprint(docs)
app.register_blueprint(assets)
app.register_blueprint(console_auth)
app.register_blueprint(console)
app.register_blueprint(console_return_page)
app.register_blueprint(console_returns_page)
app.register_blueprint(console_requests_page)
app.register_blueprint(console_request_page)
app.register_blueprint(console_policy_page)
app.register_blueprint(console_inspections_page)
app.register_blueprint(console_analytics)
app.register_blueprint(console_webhooks_page)

# Chalice names the queue in the template at import; each stage has its own (.chalice/config.json).
INSPECTION_QUEUE = os.environ.get("INSPECTION_QUEUE_NAME", "returns-desk-inspections")
GORGIAS_UPDATES_QUEUE = os.environ.get(
    "GORGIAS_UPDATES_QUEUE_NAME", "returns-desk-gorgias-updates.fifo"
)
CHAT_INTAKE_QUEUE = os.environ.get("CHAT_INTAKE_QUEUE_NAME", "returns-desk-chat-intake")
WEBHOOK_DELIVERIES_QUEUE = os.environ.get(
    "WEBHOOK_DELIVERIES_QUEUE_NAME", "returns-desk-webhook-deliveries"
)
# The table's stream exists only once the stack does: the merge template replaces this ARN with
# the table's `StreamArn` (deploy/return_events.py). Chalice needs a value at import.
RETURN_EVENTS_STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/returns-desk/stream/template"


# --- The return lifecycle's tasks (statemachines/return_lifecycle.asl.json) ---------------------


@app.lambda_function(name="check_eligibility")
def check_eligibility(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("check_eligibility", event, context)


@app.lambda_function(name="reject_ineligible")
def reject_ineligible(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("reject_ineligible", event, context)


@app.lambda_function(name="approve_automatically")
def approve_automatically(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("approve_automatically", event, context)


@app.lambda_function(name="store_task_token")
def store_task_token(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("store_task_token", event, context)


@app.lambda_function(name="escalate_decision")
def escalate_decision(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("escalate_decision", event, context)


@app.lambda_function(name="remind_refund_approval")
def remind_refund_approval(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("remind_refund_approval", event, context)


@app.lambda_function(name="issue_label")
def issue_label(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("issue_label", event, context)


@app.lambda_function(name="expire_return")
def expire_return(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("expire_return", event, context)


@app.lambda_function(name="resolve_financial")
def resolve_financial(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("resolve_financial", event, context)


@app.lambda_function(name="execute_refund")
def execute_refund(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("execute_refund", event, context)


@app.lambda_function(name="complete_return")
def complete_return(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("complete_return", event, context)


@app.lambda_function(name="mark_anomaly")
def mark_anomaly(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_lifecycle_task("mark_anomaly", event, context)


# --- Sign-in requests, handed over by POST /portal/login without waiting ------------------------


@app.lambda_function(name=LOGIN_CODE_FUNCTION_NAME)
def send_login_code(event: dict[str, Any], context: Any) -> None:
    handle_login_request(event, context)


# --- Events: return events, warehouse inspection uploads and the scheduled emails ---------------


# Every change of a return, from the table's stream, handed to its subscribers (lifecycle
# hand-offs, status emails); a failed record is retried from where it failed.
@app.on_dynamodb_record(
    stream_arn=RETURN_EVENTS_STREAM,
    batch_size=25,
    starting_position="TRIM_HORIZON",
    name="handle_return_events",
)
def handle_return_events(event: DynamoDBEvent) -> dict[str, Any]:
    return process_return_events(event.to_dict(), event.context)


# One file an invocation: a 10,000-row file fills a good part of the function's timeout.
@app.on_sqs_message(queue=INSPECTION_QUEUE, batch_size=1)
def process_inspection_uploads(event: SQSEvent) -> dict[str, Any]:
    """S3 notifications of inspection files; a failed message goes back to the queue."""
    return process_inspection_messages(event.to_dict(), event.context)


# Each return request as a Gorgias ticket, each later step as a note on it, in order per return
# (a FIFO queue); a failed message goes back to the queue with the ones after it. At most two at
# once: the account's rate limit is shared with the chat intake and every other app.
@app.on_sqs_message(
    queue=GORGIAS_UPDATES_QUEUE,
    batch_size=10,
    maximum_concurrency=2,
    name=GORGIAS_UPDATES_FUNCTION_NAME,
)
def send_gorgias_updates(event: SQSEvent) -> dict[str, Any]:
    return process_gorgias_updates(event.to_dict(), event.context)


# New Gorgias ticket messages, read for return requests and answered in the chat; a message
# that failed (Gorgias rate-limited or down) goes back to the queue alone. Two at a time at most:
# each reads and writes a ticket, within the account's shared rate limit.
@app.on_sqs_message(
    queue=CHAT_INTAKE_QUEUE, batch_size=5, maximum_concurrency=2, name=CHAT_INTAKE_FUNCTION_NAME
)
def handle_chat_messages(event: SQSEvent) -> dict[str, Any]:
    return process_chat_messages(event.to_dict(), event.context)


# Each outgoing webhook delivery, one attempt a receipt; a failed one is hidden in the queue
# until its next try (chalicelib/webhook_delivery_entrypoint.py).
@app.on_sqs_message(
    queue=WEBHOOK_DELIVERIES_QUEUE, batch_size=10, name=WEBHOOK_DELIVERY_FUNCTION_NAME
)
def deliver_webhooks(event: SQSEvent) -> dict[str, Any]:
    return process_webhook_deliveries(event.to_dict(), event.context)


@app.schedule(Rate(5, unit=Rate.MINUTES), name="send_status_emails")
def send_status_emails(event: CloudWatchEvent) -> dict[str, Any]:
    return run_status_emails(event.context)


@app.schedule(Cron(0, 7, "*", "*", "?", "*"), name="remind_pending_decisions")
def remind_pending_decisions(event: CloudWatchEvent) -> dict[str, Any]:
    return run_decision_reminder(event.context)
