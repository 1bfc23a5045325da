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
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from chalice.utils import to_cfn_resource_name

import app
from chalicelib.chat_entrypoint import CHAT_INTAKE_FUNCTION_NAME
from chalicelib.domain.inspection import (
    RESULTS_PREFIX,
    UPLOAD_PREFIX,
    UPLOAD_SUFFIXES,
    is_inspection_upload,
)
from chalicelib.domain.webhooks import MAX_ATTEMPTS
from chalicelib.gorgias_updates_entrypoint import GORGIAS_UPDATES_FUNCTION_NAME
from chalicelib.integrations.login_requests import LOGIN_CODE_FUNCTION_NAME
from chalicelib.observability import METRICS_NAMESPACE, SERVICE_NAME
from chalicelib.repositories.return_events import is_event_item
from chalicelib.repositories.table_schema import (
    PARTITION_KEY,
    STREAM_VIEW_TYPE,
    TTL_ATTRIBUTE,
    table_definition,
)
from chalicelib.services.webhook_delivery import ENDPOINTS_DISABLED_METRIC
from chalicelib.settings import Settings
from chalicelib.webhook_delivery_entrypoint import WEBHOOK_DELIVERY_FUNCTION_NAME, attempt_time_ms
from deploy.__main__ import main
from deploy.bucket import RETURNS_BUCKET
from deploy.chalice_app import (
    API_HANDLER,
    ChaliceFunction,
    ChaliceStage,
    QueueConsumer,
    StreamConsumer,
    UnknownStageError,
    describe_stage,
    function_logical_ids,
    load_project_config,
)
from deploy.chat_intake import (
    CHAT_INTAKE_DEAD_LETTER_QUEUE,
    CHAT_INTAKE_QUEUE,
    check_chat_queue_variables,
)
from deploy.chat_intake import MAX_RECEIVE_COUNT as CHAT_MAX_RECEIVE_COUNT
from deploy.chat_intake import QUEUE_NAME_VARIABLE as CHAT_QUEUE_NAME_VARIABLE
from deploy.chat_intake import QUEUE_URL_VARIABLE as CHAT_QUEUE_URL_VARIABLE
from deploy.gorgias_updates import (
    GORGIAS_UPDATES_DEAD_LETTER_QUEUE,
    GORGIAS_UPDATES_QUEUE,
)
from deploy.gorgias_updates import MAX_RECEIVE_COUNT as GORGIAS_MAX_RECEIVE_COUNT
from deploy.gorgias_updates import QUEUE_URL_VARIABLE as GORGIAS_QUEUE_URL_VARIABLE
from deploy.inspections import (
    CONSUMER_FUNCTION_NAME,
    DEAD_LETTER_RETENTION_SECONDS,
    INSPECTION_DEAD_LETTER_QUEUE,
    INSPECTION_QUEUE,
    INSPECTION_QUEUE_POLICY,
    MAX_RECEIVE_COUNT,
    QUEUE_NAME_VARIABLE,
    QueueNameMismatchError,
    check_queue_variable,
)
from deploy.layers import POWERTOOLS_LAYER_PARAMETER, MixedRuntimeError
from deploy.lifecycle import (
    STATE_MACHINE,
    STATE_MACHINE_ROLE,
    UnresolvedPlaceholderError,
    function_substitutions,
    load_definition,
    placeholders,
)
from deploy.lifecycle import task_function_ids as tasks_of
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
from deploy.policies import function_groups, policy_file_name
from deploy.queues import QueueConsumerCountError, QueueVariableError
from deploy.return_events import (
    MAXIMUM_RECORD_AGE_SECONDS,
    MAXIMUM_RETRY_ATTEMPTS,
    RETURN_EVENTS_DEAD_LETTER_QUEUE,
    STREAM_RETENTION_SECONDS,
    StreamConsumerCountError,
    TableStreamMissingError,
)
from deploy.stage import StageNames
from deploy.table import UnmappedTableSettingError, table_resource
from deploy.webhook_deliveries import MAX_RECEIVE_COUNT as WEBHOOK_MAX_RECEIVE_COUNT
from deploy.webhook_deliveries import QUEUE_URL_VARIABLE as WEBHOOK_QUEUE_URL_VARIABLE
from deploy.webhook_deliveries import (
    RETENTION_SECONDS,
    WEBHOOK_DELIVERIES_DEAD_LETTER_QUEUE,
    WEBHOOK_DELIVERIES_QUEUE,
)

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


