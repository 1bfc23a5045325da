"""Powertools Logger, Metrics and Tracer: one instance each for the whole process."""

from __future__ import annotations

import os
import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

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
