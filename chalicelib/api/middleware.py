"""What every HTTP answer gets on its way out, besides what Powertools' middleware does
(observability.py): the route on the log lines and the trace, Chalice's own errors in our
envelope, the security headers, the portal's CORS headers, and one log line per request with
its status."""

from __future__ import annotations

from collections.abc import Callable

from chalice import Response
from chalice.app import Request

from chalicelib.api.cors import add_cors_headers
from chalicelib.api.errors import normalize_framework_errors
from chalicelib.observability import logger, tracer

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}
# Answers carry people's data: never cached, unless a route says otherwise (hashed assets).
DEFAULT_CACHING = "no-store"


def observe_request(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Answer `event`, logging it as "Request answered" with its status and error code."""
    route = (event.context or {}).get("resourcePath", event.path)
    if tracer is not None:
        tracer.put_annotation(key="route", value=route)
    with logger.append_context_keys(method=event.method, path=route):
        response = normalize_framework_errors(get_response(event))
        response.headers.update(SECURITY_HEADERS)
        response.headers.setdefault("Cache-Control", DEFAULT_CACHING)
        add_cors_headers(event, route, response)
        error = response.body.get("error") if isinstance(response.body, dict) else None
        logger.info(
            "Request answered",
            extra={"status": response.status_code, "error_code": error and error["code"]},
        )
        return response