def test_the_table_streams_the_new_image_of_every_item(template: dict[str, Any]) -> None:
    # Given the stream table_definition() asks for (CreateTable's shape: enabled, view type)
    assert table_definition("t")["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": STREAM_VIEW_TYPE,
    }
    # Then the deployed table has it, in CloudFormation's shape (present means enabled)
    properties = template["Resources"][TABLE]["Properties"]
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


def test_a_table_without_a_stream_deploys_none(monkeypatch: pytest.MonkeyPatch) -> None:
    def without_stream(table_name: str) -> dict[str, Any]:
        definition = table_definition(table_name)
        return {**definition, "StreamSpecification": {"StreamEnabled": False}}

    monkeypatch.setattr("deploy.table.table_definition", without_stream)
    assert "StreamSpecification" not in table_resource("returns-desk-dev")["Properties"]


def test_an_upgrade_deploys_the_tables_indexes_one_stack_update_at_a_time() -> None:
    # Given the indexes of table_definition(), in their order
    definition = table_definition("returns-desk-prod")
    names = [index["IndexName"] for index in definition["GlobalSecondaryIndexes"]]
    # When the table is generated with its first four only (one more than a deployed table has)
    properties = table_resource("returns-desk-prod", indexes=4)["Properties"]
    # Then it holds those four, and defines only the attributes their keys and the table's use
    assert [i["IndexName"] for i in properties["GlobalSecondaryIndexes"]] == names[:4]
    used = {
        key["AttributeName"]
        for schema in [properties["KeySchema"]]
        + [i["KeySchema"] for i in properties["GlobalSecondaryIndexes"]]
        for key in schema
    }
    assert {a["AttributeName"] for a in properties["AttributeDefinitions"]} == used
    # And without a number, every index is deployed
    deployed = table_resource("returns-desk-prod")["Properties"]
    assert deployed["GlobalSecondaryIndexes"] == definition["GlobalSecondaryIndexes"]


def test_a_table_setting_without_a_mapping_stops_the_generation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given table_definition() grows a setting the converter does not know
    def with_table_class(table_name: str) -> dict[str, Any]:
        return {**table_definition(table_name), "TableClass": "STANDARD_INFREQUENT_ACCESS"}

    monkeypatch.setattr("deploy.table.table_definition", with_table_class)
    # When / Then the generation fails instead of deploying a table without it
    with pytest.raises(UnmappedTableSettingError, match="TableClass"):
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


# --- the inspection uploads: bucket → queue → consumer ----------------------------------------


