"""Pages rendered on the server with jinja2: one environment for every page, autoescaped,
and the headers every page answers with.

The Content-Security-Policy allows nothing but this app's own scripts and styles: a page never
runs inline script, never loads another site's, and may not be framed except by the origins
a merchant allows (the portal, embedded in the shop).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from chalice import Response

from chalicelib.pages.assets import asset_url

TEMPLATES_DIR = Path(__file__).parent / "templates"
HTML = "text/html; charset=utf-8"


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    # Imported here: only page routes render, and jinja2 costs a few ms at import.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        # A name missing from a page's context is a bug to see in a test, not an empty gap.
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["asset_url"] = asset_url
    return env


def render(template: str, context: Mapping[str, Any]) -> str:
    return str(environment().get_template(template).render(**context))


def content_security_policy(
    *, images: Iterable[str] = (), connect: Iterable[str] = (), frame_ancestors: Iterable[str] = ()
) -> str:
    """The page's policy: its own origin for everything, plus `images` (photo storage) and
    `connect` (where the page's script may send requests: photo uploads) origins, framed only
    by `frame_ancestors`."""
    image_sources = " ".join(["'self'", "data:", *images])
    connect_sources = " ".join(["'self'", *connect])
    ancestors = " ".join(frame_ancestors) or "'none'"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {image_sources}; connect-src {connect_sources}; "
        f"form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors {ancestors}"
    )


def html_response(
    body: str,
    *,
    status: int = 200,
    policy: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A page: HTML, never cached (it may carry a person's data), under a strict policy."""
    answer = {
        "Content-Type": HTML,
        "Cache-Control": "no-store",
        "Content-Security-Policy": policy or content_security_policy(),
        "Referrer-Policy": "same-origin",
    }
    answer.update(headers or {})
    return Response(body=body, status_code=status, headers=answer)


def page(template: str, context: Mapping[str, Any], **options: Any) -> Response:
    """`template` rendered with `context`, answered as a page (see `html_response`)."""
    return html_response(render(template, context), **options)


def redirect(location: str, *, headers: Mapping[str, str] | None = None) -> Response:
    """See other: where a form's POST sends the browser next (post/redirect/get)."""
    return Response(
        body="",
        status_code=303,
        headers={"Location": location, "Cache-Control": "no-store", **(headers or {})},
    )


def base_path(request: Any) -> str:
    """The path prefix the app is served under: `/api` behind API Gateway's own address (the
    stage), empty behind a custom domain or locally. Links in a page start with it."""
    event = request.to_original_event()
    full = str((event.get("requestContext") or {}).get("path") or "")
    own = str(event.get("path") or "")
    return full[: -len(own)] if own and full.endswith(own) and full != own else ""


def refused_form(
    error: Exception,
    render: Callable[..., Response],
    *,
    stale: str,
    failed: str,
    typed: Mapping[str, str],
) -> Response:
    """A console page as stored now, answering a form its service refused: someone changed
    what it shows meanwhile (409, `stale` says so), what it asks no longer applies (409, the
    refusal's words), or a field is wrong (400, said next to it, the form as typed)."""
    from chalicelib.errors import ConcurrentModificationError, InvalidRequestError

    if isinstance(error, ConcurrentModificationError):
        return render(status=409, problem=stale)
    if isinstance(error, InvalidRequestError):
        field = str(error.details.get("field", ""))
        return render(
            status=400,
            problem=error.message,
            failed=failed,
            errors={field: error.message},
            typed=dict(typed),
        )
    message = getattr(error, "message", str(error))
    return render(status=409, problem=message)
