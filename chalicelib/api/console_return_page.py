"""A return's page in the merchant console (`/console/returns/{reference}`): everything about it
in words, and a form for each action its state allows (pages/console_actions.py).

Each form carries the version of the return the page showed: a return changed since is not
acted on (409, the page as it is now). A done action sends the browser back to the page
(post/redirect/get), which says what was done.
"""

from __future__ import annotations

import functools
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
from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel
from chalicelib.errors import (
    ConcurrentModificationError,
    InvalidRequestError,
    InvalidTransitionError,
    NotFoundError,
)
from chalicelib.pages.console_actions import ACTIONS, offered, version_read
from chalicelib.pages.console_views import PRODUCT_STATES, return_view, shipment_links
from chalicelib.pages.rendering import (
    base_path,
    content_security_policy,
    page,
    redirect,
    refused_form,
)
from chalicelib.pages.routing import PageRouter

console_return_page = Blueprint(__name__)
pages = PageRouter(console_return_page, guard=console_guard, on_error=console_error_page)

STALE = (
    "Someone changed this return meanwhile: here it is as it is now. Check it, then act again "
    "if you still want to."
)


@pages.get("/console/returns/{reference}")
def show_return(reference: str) -> Response:
    request = console_return_page.current_request
    done = ACTIONS.get((request.query_params or {}).get("done", ""))
    return render_return(request, reference, flash=done.done if done else None)


@pages.post("/console/returns/{reference}/{action}")
def act_on_return(reference: str, action: str) -> Response:
    request = console_return_page.current_request
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise NotFoundError(f"The console has no action '{action}'.", {"action": action})
    form = console_form(request)
    # The merchant acts as the admin API's caller would, named by the address they signed in with.
    actor = Actor(channel=Channel.ADMIN, email=console_user(request))
    try:
        moved = chosen.run(reference, form, actor, version_read(form))
    except (ConcurrentModificationError, InvalidTransitionError, InvalidRequestError) as error:
        render = functools.partial(render_return, request, reference)
        return refused_form(error, render, stale=STALE, failed=action, typed=form)
    location = f"/console/returns/{quote(moved.return_reference)}?done={action}"
    return redirect(base_path(request) + location)


def render_return(
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
    """The return's page as stored now; `problem`, `errors` (by field) and what was `typed`
    in the form of the `failed` action when it was refused."""
    from chalicelib.api.models.common import photo_links
    from chalicelib.services import container

    rma, events = container.rma_service().history(reference)
    # No links at all when no photo storage is configured: the page shows none.
    keys = [key for line in rma.lines for key in (*line.photos, *line.inspection_photos)]
    view = return_view(
        rma,
        events,
        container.policy_service().current(),
        dict(zip(keys, photo_links(keys), strict=False)),
    )
    context: dict[str, Any] = console_context(
        request,
        title=f"Return {view.reference}",
        rma=rma,
        view=view,
        links=shipment_links(rma),
        actions=offered(rma),
        product_states=PRODUCT_STATES,
        flash=flash,
        problem=problem,
        failed=failed,
        errors=errors or {},
        typed=typed or {},
    )
    return page(
        "console/return.html.j2",
        context,
        status=status,
        policy=content_security_policy(images=view.photo_origins),
    )
