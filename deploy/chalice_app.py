"""What Chalice will put in the template: the app's name and the logical ids of its functions.

The ids come from Chalice's own application graph, the model `chalice package` renders, so a
function added to app.py (a task, a schedule, a queue consumer) gets the environment without
anyone listing it here.
"""

from __future__ import annotations

import importlib
import json
import sys
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


def function_logical_ids(app: Chalice, project_dir: Path, stage: str) -> list[str]:
    """Logical ids of every Lambda function `chalice package --stage <stage>` will emit."""
    config_from_disk = load_project_config(project_dir)
    if stage not in config_from_disk.get("stages", {}):
        raise UnknownStageError(f"stage {stage!r} is not defined in .chalice/config.json")
    config = Config(
        chalice_stage=stage,
        user_provided_params={"chalice_app": app, "project_dir": str(project_dir)},
        config_from_disk=config_from_disk,
    )
    application = ApplicationGraphBuilder().build(config, stage)
    resources = DependencyBuilder().build_dependencies(application)
    api_handlers = {
        id(resource.lambda_function)
        for resource in resources
        if isinstance(resource, models.RestAPI)
    }
    return [
        API_HANDLER
        if id(resource) in api_handlers
        else to_cfn_resource_name(resource.resource_name)
        for resource in resources
        if isinstance(resource, models.LambdaFunction)
    ]
