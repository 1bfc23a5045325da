"""The deployment's merge template, generated from the code: table, lifecycle, IAM, environment.

No AWS and no network: the template is built in-process from the real app, the real ASL file and
`table_definition()`. cfn-lint and the ASL validator run on the packaged template in `make lint`
(`chalice package` builds the Lambda zip, which may download wheels).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.utils import to_cfn_resource_name

import app
from chalicelib.domain.inspection import (
    RESULTS_PREFIX,
    UPLOAD_PREFIX,
    UPLOAD_SUFFIXES,
    is_inspection_upload,
)
from chalicelib.integrations.login_requests import LOGIN_CODE_FUNCTION_NAME
from chalicelib.observability import METRICS_NAMESPACE, SERVICE_NAME
from chalicelib.repositories.table_schema import TTL_ATTRIBUTE, table_definition
from chalicelib.settings import Settings
from deploy.__main__ import main
from deploy.bucket import RETURNS_BUCKET
from deploy.chalice_app import (
    API_HANDLER,
    ChaliceStage,
    QueueConsumer,
    UnknownStageError,
    describe_stage,
    function_logical_ids,
    load_project_config,
)
from deploy.inspections import (
    DEAD_LETTER_RETENTION_SECONDS,
    INSPECTION_DEAD_LETTER_QUEUE,
    INSPECTION_QUEUE,
    INSPECTION_QUEUE_POLICY,
    MAX_RECEIVE_COUNT,
    QUEUE_NAME_VARIABLE,
    QueueConsumerCountError,
    QueueNameMismatchError,
    check_queue_variable,
)
from deploy.lifecycle import (
    STATE_MACHINE,
    STATE_MACHINE_ROLE,
    UnresolvedPlaceholderError,
    function_substitutions,
    load_definition,
    placeholders,
)
from deploy.merge_template import (
    DEFINITION_PATH,
    LOGIN_CODE_FUNCTION,
    LOGIN_CODE_FUNCTION_VARIABLE,
    STATE_MACHINE_ARN_VARIABLE,
    TABLE,
    TABLE_NAME_VARIABLE,
    build_merge_template,
    generate,
)
from deploy.stage import StageNames
from deploy.table import UnmappedTableSettingError, table_resource

ROOT = Path(__file__).resolve().parents[2]
STAGES = sorted(load_project_config(ROOT)["stages"])
DEFINITION = load_definition(ROOT / DEFINITION_PATH)


@pytest.fixture(scope="module")
def task_function_ids() -> set[str]:
    """The logical ids of the functions the definition calls."""
    return {name.removesuffix("FunctionArn") for name in placeholders(DEFINITION)}


@pytest.fixture(scope="module", params=STAGES)
def stage(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def template(stage: str) -> dict[str, Any]:
    return generate(ROOT, stage)


@pytest.fixture(scope="module")
def packaged(stage: str) -> dict[str, Any]:
    """The template `make package` writes for the stage, from `python -m deploy.preview` in a
    process of its own (it sets the stage's variables before importing app.py, as Chalice does)."""
    output = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "deploy.preview", "--stage", stage],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    packaged_template: dict[str, Any] = json.loads(output)
    return packaged_template


def names_of(stage: str) -> StageNames:
    return StageNames(app_name=load_project_config(ROOT)["app_name"], stage=stage)


# --- the table -----------------------------------------------------------------------------------


