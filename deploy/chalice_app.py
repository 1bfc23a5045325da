"""What Chalice will put in the template: the app's name and the logical ids of its functions.

The ids come from Chalice's own application graph, the model `chalice package` renders, so a
function added to app.py (a task, a schedule, a queue or stream consumer) gets the environment
without anyone listing it here; so do the names Chalice gives the event sources it subscribes
them to, the policy file each function's role is made from, and the runtime and architecture
the functions run on.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalice import Chalice
from chalice.config import Config
from chalice.deploy import models
from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
from chalice.utils import to_cfn_resource_name

# Chalice renames the REST API's handler to this id (chalice.package.SAMTemplateGenerator).
API_HANDLER = "APIHandler"


class UnknownStageError(ValueError):
    """The stage is not one of .chalice/config.json's stages."""


def load_project_config(project_dir: Path) -> dict[str, Any]:
    return json.loads((project_dir / ".chalice" / "config.json").read_text())


def load_app(project_dir: Path) -> Chalice:
    """Import app.py the way Chalice does, minus its habit of exporting the stage's variables.

    (`chalice package` writes the stage's environment variables into os.environ before the
    import; nothing here needs them, and a test process must not receive them.)
    """
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    return importlib.import_module("app").app


@dataclass(frozen=True)
class QueueConsumer:
    """A function Chalice subscribes to an SQS queue (`@app.on_sqs_message`)."""

    function_id: str
    # The key of the subscription under the function's `Properties.Events` in Chalice's template.
    event_id: str
    timeout_seconds: int
    # The name app.py gives the function: how the template tells the consumers of its queues
    # apart (the queue's name is read from a variable the stage sets only when packaging).
    name: str = ""


@dataclass(frozen=True)
class StreamConsumer:
    """A function Chalice subscribes to a DynamoDB stream (`@app.on_dynamodb_record`)."""

    function_id: str
    # The key of the subscription under the function's `Properties.Events` in Chalice's template.
    event_id: str


@dataclass(frozen=True)
class ChaliceFunction:
    """What the IAM policy and the layers of one function depend on."""

    # The name app.py gives it, the key of `lambda_functions` in .chalice/config.json.
    name: str
    # The file, under .chalice/, Chalice makes the function's role policy from (None when the
    # stage lets Chalice generate the policy or names a role of its own).
    policy_file: str | None
    runtime: str
    architecture: str


@dataclass(frozen=True)
class ChaliceStage:
    """The functions `chalice package --stage <stage>` will emit, by logical id."""

    function_ids: list[str]
    scheduled_function_ids: list[str] = field(default_factory=list)
    queue_consumers: list[QueueConsumer] = field(default_factory=list)
    stream_consumers: list[StreamConsumer] = field(default_factory=list)
    # The stage's variables of .chalice/config.json, top-level ones included.
    environment_variables: dict[str, str] = field(default_factory=dict)
    # Each function of `function_ids`, by logical id.
    functions: dict[str, ChaliceFunction] = field(default_factory=dict)


def chalice_config(app: Chalice, project_dir: Path, stage: str) -> Config:
    """Chalice's own reading of .chalice/config.json for `stage`."""
    config_from_disk = load_project_config(project_dir)
    if stage not in config_from_disk.get("stages", {}):
        raise UnknownStageError(f"stage {stage!r} is not defined in .chalice/config.json")
    return Config(
        chalice_stage=stage,
        user_provided_params={"chalice_app": app, "project_dir": str(project_dir)},
        config_from_disk=config_from_disk,
    )


def chalice_resources(app: Chalice, project_dir: Path, stage: str) -> list[models.Model]:
    """The application graph `chalice package --stage <stage>` renders, resources in order."""
    application = ApplicationGraphBuilder().build(chalice_config(app, project_dir, stage), stage)
    return list(DependencyBuilder().build_dependencies(application))


def describe_stage(app: Chalice, project_dir: Path, stage: str) -> ChaliceStage:
    resources = chalice_resources(app, project_dir, stage)
    api_handlers = {
        id(resource.lambda_function)
        for resource in resources
        if isinstance(resource, models.RestAPI)
    }
    functions = {
        API_HANDLER
        if id(resource) in api_handlers
        else to_cfn_resource_name(resource.resource_name): _function(resource)
        for resource in resources
        if isinstance(resource, models.LambdaFunction)
    }
    return ChaliceStage(
        function_ids=list(functions),
        scheduled_function_ids=[
            to_cfn_resource_name(resource.lambda_function.resource_name)
            for resource in resources
            if isinstance(resource, models.ScheduledEvent)
        ],
        queue_consumers=[
            QueueConsumer(
                function_id=to_cfn_resource_name(resource.lambda_function.resource_name),
                event_id=to_cfn_resource_name(resource.resource_name),
                timeout_seconds=resource.lambda_function.timeout,
                name=resource.lambda_function.resource_name,
            )
            for resource in resources
            if isinstance(resource, models.SQSEventSource)
        ],
        stream_consumers=[
            StreamConsumer(
                function_id=to_cfn_resource_name(resource.lambda_function.resource_name),
                event_id=to_cfn_resource_name(resource.resource_name),
            )
            for resource in resources
            if isinstance(resource, models.DynamoDBEventSource)
        ],
        environment_variables=dict(chalice_config(app, project_dir, stage).environment_variables),
        functions=functions,
    )


def _function(resource: models.LambdaFunction) -> ChaliceFunction:
    role = resource.role
    policy = role.policy if isinstance(role, models.ManagedIAMRole) else None
    return ChaliceFunction(
        name=resource.resource_name,
        policy_file=(
            Path(policy.filename).name if isinstance(policy, models.FileBasedIAMPolicy) else None
        ),
        runtime=resource.runtime,
        architecture=resource.architecture,
    )


def function_logical_ids(app: Chalice, project_dir: Path, stage: str) -> list[str]:
    """Logical ids of every Lambda function `chalice package --stage <stage>` will emit."""
    return describe_stage(app, project_dir, stage).function_ids
