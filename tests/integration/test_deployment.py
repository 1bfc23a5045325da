"""The deployment's merge template, generated from the code: table, lifecycle, IAM, environment.

No AWS and no network: the template is built in-process from the real app, the real ASL file and
`table_definition()`. cfn-lint and the ASL validator run on the packaged template in `make lint`
(`chalice package` builds the Lambda zip, which may download wheels).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.utils import to_cfn_resource_name

import app
from chalicelib.repositories.table_schema import TTL_ATTRIBUTE, table_definition
from chalicelib.settings import Settings
from deploy.__main__ import main
from deploy.chalice_app import (
    API_HANDLER,
    UnknownStageError,
    function_logical_ids,
    load_project_config,
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
    """The functions the definition calls, skipping while app.py does not declare them all."""
    wanted = {name.removesuffix("FunctionArn") for name in placeholders(DEFINITION)}
    registered = {to_cfn_resource_name(f.name) for f in app.app.pure_lambda_functions}
    missing = sorted(wanted - registered)
    if missing:
        pytest.skip(f"app.py does not declare these @app.lambda_function yet: {missing}")
    return wanted


@pytest.fixture(scope="module", params=STAGES)
def stage(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def template(stage: str, task_function_ids: set[str]) -> dict[str, Any]:
    return generate(ROOT, stage)


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


def test_every_placeholder_is_the_arn_of_a_function_chalice_creates(
    template: dict[str, Any], task_function_ids: set[str]
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
    by_action = {a: s for s in policy["Statement"] for a in s["Action"]}
    # Then they grant the lifecycle calls on this stage's state machine and nothing wider
    state_machine = f"arn:aws:states:*:*:stateMachine:{names.state_machine_name}"
    for action in ("states:StartExecution", "states:SendTaskSuccess", "states:SendTaskFailure"):
        assert by_action[action]["Resource"] == state_machine
    assert not [a for a in by_action if a.startswith("states:") and "*" in a]
    # And the table they grant is the one the template creates
    assert (
        f"arn:aws:dynamodb:*:*:table/{names.table_name}"
        in by_action["dynamodb:GetItem"]["Resource"]
    )


# --- the command ---------------------------------------------------------------------------------


def test_the_command_writes_the_merge_template(tmp_path: Path, task_function_ids: set[str]) -> None:
    # When `python -m deploy --stage dev --out <dir>` runs
    assert main(["--stage", "dev", "--out", str(tmp_path)]) == 0
    # Then the merge template of the dev stage is in <dir>/merge-template.json
    written = json.loads((tmp_path / "merge-template.json").read_text())
    assert written == generate(ROOT, "dev")


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(UnknownStageError, match="staging"):
        function_logical_ids(app.app, ROOT, "staging")


def test_the_template_builds_from_any_set_of_functions() -> None:
    # Given only the task functions (no API): no API alarm, nothing else changes
    function_ids = [p.removesuffix("FunctionArn") for p in placeholders(DEFINITION)]
    template = build_merge_template(names_of("dev"), DEFINITION, function_ids)
    assert f"{API_HANDLER}ErrorsAlarm" not in template["Resources"]
    assert set(function_ids) <= set(template["Resources"])


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
