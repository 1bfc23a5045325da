"""The merchant console's sign-in and the guard every other console page stands behind.

A merchant signs in with a one-time code emailed to an address of CONSOLE_USERS; the session
is a signed token (the console's audience) in a cookie the page's scripts cannot read
(HttpOnly), sent only over HTTPS (Secure) and only with requests from the console's own pages
(SameSite=Strict). Every form post carries a CSRF token derived from that session and must come
from a page of this site.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.errors import AuthenticationError, ForbiddenError, ReturnsDeskError
from chalicelib.observability import logger
from chalicelib.pages.forms import from_this_site, read_form
from chalicelib.pages.rendering import base_path, page, redirect
from chalicelib.pages.routing import PageRouter

# `__Host-`: the browser keeps it only when set over HTTPS, for the whole host, by the host
# itself; no subdomain can plant or read one.
SESSION_COOKIE = "__Host-returns-desk-console"
CSRF_FIELD = "csrf_token"
HOME = "/console"
_SESSION = "console_session"
NOT_FROM_THE_CONSOLE = "This form was not sent from the console."
_FORM = "console_form"


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in merchant: their email key, and the CSRF token their forms carry."""

    user: str
    csrf_token: str


def console_error_page(request: Request, error: Exception) -> Response:
    """What a console page answers when it fails: the console's error page, in words."""
    if isinstance(error, ReturnsDeskError):
        from chalicelib.api.errors import response_for

        status = response_for(error).status_code
        message = error.message
    else:
        logger.exception("Console page failed", exc_info=error)
        status, message = 500, "Something went wrong on our side. Try again in a moment."
    session = (request.context or {}).get(_SESSION)
    return page(
        "console/error.html.j2",
        console_context(request, session=session, title="Something went wrong", message=message),
        status=status,
    )


def console_context(request: Request, **context: Any) -> dict[str, Any]:
    """What every console template reads besides its own: the path prefix, the signed-in
    merchant (or None) and their CSRF field's name and value."""
    session = context.pop("session", (request.context or {}).get(_SESSION))
    return {
        "base": base_path(request),
        "user": session.user if session else None,
        "csrf_field": CSRF_FIELD,
        "csrf_token": session.csrf_token if session else "",
        **context,
    }


def console_page(request: Request, template: str, **context: Any) -> Response:
    """A console page: `template` with the common context (see `console_context`)."""
    return page(template, console_context(request, **context))


def console_guard(request: Request) -> Response | None:
    """The guard of every console page but the sign-in: a valid session, or to the sign-in
    page (a GET) / refused (a POST); a post also needs its CSRF token and to come from a page
    of this site."""
    from chalicelib.services import container

    token = _cookie(request, SESSION_COOKIE)
    try:
        user = container.console_sessions().verify(token or "")
    except AuthenticationError:
        if request.method == "GET":
            return redirect(_sign_in_url(request))
        return _refused(request, 401, "Your session has ended: sign in again.")
    session = ConsoleSession(user=user, csrf_token=csrf_token_for(token or ""))
    request.context[_SESSION] = session
    if request.method == "POST":
        if not from_this_site(request):
            return _refused(request, 403, NOT_FROM_THE_CONSOLE)
        form = read_form(request)
        if not hmac.compare_digest(form.get(CSRF_FIELD, ""), session.csrf_token):
            return _refused(request, 403, "This form has expired: reload the page and try again.")
        request.context[_FORM] = form
    return None


def console_form(request: Request) -> dict[str, str]:
    """The fields of a console post, as `console_guard` read and checked them."""
    form = (request.context or {}).get(_FORM)
    if form is None:
        raise RuntimeError("console_form() called on a route without console_guard's POST check")
    return dict(form)


