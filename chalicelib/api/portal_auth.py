"""The shoppers' portal sign-in: a one-time code by email, exchanged for a session token, and
the guard every other portal route stands behind."""

from __future__ import annotations

from chalice import Blueprint
from chalice.app import Request

from chalicelib.api.models.portal import (
    LoginAcceptedResponse,
    PortalLoginRequest,
    PortalVerifyRequest,
    SessionTokenResponse,
)
from chalicelib.api.routing import Router
from chalicelib.services import container

portal_auth = Blueprint(__name__)
# Open to anyone: signing in is how a shopper gets credentials; from the shop's pages too.
routes = Router(portal_auth, tags=("portal",), cors=True)

_SHOPPER_EMAIL = "shopper_email"


@routes.post("/portal/login", summary="Ask for a sign-in code", status=202, errors=[503])
def login(body: PortalLoginRequest) -> LoginAcceptedResponse:
    container.portal_auth().ask_for_code(body.email, body.order_number)
    # The same answer, after the same work, whoever's order it is: the route must not tell.
    return LoginAcceptedResponse()


@routes.post("/portal/verify", summary="Exchange a sign-in code for a session token", errors=[401])
def verify(body: PortalVerifyRequest) -> SessionTokenResponse:
    session = container.portal_auth().verify(body.email, body.code)
    return SessionTokenResponse(token=session.token, expires_in=session.expires_in)


def portal_session_guard(request: Request) -> None:
    """The guard of every portal route: a valid session token, whose shopper `shopper_email()`
    then returns."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    given = token.strip() if scheme.lower() == "bearer" else ""
    request.context[_SHOPPER_EMAIL] = container.session_tokens().verify(given)


def shopper_email(request: Request) -> str:
    """The signed-in shopper's email key, as `portal_session_guard` verified it."""
    email = (request.context or {}).get(_SHOPPER_EMAIL)
    if not email:
        # A bug, not a caller's mistake: loud (500) rather than a plausible 401.
        raise RuntimeError("shopper_email() called on a route without portal_session_guard")
    return str(email)