def test_the_inspection_queue_redrives_to_a_dead_letter_queue(
    template: dict[str, Any], stage: str
) -> None:
    # Given the queue and the dead-letter queue of the stage
    names = names_of(stage)
    queue = template["Resources"][INSPECTION_QUEUE]["Properties"]
    dead_letters = template["Resources"][INSPECTION_DEAD_LETTER_QUEUE]["Properties"]
    (consumer,) = [
        c
        for c in describe_stage(app.app, ROOT, stage).queue_consumers
        if c.name == CONSUMER_FUNCTION_NAME
    ]
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
    # Any message waiting in either dead-letter queue alarms: inspection files, return events
    dead_letters = [a for a in alarms if a["Namespace"] == "AWS/SQS"]
    assert [a["Dimensions"] for a in dead_letters] == [
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        for queue in (
            INSPECTION_DEAD_LETTER_QUEUE,
            CHAT_INTAKE_DEAD_LETTER_QUEUE,
            GORGIAS_UPDATES_DEAD_LETTER_QUEUE,
            WEBHOOK_DELIVERIES_DEAD_LETTER_QUEUE,
            RETURN_EVENTS_DEAD_LETTER_QUEUE,
        )
    ]
    for alarm in dead_letters:
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert alarm["Statistic"] == "Maximum"
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["Threshold"] == 1
    erroring = {
        a["Dimensions"][0]["Value"]["Ref"]
        for a in alarms
        if a["Namespace"] == "AWS/Lambda" and a["MetricName"] == "Errors"
    }
    assert erroring == {
        API_HANDLER,
        "ProcessInspectionUploads",
        "HandleChatMessages",
        "SendGorgiasUpdates",
        "DeliverWebhooks",
        "HandleReturnEvents",
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
        "WebhookEndpointsDisabled",
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
    assert outputs["ReturnEventsDeadLetterQueueUrl"] == {
        "Value": {"Ref": RETURN_EVENTS_DEAD_LETTER_QUEUE}
    }
    assert outputs["ReturnEventsDeadLetterQueueName"] == {
        "Value": {"Fn::GetAtt": [RETURN_EVENTS_DEAD_LETTER_QUEUE, "QueueName"]}
    }


# --- the chat intake: the API → queue → consumer ----------------------------------------------


def test_the_chat_intake_queue_redrives_to_a_dead_letter_queue_watched_by_an_alarm(
    template: dict[str, Any], stage: str
) -> None:
    names = names_of(stage)
    resources = template["Resources"]
    queue = resources[CHAT_INTAKE_QUEUE]["Properties"]
    dead_letters = resources[CHAT_INTAKE_DEAD_LETTER_QUEUE]["Properties"]
    (consumer,) = [
        c
        for c in describe_stage(app.app, ROOT, stage).queue_consumers
        if c.name == CHAT_INTAKE_FUNCTION_NAME
    ]
    # Then both have the stage's fixed names and SQS-managed encryption
    assert queue["QueueName"] == names.chat_intake_queue_name
    assert dead_letters["QueueName"] == names.chat_intake_dead_letter_queue_name
    assert queue["SqsManagedSseEnabled"] is dead_letters["SqsManagedSseEnabled"] is True
    # And a message Gorgias kept refusing moves to the dead letters after five tries, six of
    # the consumer's timeouts apart (60 s in config.json)
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [CHAT_INTAKE_DEAD_LETTER_QUEUE, "Arn"]},
        "maxReceiveCount": CHAT_MAX_RECEIVE_COUNT,
    }
    assert consumer.timeout_seconds == 60
    assert queue["VisibilityTimeout"] == 6 * consumer.timeout_seconds
    assert dead_letters["MessageRetentionPeriod"] == DEAD_LETTER_RETENTION_SECONDS
    # And any message waiting there raises an alarm
    alarm = resources[f"{CHAT_INTAKE_DEAD_LETTER_QUEUE}MessagesAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [CHAT_INTAKE_DEAD_LETTER_QUEUE, "QueueName"]}}
    ]


def test_the_api_knows_the_chat_intake_queue_by_reference(
    template: dict[str, Any], stage: str
) -> None:
    # Given the stage, which names the queue and declares its URL's variable
    variables = describe_stage(app.app, ROOT, stage).environment_variables
    assert variables[CHAT_QUEUE_NAME_VARIABLE] == names_of(stage).chat_intake_queue_name
    assert CHAT_QUEUE_URL_VARIABLE.lower() in Settings.model_fields
    # Then the template gives the API, which sends to it, the queue's URL, and no other function
    for function_id in function_logical_ids(app.app, ROOT, stage):
        environment = template["Resources"][function_id]["Properties"]["Environment"]
        url = environment["Variables"].get(CHAT_QUEUE_URL_VARIABLE)
        assert url == ({"Ref": CHAT_INTAKE_QUEUE} if function_id == API_HANDLER else None)
    # And a stage naming another queue, or not declaring the URL, stops the generation
    with pytest.raises(QueueVariableError, match=CHAT_QUEUE_NAME_VARIABLE):
        check_chat_queue_variables(
            {**variables, CHAT_QUEUE_NAME_VARIABLE: "returns-desk-chat-intake"}, names_of(stage)
        )
    without_url = {k: v for k, v in variables.items() if k != CHAT_QUEUE_URL_VARIABLE}
    with pytest.raises(QueueVariableError, match=CHAT_QUEUE_URL_VARIABLE):
        check_chat_queue_variables(without_url, names_of(stage))