def console_user(request: Request) -> str:
    """The signed-in merchant's email key, as `console_guard` verified it."""
    session = (request.context or {}).get(_SESSION)
    if session is None:
        raise RuntimeError("console_user() called on a route without console_guard")
    return str(session.user)


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of the session `session_token`: the same for every form of it."""
    from chalicelib.services.console_auth import csrf_secret

    return hmac.new(csrf_secret(), session_token.encode(), hashlib.sha256).hexdigest()[:40]


def _cookie(request: Request, name: str) -> str | None:
    for part in (request.headers.get("cookie") or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _sign_in_url(request: Request) -> str:
    event = request.to_original_event()
    # Chalice's local server and test client give only the request context's path (they have
    # no stage prefix); API Gateway gives both, the prefix in the context's.
    path = str(event.get("path") or (event.get("requestContext") or {}).get("path") or HOME)
    query = request.query_params or {}
    wanted = path + ("?" + urlencode(query) if query else "")
    return f"{base_path(request)}/console/login?next={quote(wanted, safe='')}"


def _refused(request: Request, status: int, message: str) -> Response:
    return page(
        "console/error.html.j2",
        console_context(request, session=None, title="Not allowed", message=message),
        status=status,
    )


# --- The sign-in pages ---------------------------------------------------------------------------

console_auth = Blueprint(__name__)
pages = PageRouter(console_auth, on_error=console_error_page)


def _next_page(value: str | None) -> str:
    """Where to go once signed in: a console path only, never another site."""
    if (
        value
        and (value == HOME or value.startswith("/console/"))
        and "//" not in value
        and "\\" not in value
    ):
        return value
    return HOME


def _sign_in_form(request: Request) -> dict[str, str]:
    """A sign-in form's fields; refused (403) unless sent from a console page: a sign-in
    form posted from another site would sign the browser in to someone else's session."""
    if not from_this_site(request):
        raise ForbiddenError(NOT_FROM_THE_CONSOLE)
    return read_form(request)


@pages.get("/console/login")
def sign_in() -> Response:
    request = console_auth.current_request
    query = request.query_params or {}
    return console_page(
        request, "console/login.html.j2", title="Sign in", next=_next_page(query.get("next"))
    )


@pages.post("/console/login")
def ask_for_code() -> Response:
    from chalicelib.services import container

    request = console_auth.current_request
    form = _sign_in_form(request)
    email = form.get("email", "").strip()
    following = _next_page(form.get("next"))
    if "@" not in email or len(email) > 254:
        return console_page(
            request,
            "console/login.html.j2",
            title="Sign in",
            next=following,
            email=email,
            error="Enter the email address you use for the console.",
        )
    container.console_auth().ask_for_code(email, "console")
    query = urlencode({"email": email, "next": following})
    return redirect(f"{base_path(request)}/console/login/code?{query}")


@pages.get("/console/login/code")
def enter_code() -> Response:
    request = console_auth.current_request
    query = request.query_params or {}
    return console_page(
        request,
        "console/code.html.j2",
        title="Enter your code",
        email=query.get("email", ""),
        next=_next_page(query.get("next")),
    )


@pages.post("/console/login/code")
def verify_code() -> Response:
    from chalicelib.services import container

    request = console_auth.current_request
    form = _sign_in_form(request)
    email, following = form.get("email", "").strip(), _next_page(form.get("next"))
    try:
        session = container.console_auth().verify(email, form.get("code", "").strip())
    except AuthenticationError:
        return console_page(
            request,
            "console/code.html.j2",
            title="Enter your code",
            email=email,
            next=following,
            error="That code is not valid: check it, or ask for a new code.",
        )
    cookie = (
        f"{SESSION_COOKIE}={session.token}; Max-Age={session.expires_in}; Path=/; Secure; "
        "HttpOnly; SameSite=Strict"
    )
    return redirect(f"{base_path(request)}{following}", headers={"Set-Cookie": cookie})


@pages.post("/console/logout")
def sign_out() -> Response:
    request = console_auth.current_request
    refused = console_guard(request)
    if refused is not None:
        return refused
    cookie = f"{SESSION_COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict"
    return redirect(f"{base_path(request)}/console/login", headers={"Set-Cookie": cookie})
