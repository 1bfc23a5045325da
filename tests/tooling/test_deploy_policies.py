"""The functions' IAM policies: one per group of functions, least privilege, for every stage.

The code is read for every AWS call it makes (boto3 clients in the repositories and
integrations, and the calls Powertools makes for them), function by function; `RUNS_IN` says
which function groups run each module (or one function of a module) that makes them. Each group
must be granted every call it runs, on this stage's resources, and nothing else but what Lambda
itself does with the function's role. No AWS and no network.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest

import app
from chalicelib.domain.inspection import RESULTS_PREFIX, UPLOAD_PREFIX
from chalicelib.integrations.login_requests import LOGIN_CODE_FUNCTION_NAME
from deploy.chalice_app import (
    API_HANDLER,
    ChaliceFunction,
    ChaliceStage,
    describe_stage,
    load_project_config,
)
from deploy.lifecycle import DEFINITION_PATH, load_definition, task_function_ids
from deploy.policies import (
    CLAIM_PHOTO_PREFIX,
    PHOTO_PREFIX,
    FunctionGroup,
    PolicyAssignmentError,
    PolicyFilesOutOfDateError,
    UngroupedFunctionError,
    check_policy_files,
    function_groups,
    group_policies,
    policy_file_name,
    sender_address,
)
from deploy.stage import StageNames

ROOT = Path(__file__).resolve().parents[2]
CHALICELIB = ROOT / "chalicelib"
STAGES = sorted(load_project_config(ROOT)["stages"])
TASKS = task_function_ids(load_definition(ROOT / DEFINITION_PATH))

API = FunctionGroup.API
LIFECYCLE = FunctionGroup.LIFECYCLE
RETURN_EVENTS = FunctionGroup.RETURN_EVENTS
INSPECTIONS = FunctionGroup.INSPECTIONS
CHAT_INTAKE = FunctionGroup.CHAT_INTAKE
GORGIAS_UPDATES = FunctionGroup.GORGIAS_UPDATES
WEBHOOK_DELIVERIES = FunctionGroup.WEBHOOK_DELIVERIES
EMAILS = FunctionGroup.EMAILS
SIGN_IN = FunctionGroup.SIGN_IN

# Which function groups run each module that calls AWS, from the entry points
# (chalicelib/*_entrypoint*.py, the API's blueprints) through services/container.py; a key
# `module:function` narrows it to one function (or method) of the module, for a group that uses
# only that. When a group starts using a repository or an integration, add the group here: the
# tests below then say what its policy lacks. A call that no key covers fails them too.
RUNS_IN: dict[str, set[FunctionGroup]] = {
    # Routes; lifecycle tasks; receipts from inspection files; the daily reminder's list; returns
    # opened from a chat.
    "repositories/rma_repository.py": {API, LIFECYCLE, INSPECTIONS, EMAILS, CHAT_INTAKE},
    # Return events make status emails due; the scheduled job sends them.
    "repositories/email_outbox.py": {RETURN_EVENTS, EMAILS},
    # Orders (portal, webhooks); the sign-in function checks the order is the shopper's.
    "repositories/order_repository.py": {API, SIGN_IN},
    # The chat intake reads the customer's order, and the policy the intake applies.
    "repositories/order_repository.py:get": {CHAT_INTAKE},
    # ... and the return events, the policy an exchange's replacement is ordered under.
    "repositories/policy_repository.py:get": {CHAT_INTAKE, RETURN_EVENTS},
    "repositories/chat_conversations.py": {CHAT_INTAKE},
    # The policy: edited by the admin API, read by the tasks and the reminder's delay.
    "repositories/policy_repository.py": {API, LIFECYCLE, EMAILS},
    # Codes: stored by the sign-in function, verified by the API.
    "repositories/login_repository.py": {API, SIGN_IN},
    # Powertools idempotency records: creations through the API, inspection uploads.
    "repositories/idempotency.py": {API, INSPECTIONS},
    "repositories/photo_store.py": {API},
    "repositories/inspection_files.py": {INSPECTIONS},
    # Lifecycle hand-offs from return events; store_task_token's own hand-back of a token whose
    # step is already settled (it never starts an execution).
    "repositories/lifecycle_executions.py": {RETURN_EVENTS},
    "repositories/lifecycle_executions.py:succeed": {LIFECYCLE},
    "repositories/lifecycle_executions.py:fail": {LIFECYCLE},
    "integrations/login_requests.py": {API},
    # POST /gorgias/events/message hands each message to the chat intake's queue.
    "integrations/chat_queue.py": {API},
    # The return events queue what Gorgias must hear of; the queue's consumer keeps which ticket
    # a return has, and links a request's ticket to the shopper's photos.
    "integrations/gorgias_updates_queue.py": {RETURN_EVENTS},
    "repositories/gorgias_tickets.py": {GORGIAS_UPDATES},
    # ... and keeps on the return the ticket opened for its request; the return events record
    # on an exchange the replacement they ordered.
    "repositories/rma_repository.py:get": {GORGIAS_UPDATES, RETURN_EVENTS},
    "repositories/rma_repository.py:save_transition": {GORGIAS_UPDATES, RETURN_EVENTS},
    "repositories/photo_store.py:view_url": {GORGIAS_UPDATES},
    # The return events store and queue the webhook deliveries their endpoints want; the queue's
    # consumer attempts them, records each attempt and the endpoint's health, and hides a
    # failed one's message until its next try.
    # The API queues test webhooks and the deliveries a person retries; it manages endpoints
    # and reads the delivery log.
    "integrations/webhook_queue.py:send": {API},
    "integrations/webhook_queue.py:send_all": {RETURN_EVENTS},
    "integrations/webhook_queue.py:retry_later": {WEBHOOK_DELIVERIES},
    "repositories/webhook_endpoints.py": {API},
    "repositories/webhook_endpoints.py:list": {RETURN_EVENTS},
    "repositories/webhook_endpoints.py:get": {WEBHOOK_DELIVERIES},
    "repositories/webhook_endpoints.py:record_failure": {WEBHOOK_DELIVERIES},
    "repositories/webhook_endpoints.py:record_success": {WEBHOOK_DELIVERIES},
    "repositories/webhook_endpoints.py:disable": {WEBHOOK_DELIVERIES},
    "repositories/webhook_deliveries.py": {API},
    "repositories/webhook_deliveries.py:add": {RETURN_EVENTS},
    "repositories/webhook_deliveries.py:get": {RETURN_EVENTS, WEBHOOK_DELIVERIES},
    "repositories/webhook_deliveries.py:record_attempt": {WEBHOOK_DELIVERIES},
    "integrations/email.py": {EMAILS, SIGN_IN},
    # Analytics: return events add to the counters, orders stored by the API add their sales,
    # the console's page reads them.
    "repositories/analytics_counters.py:_transact": {RETURN_EVENTS, API},
    "repositories/analytics_counters.py:_query": {API},
    # Order requests: opened, read and decided through the API; the return events carry out
    # what was accepted (read it, write it resolved); the Gorgias updates keep on a request the
    # ticket opened for it.
    "repositories/order_requests.py": {API},
    "repositories/order_requests.py:get_with_log": {RETURN_EVENTS, GORGIAS_UPDATES},
    "repositories/order_requests.py:save": {RETURN_EVENTS, GORGIAS_UPDATES},
    # Every function reads its secrets from SSM when it first loads its settings.
    "settings_model.py": set(FunctionGroup),
}

# What Lambda does with a function's role, beyond the function's own calls.
LAMBDA_NEEDS: dict[FunctionGroup, set[str]] = {
    group: {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
    for group in FunctionGroup
}
# The event source mapping reads the stream and reports what it gave up on.
LAMBDA_NEEDS[RETURN_EVENTS] |= {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
    "sqs:SendMessage",
}
# The SQS poller.
LAMBDA_NEEDS[INSPECTIONS] |= {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
LAMBDA_NEEDS[CHAT_INTAKE] |= {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
LAMBDA_NEEDS[GORGIAS_UPDATES] |= {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
}
LAMBDA_NEEDS[WEBHOOK_DELIVERIES] |= {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
}

# IAM names that differ from the API operation's, and writes IAM checks in a call's place.
_IAM_ACTIONS = {
    "s3:HeadObject": {"s3:GetObject"},
    "lambda:Invoke": {"lambda:InvokeFunction"},
    # IAM authorises a batch as its messages: SendMessage (SQS developer guide, API permissions).
    "sqs:SendMessageBatch": {"sqs:SendMessage"},
    # Authorised per write it holds (see _transaction_parts).
    "dynamodb:TransactWriteItems": set(),
}
_TRANSACTION_PARTS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
_POWERTOOLS = Path(boto3.__file__).parents[1] / "aws_lambda_powertools"


@pytest.fixture(scope="module", params=STAGES)
def stage(request: pytest.FixtureRequest) -> str:
    return request.param


def names_of(stage: str) -> StageNames:
    return StageNames(app_name=load_project_config(ROOT)["app_name"], stage=stage)


def policy_of(stage: str, group: FunctionGroup) -> dict[str, Any]:
    policy: dict[str, Any] = json.loads(
        (ROOT / ".chalice" / policy_file_name(stage, group)).read_text()
    )
    return policy


# --- which function gets which policy ----------------------------------------------------------


def test_every_function_is_in_the_group_its_role_in_the_app_says(stage: str) -> None:
    # Given the functions `chalice package` emits for the stage
    chalice_stage = describe_stage(app.app, ROOT, stage)
    # When each is given its group
    groups = function_groups(chalice_stage, TASKS)
    # Then the REST handler, the state machine's tasks, the consumers, the schedules and the
    # sign-in function each have theirs
    by_group: dict[FunctionGroup, set[str]] = {}
    for function_id, group in groups.items():
        by_group.setdefault(group, set()).add(function_id)
    assert by_group == {
        API: {API_HANDLER},
        LIFECYCLE: TASKS,
        RETURN_EVENTS: {"HandleReturnEvents"},
        INSPECTIONS: {"ProcessInspectionUploads"},
        CHAT_INTAKE: {"HandleChatMessages"},
        GORGIAS_UPDATES: {"SendGorgiasUpdates"},
        WEBHOOK_DELIVERIES: {"DeliverWebhooks"},
        EMAILS: {"SendStatusEmails", "RemindPendingDecisions"},
        SIGN_IN: {"SendLoginCode"},
    }
    assert len(TASKS) == 12


def test_the_policy_files_are_the_generated_ones(stage: str) -> None:
    # Given the stage's functions, as `python -m deploy` checks them before packaging
    chalice_stage = describe_stage(app.app, ROOT, stage)
    groups = function_groups(chalice_stage, TASKS)
    # Then the files and config.json's assignments are what `make policies` writes
    check_policy_files(ROOT, names_of(stage), chalice_stage, groups)
    sender = sender_address(chalice_stage.environment_variables)
    for group, policy in group_policies(names_of(stage), sender).items():
        assert policy_of(stage, group) == policy


def test_a_stale_policy_file_stops_the_generation(tmp_path: Path) -> None:
    # Given a project whose api policy file was edited by hand
    chalice_stage = describe_stage(app.app, ROOT, "dev")
    groups = function_groups(chalice_stage, TASKS)
    (tmp_path / ".chalice").mkdir()
    for group in FunctionGroup:
        name = policy_file_name("dev", group)
        (tmp_path / ".chalice" / name).write_text((ROOT / ".chalice" / name).read_text())
    edited = policy_of("dev", API)
    edited["Statement"].append({"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"})
    (tmp_path / ".chalice" / policy_file_name("dev", API)).write_text(json.dumps(edited))
    # When / Then the generation refuses it, and says how to fix it
    with pytest.raises(PolicyFilesOutOfDateError, match="make policies"):
        check_policy_files(tmp_path, names_of("dev"), chalice_stage, groups)


def test_a_function_given_another_groups_file_stops_the_generation() -> None:
    # Given config.json pointing the sign-in function at the API's policy
    chalice_stage = describe_stage(app.app, ROOT, "dev")
    misplaced = ChaliceFunction(
        LOGIN_CODE_FUNCTION_NAME, "policy-dev-api.json", "python3.11", "x86_64"
    )
    stage = ChaliceStage(
        function_ids=chalice_stage.function_ids,
        scheduled_function_ids=chalice_stage.scheduled_function_ids,
        queue_consumers=chalice_stage.queue_consumers,
        stream_consumers=chalice_stage.stream_consumers,
        environment_variables=chalice_stage.environment_variables,
        functions={**chalice_stage.functions, "SendLoginCode": misplaced},
    )
    # When / Then the generation names it
    with pytest.raises(PolicyAssignmentError, match="SendLoginCode"):
        check_policy_files(ROOT, names_of("dev"), stage, function_groups(stage, TASKS))


def test_a_function_in_no_group_stops_the_generation() -> None:
    # Given a function that is no task, consumer, schedule, sign-in or API handler
    stage = ChaliceStage(
        function_ids=[API_HANDLER, "Orphan"],
        functions={
            API_HANDLER: ChaliceFunction("api_handler", None, "python3.11", "x86_64"),
            "Orphan": ChaliceFunction("orphan", None, "python3.11", "x86_64"),
        },
    )
    # When / Then it gets no policy by default: the generation stops and names it
    with pytest.raises(UngroupedFunctionError, match="Orphan"):
        function_groups(stage, TASKS)


# --- every call the code makes, granted where it runs, and nothing else -------------------------


def test_every_aws_call_of_the_code_says_where_it_runs() -> None:
    uncovered = [
        f"{module}:{function}"
        for (module, function), calls in code_calls().items()
        if calls and not groups_running(module, function)
    ]
    assert not uncovered, f"calls AWS, but RUNS_IN says no group runs it: {uncovered}"
    calling = {
        key
        for (module, function), calls in code_calls().items()
        if calls
        for key in (module, f"{module}:{function}")
    }
    assert set(RUNS_IN) <= calling, f"in RUNS_IN without AWS calls: {set(RUNS_IN) - calling}"


def test_the_code_inventory_finds_the_calls_of_each_kind() -> None:
    # The inventory itself: a regression in how it reads the code would pass everything.
    calls = module_calls()
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"} <= calls["repositories/rma_repository.py"]
    assert "dynamodb:BatchGetItem" in calls["repositories/rma_repository.py"]
    assert "dynamodb:TransactWriteItems" not in set().union(*calls.values())
    assert calls["repositories/idempotency.py"] == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    assert calls["repositories/photo_store.py"] == {"s3:GetObject", "s3:PutObject"}
    assert calls["repositories/inspection_files.py"] == {
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:GetItem",
    }
    assert calls["repositories/lifecycle_executions.py"] == {
        "states:StartExecution",
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
    }
    assert code_calls()[("repositories/lifecycle_executions.py", "start")] == {
        "states:StartExecution"
    }
    assert calls["integrations/login_requests.py"] == {"lambda:InvokeFunction"}
    assert calls["integrations/email.py"] == {"ses:SendEmail"}
    assert calls["settings_model.py"] == {"ssm:GetParameter"}


def test_every_aws_call_is_granted_on_the_stage_resources_to_each_group_that_makes_it(
    stage: str,
) -> None:
    names = names_of(stage)
    missing = [
        f"{group}: {action} ({module}:{function})"
        for (module, function), calls in code_calls().items()
        for group in groups_running(module, function)
        for action in sorted(calls)
        if not any(
            _names_stage_resource(action, names)(resource)
            for resource in _granted(stage, group).get(action, ())
        )
    ]
    assert not missing, "not granted on this stage's resources:\n" + "\n".join(missing)


def test_each_group_is_granted_only_its_calls_and_lambdas(stage: str) -> None:
    needed = {group: set(LAMBDA_NEEDS[group]) for group in FunctionGroup}
    for (module, function), calls in code_calls().items():
        for group in groups_running(module, function):
            needed[group] |= calls
    extra = {group: sorted(set(_granted(stage, group)) - needed[group]) for group in FunctionGroup}
    assert not any(extra.values()), f"granted but no code of the group calls it: {extra}"


def test_only_the_return_events_and_the_tasks_reach_step_functions(stage: str) -> None:
    # Given the state machine of the stage
    state_machine = f"arn:aws:states:*:*:stateMachine:{names_of(stage).state_machine_name}"
    reached = {
        group: {a: r for a, r in _granted(stage, group).items() if a.startswith("states:")}
        for group in FunctionGroup
    }
    # Then the stream consumer starts lifecycles of that state machine and resumes them, and the
    # tasks resume them (store_task_token); the API hands everything over through the stream
    resume = {"states:SendTaskSuccess": {"*"}, "states:SendTaskFailure": {"*"}}
    assert reached == {
        API: {},
        LIFECYCLE: resume,
        RETURN_EVENTS: {"states:StartExecution": {state_machine}, **resume},
        INSPECTIONS: {},
        CHAT_INTAKE: {},
        GORGIAS_UPDATES: {},
        WEBHOOK_DELIVERIES: {},
        EMAILS: {},
        SIGN_IN: {},
    }


def test_the_stream_consumer_reads_the_tables_stream_and_reports_to_its_queue(stage: str) -> None:
    names = names_of(stage)
    granted = _granted(stage, RETURN_EVENTS)
    stream = f"arn:aws:dynamodb:*:*:table/{names.table_name}/stream/*"
    for action in ("DescribeStream", "GetRecords", "GetShardIterator"):
        assert granted[f"dynamodb:{action}"] == {stream}
    assert granted["dynamodb:ListStreams"] == {"*"}
    # And it queues what Gorgias must hear of, and the webhook deliveries
    assert granted["sqs:SendMessage"] == {
        f"arn:aws:sqs:*:*:{names.return_events_dead_letter_queue_name}",
        f"arn:aws:sqs:*:*:{names.gorgias_updates_queue_name}",
        f"arn:aws:sqs:*:*:{names.webhook_deliveries_queue_name}",
    }
    # And no other function reads a stream, nor sends to a queue but the API (to the chat's and
    # the webhook deliveries')
    for group in set(FunctionGroup) - {RETURN_EVENTS}:
        assert "dynamodb:GetRecords" not in _granted(stage, group)
    for group in set(FunctionGroup) - {RETURN_EVENTS, API}:
        assert "sqs:SendMessage" not in _granted(stage, group)


def test_the_api_sends_to_the_chat_intakes_and_the_webhook_deliveries_queues_only(
    stage: str,
) -> None:
    names = names_of(stage)
    granted = _granted(stage, API)
    assert {a: r for a, r in granted.items() if a.startswith("sqs:")} == {
        "sqs:SendMessage": {
            f"arn:aws:sqs:*:*:{names.chat_intake_queue_name}",
            f"arn:aws:sqs:*:*:{names.webhook_deliveries_queue_name}",
        }
    }


def test_the_webhook_deliveries_consumer_reads_its_queue_and_the_table_only(stage: str) -> None:
    names = names_of(stage)
    granted = _granted(stage, WEBHOOK_DELIVERIES)
    queue = f"arn:aws:sqs:*:*:{names.webhook_deliveries_queue_name}"
    # Then it reads its queue, and hides a failed delivery's message until its next try
    assert {a: r for a, r in granted.items() if a.startswith("sqs:")} == {
        action: {queue}
        for action in (
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility",
        )
    }
    # And it reads and updates endpoints and deliveries: nothing else of AWS (its requests to
    # the merchants' endpoints need no permission)
    assert {a.split(":")[0] for a in granted} == {"logs", "xray", "ssm", "dynamodb", "sqs"}
    assert {a for a in granted if a.startswith("dynamodb:")} == {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
    }


def test_the_chat_intake_reads_its_queue_and_the_table_only(stage: str) -> None:
    names = names_of(stage)
    granted = _granted(stage, CHAT_INTAKE)
    queue = f"arn:aws:sqs:*:*:{names.chat_intake_queue_name}"
    assert {a: r for a, r in granted.items() if a.startswith("sqs:")} == {
        action: {queue}
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
    }
    # No S3, no email, no Step Functions: it opens returns as the API does, through the table
    assert {a.split(":")[0] for a in granted} == {"logs", "xray", "ssm", "dynamodb", "sqs"}
    assert "dynamodb:DeleteItem" not in granted


def test_the_inspection_consumer_reads_its_queue_and_files_only(stage: str) -> None:
    names = names_of(stage)
    granted = _granted(stage, INSPECTIONS)
    queue = f"arn:aws:sqs:*:*:{names.inspection_queue_name}"
    assert {a: r for a, r in granted.items() if a.startswith("sqs:")} == {
        action: {queue}
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
    }
    bucket = f"arn:aws:s3:::{names.prefix}-returns-*"
    # Files by version too: a notification of a versioned bucket names the version to read.
    assert (
        granted["s3:GetObject"] == granted["s3:GetObjectVersion"] == {f"{bucket}/{UPLOAD_PREFIX}*"}
    )
    assert granted["s3:PutObject"] == {f"{bucket}/{RESULTS_PREFIX}*"}


def test_the_api_signs_photo_links_and_uploads_and_hands_over_sign_in_requests(stage: str) -> None:
    names = names_of(stage)
    granted = _granted(stage, API)
    photos = f"arn:aws:s3:::{names.prefix}-returns-*/{PHOTO_PREFIX}*"
    claim_photos = f"arn:aws:s3:::{names.prefix}-returns-*/{CLAIM_PHOTO_PREFIX}*"
    reports = f"arn:aws:s3:::{names.prefix}-returns-*/{RESULTS_PREFIX}*"
    # Shoppers upload the photos of their returns and of their order issues
    assert granted["s3:PutObject"] == {photos, claim_photos}
    # The console shows the inspection reports, and reads nothing else of the warehouse's
    assert granted["s3:GetObject"] == {photos, claim_photos, reports}
    assert {a: r for a, r in granted.items() if a.startswith("lambda:")} == {
        "lambda:InvokeFunction": {
            f"arn:aws:lambda:*:*:function:{names.function_name(LOGIN_CODE_FUNCTION_NAME)}"
        }
    }
    # It sends no email itself: sign-in codes go out from the sign-in function
    assert "ses:SendEmail" not in granted


def test_the_gorgias_updates_sign_links_to_the_photos_of_returns_and_claims(stage: str) -> None:
    names = names_of(stage)
    bucket = f"arn:aws:s3:::{names.prefix}-returns-*"
    assert _granted(stage, GORGIAS_UPDATES)["s3:GetObject"] == {
        f"{bucket}/{PHOTO_PREFIX}*",
        f"{bucket}/{CLAIM_PHOTO_PREFIX}*",
    }


def test_emails_go_out_from_the_stages_sender_only(stage: str) -> None:
    variables = describe_stage(app.app, ROOT, stage).environment_variables
    for group in FunctionGroup:
        sends = [s for s in policy_of(stage, group)["Statement"] if "ses:SendEmail" in s["Action"]]
        assert len(sends) == (group in {EMAILS, SIGN_IN}), group
        for statement in sends:
            assert statement["Condition"] == {
                "StringEquals": {"ses:FromAddress": variables["SENDER_EMAIL"]}
            }


def test_every_secret_the_stage_names_is_readable(stage: str) -> None:
    names = names_of(stage)
    variables = describe_stage(app.app, ROOT, stage).environment_variables
    parameters = [value for key, value in variables.items() if key.endswith("_PARAMETER")]
    assert parameters
    for group in FunctionGroup:
        (resource,) = _granted(stage, group)["ssm:GetParameter"]
        assert resource == f"arn:aws:ssm:*:*:parameter{names.parameter_path}*"
        assert all(p.startswith(names.parameter_path) for p in parameters)


def test_each_action_names_resources_only_where_iam_supports_them(stage: str) -> None:
    # Given the Service Authorization Reference as cfn-lint ships it: each action's resource
    # types, none for the actions that accept no resource ARN (SendTaskSuccess, ListStreams...)
    reference = _service_authorization_reference()
    for group in FunctionGroup:
        for action, resources in _granted(stage, group).items():
            service, name = action.split(":")
            supported = reference[service]["Actions"][name.lower()].get("Resources", [])
            # Then an action with no resource types has "*", and any other names resources:
            # a statement naming an ARN for the former would grant nothing at all
            if supported:
                assert "*" not in resources, f"{group}: {action} on *"
            else:
                assert resources == {"*"}, f"{group}: {action} takes no resource ARN"


# --- reading the code --------------------------------------------------------------------------


def groups_running(module: str, function: str) -> set[FunctionGroup]:
    return RUNS_IN.get(module, set()) | RUNS_IN.get(f"{module}:{function}", set())


def module_calls() -> dict[str, set[str]]:
    calls: dict[str, set[str]] = {}
    for (module, _), actions in code_calls().items():
        calls.setdefault(module, set()).update(actions)
    return calls


@cache
def code_calls() -> dict[tuple[str, str], set[str]]:
    """The IAM actions the AWS calls of each function of chalicelib need, by (module, name of
    the function or method, `<module>` for code outside any)."""
    clients = _client_attributes()
    helpers = _inherited_helper_calls(clients)
    calls: dict[tuple[str, str], set[str]] = {}
    for path in sorted(CHALICELIB.rglob("*.py")):
        module = path.relative_to(CHALICELIB).as_posix()
        if module == "repositories/dynamo.py":
            continue  # its helpers' calls are counted where they are used
        text = path.read_text()
        for function, source in _functions(text):
            calls[(module, function)] = _calls_in(source, text, clients, helpers)
    return calls


def _functions(text: str) -> list[tuple[str, str]]:
    """The module's functions and methods (nested ones within theirs) with their source, and
    `<module>` with the whole text, for calls outside any."""
    tree = ast.parse(text)
    bodies = [*tree.body] + [
        node for cls in tree.body if isinstance(cls, ast.ClassDef) for node in cls.body
    ]
    functions = [
        (node.name, ast.get_source_segment(text, node) or "")
        for node in bodies
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    outside = text
    for _, source in functions:
        outside = outside.replace(source, "")
    return [*functions, ("<module>", outside)]


def _calls_in(
    source: str, module_text: str, clients: dict[str, str], helpers: dict[str, set[str]]
) -> set[str]:
    actions: set[str] = set()
    for attribute, method in re.findall(r"self\.(_\w+)\.(\w+)\(", source):
        if attribute in clients:
            actions |= _iam_actions(clients[attribute], method, module_text)
    for service, method in re.findall(r'\bclient\("(\w+)"\)\.(\w+)\(', source):
        actions |= _iam_actions(service, method, module_text)
    for helper, helper_calls in helpers.items():
        if re.search(rf"self\.{helper}\(", source):
            actions |= helper_calls
    return actions | _powertools_calls(source, module_text)


def _client_attributes() -> dict[str, str]:
    """`self._dynamodb = ... client("dynamodb")`: the attribute each boto3 client is kept in."""
    attributes: dict[str, str] = {}
    for path in CHALICELIB.rglob("*.py"):
        for attribute, service in re.findall(
            r'self\.(_\w+)\s*=[^\n]*\bclient\("(\w+)"\)', path.read_text()
        ):
            attributes[attribute] = service
    return attributes


def _inherited_helper_calls(clients: dict[str, str]) -> dict[str, set[str]]:
    """The calls of each method of DynamoTable (repositories/dynamo.py), which the repositories
    inherit: `_batch_get` is a BatchGetItem of whichever repository calls it."""
    path = CHALICELIB / "repositories" / "dynamo.py"
    text = path.read_text()
    helpers: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef):
            body = ast.get_source_segment(text, node) or ""
            found = {
                action
                for attribute, method in re.findall(r"self\.(_\w+)\.(\w+)\(", body)
                if attribute in clients
                for action in _iam_actions(clients[attribute], method, body)
            }
            if found:
                helpers[node.name] = found
    return helpers


def _iam_actions(service: str, method: str, module_text: str) -> set[str]:
    if method == "generate_presigned_post":
        return {"s3:PutObject"}
    if method == "generate_presigned_url":
        signed = re.findall(r'generate_presigned_url\(\s*"(\w+)"', module_text)
        return set().union(*(_iam_actions(service, m, "") for m in signed))
    model = _client(service)
    action = f"{model.meta.service_model.signing_name}:{model.meta.method_to_api_mapping[method]}"
    actions = set(_IAM_ACTIONS.get(action, {action}))
    if action == "dynamodb:TransactWriteItems":
        actions |= {
            _TRANSACTION_PARTS[p]
            for p in re.findall(r'\{"(\w+)":', module_text)
            if p in _TRANSACTION_PARTS
        }
        # DynamoTable._put builds the transaction's Put parts for the repositories.
        if "self._put(" in module_text:
            actions.add(_TRANSACTION_PARTS["Put"])
    if action == "s3:GetObject" and "VersionId" in module_text:
        actions.add("s3:GetObjectVersion")
    return actions


def _powertools_calls(source: str, module_text: str) -> set[str]:
    """What Powertools calls on the code's behalf: its idempotency records' table operations
    (read from its own source), and SSM parameters."""
    actions: set[str] = set()
    if "DynamoDBPersistenceLayer(" in source:
        source = (_POWERTOOLS / "utilities/idempotency/persistence/dynamodb.py").read_text()
        actions |= {
            action
            for method in re.findall(r"self\.client\.(\w+)\(", source)
            for action in _iam_actions("dynamodb", method, "")
        }
    reads_parameters = "aws_lambda_powertools.utilities.parameters" in module_text
    if reads_parameters and re.search(r"\bget_parameter\(", source):
        actions.add("ssm:GetParameter")
    return actions


@cache
def _client(service: str) -> Any:
    # A client is only a model here: no call is made, no credentials are read.
    return boto3.session.Session(region_name="us-east-1").client(service)


def _names_stage_resource(action: str, names: StageNames) -> Callable[[str], bool]:
    """Whether a granted resource is one of this stage's for `action`."""
    service = action.split(":")[0]
    expected: dict[str, Callable[[str], bool]] = {
        "dynamodb": lambda r: r == f"arn:aws:dynamodb:*:*:table/{names.table_name}",
        "s3": lambda r: r.startswith(f"arn:aws:s3:::{names.prefix}-returns-*/"),
        "lambda": lambda r: r.endswith(f":function:{names.prefix}-{LOGIN_CODE_FUNCTION_NAME}"),
        "sqs": lambda r: r.startswith(f"arn:aws:sqs:*:*:{names.prefix}-"),
        "ses": lambda r: r == "arn:aws:ses:*:*:identity/*",
        "ssm": lambda r: r == f"arn:aws:ssm:*:*:parameter{names.parameter_path}*",
        "states": lambda r: (
            r == "*"
            if action != "states:StartExecution"
            else r.endswith(f":stateMachine:{names.state_machine_name}")
        ),
    }
    return expected[service]


def _granted(stage: str, group: FunctionGroup) -> dict[str, set[str]]:
    """Each action of the group's policy to the resources it is allowed on."""
    granted: dict[str, set[str]] = {}
    for statement in policy_of(stage, group)["Statement"]:
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"]
        for action in statement["Action"]:
            granted.setdefault(action, set()).update(
                [resources] if isinstance(resources, str) else resources
            )
    return granted


@cache
def _service_authorization_reference() -> dict[str, Any]:
    import cfnlint

    path = Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json"
    reference: dict[str, Any] = json.loads(path.read_text())
    return reference
