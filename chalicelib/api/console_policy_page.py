"""The return policy's editor in the merchant console (`/console/policy`).

The form is saved as the admin API's PATCH saves a change (PolicyService.change), from the
version the page showed: a policy someone else saved meanwhile is not overwritten unseen. A
refused form comes back as typed, each problem next to its field.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import ValidationError

from chalicelib.api.console_auth import (
    console_error_page,
    console_form,
    console_guard,
    console_page,
)
from chalicelib.errors import ConcurrentModificationError
from chalicelib.pages import policy_form
from chalicelib.pages.console_views import PRODUCT_STATES, REASONS
from chalicelib.pages.rendering import base_path, redirect
from chalicelib.pages.routing import PageRouter

console_policy_page = Blueprint(__name__)
pages = PageRouter(console_policy_page, guard=console_guard, on_error=console_error_page)

CONFLICT = (
    "Someone else saved the policy while you were editing it. What you typed is below, not "
    "saved yet: check it, then save again to replace their version."
)


@pages.get("/console/policy")
def show_policy() -> Response:
    from chalicelib.services import container

    request = console_policy_page.current_request
    policy, version = container.policy_service().current_with_version()
    saved = (request.query_params or {}).get("done") == "saved"
    return _editor(
        request,
        policy_form.fields_of(policy),
        version,
        flash="The policy is saved. Returns opened from now on follow it." if saved else None,
    )


@pages.post("/console/policy")
def save_policy() -> Response:
    from chalicelib.services import container

    request = console_policy_page.current_request
    form = console_form(request)
    service = container.policy_service()
    try:
        version = int(form.get("version", ""))
    except ValueError:
        version = None  # refused by the service with its own words
    try:
        service.change(policy_form.changes_from(form, service.current()), version)
    except ValidationError as error:
        errors = policy_form.errors_by_field(error, form)
        return _editor(request, form, version, status=400, errors=errors)
    except ConcurrentModificationError:
        _, stored_version = service.current_with_version()
        return _editor(request, form, stored_version, status=409, problem=CONFLICT)
    return redirect(f"{base_path(request)}/console/policy?done=saved")


def _editor(
    request: Request,
    fields: dict[str, str],
    version: int | None,
    *,
    status: int = 200,
    flash: str | None = None,
    problem: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    errors = errors or {}
    context: dict[str, Any] = {
        "title": "Return policy",
        "fields": fields,
        "version": version,
        "flash": flash,
        "problem": problem or ("Some fields need a change: see below." if errors else None),
        "errors": errors,
        "reasons": REASONS,
        "states": PRODUCT_STATES,
        "issues": policy_form.CLAIM_ISSUES,
        "claim_resolutions": policy_form.CLAIM_RESOLUTIONS_SHOWN,
        "window_starts": policy_form.WINDOW_STARTS,
        "timeout_actions": policy_form.TIMEOUT_ACTIONS,
        "exchange_shipping": policy_form.EXCHANGE_SHIPPING,
        "exchange_prices": policy_form.EXCHANGE_PRICES,
        "checked": policy_form.CHECKED,
    }
    answer = console_page(request, "console/policy.html.j2", **context)
    answer.status_code = status
    return answer