def test_the_gorgias_updates_queue_is_fifo_and_redrives_to_a_watched_dead_letter_queue(
    template: dict[str, Any], stage: str
) -> None:
    names = names_of(stage)
    resources = template["Resources"]
    queue = resources[GORGIAS_UPDATES_QUEUE]["Properties"]
    dead_letters = resources[GORGIAS_UPDATES_DEAD_LETTER_QUEUE]["Properties"]
    # Then both are FIFO (a return's steps reach Gorgias in order), with the stage's names
    assert queue["FifoQueue"] is dead_letters["FifoQueue"] is True
    assert queue["QueueName"] == names.gorgias_updates_queue_name
    assert dead_letters["QueueName"] == names.gorgias_updates_dead_letter_queue_name
    assert queue["QueueName"].endswith(".fifo")
    assert dead_letters["QueueName"].endswith(".fifo")
    # And a message Gorgias keeps refusing is tried for hours before it waits for a person
    assert queue["RedrivePolicy"]["maxReceiveCount"] == GORGIAS_MAX_RECEIVE_COUNT
    assert queue["VisibilityTimeout"] * GORGIAS_MAX_RECEIVE_COUNT >= 4 * 3600
    assert f"{GORGIAS_UPDATES_DEAD_LETTER_QUEUE}MessagesAlarm" in resources
    # And only the return events' consumer is told where the queue is
    for function_id in function_logical_ids(app.app, ROOT, stage):
        environment = template["Resources"][function_id]["Properties"]["Environment"]
        url = environment["Variables"].get(GORGIAS_QUEUE_URL_VARIABLE)
        expected = {"Ref": GORGIAS_UPDATES_QUEUE} if function_id == "HandleReturnEvents" else None
        assert url == expected


# --- the webhook deliveries: the return events → queue → consumer --------------------------------


def test_the_webhook_deliveries_queue_outlasts_the_retry_schedule_and_redrives_to_a_watched_dlq(
    template: dict[str, Any], stage: str
) -> None:
    names = names_of(stage)
    resources = template["Resources"]
    queue = resources[WEBHOOK_DELIVERIES_QUEUE]["Properties"]
    dead_letters = resources[WEBHOOK_DELIVERIES_DEAD_LETTER_QUEUE]["Properties"]
    assert queue["QueueName"] == names.webhook_deliveries_queue_name
    assert dead_letters["QueueName"] == names.webhook_deliveries_dead_letter_queue_name
    # Then a message is received once per attempt of the schedule, with room for crashes
    assert queue["RedrivePolicy"]["maxReceiveCount"] == WEBHOOK_MAX_RECEIVE_COUNT > MAX_ATTEMPTS
    # And it is kept four days, its dead letters fourteen, watched by an alarm
    assert queue["MessageRetentionPeriod"] == RETENTION_SECONDS == 4 * 24 * 3600
    assert dead_letters["MessageRetentionPeriod"] == DEAD_LETTER_RETENTION_SECONDS
    assert f"{WEBHOOK_DELIVERIES_DEAD_LETTER_QUEUE}MessagesAlarm" in resources
    # And the return events' consumer and the API (which send) and the deliveries' consumer
    # (which hides the messages it retries later) are the functions told where the queue is
    for function_id in function_logical_ids(app.app, ROOT, stage):
        environment = resources[function_id]["Properties"]["Environment"]
        url = environment["Variables"].get(WEBHOOK_QUEUE_URL_VARIABLE)
        told = function_id in {"HandleReturnEvents", API_HANDLER, "DeliverWebhooks"}
        assert url == ({"Ref": WEBHOOK_DELIVERIES_QUEUE} if told else None)


