"""Merchants signing in to the console: the shoppers' one-time-code machinery (services/
portal_auth.py), with the console's own audience for codes and sessions, for the addresses in
CONSOLE_USERS only.

Asking for a code answers the same whether or not the address may sign in; only a console
user receives one. A shopper's code and a merchant's code for one address are kept apart.
"""

from __future__ import annotations

import hashlib
import hmac

from chalicelib.domain.login import CONSOLE, LoginRules, shopper_key
from chalicelib.integrations.email import SesEmailSender
from chalicelib.notifications.brand import brand_from
from chalicelib.repositories.login_repository import LoginRepository
from chalicelib.services.portal_auth import PortalAuthService, SessionTokens, portal_secret
from chalicelib.settings import Settings, get_settings

CONSOLE_AUDIENCE = "returns-desk-console"


def console_users(settings: Settings) -> frozenset[str]:
    """The email keys CONSOLE_USERS names."""
    return frozenset(
        shopper_key(email) for email in settings.console_users.split(",") if email.strip()
    )


def console_session_tokens(settings: Settings | None = None) -> SessionTokens:
    settings = settings or get_settings()
    return SessionTokens(
        portal_secret(settings), settings.console_session_minutes, audience=CONSOLE_AUDIENCE
    )


def console_auth_service() -> PortalAuthService:
    """Sign-in for CONSOLE_USERS: the page hands the request to the `send_login_code` function,
    as the portal's sign-in does, which checks the address and emails the code (the API's
    function has no right to send email)."""
    from chalicelib.integrations.login_requests import LambdaLoginRequests

    settings = get_settings()
    allowed = console_users(settings)
    function = settings.login_code_function
    return PortalAuthService(
        LoginRepository(settings.table_name, audience=CONSOLE),
        SesEmailSender(settings.sender_email),
        console_session_tokens(settings),
        # The "order" of a console sign-in is the console itself: any address CONSOLE_USERS has.
        lambda _console, email_key: email_key in allowed,
        rules=LoginRules(
            secret=portal_secret(settings),
            code_minutes=settings.login_code_minutes,
            max_attempts=settings.login_code_attempts,
        ),
        brand=brand_from(settings),
        requests=LambdaLoginRequests(function) if function else None,
        audience=CONSOLE,
    )


def csrf_secret() -> bytes:
    """The key the console's CSRF tokens are made with: its own, derived from the signing
    secret, so that a CSRF token tells nothing about a session token's signature."""
    secret = portal_secret(get_settings()).encode()
    return hmac.new(secret, b"returns-desk-console-csrf", hashlib.sha256).digest()
