"""Shoppers signing in to the return portal: a one-time code by email, then a session token.

Asking for a code answers the same whether or not the order is the shopper's, so the portal
cannot be used to learn who bought what; only the owner of the order's email receives a code.
The same answer also takes the same time: the sign-in route only hands the request over
(`ask_for_code`), and the order is checked, the code stored and emailed, where no one waits
(`request_code`, run by the `send_login_code` function).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.domain.login import (
    PORTAL,
    InvalidLoginCodeError,
    LoginCode,
    LoginRequest,
    LoginRules,
    shopper_key,
)
from chalicelib.errors import AuthenticationError, DependencyUnavailableError
from chalicelib.integrations.email import EmailNotSentError, EmailSender, SesEmailSender
from chalicelib.notifications.brand import Brand, brand_from
from chalicelib.notifications.login_code import login_code_email
from chalicelib.observability import logger, metrics
from chalicelib.repositories.login_repository import LoginRepository
from chalicelib.settings import Settings, get_settings

SESSION_AUDIENCE = "returns-desk-portal"
SESSION_ISSUER = "returns-desk"
_SESSION_ALGORITHM = "HS256"
_SESSION_CLAIMS = ["sub", "aud", "iss", "iat", "exp"]

# Whether order `number` was placed with `email` (an email key: trimmed, lower case).
OrderOwnership = Callable[[str, str], bool]
# The locale of order `number`'s customer, when known: the language of the login email.
OrderLocale = Callable[[str], str | None]


class LoginCodeStore(Protocol):
    """What the service needs of storage (LoginRepository)."""

    def issue(self, code: LoginCode, *, replacing_issued_before: int) -> bool: ...

    def record_attempt(
        self, email_key: str, *, max_attempts: int, now: int
    ) -> LoginCode | None: ...

    def discard(self, code: LoginCode) -> None: ...


class LoginRequestQueue(Protocol):
    """Where the sign-in route hands requests over (LambdaLoginRequests; a fake in tests)."""

    def submit(self, request: LoginRequest) -> None: ...


class _HandledAtOnce:
    """No queue: the request is handled before the route answers, which then takes longer when
    the order is the shopper's. For tests and bare local runs only (LOGIN_CODE_FUNCTION unset)."""

    def __init__(self, handle: Callable[[str, str], None]) -> None:
        self._handle = handle

    def submit(self, request: LoginRequest) -> None:
        self._handle(request.email, request.order_number)


@dataclass(frozen=True)
class PortalSession:
    token: str
    expires_in: int