def test_a_disabled_webhook_endpoint_raises_an_alarm(template: dict[str, Any]) -> None:
    alarm = template["Resources"][f"{ENDPOINTS_DISABLED_METRIC}Alarm"]["Properties"]
    assert alarm["Namespace"] == METRICS_NAMESPACE
    assert alarm["MetricName"] == "WebhookEndpointsDisabled"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE_NAME}]
    # Then one disabled endpoint in five minutes is enough
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        1,
        "GreaterThanOrEqualToThreshold",
    )


def test_the_packaged_webhook_consumer_has_time_for_a_batch_of_slow_endpoints_outside_any_vpc(
    packaged: dict[str, Any], stage: str
) -> None:
    consumer = packaged["Resources"]["DeliverWebhooks"]
    (event,) = consumer["Properties"]["Events"].values()
    properties = event["Properties"]
    assert properties["Queue"]["Fn::Sub"].endswith(
        f":{names_of(stage).webhook_deliveries_queue_name}"
    )
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BatchSize"] == 10
    # And it is created after the queue, whose URL it is given
    variables = consumer["Properties"]["Environment"]["Variables"]
    assert variables[WEBHOOK_QUEUE_URL_VARIABLE] == {"Ref": WEBHOOK_DELIVERIES_QUEUE}
    # A batch's every attempt fits in its timeout, each at its longest (the sender's timeout,
    # and the reads and writes around it), and the queue hides a batch six times that long
    # (Lambda's advice)
    timeout = consumer["Properties"]["Timeout"]
    longest_attempt_ms = attempt_time_ms(Settings.model_fields["webhook_timeout_seconds"].default)
    assert timeout * 1000 >= properties["BatchSize"] * longest_attempt_ms
    queue = packaged["Resources"][WEBHOOK_DELIVERIES_QUEUE]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    # And it runs outside any VPC: the merchants' endpoints are on the public internet
    assert "VpcConfig" not in consumer["Properties"]


