"""One least-privilege IAM policy per group of functions, and which function gets which.

Chalice gives every function a role of its own, made from the policy file that
`.chalice/config.json` names for it (`stages.<stage>.lambda_functions.<name>.iam_policy_file`;
with `autogen_policy` false, `chalice package` embeds that file in the function's role). The
files are static JSON, so they name the stage's resources by their fixed names (see stage.py)
and AWS's `*` for region and account. They are generated from this module, checked in, and
checked by `python -m deploy` (so by `make package`): `make policies` rewrites them, and the
functions' entries in config.json, after a change here, in app.py or in the stage's settings.

The groups follow the entry points, each of which reaches a known part of chalicelib:

- api: the REST handler (every route): the table, shoppers' photos, handing sign-in requests
  to the sign-in function, chat messages to the chat intake's queue, and test and retried
  webhook deliveries to theirs. Never Step Functions:
  changes reach the lifecycle through the stream.
- lifecycle: the state machine's task functions: the table, and sending a task token back when
  the step it was stored for is already settled (store_task_token).
- return-events: the table stream's consumer: reads the stream, starts and resumes lifecycles,
  writes the status emails' outbox, queues what Gorgias must hear of and the webhook
  deliveries (reading the endpoints), reports what it gave up on to its on-failure queue.
- inspections: the inspection queue's consumer: reads the queue and the warehouse's files,
  writes reports, updates returns.
- chat-intake: the chat queue's consumer: reads the queue, the customers' orders and returns,
  opens returns, keeps the chat conversations. (The API sends to that queue, nothing else.)
- gorgias-updates: the Gorgias updates queue's consumer: reads the queue, keeps which ticket a
  return has (on the return too) and which steps it was told of, signs links to the shoppers'
  photos. (The return
  events' consumer sends to that queue, nothing else.)
- webhook-deliveries: the webhook deliveries queue's consumer: reads the queue and hides a
  failed delivery's message until its next try, reads the endpoints and records each attempt.
  Its calls to the merchant's endpoints are plain HTTPS, no AWS permission. (The return
  events' consumer and the API send to that queue.)
- emails: the scheduled jobs: the table and SES, from the stage's sender address only.
- sign-in: the function that emails sign-in codes: orders, codes, SES.

tests/tooling/test_deploy_policies.py reads chalicelib for every AWS call, and checks that
each group is granted exactly the calls of the modules it runs, plus what Lambda itself needs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Any

from chalicelib.chat_entrypoint import CHAT_INTAKE_FUNCTION_NAME
from chalicelib.domain.inspection import RESULTS_PREFIX, UPLOAD_PREFIX
from chalicelib.gorgias_updates_entrypoint import GORGIAS_UPDATES_FUNCTION_NAME
from chalicelib.integrations.login_requests import LOGIN_CODE_FUNCTION_NAME
from chalicelib.settings import Settings
from chalicelib.webhook_delivery_entrypoint import WEBHOOK_DELIVERY_FUNCTION_NAME
from deploy.cfn import policy_document
from deploy.chalice_app import (
    API_HANDLER,
    ChaliceStage,
    describe_stage,
    load_app,
    load_project_config,
)
from deploy.inspections import CONSUMER_FUNCTION_NAME as INSPECTION_FUNCTION_NAME
from deploy.lifecycle import DEFINITION_PATH, load_definition, task_function_ids
from deploy.stage import StageNames

Policy = dict[str, Any]


class FunctionGroup(StrEnum):
    API = "api"
    LIFECYCLE = "lifecycle"
    RETURN_EVENTS = "return-events"
    INSPECTIONS = "inspections"
    CHAT_INTAKE = "chat-intake"
    GORGIAS_UPDATES = "gorgias-updates"
    WEBHOOK_DELIVERIES = "webhook-deliveries"
    EMAILS = "emails"
    SIGN_IN = "sign-in"


# The table actions of each group: those of the repositories its entry point uses (the test
# derives them from the code). Transactions are authorised per write they hold (PutItem,
# UpdateItem...): IAM has no TransactWriteItems action (Service Authorization Reference).
TABLE_ACTIONS: dict[FunctionGroup, tuple[str, ...]] = {
    FunctionGroup.API: (
        "GetItem",
        "BatchGetItem",
        "Query",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
    ),
    FunctionGroup.LIFECYCLE: ("GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem"),
    FunctionGroup.RETURN_EVENTS: ("GetItem", "Query", "PutItem", "UpdateItem"),
    FunctionGroup.INSPECTIONS: (
        "GetItem",
        "BatchGetItem",
        "Query",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
    ),
    FunctionGroup.CHAT_INTAKE: ("GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem"),
    # A request's ticket is kept on the request: read with its log, written with its event.
    FunctionGroup.GORGIAS_UPDATES: ("GetItem", "Query", "PutItem", "UpdateItem"),
    FunctionGroup.WEBHOOK_DELIVERIES: ("GetItem", "UpdateItem"),
    FunctionGroup.EMAILS: ("GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem"),
    FunctionGroup.SIGN_IN: ("GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"),
}

# services/portal_service.py keys shoppers' photos under `returns/<rma id>/photos/`.
PHOTO_PREFIX = "returns/"
# services/order_requests.py keys a claim's photos under `claims/<digest of the shopper>/`.
CLAIM_PHOTO_PREFIX = "claims/"
# Where the Lambda service writes each function's logs; the log groups are named after the
# functions, whose names CloudFormation derives from the stack's.
_LAMBDA_LOG_GROUPS = "arn:aws:logs:*:*:log-group:/aws/lambda/*"
_CONFIG = Path(".chalice") / "config.json"


class UngroupedFunctionError(ValueError):
    """A function of app.py belongs to no group (or to several), so it has no policy."""


class PolicyAssignmentError(ValueError):
    """.chalice/config.json does not give a function the policy file of its group."""


class PolicyFilesOutOfDateError(ValueError):
    """A policy file differs from what this module generates for it."""


def policy_file_name(stage: str, group: FunctionGroup) -> str:
    return f"policy-{stage}-{group}.json"


def function_groups(
    chalice_stage: ChaliceStage, lifecycle_task_ids: Collection[str]
) -> dict[str, FunctionGroup]:
    """Each function's group, by logical id, from what the function is in the app: the REST
    handler, a function the state machine calls, a stream, queue or schedule consumer, or the
    sign-in function. A function that is none of these (or two) stops the generation: it would
    otherwise run with whatever policy Chalice falls back to."""
    members = {
        FunctionGroup.API: {API_HANDLER},
        FunctionGroup.LIFECYCLE: set(lifecycle_task_ids),
        FunctionGroup.RETURN_EVENTS: {c.function_id for c in chalice_stage.stream_consumers},
        FunctionGroup.INSPECTIONS: _consumers(chalice_stage, INSPECTION_FUNCTION_NAME),
        FunctionGroup.CHAT_INTAKE: _consumers(chalice_stage, CHAT_INTAKE_FUNCTION_NAME),
        FunctionGroup.GORGIAS_UPDATES: _consumers(chalice_stage, GORGIAS_UPDATES_FUNCTION_NAME),
        FunctionGroup.WEBHOOK_DELIVERIES: _consumers(chalice_stage, WEBHOOK_DELIVERY_FUNCTION_NAME),
        FunctionGroup.EMAILS: set(chalice_stage.scheduled_function_ids),
        FunctionGroup.SIGN_IN: {
            function_id
            for function_id, function in chalice_stage.functions.items()
            if function.name == LOGIN_CODE_FUNCTION_NAME
        },
    }
    groups: dict[str, FunctionGroup] = {}
    for function_id in chalice_stage.function_ids:
        found = [group for group, ids in members.items() if function_id in ids]
        if len(found) != 1:
            raise UngroupedFunctionError(
                f"{function_id} belongs to {len(found)} policy groups {[str(g) for g in found]}: "
                "add it to exactly one in deploy/policies.py's function_groups()"
            )
        groups[function_id] = found[0]
    return groups


def _consumers(chalice_stage: ChaliceStage, function_name: str) -> set[str]:
    # A queue's consumer by the name app.py gives it (deploy/queues.py's consumer_of).
    return {c.function_id for c in chalice_stage.queue_consumers if c.name == function_name}


def group_policies(names: StageNames, sender_email: str) -> dict[FunctionGroup, Policy]:
    """Every group's policy document for the stage of `names`."""
    return {group: _policy(group, names, sender_email) for group in FunctionGroup}


