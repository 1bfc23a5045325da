"""How a page becomes a route. Pages are not part of the JSON API: they answer HTML, read
forms, redirect, and are left out of the OpenAPI document (PAGE_ROUTES lists them for it).

`PageRouter(blueprint, guard=...)` holds the pages of one audience; `@pages.get(path)` over a
view registers it. The guard runs first and may answer instead of the view (a redirect to the
sign-in page); a view returns a chalice Response (`rendering.page`, `rendering.redirect`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from chalice import Blueprint, Chalice, Response
from chalice.app import Request

from chalicelib.observability import logger

PageView = Callable[..., Response]
# Answers in place of the view (a redirect to sign in), or None to let the view answer.
PageGuard = Callable[[Request], Response | None]
# What to answer when a view raises: the audience's own error page.
ErrorPage = Callable[[Request, Exception], Response]

# (method, path) of every page route; the OpenAPI document describes every other route.
PAGE_ROUTES: set[tuple[str, str]] = set()


def plain_error_page(request: Request, error: Exception) -> Response:
    logger.exception("Page failed", exc_info=error)
    return Response(
        body="Something went wrong on our side.",
        status_code=500,
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )


@dataclass(frozen=True)
class PageRouter:
    blueprint: Blueprint | Chalice
    guard: PageGuard | None = None
    on_error: ErrorPage = plain_error_page

    def get(self, path: str) -> Callable[[PageView], PageView]:
        return self.route("GET", path)

    def post(self, path: str) -> Callable[[PageView], PageView]:
        return self.route("POST", path)

    def route(self, method: str, path: str) -> Callable[[PageView], PageView]:
        def register(view: PageView) -> PageView:
            @functools.wraps(view)
            def endpoint(**params: str) -> Response:
                request = self.blueprint.current_request
                try:
                    if self.guard is not None:
                        refused = self.guard(request)
                        if refused is not None:
                            return refused
                    return view(**params)
                except Exception as error:
                    return self.on_error(request, error)

            # Forms come form-encoded; every type reaches the view, which says what it reads.
            self.blueprint.route(path, methods=[method], content_types=["*/*"])(endpoint)
            PAGE_ROUTES.add((method, path))
            return view

        return register
