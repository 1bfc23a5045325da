"""Powertools Logger, Metrics and Tracer: one instance each for the whole process, and the
Powertools decorators that app.py attaches to every function as Chalice middleware."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from chalice import ConvertToMiddleware
from chalice.app import Request

# Differs from the Chalice app name on purpose: Chalice's own logger already uses the app name,
# and sharing it would print every line twice.
SERVICE_NAME = "returns"
METRICS_NAMESPACE = "ReturnsDesk"

# What addresses are made of in practice, in any script: `\w` is Unicode on str patterns, so
# internationalised addresses (RFC 6531: `jöhn@exämple.com`, `用户@例子.广告`) are masked too.
_LOCAL_CHARACTER = r"[\w.%+-]"
_EMAIL = re.compile(
    # The lookbehind starts a match only where a local part starts: the first character masked
    # is the address's own, and a long run without an @ is scanned once, not once per character.
    rf"(?<!{_LOCAL_CHARACTER})({_LOCAL_CHARACTER}){_LOCAL_CHARACTER}*"
    # A domain of dotted labels ending in a top-level domain of letters or in punycode (xn--).
    r"@((?:[\w-]+\.)+(?:[^\W\d_]{2,}|xn--[\w-]+))"
)


def mask_email(text: str) -> str:
    """`jane.doe@example.com` → `j***@example.com`, wherever emails appear in `text`."""
    return _EMAIL.sub(r"\1***@\2", text)


class EmailMaskingFormatter(LambdaPowertoolsFormatter):
    """Masks every email address in a log line, whichever key or message it came in."""

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        return mask_email(super().serialize(log))


def _tracing_wanted() -> bool:
    """Only inside Lambda, and unless turned off: the Tracer loads the X-Ray SDK (about 150 ms
    of imports), which is worth paying only where traces are sent somewhere."""
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in {"1", "true"}
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ and not disabled


logger = Logger(service=SERVICE_NAME, logger_formatter=EmailMaskingFormatter())
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
# Patches boto3 and httpx when created, so every AWS and Gorgias call becomes a subsegment.
tracer: Tracer | None = Tracer(service=SERVICE_NAME) if _tracing_wanted() else None
# Most invocations add no metric, and Powertools would warn at the end of each one of them.
warnings.filterwarnings("ignore", "No application metrics to publish")


class LambdaMiddleware(ConvertToMiddleware):
    """Chalice's adapter of a Lambda handler decorator to middleware, passed over when a handler
    is called without a Lambda context: Lambda always gives one, and Powertools reads the
    function's name and request id from it, but tests call handlers directly with None."""

    def __call__(self, event: Any, get_response: Callable[[Any], Any]) -> Any:
        context = event.lambda_context if isinstance(event, Request) else event.context
        if context is None:
            return get_response(event)
        return super().__call__(event, get_response)


def powertools_middleware() -> list[LambdaMiddleware]:
    """Powertools' own decorators, outermost first, as middleware for every function of the app:

    - where tracing is on, the invocation's X-Ray subsegment, which annotations need (Lambda's
      own segment takes none);
    - the Lambda context on every log line, and API Gateway's request id as the correlation id
      (other events have none: their lines carry the `function_request_id`);
    - the metrics added during the invocation, flushed at its end whatever happened."""
    decorators: list[Callable[..., Any]] = [
        logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST),
        metrics.log_metrics,
    ]
    if tracer is not None:
        traced = tracer

        # Its name is the subsegment's ("## invocation"). The answer is left out of the trace:
        # it may hold a shopper's data.
        def invocation(handler: Callable[..., Any]) -> Callable[..., Any]:
            return traced.capture_lambda_handler(handler, capture_response=False)

        decorators.insert(0, invocation)
    return [LambdaMiddleware(decorator) for decorator in decorators]