def test_the_table_is_table_definition_with_ttl_recovery_and_encryption(
    template: dict[str, Any], stage: str
) -> None:
    # Given the description the repositories, tests and local stack create the table from
    expected = table_definition(names_of(stage).table_name)
    # When the template declares the table
    table = template["Resources"][TABLE]
    properties = table["Properties"]
    # Then keys, indexes and billing are that description's, and the table is protected
    assert table["Type"] == "AWS::DynamoDB::Table"
    for key in ("TableName", "BillingMode", "AttributeDefinitions", "KeySchema"):
        assert properties[key] == expected[key]
    assert properties["GlobalSecondaryIndexes"] == expected["GlobalSecondaryIndexes"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["TimeToLiveSpecification"] == {
        "AttributeName": TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_a_table_setting_without_a_mapping_stops_the_generation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given table_definition() grows a setting the converter does not know
    def with_stream(table_name: str) -> dict[str, Any]:
        return {**table_definition(table_name), "StreamSpecification": {"StreamEnabled": True}}

    monkeypatch.setattr("deploy.table.table_definition", with_stream)
    # When / Then the generation fails instead of deploying a table without it
    with pytest.raises(UnmappedTableSettingError, match="StreamSpecification"):
        table_resource("returns-desk-dev")


# --- the state machine ---------------------------------------------------------------------------


def test_the_definition_is_the_file_as_a_json_object(template: dict[str, Any]) -> None:
    properties = template["Resources"][STATE_MACHINE]["Properties"]
    assert properties["Definition"] == json.loads((ROOT / DEFINITION_PATH).read_text())
    assert properties["StateMachineType"] == "STANDARD"
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Destinations"]


def test_every_function_the_lifecycle_calls_is_declared_by_the_app(
    task_function_ids: set[str],
) -> None:
    # Given the functions the state machine's definition calls
    # When app.py is loaded
    registered = {to_cfn_resource_name(f.name) for f in app.app.pure_lambda_functions}
    # Then each is one of its @app.lambda_function: a deployment without one fails its first run
    missing = sorted(task_function_ids - registered)
    assert not missing, f"The lifecycle calls functions app.py does not declare: {missing}"


def test_every_placeholder_is_the_arn_of_a_function_chalice_creates(
    template: dict[str, Any],
) -> None:
    # Given the functions Chalice registers for app.py
    registered = {to_cfn_resource_name(f.name) for f in app.app.pure_lambda_functions}
    # When the template substitutes the definition's placeholders
    substitutions = template["Resources"][STATE_MACHINE]["Properties"]["DefinitionSubstitutions"]
    # Then each placeholder, and only those, is the ARN of one of those functions
    assert set(substitutions) == placeholders(DEFINITION)
    for name, value in substitutions.items():
        function_id = name.removesuffix("FunctionArn")
        assert value == {"Fn::GetAtt": [function_id, "Arn"]}
        assert function_id in registered


@pytest.mark.parametrize("placeholder", ["NoSuchTaskFunctionArn", "SomeTableName"])
def test_a_placeholder_without_a_function_fails_loudly(placeholder: str) -> None:
    # Given a definition naming something Chalice does not create
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Result": f"${{{placeholder}}}", "End": True}},
    }
    # When / Then the substitutions cannot be built, and the error names the placeholder
    with pytest.raises(UnresolvedPlaceholderError, match=placeholder):
        function_substitutions(definition, ["CheckEligibility", API_HANDLER])


def test_the_state_machine_role_invokes_exactly_the_task_functions(
    template: dict[str, Any], task_function_ids: set[str]
) -> None:
    # Given the role the state machine runs as
    role = template["Resources"][STATE_MACHINE_ROLE]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    # Then it may invoke the definition's functions, by ARN, and nothing else of Lambda
    invoke = [s for s in statements if any(a.startswith("lambda:") for a in s["Action"])]
    assert len(invoke) == 1
    assert invoke[0]["Action"] == ["lambda:InvokeFunction"]
    assert sorted(invoke[0]["Resource"], key=json.dumps) == sorted(
        ({"Fn::GetAtt": [f, "Arn"]} for f in task_function_ids), key=json.dumps
    )
    # And only log delivery and tracing, which have no resource-level permissions, use "*"
    for statement in statements:
        if statement["Resource"] == "*":
            assert all(a.startswith(("logs:", "xray:")) for a in statement["Action"])
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "states.amazonaws.com"
    }


def test_failed_and_timed_out_executions_raise_alarms(template: dict[str, Any]) -> None:
    alarms = [
        r["Properties"]
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::CloudWatch::Alarm"
    ]
    on_state_machine = {
        a["MetricName"]
        for a in alarms
        if a["Namespace"] == "AWS/States"
        and a["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": STATE_MACHINE}}]
    }
    assert on_state_machine == {"ExecutionsFailed", "ExecutionsTimedOut"}


# --- the functions' environment and the dependency graph -----------------------------------------


