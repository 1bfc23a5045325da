"""The bench's process environment: the test suite's, so that nothing can reach real AWS."""

from __future__ import annotations

import os

TABLE_NAME = "returns-desk-bench"

BENCH_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "TABLE_NAME": TABLE_NAME,
    "GORGIAS_WIDGET_TOKEN": "widget-token",
    "ADMIN_API_TOKEN": "admin-token",
    "PORTAL_SECRET": "bench-portal-secret-0123456789abcdef",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    # One JSON log line per request would bury the report; warnings still show.
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

# A developer's endpoint, profile or Gorgias credentials would send calls elsewhere, and SSM
# parameter names would make the settings read SSM.
_UNSET = (
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "GORGIAS_SUBDOMAIN",
    "GORGIAS_API_EMAIL",
    "GORGIAS_API_KEY",
    "GORGIAS_API_KEY_PARAMETER",
    "GORGIAS_WIDGET_TOKEN_PARAMETER",
    "ADMIN_API_TOKEN_PARAMETER",
)


def apply_environment() -> None:
    """Set the bench environment in this process (and so in the subprocesses it starts).

    Call it before importing the app: Powertools reads its switches when the app is imported.
    """
    os.environ.update(BENCH_ENVIRONMENT)
    for variable in _UNSET:
        os.environ.pop(variable, None)
