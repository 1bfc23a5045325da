"""The merge template for `chalice package --merge-template`, generated from the code's sources.

Chalice deep-merges this template into the one it generates: resources that Chalice does not
create are added, `Resources.<Function>.Properties.Environment.Variables` adds variables to
those Chalice already sets from .chalice/config.json, every function gets the Powertools layer,
each queue consumer's entry (the inspection uploads', the chat intake's) adds partial batch
responses to the SQS event source Chalice gives it, and the stream consumer's entry points its
DynamoDB event source at the table's stream, with partial batch responses, bounded retries and
an on-failure queue. Before that, it checks that each function will get its group's policy
file (policies.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chalice.utils import to_cfn_resource_name

from chalicelib.integrations.login_requests import LOGIN_CODE_FUNCTION_NAME
from deploy.alarms import (
    REST_API,
    alarm_conditions,
    alarm_parameters,
    api_alarms,
    application_alarms,
    dead_letter_queue_alarm,
    function_errors_alarm,
    iterator_age_alarm,
    rest_api_name,
    state_machine_alarms,
)
from deploy.bucket import RETURNS_BUCKET, photo_upload_origins, returns_bucket_resource
from deploy.cfn import Resource, Template, deep_merge, ref
from deploy.chalice_app import (
    API_HANDLER,
    ChaliceStage,
    describe_stage,
    load_app,
    load_project_config,
)
from deploy.chat_intake import (
    CHAT_INTAKE_DEAD_LETTER_QUEUE,
    DEAD_LETTERS_REMEDY,
    chat_intake_consumer,
    chat_intake_outputs,
    chat_intake_queue_resources,
    check_chat_queue_variables,
    queue_url_variable,
)
from deploy.chat_intake import consumer_settings as chat_intake_consumer_settings
from deploy.gorgias_updates import (
    DEAD_LETTERS_REMEDY as GORGIAS_DEAD_LETTERS_REMEDY,
)
from deploy.gorgias_updates import (
    GORGIAS_UPDATES_DEAD_LETTER_QUEUE,
    check_gorgias_queue_variables,
    gorgias_updates_consumer,
    gorgias_updates_outputs,
    gorgias_updates_resources,
)
from deploy.gorgias_updates import consumer_settings as gorgias_updates_consumer_settings
from deploy.gorgias_updates import queue_url_variable as gorgias_updates_queue_url
from deploy.inspections import (
    INSPECTION_DEAD_LETTER_QUEUE,
    check_queue_variable,
    inspection_consumer,
    inspection_queue_outputs,
    inspection_queue_resources,
    notify_inspection_queue,
)
from deploy.inspections import consumer_settings as inspection_consumer_settings
from deploy.layers import function_layers, powertools_layer_parameters
from deploy.lifecycle import (
    DEFINITION_PATH,
    STATE_MACHINE,
    lifecycle_resources,
    load_definition,
    task_function_ids,
)
from deploy.policies import check_policy_files, function_groups
from deploy.return_events import (
    ITERATOR_AGE_ALARM_MS,
    RETURN_EVENTS_DEAD_LETTER_QUEUE,
    RETURN_EVENTS_REMEDY,
    check_table_streams,
    return_events_consumer,
    return_events_outputs,
    return_events_resources,
)
from deploy.return_events import consumer_settings as return_events_consumer_settings
from deploy.stage import StageNames
from deploy.table import table_resource
from deploy.webhook_deliveries import DEAD_LETTERS_REMEDY as WEBHOOK_DEAD_LETTERS_REMEDY
from deploy.webhook_deliveries import (
    WEBHOOK_DELIVERIES_DEAD_LETTER_QUEUE,
    check_webhook_queue_variables,
    webhook_deliveries_consumer,
    webhook_deliveries_outputs,
    webhook_deliveries_resources,
)
from deploy.webhook_deliveries import consumer_settings as webhook_consumer_settings
from deploy.webhook_deliveries import queue_url_variable as webhook_deliveries_queue_url

__all__ = ["DEFINITION_PATH", "LogicalIdClashError", "build_merge_template", "generate"]

TABLE = "ReturnsTable"

# Environment variables every function receives; the names are Settings fields in capitals.
TABLE_NAME_VARIABLE = "TABLE_NAME"
STATE_MACHINE_ARN_VARIABLE = "LIFECYCLE_STATE_MACHINE_ARN"
RETURNS_BUCKET_VARIABLE = "RETURNS_BUCKET"
LOGIN_CODE_FUNCTION_VARIABLE = "LOGIN_CODE_FUNCTION"
# The function the sign-in route hands requests to (asynchronous invocations).
LOGIN_CODE_FUNCTION = to_cfn_resource_name(LOGIN_CODE_FUNCTION_NAME)


class LogicalIdClashError(ValueError):
    """A resource of the merge template has the logical id of a Chalice function."""


def generate(project_dir: Path, stage: str, *, table_indexes: int | None = None) -> Template:
    """The merge template of `stage`, from app.py, .chalice/config.json and the ASL file;
    `table_indexes` deploys the table's first that many indexes only (see `table_resource`)."""
    app = load_app(project_dir)
    names = StageNames(app_name=load_project_config(project_dir)["app_name"], stage=stage)
    chalice_stage = describe_stage(app, project_dir, stage)
    check_queue_variable(chalice_stage.environment_variables, names)
    check_chat_queue_variables(chalice_stage.environment_variables, names)
    check_gorgias_queue_variables(chalice_stage.environment_variables, names)
    check_webhook_queue_variables(chalice_stage.environment_variables, names)
    definition = load_definition(project_dir / DEFINITION_PATH)
    groups = function_groups(chalice_stage, task_function_ids(definition))
    check_policy_files(project_dir, names, chalice_stage, groups)
    return build_merge_template(names, definition, chalice_stage, table_indexes=table_indexes)


