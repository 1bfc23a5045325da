"""The Powertools for AWS Lambda layer every function runs with.

The functions' zip leaves out what the Lambda runtime and this layer already hold (boto3 and
botocore; Powertools and the X-Ray SDK its Tracer needs), which is most of its size. The layer is
the official public one, found through the SSM parameters Powertools publishes in each region
(`/aws/service/powertools/python/<architecture>/<runtime>/<version>`, whose value is the layer
version's ARN, per the Powertools installation guide): the stack needs no region table, and the
default names the version the tests run against. A stack parameter, so that another version, or
`.../latest`, is one `--parameter-overrides` away.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from deploy.cfn import Resource, ref
from deploy.chalice_app import ChaliceFunction

POWERTOOLS_LAYER_PARAMETER = "PowertoolsLayerArn"
POWERTOOLS_DISTRIBUTION = "aws-lambda-powertools"
_SSM_PATH = "/aws/service/powertools/python/{architecture}/{runtime}/{version}"


class MixedRuntimeError(ValueError):
    """The functions do not all run on one runtime and architecture, so no one layer fits."""


def powertools_layer_parameters(functions: Mapping[str, ChaliceFunction]) -> dict[str, Any]:
    platforms = {(f.runtime, f.architecture) for f in functions.values()}
    if len(platforms) != 1:
        raise MixedRuntimeError(
            f"one Powertools layer serves one runtime and architecture; the functions use "
            f"{sorted(platforms)}"
        )
    ((runtime, architecture),) = platforms
    return {
        POWERTOOLS_LAYER_PARAMETER: {
            # Resolved by CloudFormation from the public parameter, in the stack's region.
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": powertools_layer_ssm_parameter(runtime, architecture),
            "Description": (
                "SSM parameter holding the ARN of the Powertools for AWS Lambda (Python) layer; "
                "the default is the version requirements-dev.txt installs"
            ),
        }
    }


def powertools_layer_ssm_parameter(runtime: str, architecture: str) -> str:
    """`python3.11`, `x86_64` as Chalice names them: the Powertools parameters use the same."""
    return _SSM_PATH.format(
        architecture=architecture, runtime=runtime, version=version(POWERTOOLS_DISTRIBUTION)
    )


def function_layers() -> Resource:
    """Merged into each Chalice function (Chalice emits no `Layers` of its own: no `layers` in
    .chalice/config.json and no automatic layer)."""
    return {"Properties": {"Layers": [ref(POWERTOOLS_LAYER_PARAMETER)]}}
