"""The lifecycle state machine, its role and its log group, built around the ASL file.

The definition goes into the template as a JSON object (`Definition`), not as a string, so
cfn-lint validates it; the file's `${XFunctionArn}` placeholders become `DefinitionSubstitutions`
pointing at the Chalice function whose logical id is `X`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from deploy.cfn import Resource, allow, get_att, policy_document
from deploy.stage import StageNames

# The lifecycle's definition, relative to the project: the file the tests run.
DEFINITION_PATH = Path("statemachines/return_lifecycle.asl.json")

STATE_MACHINE = "LifecycleStateMachine"
STATE_MACHINE_ROLE = "LifecycleStateMachineRole"
STATE_MACHINE_LOG_GROUP = "LifecycleLogGroup"

LOG_RETENTION_DAYS = 30

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_FUNCTION_ARN = re.compile(r"^(?P<function>[A-Za-z0-9]+)FunctionArn$")


class UnresolvedPlaceholderError(ValueError):
    """A placeholder of the definition names no function Chalice will create."""


def load_definition(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def placeholders(definition: Any) -> set[str]:
    """Every `${Name}` in the definition's keys and string values."""
    return {name for text in _strings(definition) for name in _PLACEHOLDER.findall(text)}


def task_function_ids(definition: dict[str, Any]) -> set[str]:
    """The logical ids of the functions the definition calls (its `${XFunctionArn}`s)."""
    return {
        match["function"]
        for name in placeholders(definition)
        if (match := _FUNCTION_ARN.match(name)) is not None
    }


def function_substitutions(
    definition: dict[str, Any], function_ids: Collection[str]
) -> dict[str, Any]:
    """`DefinitionSubstitutions`: each `${XFunctionArn}` to the ARN of Chalice's function `X`."""
    substitutions: dict[str, Any] = {}
    unresolved: list[str] = []
    for name in sorted(placeholders(definition)):
        match = _FUNCTION_ARN.match(name)
        if match is None or match["function"] not in function_ids:
            unresolved.append(name)
        else:
            substitutions[name] = get_att(match["function"], "Arn")
    if unresolved:
        raise UnresolvedPlaceholderError(
            "the state machine definition uses placeholders with no matching Chalice function: "
            + ", ".join(unresolved)
            + ". Each must read ${<Function>FunctionArn}, <Function> being the CloudFormation "
            "name of an @app.lambda_function (name='check_eligibility' -> CheckEligibility)."
        )
    return substitutions


def lifecycle_resources(
    names: StageNames, definition: dict[str, Any], function_ids: Collection[str]
) -> dict[str, Resource]:
    """State machine (Standard, traced, logging errors), its role and its log group."""
    substitutions = function_substitutions(definition, function_ids)
    return {
        STATE_MACHINE_LOG_GROUP: {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": names.state_machine_log_group_name,
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        },
        STATE_MACHINE_ROLE: _role(names, list(substitutions.values())),
        STATE_MACHINE: {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                # Fixed, because the functions receive this ARN built from the name (see
                # merge_template.py) rather than as a reference to this resource.
                "StateMachineName": names.state_machine_name,
                "StateMachineType": "STANDARD",
                "Definition": definition,
                "DefinitionSubstitutions": substitutions,
                "RoleArn": get_att(STATE_MACHINE_ROLE, "Arn"),
                "TracingConfiguration": {"Enabled": True},
                # Errors only, without execution data: the execution history already has every
                # step, and inputs and outputs may carry a shopper's data.
                "LoggingConfiguration": {
                    "Level": "ERROR",
                    "IncludeExecutionData": False,
                    "Destinations": [
                        {
                            "CloudWatchLogsLogGroup": {
                                "LogGroupArn": get_att(STATE_MACHINE_LOG_GROUP, "Arn")
                            }
                        }
                    ],
                },
            },
        },
    }


def _role(names: StageNames, function_arns: list[Any]) -> Resource:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": f"Runs the {names.state_machine_name} state machine",
            "AssumeRolePolicyDocument": policy_document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "states.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
            "Policies": [
                {
                    "PolicyName": "lifecycle",
                    "PolicyDocument": policy_document(
                        # Exactly the functions the definition calls, unqualified ARNs as the
                        # definition passes them.
                        allow("InvokeTaskFunctions", ["lambda:InvokeFunction"], function_arns),
                        # Log delivery as the Step Functions guide documents it; these actions
                        # do not support resource-level permissions, hence "*".
                        allow(
                            "DeliverLogs",
                            [
                                "logs:CreateLogDelivery",
                                "logs:GetLogDelivery",
                                "logs:UpdateLogDelivery",
                                "logs:DeleteLogDelivery",
                                "logs:ListLogDeliveries",
                                "logs:PutResourcePolicy",
                                "logs:DescribeResourcePolicies",
                                "logs:DescribeLogGroups",
                            ],
                            "*",
                        ),
                        # X-Ray has no resource-level permissions either.
                        allow(
                            "Tracing",
                            [
                                "xray:PutTraceSegments",
                                "xray:PutTelemetryRecords",
                                "xray:GetSamplingRules",
                                "xray:GetSamplingTargets",
                            ],
                            "*",
                        ),
                    ),
                }
            ],
        },
    }


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