def build_merge_template(
    names: StageNames,
    definition: dict[str, Any],
    chalice_stage: ChaliceStage,
    *,
    table_indexes: int | None = None,
) -> Template:
    """Table, bucket, queues, lifecycle state machine and alarms, plus what every function
    receives (its environment and layer) and what the consumers' event sources need."""
    function_ids = chalice_stage.function_ids
    consumer = inspection_consumer(chalice_stage.queue_consumers)
    chat_consumer = chat_intake_consumer(chalice_stage.queue_consumers)
    gorgias_consumer = gorgias_updates_consumer(chalice_stage.queue_consumers)
    webhook_consumer = webhook_deliveries_consumer(chalice_stage.queue_consumers)
    events_consumer = return_events_consumer(chalice_stage.stream_consumers)
    resources: dict[str, Resource] = {
        TABLE: table_resource(names.table_name, indexes=table_indexes),
        RETURNS_BUCKET: notify_inspection_queue(
            returns_bucket_resource(
                names, photo_upload_origins(chalice_stage.environment_variables)
            )
        ),
    }
    check_table_streams(resources[TABLE], TABLE)
    resources.update(inspection_queue_resources(names, consumer))
    resources.update(chat_intake_queue_resources(names, chat_consumer))
    resources.update(gorgias_updates_resources(names, gorgias_consumer))
    resources.update(webhook_deliveries_resources(names, webhook_consumer))
    resources.update(return_events_resources(names))
    resources.update(lifecycle_resources(names, definition, function_ids))
    resources.update(state_machine_alarms(names, STATE_MACHINE))
    resources.update(application_alarms(names))
    resources.update(api_alarms(names))
    resources.update(
        dead_letter_queue_alarm(names, INSPECTION_DEAD_LETTER_QUEUE, "Warehouse inspection files")
    )
    resources.update(
        dead_letter_queue_alarm(
            names, CHAT_INTAKE_DEAD_LETTER_QUEUE, "Chat messages", DEAD_LETTERS_REMEDY
        )
    )
    resources.update(
        dead_letter_queue_alarm(
            names,
            GORGIAS_UPDATES_DEAD_LETTER_QUEUE,
            "Gorgias tickets and notes",
            GORGIAS_DEAD_LETTERS_REMEDY,
        )
    )
    resources.update(
        dead_letter_queue_alarm(
            names,
            WEBHOOK_DELIVERIES_DEAD_LETTER_QUEUE,
            "Webhook deliveries",
            WEBHOOK_DEAD_LETTERS_REMEDY,
        )
    )
    resources.update(
        dead_letter_queue_alarm(
            names,
            RETURN_EVENTS_DEAD_LETTER_QUEUE,
            "Return events",
            RETURN_EVENTS_REMEDY,
        )
    )
    resources.update(iterator_age_alarm(names, events_consumer.function_id, ITERATOR_AGE_ALARM_MS))
    # The handlers nobody waits on: an error there shows nowhere else.
    alarmed = [
        API_HANDLER,
        consumer.function_id,
        chat_consumer.function_id,
        gorgias_consumer.function_id,
        webhook_consumer.function_id,
        events_consumer.function_id,
        LOGIN_CODE_FUNCTION,
        *chalice_stage.scheduled_function_ids,
    ]
    for function_id in dict.fromkeys(alarmed):
        if function_id in function_ids:
            resources.update(function_errors_alarm(names, function_id))
    clashes = sorted(set(resources) & set(function_ids))
    if clashes:
        # Chalice would silently merge our resource into its function of the same name.
        raise LogicalIdClashError(f"logical ids used by both Chalice and deploy/: {clashes}")
    resources.update(
        {
            function_id: deep_merge(function_environment(names), function_layers())
            for function_id in function_ids
        }
    )
    resources[REST_API] = rest_api_name(names)
    if API_HANDLER in function_ids:
        # Only the API sends to the chat intake's queue: only it is told where the queue is.
        # It also queues test webhooks and the deliveries a person retries.
        resources[API_HANDLER] = deep_merge(
            deep_merge(resources[API_HANDLER], queue_url_variable()),
            webhook_deliveries_queue_url(),
        )
    resources[consumer.function_id] = deep_merge(
        resources[consumer.function_id], inspection_consumer_settings(consumer)
    )
    resources[chat_consumer.function_id] = deep_merge(
        resources[chat_consumer.function_id], chat_intake_consumer_settings(chat_consumer)
    )
    resources[gorgias_consumer.function_id] = deep_merge(
        resources[gorgias_consumer.function_id], gorgias_updates_consumer_settings(gorgias_consumer)
    )
    resources[webhook_consumer.function_id] = deep_merge(
        resources[webhook_consumer.function_id], webhook_consumer_settings(webhook_consumer)
    )
    resources[events_consumer.function_id] = deep_merge(
        deep_merge(
            deep_merge(
                resources[events_consumer.function_id],
                return_events_consumer_settings(events_consumer, TABLE),
            ),
            # Only the return events' consumer sends to the Gorgias updates queue.
            gorgias_updates_queue_url(),
        ),
        # ... and to the webhook deliveries' queue (as the API does; its consumer knows it too).
        webhook_deliveries_queue_url(),
    )
    if LOGIN_CODE_FUNCTION in function_ids:
        # Named, not left to CloudFormation: the policy files grant invoking it by its name.
        resources[LOGIN_CODE_FUNCTION] = deep_merge(
            resources[LOGIN_CODE_FUNCTION],
            {"Properties": {"FunctionName": names.function_name(LOGIN_CODE_FUNCTION_NAME)}},
        )
    return {
        "Description": (
            f"{names.app_name} ({names.stage}): API, return lifecycle, return events, "
            "inspection uploads, chat intake, Gorgias updates, webhook deliveries, "
            "scheduled emails, table, alarms"
        ),
        "Parameters": {
            **alarm_parameters(),
            **powertools_layer_parameters(chalice_stage.functions),
        },
        "Conditions": alarm_conditions(),
        "Resources": resources,
        "Outputs": {
            "ReturnsTableName": {"Value": ref(TABLE)},
            "LifecycleStateMachineArn": {"Value": ref(STATE_MACHINE)},
            "ReturnsBucketName": {"Value": ref(RETURNS_BUCKET)},
            **inspection_queue_outputs(),
            **chat_intake_outputs(),
            **gorgias_updates_outputs(),
            **webhook_deliveries_outputs(),
            **return_events_outputs(),
        },
    }


def function_environment(names: StageNames) -> Resource:
    """The variables merged into a Chalice function's own.

    The state machine ARN is built from the state machine's fixed name instead of `Ref`-ing
    the resource. The state machine refers to the functions (`Fn::GetAtt` in
    DefinitionSubstitutions, and its role's lambda:InvokeFunction); a `Ref` from the functions
    back to it would close a dependency cycle, which CloudFormation rejects. With the name fixed
    (`<app>-<stage>-lifecycle`) the functions and the Chalice policy files can know the ARN
    before the state machine exists; it is only called at run time, when it does.
    """
    return {
        "Properties": {
            "Environment": {
                "Variables": {
                    TABLE_NAME_VARIABLE: ref(TABLE),
                    STATE_MACHINE_ARN_VARIABLE: names.state_machine_arn(),
                    RETURNS_BUCKET_VARIABLE: ref(RETURNS_BUCKET),
                    # A name, not a reference: a function referring to itself is a cycle.
                    LOGIN_CODE_FUNCTION_VARIABLE: names.function_name(LOGIN_CODE_FUNCTION_NAME),
                }
            }
        }
    }