def sender_address(environment_variables: Mapping[str, str]) -> str:
    """The address the stage's emails come from (SENDER_EMAIL, else the setting's default),
    without a display name: what SES compares `ses:FromAddress` with."""
    configured = environment_variables.get("SENDER_EMAIL")
    sender = configured or str(Settings.model_fields["sender_email"].default)
    return parseaddr(sender)[1]


def check_policy_files(
    project_dir: Path,
    names: StageNames,
    chalice_stage: ChaliceStage,
    groups: Mapping[str, FunctionGroup],
) -> None:
    """What `chalice package` will give each function is its group's policy, as generated."""
    wrong = {
        function_id: chalice_stage.functions[function_id].policy_file
        for function_id, group in groups.items()
        if chalice_stage.functions[function_id].policy_file != policy_file_name(names.stage, group)
    }
    if wrong:
        raise PolicyAssignmentError(
            f"stage {names.stage!r}: these functions do not get their group's policy file in "
            f".chalice/config.json: {wrong}; run `make policies`"
        )
    policies = group_policies(names, sender_address(chalice_stage.environment_variables))
    stale = [
        file
        for group, policy in policies.items()
        if _read_json(project_dir / ".chalice" / (file := policy_file_name(names.stage, group)))
        != policy
    ]
    if stale:
        raise PolicyFilesOutOfDateError(
            f"out of date or missing in .chalice/: {stale}; run `make policies`"
        )


