"""A cancellation request's or a claim's page in the merchant console
(`/console/requests/{reference}`): everything about it in words, and while it waits for an
agent, a form to accept it and one to refuse it (pages/request_decisions.py).

A decision is the signed-in merchant's, made as the admin API's caller makes it; a request
someone decided meanwhile is not decided again (409, the page as it is now). A decision made
sends the browser back to the page (post/redirect/get), which says what was done.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.api.console_auth import (
    console_context,
    console_error_page,
    console_form,
    console_guard,
    console_user,
)
from chalicelib.domain.order_requests import OrderRequest
from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel
from chalicelib.errors import (
    ConcurrentModificationError,
    InvalidRequestError,
    RequestStateError,
)
from chalicelib.pages.rendering import (
    base_path,
    content_security_policy,
    page,
    redirect,
    refused_form,
)
from chalicelib.pages.request_decisions import DONE, accept, refuse
from chalicelib.pages.request_views import RESOLUTION_CHOICES, request_view
from chalicelib.pages.routing import PageRouter

console_request_page = Blueprint(__name__)
pages = PageRouter(console_request_page, guard=console_guard, on_error=console_error_page)

STALE = (
    "Someone changed this request meanwhile: here it is as it is now. Check it, then decide "
    "again if it still waits for a decision."
)
Decide = Callable[[str, Mapping[str, str], Actor], OrderRequest]


@pages.get("/console/requests/{reference}")
def show_request(reference: str) -> Response:
    request = console_request_page.current_request
    done = DONE.get((request.query_params or {}).get("done", ""))
    return render_request(request, reference, flash=done)


@pages.post("/console/requests/{reference}/accept")
def accept_request(reference: str) -> Response:
    return _decide(reference, "accept", accept)


@pages.post("/console/requests/{reference}/refuse")
def refuse_request(reference: str) -> Response:
    return _decide(reference, "refuse", refuse)


def _decide(reference: str, name: str, decide: Decide) -> Response:
    request = console_request_page.current_request
    form = console_form(request)
    # The merchant decides as the admin API's caller would, named by the address they signed
    # in with (as on a return's page).
    actor = Actor(channel=Channel.ADMIN, email=console_user(request))
    try:
        decided = decide(reference, form, actor)
    except (ConcurrentModificationError, RequestStateError, InvalidRequestError) as error:
        render = functools.partial(render_request, request, reference)
        return refused_form(error, render, stale=STALE, failed=name, typed=form)
    location = f"/console/requests/{quote(decided.reference)}?done={name}"
    return redirect(base_path(request) + location)


def render_request(
    request: Request,
    reference: str,
    *,
    status: int = 200,
    flash: str | None = None,
    problem: str | None = None,
    failed: str | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The request's page as stored now; `problem`, `errors` (by field) and what was `typed`
    in the form of the `failed` decision when it was refused. Unknown: the 404 page."""
    from chalicelib.api.models.common import photo_links
    from chalicelib.services import container

    found, log = container.order_request_service().find(reference)
    # No links at all when no photo storage is configured: the page shows none.
    keys = [key for line in found.lines for key in line.photos]
    view = request_view(found, log, dict(zip(keys, photo_links(keys), strict=False)))
    context: dict[str, Any] = console_context(
        request,
        title=view.title,
        view=view,
        resolutions=RESOLUTION_CHOICES,
        flash=flash,
        problem=problem,
        failed=failed,
        errors=errors or {},
        typed=typed or {},
    )
    return page(
        "console/request.html.j2",
        context,
        status=status,
        policy=content_security_policy(images=view.photo_origins),
    )
