"""Specification of what every invocation leaves behind, through Powertools' own middleware
(observability.py) and the app's (api/middleware.py): one log line per request with its status,
API Gateway's request id as the correlation id of every line, the Lambda context on every line
of every function, the metrics flushed at the end, and every 500 logged with its stack trace
while the caller learns nothing of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from chalice.local import LambdaContext

from chalicelib.errors import StoredDataError
from chalicelib.services import container
from tests.support import ADMIN_AUTH, WIDGET_AUTH
from tests.unit.test_observability import app_log_lines  # noqa: F401 (a fixture)

LogLines = Callable[[], list[dict[str, Any]]]


def api_gateway_event(
    path: str,
    resource: str,
    request_id: str,
    headers: dict[str, str] | None = None,
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A GET as API Gateway hands it over (REST API, stage `api`)."""
    headers = headers or {}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": parameters,
        "stageVariables": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "path": f"/api{path}",
            "httpMethod": "GET",
            "requestId": request_id,
            "stage": "api",
        },
    }


def lambda_context(name: str = "api_handler") -> LambdaContext:
    return LambdaContext(name, memory_size=512)


def lines_with(lines: list[dict[str, Any]], message: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["message"] == message]


# --- Every request --------------------------------------------------------------------------


def test_a_request_is_logged_once_with_its_status_under_api_gateways_request_id(
    app_log_lines: LogLines,  # noqa: F811
) -> None:
    from app import app

    # Given a request as API Gateway hands it over, and the Lambda context of its function
    context = lambda_context()
    # When the function answers it
    response = app(api_gateway_event("/health", "/health", "request-1"), context)
    # Then it is answered, and logged once, with the request's route and status
    assert response["statusCode"] == 200, response["body"]
    [answered] = lines_with(app_log_lines(), "Request answered")
    assert (answered["method"], answered["path"], answered["status"]) == ("GET", "/health", 200)
    # And under API Gateway's request id, with the Lambda context of the invocation
    assert answered["correlation_id"] == "request-1"
    assert answered["function_name"] == "api_handler"
    assert answered["function_request_id"] == context.aws_request_id


def test_each_request_has_its_own_correlation_id(app_log_lines: LogLines) -> None:  # noqa: F811
    from app import app

    # Given / When two requests are answered one after the other by the same function
    for request_id in ("request-1", "request-2"):
        app(api_gateway_event("/health", "/health", request_id), lambda_context())
    # Then each one's line carries its own id
    answered = lines_with(app_log_lines(), "Request answered")
    assert [line["correlation_id"] for line in answered] == ["request-1", "request-2"]


def test_the_metrics_of_a_request_are_flushed_when_it_is_answered(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given / When an agent's widget is rendered, which counts itself
    response = api.http.get("/gorgias/widget?email=jane.doe@example.com", headers=WIDGET_AUTH)
    # Then the count is written out (CloudWatch's embedded metric format) with the answer
    assert response.status_code == 200, response.body
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert [metric["WidgetRenders"] for metric in metrics] == [[1.0]]
    # And a request that counts nothing writes out no metric
    assert api.http.get("/health").status_code == 200
    assert "_aws" not in capsys.readouterr().out


# --- Faults on our side -----------------------------------------------------------------------


class BrokenReturns:
    """An RMA service whose reads fail with `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def find(self, typed: str) -> Any:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [RuntimeError("the disk is on fire"), StoredDataError("RMA#1/RMA", "lines: too many")],
    ids=["unexpected", "unreadable-item"],
)
def test_a_fault_on_our_side_is_a_500_logged_with_its_stack_trace(
    aws: None,
    monkeypatch: pytest.MonkeyPatch,
    app_log_lines: LogLines,  # noqa: F811
    error: Exception,
) -> None:
    from app import app

    # Given returns that cannot be read
    monkeypatch.setattr(container, "rma_service", lambda: BrokenReturns(error))
    # When an admin reads one
    event = api_gateway_event(
        "/rmas/R-001001", "/rmas/{rma}", "request-3", ADMIN_AUTH, {"rma": "R-001001"}
    )
    response = app(event, lambda_context())
    # Then it is a 500 that tells nothing of the fault
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on our side.",
            "details": {},
        }
    }
    # And the fault is logged, with its stack trace, under the request's id
    [failed] = lines_with(app_log_lines(), "Request failed")
    assert failed["level"] == "ERROR"
    assert failed["exception_name"] == type(error).__name__
    assert "Traceback (most recent call last)" in failed["exception"]
    assert str(error) in failed["exception"]
    assert failed["correlation_id"] == "request-3"
    # And the request is logged as answered with a 500
    [answered] = lines_with(app_log_lines(), "Request answered")
    assert (answered["status"], answered["error_code"]) == (500, "internal_error")


def test_a_refusal_is_no_fault(api: Any, app_log_lines: LogLines) -> None:  # noqa: F811
    # Given / When an admin reads a return that does not exist
    response = api.http.get("/rmas/R-009999", headers=ADMIN_AUTH)
    # Then it is a 404, logged as answered, and no failure is logged
    assert response.status_code == 404
    lines = app_log_lines()
    assert [line["error_code"] for line in lines_with(lines, "Request answered")] == [
        "rma_not_found"
    ]
    assert lines_with(lines, "Request failed") == []


# --- Every other function ---------------------------------------------------------------------


def test_a_function_s_log_lines_carry_its_lambda_context(
    aws: None,
    app_log_lines: LogLines,  # noqa: F811
) -> None:
    from chalice.test import Client

    from app import app

    # Given / When the sign-in function is handed a request for an order that is no one's
    with Client(app, stage_name="test") as chalice:
        chalice.lambda_.invoke(
            "send_login_code", {"email": "jane.doe@example.com", "order_number": "#404"}
        )
    # Then what it logs names the function and its invocation, and no request of the API
    [requested] = lines_with(app_log_lines(), "Login code requested")
    assert requested["function_name"] == "send_login_code"
    assert requested["function_request_id"]
    assert "correlation_id" not in requested
