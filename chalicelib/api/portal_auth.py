"""The shoppers' portal sign-in: a one-time code by email, exchanged for a session token, and
the guard every other portal route stands behind."""

from __future__ import annotations

from typing import Annotated, Literal

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import EmailStr, StringConstraints

from chalicelib.api.http import json_response, parse_body, route
from chalicelib.api.representations import ResponseModel
from chalicelib.api.requests import RequestModel
from chalicelib.domain.rma import ShortText
from chalicelib.services import container

portal_auth = Blueprint(__name__)

_SHOPPER_EMAIL = "shopper_email"
LOGIN_ANSWER = "If that order is yours, a 6-digit code is on its way to your inbox."


class PortalLoginRequest(RequestModel):
    email: EmailStr
    order_number: ShortText


class PortalVerifyRequest(RequestModel):
    email: EmailStr
    # [0-9], not \d: the login code is ASCII digits, not any script's.
    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]


class LoginAcceptedResponse(ResponseModel):
    status: Literal["sent"] = "sent"
    message: str = LOGIN_ANSWER


class SessionTokenResponse(ResponseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (a scheme's name, no secret)
    expires_in: int


@route(
    portal_auth,
    "/portal/login",
    methods=["POST"],
    summary="Ask for a sign-in code",
    tags=("portal",),
    body=PortalLoginRequest,
    responses={202: LoginAcceptedResponse},
    errors=[503],
)
def login() -> Response:
    request = parse_body(portal_auth.current_request, PortalLoginRequest)
    container.portal_auth().ask_for_code(request.email, request.order_number)
    # The same answer, after the same work, whoever's order it is: the route must not tell.
    return json_response(LoginAcceptedResponse(), 202)


@route(
    portal_auth,
    "/portal/verify",
    methods=["POST"],
    summary="Exchange a sign-in code for a session token",
    tags=("portal",),
    body=PortalVerifyRequest,
    responses={200: SessionTokenResponse},
    errors=[401],
)
def verify() -> Response:
    request = parse_body(portal_auth.current_request, PortalVerifyRequest)
    session = container.portal_auth().verify(request.email, request.code)
    return json_response(SessionTokenResponse(token=session.token, expires_in=session.expires_in))


def portal_session_guard(request: Request) -> None:
    """The `guard=` of every portal route: a valid session token, whose shopper
    `shopper_email()` then returns."""
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