def test_every_chalice_function_receives_the_table_and_the_state_machine(
    template: dict[str, Any], stage: str
) -> None:
    # Given every function `chalice package` emits, the API handler included
    function_ids = function_logical_ids(app.app, ROOT, stage)
    assert API_HANDLER in function_ids
    names = names_of(stage)
    for function_id in function_ids:
        # Then each gets the table by reference and the state machine ARN from its fixed name
        variables = template["Resources"][function_id]["Properties"]["Environment"]["Variables"]
        assert variables[TABLE_NAME_VARIABLE] == {"Ref": TABLE}
        # (a reference would close a cycle: the state machine refers to the task functions)
        assert STATE_MACHINE not in _references(variables)
        arn = variables[STATE_MACHINE_ARN_VARIABLE]["Fn::Sub"]
        assert arn.endswith(f":stateMachine:{names.state_machine_name}")
    assert (
        template["Resources"][STATE_MACHINE]["Properties"]["StateMachineName"]
        == names.state_machine_name
    )


def test_the_environment_variables_are_settings_the_app_reads() -> None:
    for variable in (TABLE_NAME_VARIABLE, STATE_MACHINE_ARN_VARIABLE):
        assert variable.lower() in Settings.model_fields


def test_no_resource_depends_on_itself(template: dict[str, Any]) -> None:
    # Given the references between the resources of the merge template (the functions' entries
    # are the parts merged into Chalice's functions)
    resources = template["Resources"]
    graph = {rid: _references(resource) & set(resources) for rid, resource in resources.items()}
    # Then following them never comes back to where it started: CloudFormation would refuse
    assert _cycle(graph) is None


def test_the_stage_policy_files_point_at_the_stage_resources(stage: str) -> None:
    # Given the functions' policy file of the stage (static JSON, so names, not references)
    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    names = names_of(stage)
    granted = _granted(policy)
    # Then they grant the lifecycle calls on this stage's state machine and nothing wider
    state_machine = f"arn:aws:states:*:*:stateMachine:{names.state_machine_name}"
    for action in ("states:StartExecution", "states:SendTaskSuccess", "states:SendTaskFailure"):
        assert granted[action] == {state_machine}
    assert not [a for a in granted if a.startswith("states:") and "*" in a]
    # And the table they grant is the one the template creates, its indexes included (the
    # status emails' Query) and the writes of the inspections' idempotency records
    table = f"arn:aws:dynamodb:*:*:table/{names.table_name}"
    assert granted["dynamodb:Query"] == {table, f"{table}/index/*"}
    for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        assert table in granted[f"dynamodb:{action}"]


def test_the_policy_files_grant_every_dynamodb_call_the_code_makes(stage: str) -> None:
    # Given the DynamoDB operations the repositories call (a transaction's parts are its
    # writes' own actions, which IAM checks instead of TransactWriteItems)
    calls = set()
    for module in (ROOT / "chalicelib").rglob("*.py"):
        calls |= set(re.findall(r"_dynamodb\.([a-z_]+)\(", module.read_text()))
    actions = {
        f"dynamodb:{''.join(word.capitalize() for word in call.split('_'))}"
        for call in calls - {"transact_write_items"}
    }
    assert {"dynamodb:BatchGetItem", "dynamodb:Query"} <= actions
    # Then the stage's policy grants each of them on the stage's table
    granted = _granted(json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text()))
    table = f"arn:aws:dynamodb:*:*:table/{names_of(stage).table_name}"
    for action in sorted(actions):
        assert table in granted.get(action, set()), action


def test_the_policy_files_let_the_consumer_read_its_queue_and_files_only(stage: str) -> None:
    policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    names = names_of(stage)
    granted = _granted(policy)
    # Then Lambda's poller may read and delete the stage's queue, and nothing else of SQS
    queue = f"arn:aws:sqs:*:*:{names.inspection_queue_name}"
    sqs = {a: r for a, r in granted.items() if a.startswith("sqs:")}
    assert sqs == {
        action: {queue}
        for action in (
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility",
        )
    }
    # And it reads inspection files, writes reports only under results/, photos only under
    # returns/, in the stage's bucket
    bucket = f"arn:aws:s3:::{names.prefix}-returns-*"
    # Shoppers' photos: whether an upload arrived (HeadObject), and agents' links to them.
    assert granted["s3:GetObject"] == {f"{bucket}/{UPLOAD_PREFIX}*", f"{bucket}/returns/*"}
    # (by version too: a notification of a versioned bucket names the version to read)
    assert granted["s3:GetObjectVersion"] == {f"{bucket}/{UPLOAD_PREFIX}*"}
    assert granted["s3:PutObject"] == {f"{bucket}/returns/*", f"{bucket}/{RESULTS_PREFIX}*"}
    # And shoppers' emails go through SES, as for the sign-in codes
    assert "ses:SendEmail" in granted