def test_the_packaged_gorgias_updates_consumer_reads_the_stage_fifo_queue(
    packaged: dict[str, Any], stage: str
) -> None:
    consumer = packaged["Resources"]["SendGorgiasUpdates"]
    (event,) = consumer["Properties"]["Events"].values()
    properties = event["Properties"]
    assert properties["Queue"]["Fn::Sub"].endswith(f":{names_of(stage).gorgias_updates_queue_name}")
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # At most two at once, within the account's shared rate limit
    assert properties["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert consumer["DependsOn"] == [GORGIAS_UPDATES_QUEUE]


def test_the_packaged_chat_consumer_reads_the_stage_queue_two_at_a_time(
    packaged: dict[str, Any], stage: str
) -> None:
    consumer = packaged["Resources"]["HandleChatMessages"]
    (event,) = consumer["Properties"]["Events"].values()
    properties = event["Properties"]
    # Then its SQS event source reads the stage's queue, and deletes only what did not fail
    assert event["Type"] == "SQS"
    assert properties["Queue"]["Fn::Sub"].endswith(f":{names_of(stage).chat_intake_queue_name}")
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # At most two at once: each reads and answers a ticket within Gorgias's shared rate limit
    assert properties["ScalingConfig"] == {"MaximumConcurrency": 2}
    # And the function waits for the queue, which it names rather than refers to
    assert consumer["DependsOn"] == [CHAT_INTAKE_QUEUE]
    assert consumer["Properties"]["Timeout"] == 60


# --- the return events: the table's stream → the consumer --------------------------------------

# The properties SAM's `DynamoDB` event source accepts (AWS SAM developer guide,
# sam-property-function-dynamodb); anything else would fail the transform.
SAM_DYNAMODB_EVENT_PROPERTIES = {
    "BatchSize",
    "BisectBatchOnFunctionError",
    "DestinationConfig",
    "Enabled",
    "FilterCriteria",
    "FunctionResponseTypes",
    "KmsKeyArn",
    "MaximumBatchingWindowInSeconds",
    "MaximumRecordAgeInSeconds",
    "MaximumRetryAttempts",
    "MetricsConfig",
    "ParallelizationFactor",
    "StartingPosition",
    "StartingPositionTimestamp",
    "Stream",
    "TumblingWindowInSeconds",
}


def test_the_packaged_consumer_reads_the_tables_stream_with_partial_batch_responses(
    packaged: dict[str, Any],
) -> None:
    # Given the return events' consumer in the packaged template
    consumer = packaged["Resources"]["HandleReturnEvents"]
    (event,) = consumer["Properties"]["Events"].values()
    properties = event["Properties"]
    # Then its DynamoDB event source reads the table's stream, not app.py's placeholder
    assert event["Type"] == "DynamoDB"
    assert properties["Stream"] == {"Fn::GetAtt": [TABLE, "StreamArn"]}
    assert app.RETURN_EVENTS_STREAM not in json.dumps(packaged)
    # As app.py declares it: 25 records a batch, from the oldest the stream holds
    assert (properties["BatchSize"], properties["StartingPosition"]) == (25, "TRIM_HORIZON")
    # And a failed record is retried from where it failed, its batch halved on each error
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    # A bounded number of times, within a bounded age, then reported to the dead-letter queue
    assert properties["MaximumRetryAttempts"] == MAXIMUM_RETRY_ATTEMPTS == 10
    assert properties["MaximumRecordAgeInSeconds"] == MAXIMUM_RECORD_AGE_SECONDS
    assert properties["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [RETURN_EVENTS_DEAD_LETTER_QUEUE, "Arn"]}}
    }
    # Every property is one SAM's DynamoDB event knows
    assert set(properties) <= SAM_DYNAMODB_EVENT_PROPERTIES


def test_a_record_is_given_up_on_well_inside_the_streams_retention() -> None:
    # Lambda accepts 60 s to 7 days; the stream keeps a record 24 hours, so a parked batch can
    # still be read again from the shard and sequence numbers its report names
    assert 60 <= MAXIMUM_RECORD_AGE_SECONDS <= STREAM_RETENTION_SECONDS // 2
    assert 0 < MAXIMUM_RETRY_ATTEMPTS <= 10_000


def test_only_new_return_events_invoke_the_consumer(packaged: dict[str, Any]) -> None:
    # Given the event source's filter
    (event,) = packaged["Resources"]["HandleReturnEvents"]["Properties"]["Events"].values()
    (pattern,) = [
        json.loads(f["Pattern"]) for f in event["Properties"]["FilterCriteria"]["Filters"]
    ]
    # Then a record passes it exactly when the consumer treats it as a new return event
    for name in ("INSERT", "MODIFY", "REMOVE"):
        for pk in ("CHANGES#rma-1", "RMA#rma-1", "EMAILS#rma-1"):
            passes = _matches(
                pattern, {"eventName": name, "dynamodb": {"Keys": {PARTITION_KEY: {"S": pk}}}}
            )
            assert passes == (name == "INSERT" and is_event_item({PARTITION_KEY: pk})), (name, pk)


def test_the_return_events_dead_letter_queue_keeps_reports_14_days_encrypted(
    template: dict[str, Any], stage: str
) -> None:
    queue = template["Resources"][RETURN_EVENTS_DEAD_LETTER_QUEUE]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"] == {
        "QueueName": names_of(stage).return_events_dead_letter_queue_name,
        "SqsManagedSseEnabled": True,
        "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
    }


