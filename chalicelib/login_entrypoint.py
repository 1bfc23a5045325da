"""The Lambda entry point of sign-in requests: `POST /portal/login` hands each one over
(integrations/login_requests.py) and answers at once; the order is checked, and the code made
and emailed, here."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.login import CONSOLE
from chalicelib.integrations.login_requests import login_request_from_event
from chalicelib.services import container


def handle_login_request(event: dict[str, Any], context: Any) -> None:
    """Email a code when the order is the shopper's. Errors propagate: Lambda tries an
    asynchronous invocation twice more."""
    request = login_request_from_event(event)
    service = container.console_auth() if request.audience == CONSOLE else container.portal_auth()
    service.request_code(request.email, request.order_number)