def test_the_sign_in_route_may_hand_requests_to_the_login_code_function_by_its_name(
    template: dict[str, Any], stage: str
) -> None:
    # Given the function that sends sign-in codes, named in the template as Chalice names it
    name = names_of(stage).function_name(LOGIN_CODE_FUNCTION_NAME)
    assert template["Resources"][LOGIN_CODE_FUNCTION]["Properties"]["FunctionName"] == name
    # Then every function knows that name (the API hands requests over), from a setting
    for function_id in function_logical_ids(app.app, ROOT, stage):
        variables = template["Resources"][function_id]["Properties"]["Environment"]["Variables"]
        assert variables[LOGIN_CODE_FUNCTION_VARIABLE] == name
    assert LOGIN_CODE_FUNCTION_VARIABLE.lower() in Settings.model_fields
    # And the policy file lets the functions invoke that one function, and no other
    granted = _granted(json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text()))
    assert {a: r for a, r in granted.items() if a.startswith("lambda:")} == {
        "lambda:InvokeFunction": {f"arn:aws:lambda:*:*:function:{name}"}
    }


# --- the inspection uploads: bucket → queue → consumer ----------------------------------------


def test_the_inspection_queue_redrives_to_a_dead_letter_queue(
    template: dict[str, Any], stage: str
) -> None:
    # Given the queue and the dead-letter queue of the stage
    names = names_of(stage)
    queue = template["Resources"][INSPECTION_QUEUE]["Properties"]
    dead_letters = template["Resources"][INSPECTION_DEAD_LETTER_QUEUE]["Properties"]
    consumer = describe_stage(app.app, ROOT, stage).queue_consumers[0]
    # Then both have the stage's fixed names and SQS-managed encryption
    assert queue["QueueName"] == names.inspection_queue_name
    assert dead_letters["QueueName"] == names.inspection_dead_letter_queue_name
    assert queue["SqsManagedSseEnabled"] is dead_letters["SqsManagedSseEnabled"] is True
    # And a message failing five times moves to the dead-letter queue, which keeps it 14 days
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [INSPECTION_DEAD_LETTER_QUEUE, "Arn"]},
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    }
    assert MAX_RECEIVE_COUNT == 5
    assert dead_letters["MessageRetentionPeriod"] == DEAD_LETTER_RETENTION_SECONDS == 1_209_600
    # And a batch stays hidden for six times the consumer's timeout (300 s in config.json)
    assert consumer.timeout_seconds == 300
    assert queue["VisibilityTimeout"] == 6 * consumer.timeout_seconds


def test_the_bucket_notifies_the_queue_of_inspection_uploads_only(
    template: dict[str, Any],
) -> None:
    # Given the returns bucket's notification configuration
    bucket = template["Resources"][RETURNS_BUCKET]
    configurations = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    # Then one configuration per upload suffix, in either case, sends new objects under
    # inspections/ to the queue
    rules = [
        {rule["Name"]: rule["Value"] for rule in c["Filter"]["S3Key"]["Rules"]}
        for c in configurations
    ]
    assert rules == [
        {"prefix": UPLOAD_PREFIX, "suffix": spelled}
        for suffix in UPLOAD_SUFFIXES
        for spelled in (suffix, suffix.upper())
    ]
    for configuration in configurations:
        assert configuration["Event"] == "s3:ObjectCreated:*"
        assert configuration["Queue"] == {"Fn::GetAtt": [INSPECTION_QUEUE, "Arn"]}
    # And what the filters let through is what the consumer treats as an upload: never a report
    for key in (
        "inspections/2026/batch.csv",
        "inspections/2026/BATCH.CSV",
        f"{RESULTS_PREFIX}2026/batch.csv.json",
    ):
        notified = any(key.startswith(r["prefix"]) and key.endswith(r["suffix"]) for r in rules)
        assert notified == is_inspection_upload(key)
    # And the bucket is created once S3 may send to the queue (S3 checks when configured)
    assert bucket["DependsOn"] == [INSPECTION_QUEUE_POLICY]


def test_only_the_stage_bucket_may_send_to_the_queue(template: dict[str, Any], stage: str) -> None:
    policy = template["Resources"][INSPECTION_QUEUE_POLICY]["Properties"]
    assert policy["Queues"] == [{"Ref": INSPECTION_QUEUE}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == {"Fn::GetAtt": [INSPECTION_QUEUE, "Arn"]}
    bucket_name = template["Resources"][RETURNS_BUCKET]["Properties"]["BucketName"]["Fn::Sub"]
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket_name}"}},
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    }
    # (by name: a reference to the bucket, which waits for this policy, would be a cycle)
    assert RETURNS_BUCKET not in _references(policy)