def test_a_stream_held_up_by_a_failing_record_raises_an_alarm(template: dict[str, Any]) -> None:
    # Partial batch failures are no function errors: the age of the records read is what shows
    alarm = template["Resources"]["HandleReturnEventsIteratorAgeAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "IteratorAge")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "HandleReturnEvents"}}]
    assert alarm["Statistic"] == "Maximum"
    # Long before a record is given up on
    assert alarm["Threshold"] < MAXIMUM_RECORD_AGE_SECONDS * 1000 / 10


# --- the Powertools layer and the functions' roles ---------------------------------------------


def test_every_packaged_function_runs_with_the_powertools_layer(packaged: dict[str, Any]) -> None:
    functions = [
        r["Properties"]
        for r in packaged["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    ]
    # Given the one runtime and architecture the functions run on
    ((runtime, architecture),) = {(f["Runtime"], tuple(f["Architectures"])) for f in functions}
    # Then each has the layer the stack's parameter names, and no other
    for function in functions:
        assert function["Layers"] == [{"Ref": POWERTOOLS_LAYER_PARAMETER}]
    # Which defaults to the public parameter Powertools publishes for that runtime and
    # architecture, at the version the tests run against
    parameter = packaged["Parameters"][POWERTOOLS_LAYER_PARAMETER]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    (arch,) = architecture
    assert parameter["Default"] == (
        f"/aws/service/powertools/python/{arch}/{runtime}/{version('aws-lambda-powertools')}"
    )


def test_the_packaged_role_of_each_function_holds_its_groups_policy(
    packaged: dict[str, Any], stage: str
) -> None:
    # Given the packaged template, where Chalice gives every function a role of its own
    resources = packaged["Resources"]
    groups = function_groups(describe_stage(app.app, ROOT, stage), tasks_of(DEFINITION))
    for function_id, group in groups.items():
        role_id = resources[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        # Then that role's only policy is its group's file, as config.json names it
        (policy,) = resources[role_id]["Properties"]["Policies"]
        expected = json.loads((ROOT / ".chalice" / policy_file_name(stage, group)).read_text())
        assert policy["PolicyDocument"] == expected, function_id
    # And no role is shared, nor made from a policy of another stage or Chalice's own
    roles = [resources[f]["Properties"]["Role"]["Fn::GetAtt"][0] for f in groups]
    assert len(set(roles)) == len(roles)


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


def a_stage(
    function_ids: list[str],
    queue_consumers: list[QueueConsumer],
    stream_consumers: list[StreamConsumer],
    architecture: str = "x86_64",
) -> ChaliceStage:
    """A stage of these functions, all on one runtime unless `architecture` says otherwise for
    the last one."""
    functions = {f: ChaliceFunction(f.lower(), None, "python3.11", "x86_64") for f in function_ids}
    if function_ids:
        last = function_ids[-1]
        functions[last] = ChaliceFunction(last.lower(), None, "python3.11", architecture)
    return ChaliceStage(
        function_ids=function_ids,
        queue_consumers=queue_consumers,
        stream_consumers=stream_consumers,
        functions=functions,
    )


# The queues' consumers, as app.py names them.
INSPECTIONS_CONSUMER = QueueConsumer(
    "Consume", "ConsumeSqsEventSource", 10, name=CONSUMER_FUNCTION_NAME
)
CHAT_CONSUMER = QueueConsumer("Chat", "ChatSqsEventSource", 20, name=CHAT_INTAKE_FUNCTION_NAME)
GORGIAS_CONSUMER = QueueConsumer(
    "Gorgias", "GorgiasSqsEventSource", 30, name=GORGIAS_UPDATES_FUNCTION_NAME
)
WEBHOOKS_CONSUMER = QueueConsumer(
    "Webhooks", "WebhooksSqsEventSource", 40, name=WEBHOOK_DELIVERY_FUNCTION_NAME
)
CONSUMERS = {
    CONSUMER_FUNCTION_NAME: INSPECTIONS_CONSUMER,
    CHAT_INTAKE_FUNCTION_NAME: CHAT_CONSUMER,
    GORGIAS_UPDATES_FUNCTION_NAME: GORGIAS_CONSUMER,
    WEBHOOK_DELIVERY_FUNCTION_NAME: WEBHOOKS_CONSUMER,
}


def test_the_template_builds_from_any_set_of_functions() -> None:
    # Given only the task functions and the two consumers (no API): no API alarm
    function_ids = sorted(tasks_of(DEFINITION))
    queues = list(CONSUMERS.values())
    stream = StreamConsumer("Handle", "HandleDynamodbEventSource")
    chalice_stage = a_stage(
        [*function_ids, "Consume", "Chat", "Gorgias", "Webhooks", "Handle"], queues, [stream]
    )
    template = build_merge_template(names_of("dev"), DEFINITION, chalice_stage)
    assert f"{API_HANDLER}ErrorsAlarm" not in template["Resources"]
    assert set(function_ids) <= set(template["Resources"])
    assert template["Resources"][INSPECTION_QUEUE]["Properties"]["VisibilityTimeout"] == 60
    assert template["Resources"][CHAT_INTAKE_QUEUE]["Properties"]["VisibilityTimeout"] == 120
    assert template["Resources"][GORGIAS_UPDATES_QUEUE]["Properties"]["VisibilityTimeout"] == 180
    assert template["Resources"][WEBHOOK_DELIVERIES_QUEUE]["Properties"]["VisibilityTimeout"] == 240
    events = template["Resources"]["Handle"]["Properties"]["Events"]
    assert set(events) == {"HandleDynamodbEventSource"}


@pytest.mark.parametrize("consumers", [0, 2])
@pytest.mark.parametrize(
    "function_name",
    [
        CONSUMER_FUNCTION_NAME,
        CHAT_INTAKE_FUNCTION_NAME,
        GORGIAS_UPDATES_FUNCTION_NAME,
        WEBHOOK_DELIVERY_FUNCTION_NAME,
    ],
    ids=["inspections", "chat intake", "gorgias updates", "webhook deliveries"],
)
def test_each_queue_needs_exactly_one_consumer(consumers: int, function_name: str) -> None:
    # Given the other queues' consumers, and none or two of this one's
    ids = [f"Consume{n}" for n in range(consumers)]
    queues = [QueueConsumer(f, f"{f}SqsEventSource", 60, name=function_name) for f in ids]
    others = [c for name, c in CONSUMERS.items() if name != function_name]
    queues += others
    chalice_stage = a_stage(
        [*ids, *(c.function_id for c in others), "Handle"],
        queues,
        [StreamConsumer("Handle", "HandleDynamodbEventSource")],
    )
    # When / Then the generation stops: it would not know which function reads the queue
    with pytest.raises(QueueConsumerCountError, match=f"declares {consumers} of"):
        build_merge_template(names_of("dev"), DEFINITION, chalice_stage)


@pytest.mark.parametrize("consumers", [0, 2])
def test_the_table_stream_needs_exactly_one_consumer(consumers: int) -> None:
    ids = [f"Handle{n}" for n in range(consumers)]
    chalice_stage = a_stage(
        [*ids, "Consume", "Chat", "Gorgias", "Webhooks"],
        list(CONSUMERS.values()),
        [StreamConsumer(f, f"{f}DynamodbEventSource") for f in ids],
    )
    with pytest.raises(StreamConsumerCountError, match=f"declares {consumers}"):
        build_merge_template(names_of("dev"), DEFINITION, chalice_stage)


def test_a_table_that_streams_nothing_stops_the_generation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def without_stream(table_name: str) -> dict[str, Any]:
        definition = dict(table_definition(table_name))
        del definition["StreamSpecification"]
        return definition

    monkeypatch.setattr("deploy.table.table_definition", without_stream)
    with pytest.raises(TableStreamMissingError, match="StreamSpecification"):
        generate(ROOT, "dev")


def test_one_layer_cannot_serve_two_architectures() -> None:
    chalice_stage = a_stage(
        [*sorted(tasks_of(DEFINITION)), "Consume", "Chat", "Gorgias", "Webhooks", "Handle"],
        list(CONSUMERS.values()),
        [StreamConsumer("Handle", "HandleDynamodbEventSource")],
        architecture="arm64",
    )
    with pytest.raises(MixedRuntimeError, match="arm64"):
        build_merge_template(names_of("dev"), DEFINITION, chalice_stage)


# --- helpers -------------------------------------------------------------------------------------


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


def _matches(pattern: Any, record: Any) -> bool:
    """Whether `record` passes an event filter `pattern` made of value lists and prefixes (the
    part of Lambda's filter syntax the consumer's filter uses)."""
    if isinstance(pattern, dict):
        return isinstance(record, dict) and all(
            key in record and _matches(value, record[key]) for key, value in pattern.items()
        )
    return any(
        str(record).startswith(rule["prefix"]) if isinstance(rule, dict) else record == rule
        for rule in pattern
    )


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