def write_policy_files(project_dir: Path) -> list[Path]:
    """Write every stage's group policies under .chalice/, and point each function's entry of
    config.json at its group's file. Returns the files written."""
    app = load_app(project_dir)
    config = load_project_config(project_dir)
    tasks = task_function_ids(load_definition(project_dir / DEFINITION_PATH))
    written: list[Path] = []
    for stage, stage_config in config["stages"].items():
        names = StageNames(app_name=config["app_name"], stage=stage)
        chalice_stage = describe_stage(app, project_dir, stage)
        groups = function_groups(chalice_stage, tasks)
        functions = stage_config.setdefault("lambda_functions", {})
        for function_id, group in groups.items():
            name = chalice_stage.functions[function_id].name
            functions.setdefault(name, {})["iam_policy_file"] = policy_file_name(stage, group)
        sender = sender_address(chalice_stage.environment_variables)
        for group, policy in group_policies(names, sender).items():
            path = project_dir / ".chalice" / policy_file_name(stage, group)
            path.write_text(_json(policy))
            written.append(path)
    (project_dir / _CONFIG).write_text(_json(config))
    return written


# --- the policies ------------------------------------------------------------------------------


def _policy(group: FunctionGroup, names: StageNames, sender_email: str) -> Policy:
    statements = [
        _allow(
            "WriteLogs",
            _LAMBDA_LOG_GROUPS,
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ),
        # X-Ray's write actions have no resource-level permissions.
        _allow("Tracing", "*", "xray:PutTraceSegments", "xray:PutTelemetryRecords"),
        # Every function reads the stage's secrets when it first loads its settings.
        _allow("Secrets", f"arn:aws:ssm:*:*:parameter{names.parameter_path}*", "ssm:GetParameter"),
        *_table(names, TABLE_ACTIONS[group]),
    ]
    statements += _GROUP_STATEMENTS[group](names, sender_email)
    return policy_document(*statements)


