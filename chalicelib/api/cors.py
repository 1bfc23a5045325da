"""Cross-origin calls to the portal API from the shop's own pages.

A merchant may build their own return pages on their shop and call the portal API from the
shopper's browser. Only the origins in PORTAL_ALLOWED_ORIGINS may read the answers: each answer
names the caller's origin when it is one of them (never `*`), and says that it varies with the
origin. The API takes bearer tokens, not cookies, so credentials are never allowed.

Chalice's own `cors=` names one origin for good; here a route registered with `Router(...,
cors=True)` is listed in CORS_PATHS with its methods, gets an OPTIONS route answering the
browser's preflight, and the middleware adds the headers to every answer of those paths.
"""

from __future__ import annotations

from chalice import Blueprint, Chalice, Response
from chalice.app import Request

from chalicelib.settings import get_settings

ALLOW_ORIGIN = "Access-Control-Allow-Origin"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
# A browser may keep a preflight's answer this long before asking again.
PREFLIGHT_MAX_AGE_SECONDS = 600

# Each path open to the shop's origins -> the methods its routes answer.
CORS_PATHS: dict[str, set[str]] = {}
# (OPTIONS, path) of every preflight route: a browser's question, not an operation of the API.
PREFLIGHT_ROUTES: set[tuple[str, str]] = set()


def allow_cross_origin(blueprint: Blueprint | Chalice, path: str, method: str) -> None:
    """Open `method` on `path` to the shop's origins, with the path's preflight route."""
    methods = CORS_PATHS.setdefault(path, set())
    methods.add(method)
    if ("OPTIONS", path) in PREFLIGHT_ROUTES:
        return

    def preflight(**params: str) -> Response:
        headers: dict[str, str] = {}
        if allowed_origin(blueprint.current_request) is not None:
            headers = {
                "Access-Control-Allow-Methods": ", ".join(sorted(methods)),
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
            }
        # The origin and Vary headers are the middleware's, as on every answer of the path.
        return Response(body="", status_code=204, headers=headers)

    blueprint.route(path, methods=["OPTIONS"], content_types=["*/*"])(preflight)
    PREFLIGHT_ROUTES.add(("OPTIONS", path))


def allowed_origin(request: Request) -> str | None:
    """The request's Origin when it is one of PORTAL_ALLOWED_ORIGINS, else None."""
    origin = (request.headers.get("origin") or "").strip().lower()
    return origin if origin and origin in get_settings().portal_allowed_origins else None


def add_cors_headers(request: Request, route: str, response: Response) -> None:
    """On an answer of a path open to the shop's origins: its origin when allowed, and, for
    any caller, that the answer varies with the origin."""
    if route not in CORS_PATHS:
        return
    vary = response.headers.get("Vary", "")
    if "origin" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"
    origin = allowed_origin(request)
    if origin is not None:
        response.headers[ALLOW_ORIGIN] = origin
