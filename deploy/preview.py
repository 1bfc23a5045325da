"""`python -m deploy.preview --stage dev`: the template `chalice package` writes, merge template
included, printed without building the Lambda zip (so without downloading wheels).

Chalice's own template generator renders Chalice's own application graph, and Chalice's own
merger folds in `generate()`'s template: the functions' event sources, timeouts and
concurrency are the ones the real package gets. The tests check the packaged wiring on it;
`make package` still builds and lints the real one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import botocore.session
from chalice.awsclient import TypedAWSClient
from chalice.cli.factory import CLIFactory
from chalice.deploy import models
from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
from chalice.deploy.deployer import BuildStage, InjectDefaults, PolicyGenerator, SwaggerBuilder
from chalice.deploy.swagger import CFNSwaggerGenerator
from chalice.package import PackageOptions, SAMTemplateGenerator, TemplateDeepMerger
from chalice.policy import AppPolicyGenerator
from chalice.utils import OSUtils

from deploy.cfn import Template
from deploy.merge_template import generate

# Where `chalice package` puts the zip, relative to the template.
_CODE_URI = "./deployment.zip"


def packaged_template(project_dir: Path, stage: str) -> Template:
    """What build/package/sam.json holds after `make package STAGE=<stage>`.

    Reads the configuration through Chalice's command-line factory, as `chalice package` does,
    defaults and all; like it, puts the stage's variables in this process's environment before
    importing app.py, which names its queue from one of them.
    """
    # The generator asks botocore for Lambda's service principal, which needs a region; the
    # template itself names none (see PACKAGE_REGION in the Makefile).
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    factory = CLIFactory(project_dir=str(project_dir), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    application = ApplicationGraphBuilder().build(config, stage)
    resources = DependencyBuilder().build_dependencies(application)
    osutils = OSUtils()
    # `chalice package`'s build stage minus the step that builds the zip.
    BuildStage(
        steps=[
            InjectDefaults(),
            PolicyGenerator(policy_gen=AppPolicyGenerator(osutils=osutils), osutils=osutils),
            SwaggerBuilder(swagger_generator=CFNSwaggerGenerator()),
        ]
    ).execute(config, resources)
    for resource in resources:
        if isinstance(resource, models.LambdaFunction):
            resource.deployment_package = models.DeploymentPackage(filename=_CODE_URI)
    options = PackageOptions(TypedAWSClient(botocore.session.Session()))
    template = SAMTemplateGenerator(config, options).generate(resources)
    merged: Template = TemplateDeepMerger().merge(generate(project_dir, stage), template)
    return merged


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.preview", description=__doc__)
    parser.add_argument("--stage", default="dev", help="a stage of .chalice/config.json")
    args = parser.parse_args(argv)
    project_dir = Path(__file__).resolve().parent.parent
    sys.stdout.write(json.dumps(packaged_template(project_dir, args.stage), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