def _api(names: StageNames, sender_email: str) -> list[dict[str, Any]]:
    return [
        # Presigned POSTs (uploads) and GETs (links) are signed with the function's role, and
        # HeadObject (has an upload arrived?) is authorised as GetObject.
        _allow(
            "PhotoUploads",
            [_objects(names, PHOTO_PREFIX), _objects(names, CLAIM_PHOTO_PREFIX)],
            "s3:GetObject",
            "s3:PutObject",
        ),
        # The console shows the warehouse files' reports; it reads nothing else of theirs.
        _allow("ReadInspectionReports", _objects(names, RESULTS_PREFIX), "s3:GetObject"),
        _allow(
            "HandOverSignInRequests",
            f"arn:aws:lambda:*:*:function:{names.function_name(LOGIN_CODE_FUNCTION_NAME)}",
            "lambda:InvokeFunction",
        ),
        _allow(
            "HandOverChatMessages",
            f"arn:aws:sqs:*:*:{names.chat_intake_queue_name}",
            "sqs:SendMessage",
        ),
        # A merchant's test webhook, and a delivery a person retries.
        _allow(
            "QueueWebhookDeliveries",
            f"arn:aws:sqs:*:*:{names.webhook_deliveries_queue_name}",
            "sqs:SendMessage",
        ),
    ]


def _lifecycle(names: StageNames, sender_email: str) -> list[dict[str, Any]]:
    return [_resume_lifecycle()]


def _return_events(names: StageNames, sender_email: str) -> list[dict[str, Any]]:
    table = _table_arn(names)
    return [
        # What the event source mapping reads the stream with, as the function's role (the
        # Lambda developer guide's list for DynamoDB streams).
        _allow(
            "ReadTableStream",
            f"{table}/stream/*",
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        ),
        # ListStreams has no resource-level permissions: it names streams, reads none.
        _allow("ListTableStreams", "*", "dynamodb:ListStreams"),
        # The event source mapping reports the batches it gave up on with the function's role.
        _allow(
            "ReportFailedReturnEvents",
            f"arn:aws:sqs:*:*:{names.return_events_dead_letter_queue_name}",
            "sqs:SendMessage",
        ),
        _allow(
            "QueueGorgiasUpdates",
            f"arn:aws:sqs:*:*:{names.gorgias_updates_queue_name}",
            "sqs:SendMessage",
        ),
        _allow(
            "QueueWebhookDeliveries",
            f"arn:aws:sqs:*:*:{names.webhook_deliveries_queue_name}",
            "sqs:SendMessage",
        ),
        _allow(
            "StartLifecycle",
            f"arn:aws:states:*:*:stateMachine:{names.state_machine_name}",
            "states:StartExecution",
        ),
        _resume_lifecycle(),
    ]


def _inspections(names: StageNames, sender_email: str) -> list[dict[str, Any]]:
    return [
        # What Lambda's poller needs of the queue (the Lambda developer guide's list for SQS):
        # a failed message becomes visible again by itself, so no ChangeMessageVisibility.
        _allow(
            "ConsumeInspectionQueue",
            f"arn:aws:sqs:*:*:{names.inspection_queue_name}",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
        ),
        # By version too: a notification of a versioned bucket names the version to read.
        _allow(
            "ReadInspectionFiles",
            _objects(names, UPLOAD_PREFIX),
            "s3:GetObject",
            "s3:GetObjectVersion",
        ),
        _allow("WriteInspectionReports", _objects(names, RESULTS_PREFIX), "s3:PutObject"),
    ]


def _chat_intake(names: StageNames, sender_email: str) -> list[dict[str, Any]]:
    return [
        # What Lambda's poller needs of the queue, as for the inspections' above.
        _allow(
            "ConsumeChatIntakeQueue",
            f"arn:aws:sqs:*:*:{names.chat_intake_queue_name}",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
        ),
    ]


