"""The merge template for `chalice package --merge-template`, generated from the code's sources.

Chalice deep-merges this template into the one it generates: resources that Chalice does not
create are added, and `Resources.<Function>.Properties.Environment.Variables` adds variables to
those Chalice already sets from .chalice/config.json.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from deploy.alarms import (
    alarm_conditions,
    alarm_parameters,
    function_errors_alarm,
    state_machine_alarms,
)
from deploy.bucket import RETURNS_BUCKET, returns_bucket_resource
from deploy.cfn import Resource, Template, ref
from deploy.chalice_app import API_HANDLER, function_logical_ids, load_app, load_project_config
from deploy.lifecycle import STATE_MACHINE, lifecycle_resources, load_definition
from deploy.stage import StageNames
from deploy.table import table_resource

TABLE = "ReturnsTable"
DEFINITION_PATH = Path("statemachines/return_lifecycle.asl.json")

# Environment variables every function receives; the names are Settings fields in capitals.
TABLE_NAME_VARIABLE = "TABLE_NAME"
STATE_MACHINE_ARN_VARIABLE = "LIFECYCLE_STATE_MACHINE_ARN"
RETURNS_BUCKET_VARIABLE = "RETURNS_BUCKET"


class LogicalIdClashError(ValueError):
    """A resource of the merge template has the logical id of a Chalice function."""


def generate(project_dir: Path, stage: str) -> Template:
    """The merge template of `stage`, from app.py, .chalice/config.json and the ASL file."""
    app = load_app(project_dir)
    names = StageNames(app_name=load_project_config(project_dir)["app_name"], stage=stage)
    function_ids = function_logical_ids(app, project_dir, stage)
    definition = load_definition(project_dir / DEFINITION_PATH)
    return build_merge_template(names, definition, function_ids)


def build_merge_template(
    names: StageNames, definition: dict[str, Any], function_ids: Collection[str]
) -> Template:
    """Table, lifecycle state machine and alarms, plus the environment of every function."""
    resources: dict[str, Resource] = {
        TABLE: table_resource(names.table_name),
        RETURNS_BUCKET: returns_bucket_resource(names),
    }
    resources.update(lifecycle_resources(names, definition, function_ids))
    resources.update(state_machine_alarms(names, STATE_MACHINE))
    if API_HANDLER in function_ids:
        resources.update(function_errors_alarm(names, API_HANDLER))
    clashes = sorted(set(resources) & set(function_ids))
    if clashes:
        # Chalice would silently merge our resource into its function of the same name.
        raise LogicalIdClashError(f"logical ids used by both Chalice and deploy/: {clashes}")
    resources.update({function_id: function_environment(names) for function_id in function_ids})
    return {
        "Description": f"{names.app_name} ({names.stage}): API, return lifecycle, table, alarms",
        "Parameters": alarm_parameters(),
        "Conditions": alarm_conditions(),
        "Resources": resources,
        "Outputs": {
            "ReturnsTableName": {"Value": ref(TABLE)},
            "LifecycleStateMachineArn": {"Value": ref(STATE_MACHINE)},
            "ReturnsBucketName": {"Value": ref(RETURNS_BUCKET)},
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
                }
            }
        }
    }