def test_the_stage_names_the_queue_the_template_creates(stage: str) -> None:
    # Given the variable app.py names its queue from, as the stage sets it
    variables = describe_stage(app.app, ROOT, stage).environment_variables
    # Then it is the queue's name, and a stage naming another queue stops the generation
    assert variables[QUEUE_NAME_VARIABLE] == names_of(stage).inspection_queue_name
    with pytest.raises(QueueNameMismatchError, match=QUEUE_NAME_VARIABLE):
        check_queue_variable({QUEUE_NAME_VARIABLE: "returns-desk-inspections"}, names_of(stage))


def test_the_packaged_consumer_reads_the_stage_queue_with_partial_batch_responses(
    packaged: dict[str, Any], stage: str
) -> None:
    # Given the consumer function in the packaged template
    consumer = packaged["Resources"]["ProcessInspectionUploads"]
    (event,) = consumer["Properties"]["Events"].values()
    # Then its SQS event source reads the stage's queue, one file at a time (a big one takes
    # minutes), and deletes only the messages the handler does not report as failed
    assert event["Type"] == "SQS"
    queue_arn = event["Properties"]["Queue"]["Fn::Sub"]
    assert queue_arn.endswith(f":{names_of(stage).inspection_queue_name}")
    assert event["Properties"]["BatchSize"] == 1
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # And the function waits for the queue, which it names rather than refers to
    assert consumer["DependsOn"] == [INSPECTION_QUEUE]
    assert (consumer["Properties"]["Timeout"], consumer["Properties"]["MemorySize"]) == (300, 1024)


def test_the_packaged_status_emails_never_run_twice_at_once(packaged: dict[str, Any]) -> None:
    emails = packaged["Resources"]["SendStatusEmails"]["Properties"]
    assert emails["ReservedConcurrentExecutions"] == 1
    assert emails["Events"]["SendStatusEmailsEvent"]["Properties"] == {
        "Schedule": "rate(5 minutes)"
    }


def test_dead_letters_and_event_handler_errors_raise_alarms(template: dict[str, Any]) -> None:
    alarms = [
        r["Properties"]
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::CloudWatch::Alarm"
    ]
    (dead_letters,) = [a for a in alarms if a["Namespace"] == "AWS/SQS"]
    assert dead_letters["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dead_letters["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [INSPECTION_DEAD_LETTER_QUEUE, "QueueName"]}}
    ]
    assert dead_letters["Statistic"] == "Maximum"
    assert dead_letters["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert dead_letters["Threshold"] == 1
    erroring = {
        a["Dimensions"][0]["Value"]["Ref"]
        for a in alarms
        if a["Namespace"] == "AWS/Lambda" and a["MetricName"] == "Errors"
    }
    assert erroring == {
        API_HANDLER,
        "ProcessInspectionUploads",
        "SendLoginCode",
        "SendStatusEmails",
        "RemindPendingDecisions",
    }


def test_anomalous_inspections_and_abandoned_emails_raise_alarms(
    template: dict[str, Any],
) -> None:
    # Given the alarms on the app's own metrics (Powertools EMF: namespace, `service` dimension)
    alarms = {
        r["Properties"]["MetricName"]: r["Properties"]
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::CloudWatch::Alarm"
        and r["Properties"]["Namespace"] == METRICS_NAMESPACE
    }
    # Then a parcel that did not match its return and an email given up on each alarm
    assert set(alarms) == {
        "InspectionAnomalies",
        "StatusEmailsSetAside",
        "StoredItemsUnreadable",
        "RefundApprovalsOverdue",
    }
    for alarm in alarms.values():
        assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE_NAME}]
        assert alarm["Threshold"] == 1