def _gorgias_updates(names: StageNames, sender_email: str) -> list[dict[str, Any]]:
    return [
        # What Lambda's poller needs of the queue, as for the inspections' above.
        _allow(
            "ConsumeGorgiasUpdatesQueue",
            f"arn:aws:sqs:*:*:{names.gorgias_updates_queue_name}",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
        ),
        # A request's ticket links to the shopper's photos: presigned GETs, signed with the
        # function's role, which must itself be allowed to read them (a return's, a claim's).
        _allow("PhotoLinks", _objects(names, PHOTO_PREFIX), "s3:GetObject"),
        _allow("ClaimPhotoLinks", _objects(names, CLAIM_PHOTO_PREFIX), "s3:GetObject"),
    ]


def _webhook_deliveries(names: StageNames, sender_email: str) -> list[dict[str, Any]]:
    return [
        # What Lambda's poller needs of the queue, as for the inspections' above; and hiding a
        # failed delivery's message until its next try (its visibility timeout).
        _allow(
            "ConsumeWebhookDeliveriesQueue",
            f"arn:aws:sqs:*:*:{names.webhook_deliveries_queue_name}",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility",
        ),
    ]


def _emails(names: StageNames, sender_email: str) -> list[dict[str, Any]]:
    return [_shopper_emails(sender_email)]


def _sign_in(names: StageNames, sender_email: str) -> list[dict[str, Any]]:
    return [_shopper_emails(sender_email)]


_GROUP_STATEMENTS = {
    FunctionGroup.API: _api,
    FunctionGroup.LIFECYCLE: _lifecycle,
    FunctionGroup.RETURN_EVENTS: _return_events,
    FunctionGroup.INSPECTIONS: _inspections,
    FunctionGroup.CHAT_INTAKE: _chat_intake,
    FunctionGroup.GORGIAS_UPDATES: _gorgias_updates,
    FunctionGroup.WEBHOOK_DELIVERIES: _webhook_deliveries,
    FunctionGroup.EMAILS: _emails,
    FunctionGroup.SIGN_IN: _sign_in,
}


def _table(names: StageNames, actions: Iterable[str]) -> list[dict[str, Any]]:
    granted = [f"dynamodb:{action}" for action in actions]
    table = _table_arn(names)
    statements = [_allow("ReturnsTable", table, *granted)]
    if "dynamodb:Query" in granted:
        # The customer, status and due-email indexes.
        statements.append(_allow("ReturnsTableIndexes", f"{table}/index/*", "dynamodb:Query"))
    return statements


def _resume_lifecycle() -> dict[str, Any]:
    # The task token names the execution: these actions take no resource ARN at all (Service
    # Authorization Reference, AWS Step Functions), so a statement naming the state machine
    # would grant nothing.
    return _allow("ResumeLifecycle", "*", "states:SendTaskSuccess", "states:SendTaskFailure")


def _shopper_emails(sender_email: str) -> dict[str, Any]:
    # SES authorises a send against the identity (address or domain) it is verified as, which
    # the stage does not know; the condition keeps the sender to the stage's address.
    statement = _allow("ShopperEmails", "arn:aws:ses:*:*:identity/*", "ses:SendEmail")
    statement["Condition"] = {"StringEquals": {"ses:FromAddress": sender_email}}
    return statement


def _table_arn(names: StageNames) -> str:
    return f"arn:aws:dynamodb:*:*:table/{names.table_name}"


def _objects(names: StageNames, prefix: str) -> str:
    # The bucket's name ends with the account id (bucket.py), which a static file cannot know.
    return f"arn:aws:s3:::{names.prefix}-returns-*/{prefix}*"


def _allow(sid: str, resource: str | list[str], *actions: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resource}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def _json(document: Any) -> str:
    return json.dumps(document, indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.policies",
        description="Write .chalice/policy-<stage>-<group>.json and point config.json at them.",
    )
    parser.parse_args(argv)
    for path in write_policy_files(Path(__file__).resolve().parent.parent):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