class SessionTokens:
    """Session tokens: JWTs signed with HS256, naming the shopper's email key as subject."""

    def __init__(
        self,
        secret: str,
        minutes: int,
        *,
        audience: str = SESSION_AUDIENCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._lifetime = minutes * 60
        # Whose sessions these are: a portal token never opens the console, nor the reverse.
        self._audience = audience
        self._clock = clock

    def issue(self, email_key: str) -> PortalSession:
        # Imported here: PyJWT brings in `cryptography`, too heavy for every cold start.
        import jwt

        now = int(self._clock())
        claims = {
            "sub": email_key,
            "aud": self._audience,
            "iss": SESSION_ISSUER,
            "iat": now,
            "exp": now + self._lifetime,
        }
        token = jwt.encode(claims, self._secret, algorithm=_SESSION_ALGORITHM)
        return PortalSession(token=token, expires_in=self._lifetime)

    def verify(self, token: str) -> str:
        """The email key `token` was issued to; AuthenticationError unless it is one of ours,
        for the portal, and unexpired."""
        import jwt

        try:
            claims = jwt.decode(
                token,
                self._secret,
                # Pinned: the token's own header never chooses how it is checked.
                algorithms=[_SESSION_ALGORITHM],
                audience=self._audience,
                issuer=SESSION_ISSUER,
                options={"require": _SESSION_CLAIMS},
            )
        except jwt.InvalidTokenError as error:
            raise _session_required() from error
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise _session_required()
        return subject


def _session_required() -> AuthenticationError:
    return AuthenticationError("A valid portal session token is required; sign in again.")


class PortalAuthService:
    def __init__(
        self,
        codes: LoginCodeStore,
        sender: EmailSender,
        sessions: SessionTokens,
        order_belongs_to: OrderOwnership,
        *,
        rules: LoginRules,
        brand: Brand,
        order_locale: OrderLocale | None = None,
        requests: LoginRequestQueue | None = None,
        audience: str = PORTAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._audience = audience
        self._requests = requests if requests is not None else _HandledAtOnce(self.request_code)
        self._codes = codes
        self._sender = sender
        self._sessions = sessions
        self._order_belongs_to = order_belongs_to
        self._rules = rules
        self._brand = brand
        self._order_locale = order_locale
        self._clock = clock

    def ask_for_code(self, email: str, order_number: str) -> None:
        """What the sign-in route does, the same whoever asks and whatever they typed: hand the
        request over to `request_code`. Checking the order there, rather than here, keeps how
        long the answer takes from telling whose order it is."""
        self._requests.submit(
            LoginRequest(email=email, order_number=order_number, audience=self._audience)
        )

    def request_code(self, email: str, order_number: str) -> None:
        """Email a new code when `order_number` is `email`'s and no code went to that email in
        the last minute; otherwise do nothing. The caller cannot tell which happened."""
        email_key = shopper_key(email)
        now = self._clock()
        # Made and hashed whatever the outcome, so that every answer costs the same work.
        code, record = self._rules.issue(email_key, now)
        if not self._order_belongs_to(order_number, email_key):
            _log_code_request("order_not_matched")
            return
        cutoff = self._rules.resend_cutoff(now)
        if not self._codes.issue(record, replacing_issued_before=cutoff):
            _log_code_request("too_soon")
            return
        locale = self._order_locale(order_number) if self._order_locale else None
        message = login_code_email(
            code, brand=self._brand, minutes=self._rules.code_minutes, locale=locale
        )
        try:
            self._sender.send(email, message)
        except EmailNotSentError as error:
            # Forgotten, so that the shopper may ask again at once for a code that arrives.
            self._codes.discard(record)
            logger.error("Login code not sent", extra={"error": str(error)})
            return
        metrics.add_metric(name="LoginCodesSent", unit=MetricUnit.Count, value=1)
        _log_code_request("sent")

    def verify(self, email: str, code: str) -> PortalSession:
        """A session for `email` when `code` is its current code; InvalidLoginCodeError
        otherwise. Every try counts, the right one included; the code works once."""
        email_key = shopper_key(email)
        record = self._codes.record_attempt(
            email_key, max_attempts=self._rules.max_attempts, now=int(self._clock())
        )
        if record is None:
            raise InvalidLoginCodeError()
        if not self._rules.matches(record, code):
            raise InvalidLoginCodeError()
        self._codes.discard(record)
        return self._sessions.issue(email_key)


def _log_code_request(outcome: str) -> None:
    # The outcome only: never the code, and the answer to the caller is the same for all.
    logger.info("Login code requested", extra={"outcome": outcome})


# --- Building from the settings ------------------------------------------------------------------


# A shorter secret could be found offline from any shopper's own session token.
MIN_SECRET_LENGTH = 32


def portal_secret(settings: Settings) -> str:
    secret = settings.portal_secret.get_secret_value() if settings.portal_secret else ""
    if len(secret) < MIN_SECRET_LENGTH:
        raise DependencyUnavailableError(
            f"The shoppers' portal is not configured (PORTAL_SECRET, {MIN_SECRET_LENGTH}+ bytes)."
        )
    return secret


def portal_auth_service(
    order_belongs_to: OrderOwnership,
    *,
    order_locale: OrderLocale | None = None,
    tokens: SessionTokens | None = None,
) -> PortalAuthService:
    """The service as the settings describe it, checking orders with `order_belongs_to`."""
    # Imported here: only the sign-in route hands requests over.
    from chalicelib.integrations.login_requests import LambdaLoginRequests

    settings = get_settings()
    function = settings.login_code_function
    return PortalAuthService(
        LoginRepository(settings.table_name),
        SesEmailSender(settings.sender_email),
        tokens or session_tokens_from(settings),
        order_belongs_to,
        rules=LoginRules(
            secret=portal_secret(settings),
            code_minutes=settings.login_code_minutes,
            max_attempts=settings.login_code_attempts,
        ),
        brand=brand_from(settings),
        order_locale=order_locale,
        requests=LambdaLoginRequests(function) if function else None,
    )


def session_tokens_from(settings: Settings) -> SessionTokens:
    return SessionTokens(portal_secret(settings), settings.portal_session_minutes)


def build_session_tokens() -> SessionTokens:
    return session_tokens_from(get_settings())
