"""Sign-in requests handed over to the `send_login_code` function, which makes and emails the
code: an asynchronous Lambda invocation, queued by Lambda itself (and retried twice there), so
that the sign-in route answers without waiting for the order lookup, the write or SES.

The event is `{"email", "order_number", "audience"}`: what was typed, and whether it is a
shopper's sign-in to the portal or a merchant's to the console.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from chalicelib.domain.login import PORTAL, LoginRequest
from chalicelib.errors import DependencyUnavailableError

# app.py's name of the function, which the deployment and the local stack name it from.
LOGIN_CODE_FUNCTION_NAME = "send_login_code"


class LambdaLoginRequests:
    def __init__(self, function_name: str, lambda_client: Any | None = None) -> None:
        from chalicelib.repositories.aws import client

        self._function = function_name
        self._lambda = lambda_client if lambda_client is not None else client("lambda")

    def submit(self, request: LoginRequest) -> None:
        """Queue `request` for the function; DependencyUnavailableError when Lambda does not
        take it (throttled, unreachable): whoever's order it is, then, nothing happens."""
        # Imported here: botocore's exceptions are only needed once a request goes out.
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._lambda.invoke(
                FunctionName=self._function,
                InvocationType="Event",
                Payload=json.dumps(asdict(request)).encode(),
            )
        except (BotoCoreError, ClientError) as error:
            raise DependencyUnavailableError(
                "Sign-in codes cannot be sent just now: ask again in a minute.",
                {"retry_after_seconds": 60},
            ) from error


def login_request_from_event(event: Mapping[str, Any]) -> LoginRequest:
    """The request `LambdaLoginRequests.submit` handed over."""
    return LoginRequest(
        email=str(event["email"]),
        order_number=str(event["order_number"]),
        audience=str(event.get("audience") or PORTAL),
    )
