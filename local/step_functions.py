"""Runs the return lifecycle on moto: the definition file itself, with its task Lambdas routed
to the app's handlers in this process (no Docker, no deployment)."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from local.sqs_events import LocalLambdaContext

LIFECYCLE_DEFINITION = Path(__file__).resolve().parent.parent / (
    "statemachines/return_lifecycle.asl.json"
)
LIFECYCLE_NAME = "returns-desk-lifecycle"
MOTO_CONFIG: dict[str, Any] = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
_ACCOUNT = "123456789012"
_PLACEHOLDER = re.compile(r"\$\{(\w+)FunctionArn\}")

Handler = Callable[[dict[str, Any], Any], Any]
_handlers: dict[str, Handler] = {}
_routing_lock = threading.Lock()
# Asynchronous invocations (`InvocationType=Event`) still running, each on a thread of its own.
_asynchronous: list[threading.Thread] = []
log = logging.getLogger(__name__)


def execute_state_machines_in_server() -> None:
    """The same switches as MOTO_CONFIG for moto's in-process server, which has no `mock_aws`
    to pass them to: state machines really run, Lambdas without Docker."""
    from moto.core.config import default_user_config

    for service, switches in MOTO_CONFIG.items():
        default_user_config[service].update(switches)  # type: ignore[literal-required]


def function_name(placeholder: str) -> str:
    """`CheckEligibility` → `check_eligibility`: the Chalice name of a task's Lambda."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", placeholder).lower()


def lifecycle_definition(region: str) -> str:
    """The definition file with each `${XFunctionArn}` replaced by an ARN of this account."""
    text = LIFECYCLE_DEFINITION.read_text()
    return _PLACEHOLDER.sub(
        lambda m: f"arn:aws:lambda:{region}:{_ACCOUNT}:function:{function_name(m.group(1))}",
        text,
    )


def create_lifecycle(stepfunctions: Any, region: str) -> str:
    """Create the lifecycle state machine in moto; its ARN."""
    response = stepfunctions.create_state_machine(
        name=LIFECYCLE_NAME,
        definition=lifecycle_definition(region),
        roleArn=f"arn:aws:iam::{_ACCOUNT}:role/returns-desk-lifecycle",
    )
    return str(response["stateMachineArn"])


def run_lambdas_in_process(handlers: Mapping[str, Handler]) -> None:
    """Make moto's simple Lambda backend call `handlers` by function name (moto otherwise echoes
    the payload back). An exception becomes a Lambda function error with its class name as the
    error type, as in AWS, so the state machine's Retry and Catch see the real names. An
    asynchronous invocation runs on a thread of its own while the caller goes on, as in AWS."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    with _routing_lock:
        _handlers.clear()
        _handlers.update(handlers)
        if getattr(LambdaSimpleBackend.invoke, "_routed", False):
            return
        LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]


def _invoke(
    self: Any,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: dict[str, str],
) -> bytes:
    name = function_name.rsplit(":", 1)[-1]
    handler = _handlers.get(name)
    if handler is None:
        response_headers["x-amz-function-error"] = "Unhandled"
        return _error("ResourceNotFoundException", f"No in-process handler for {name}")
    event = json.loads(body or "{}")
    context = LocalLambdaContext(function_name=name)
    if (headers or {}).get("X-Amz-Invocation-Type") == "Event":
        # Lambda answers 202 at once; what the handler does shows in its logs only.
        thread = threading.Thread(
            target=_run_detached, args=(handler, event, context), name=name, daemon=True
        )
        with _routing_lock:
            _asynchronous.append(thread)
        thread.start()
        return b""
    try:
        return json.dumps(handler(event, context)).encode()
    except Exception as error:
        response_headers["x-amz-function-error"] = "Unhandled"
        return _error(type(error).__name__, str(error))


_invoke._routed = True  # type: ignore[attr-defined]


def _run_detached(handler: Handler, event: dict[str, Any], context: Any) -> None:
    try:
        handler(event, context)
    except Exception:
        log.exception("Asynchronous invocation of %s failed", context.function_name)


def wait_for_asynchronous_invocations(timeout: float = 10) -> None:
    """Wait until the asynchronous invocations started so far have finished."""
    with _routing_lock:
        running = list(_asynchronous)
        _asynchronous.clear()
    for thread in running:
        thread.join(timeout)


def _error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def app_task_handlers() -> dict[str, Handler]:
    """The app's `@app.lambda_function` handlers by name."""
    from app import app

    return {function.name: function for function in app.pure_lambda_functions}