def test_the_outputs_name_the_queues(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["InspectionQueueUrl"] == {"Value": {"Ref": INSPECTION_QUEUE}}
    assert outputs["InspectionDeadLetterQueueUrl"] == {
        "Value": {"Ref": INSPECTION_DEAD_LETTER_QUEUE}
    }
    assert {"InspectionQueueName", "InspectionDeadLetterQueueName"} <= set(outputs)


# --- the command ---------------------------------------------------------------------------------


def test_the_command_writes_the_merge_template(tmp_path: Path) -> None:
    # When `python -m deploy --stage dev --out <dir>` runs
    assert main(["--stage", "dev", "--out", str(tmp_path)]) == 0
    # Then the merge template of the dev stage is in <dir>/merge-template.json
    written = json.loads((tmp_path / "merge-template.json").read_text())
    assert written == generate(ROOT, "dev")


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(UnknownStageError, match="staging"):
        function_logical_ids(app.app, ROOT, "staging")


def test_the_template_builds_from_any_set_of_functions() -> None:
    # Given only the task functions and a queue consumer (no API): no API alarm
    function_ids = [p.removesuffix("FunctionArn") for p in placeholders(DEFINITION)]
    consumer = QueueConsumer("Consume", "ConsumeSqsEventSource", timeout_seconds=10)
    chalice_stage = ChaliceStage(
        function_ids=[*function_ids, "Consume"], queue_consumers=[consumer]
    )
    template = build_merge_template(names_of("dev"), DEFINITION, chalice_stage)
    assert f"{API_HANDLER}ErrorsAlarm" not in template["Resources"]
    assert set(function_ids) <= set(template["Resources"])
    queue = template["Resources"][INSPECTION_QUEUE]["Properties"]
    assert queue["VisibilityTimeout"] == 60


@pytest.mark.parametrize("consumers", [0, 2])
def test_the_inspection_queue_needs_exactly_one_consumer(consumers: int) -> None:
    chalice_stage = ChaliceStage(
        function_ids=[f"Consume{n}" for n in range(consumers)],
        queue_consumers=[
            QueueConsumer(f"Consume{n}", f"Consume{n}SqsEventSource", 60) for n in range(consumers)
        ],
    )
    with pytest.raises(QueueConsumerCountError, match=f"declares {consumers}"):
        build_merge_template(names_of("dev"), DEFINITION, chalice_stage)


# --- helpers -------------------------------------------------------------------------------------


def _granted(policy: dict[str, Any]) -> dict[str, set[str]]:
    """Each action of an IAM policy document to the resources it is allowed on."""
    granted: dict[str, set[str]] = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"]
        for action in statement["Action"]:
            granted.setdefault(action, set()).update(
                [resources] if isinstance(resources, str) else resources
            )
    return granted


_SUB_VARIABLE = re.compile(r"\$\{([^}!.]+)(?:\.[^}]+)?\}")


def _references(node: Any) -> set[str]:
    """Logical ids a node refers to through Ref, Fn::GetAtt or Fn::Sub."""
    return set(_walk_references(node))


def _walk_references(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                yield value
            elif key == "Fn::GetAtt":
                yield value[0]
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                yield from _SUB_VARIABLE.findall(text)
            elif key == "DependsOn":
                yield from [value] if isinstance(value, str) else value
            else:
                yield from _walk_references(value)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One dependency cycle of `graph`, or None."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph[node]):
            found = visit(target)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start)
        if found:
            return found
    return None


def test_an_api_answering_5xx_or_slowly_raises_alarms_on_the_stages_own_api(
    template: dict[str, Any], stage: str
) -> None:
    # Given the stage's API, named after the stage (Chalice names every stage's after the app)
    prefix = names_of(stage).prefix
    assert template["Resources"]["RestAPI"] == {"Properties": {"Name": prefix}}
    alarms = {
        r["Properties"]["MetricName"]: r["Properties"]
        for r in template["Resources"].values()
        if r.get("Type") == "AWS::CloudWatch::Alarm"
        and r["Properties"]["Namespace"] == "AWS/ApiGateway"
    }
    # Then a 500 (which Chalice answers itself, so no Lambda error counts it) alarms at once
    assert set(alarms) == {"5XXError", "Latency"}
    for alarm in alarms.values():
        assert alarm["Dimensions"] == [
            {"Name": "ApiName", "Value": prefix},
            {"Name": "Stage", "Value": "api"},
        ]
    assert (alarms["5XXError"]["Statistic"], alarms["5XXError"]["Threshold"]) == ("Sum", 1)
    # And so does a p99 latency over three seconds for fifteen minutes
    latency = alarms["Latency"]
    assert (latency["ExtendedStatistic"], latency["Threshold"]) == ("p99", 3000)
    assert latency["EvaluationPeriods"] * latency["Period"] == 15 * 60
    assert "Statistic" not in latency
