"""Specification of shoppers' login codes, the login email and portal session tokens.

No AWS here: the rules are pure, and the session guard only needs a request and the settings.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import warnings
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from chalice.app import Request
from jwt.warnings import InsecureKeyLengthWarning

from chalicelib.api.portal_auth import portal_session_guard, shopper_email
from chalicelib.domain import login
from chalicelib.domain.login import LoginCode, LoginRequest, LoginRules
from chalicelib.errors import AuthenticationError, DependencyUnavailableError
from chalicelib.integrations.email import EmailMessage
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.login_code import login_code_email
from chalicelib.services import container
from chalicelib.services.portal_auth import (
    SESSION_AUDIENCE,
    SESSION_ISSUER,
    PortalAuthService,
    SessionTokens,
)
from chalicelib.settings import get_settings
from tests.support import ADMIN_AUTH, WIDGET_AUTH, reconfigure

SECRET = "a-secret-of-thirty-two-bytes-at-least"
NOW = 1_800_000_000.0
JANE = "jane.doe@example.com"


@pytest.fixture(autouse=True)
def fresh_portal_services() -> Iterator[None]:
    """Session tokens built from the current settings, not from another test's."""
    container.reset()
    yield
    container.reset()


def portal_secret() -> str:
    secret = get_settings().portal_secret
    assert secret is not None
    return secret.get_secret_value()


# --- Codes ------------------------------------------------------------------------------------


def test_a_code_is_six_digits_with_its_leading_zeros_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the system's random source drawing 42 out of a million
    drawn: list[int] = []
    monkeypatch.setattr(login.secrets, "randbelow", lambda n: drawn.append(n) or 42)
    # When a code is made
    code = login.new_code()
    # Then it is six digits, drawn uniformly from 000000-999999
    assert code == "000042"
    assert drawn == [1_000_000]


def test_codes_are_six_ascii_digits() -> None:
    # Given / When many codes are made
    codes = {login.new_code() for _ in range(200)}
    # Then each is six ASCII digits, and they differ
    assert all(len(code) == 6 and code.isascii() and code.isdigit() for code in codes)
    assert len(codes) > 190


def test_an_issued_code_is_kept_only_as_a_keyed_hash_with_its_expiry() -> None:
    # Given rules of 10-minute codes
    rules = LoginRules(secret=SECRET, code_minutes=10, max_attempts=5)
    # When a code is issued for Jane
    code, record = rules.issue(JANE, NOW)
    # Then the record holds an HMAC-SHA256 of "email:code" under the secret, never the code
    expected = hmac.new(SECRET.encode(), f"{JANE}:{code}".encode(), hashlib.sha256).hexdigest()
    assert record == LoginCode(
        email_key=JANE,
        code_hash=expected,
        issued_at=int(NOW),
        expires_at=int(NOW) + 600,
        attempts=0,
    )
    assert code not in repr(record)


def test_the_hash_changes_with_the_secret_the_email_and_the_code() -> None:
    # Given one code hashed for Jane under one secret
    rules = LoginRules(secret=SECRET)
    reference = rules.hash_code(JANE, "123456")
    # When any of the three changes
    others = {
        LoginRules(secret=SECRET + "x").hash_code(JANE, "123456"),
        rules.hash_code("bob@example.com", "123456"),
        rules.hash_code(JANE, "123457"),
    }
    # Then so does the hash
    assert reference not in others
    assert len(others) == 3


def test_a_code_matches_its_own_record_only() -> None:
    # Given a code issued for Jane
    rules = LoginRules(secret=SECRET)
    code, record = rules.issue(JANE, NOW)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    # When / Then only that code matches
    assert rules.matches(record, code)
    assert not rules.matches(record, wrong)
    assert not LoginRules(secret="another secret").matches(record, code)


def test_a_new_code_may_replace_only_one_issued_over_a_minute_ago() -> None:
    # Given / When the cutoff for replacing a code, now
    cutoff = LoginRules.resend_cutoff(NOW)
    # Then a code from 61 s ago is older than it; one from 60 s ago is not
    assert int(NOW) - 61 < cutoff
    assert not int(NOW) - 60 < cutoff


def test_the_rules_never_show_their_secret() -> None:
    # Given / When the rules are printed, as a traceback or a log line might
    # Then the secret is not in them
    assert SECRET not in repr(LoginRules(secret=SECRET))


def test_every_refused_code_gets_the_same_answer() -> None:
    # Given / When the error for any refused code
    error = login.InvalidLoginCodeError()
    # Then it is a 401-class error that says nothing of attempts left (which would reveal
    # whether a code was sent, so whether the order number belongs to the email)
    assert isinstance(error, AuthenticationError)
    assert error.code == "invalid_code"
    assert error.details == {}
    assert "new code" in error.message


# --- Asking for a code ------------------------------------------------------------------------


class RecordingQueue:
    """Where the service hands requests over, keeping them."""

    def __init__(self) -> None:
        self.submitted: list[LoginRequest] = []

    def submit(self, request: LoginRequest) -> None:
        self.submitted.append(request)


class UntouchableCodes:
    """A code store the test expects never to be used."""

    def issue(self, code: LoginCode, *, replacing_issued_before: int) -> bool:
        raise AssertionError("a code was stored")

    def record_attempt(self, email_key: str, *, max_attempts: int, now: int) -> LoginCode | None:
        raise AssertionError("an attempt was counted")

    def discard(self, code: LoginCode) -> None:
        raise AssertionError("a code was discarded")


class UntouchableSender:
    def send(self, recipient: str, message: EmailMessage) -> None:
        raise AssertionError("an email was sent")


def test_asking_for_a_code_only_hands_the_request_over() -> None:
    # Given the portal's sign-in, with a queue for its requests
    queue = RecordingQueue()
    asked: list[tuple[str, str]] = []
    service = PortalAuthService(
        UntouchableCodes(),
        UntouchableSender(),
        SessionTokens(SECRET, 30),
        lambda number, email: asked.append((number, email)) or True,
        rules=LoginRules(secret=SECRET),
        brand=Brand("Shop", "support@example.com"),
        requests=queue,
    )
    # When a shopper asks for a code
    service.ask_for_code("Jane.Doe@example.com", "#1001")
    # Then the request is handed over as typed, and nothing else happened: no order looked
    # up, no code stored, no email sent (all of that waits for whoever handles it)
    assert queue.submitted == [LoginRequest(email="Jane.Doe@example.com", order_number="#1001")]
    assert asked == []


# --- The login email -------------------------------------------------------------------------


def test_the_login_email_is_in_english_by_default_with_the_code_in_both_bodies() -> None:
    # Given / When the email for a code, without a locale
    message = login_code_email(
        "012345", brand=Brand("Acme", "help@acme.example"), minutes=10, locale=None
    )
    # Then it is in English, carries the code in text and HTML, and replies go to support
    assert message.subject == "Acme: your sign-in code"
    assert "012345" in message.text
    assert "012345" in message.html
    assert "10 minutes" in message.text
    assert message.reply_to == "help@acme.example"
    assert '<html lang="en">' in message.html


@pytest.mark.parametrize("locale", ["fr", "fr-CA", "FR_fr"])
def test_the_login_email_is_in_french_for_french_locales(locale: str) -> None:
    # Given / When the email for a French-speaking shopper
    message = login_code_email(
        "012345", brand=Brand("Acme", "s@acme.example"), minutes=10, locale=locale
    )
    # Then it is in French
    assert message.subject == "Acme: votre code de connexion"
    assert "Votre code de connexion" in message.text
    assert "10 minutes" in message.text
    assert '<html lang="fr">' in message.html


def test_an_unknown_locale_gets_the_english_email() -> None:
    # Given / When the email for a locale without wording of its own
    message = login_code_email(
        "012345", brand=Brand("Acme", "s@acme.example"), minutes=10, locale="de"
    )
    # Then it is the English one
    assert message.subject == "Acme: your sign-in code"


def test_the_merchant_name_is_escaped_in_the_html_email() -> None:
    # Given a merchant name with markup in it
    name = "Tom & Jerry <Shop>"
    # When the email is written
    message = login_code_email(
        "012345", brand=Brand(name, "s@acme.example"), minutes=10, locale="en"
    )
    # Then the HTML shows it as text, the subject and text body as typed
    assert "Tom &amp; Jerry &lt;Shop&gt;" in message.html
    assert "<Shop>" not in message.html
    assert message.subject.startswith(name)
    assert name in message.text


# --- Session tokens and the portal guard -----------------------------------------------------


def portal_request(headers: dict[str, str]) -> Request:
    """A request to a portal route as API Gateway hands it to Chalice."""
    return Request(
        {
            "multiValueQueryStringParameters": None,
            "headers": headers,
            "pathParameters": None,
            "requestContext": {"httpMethod": "GET", "resourcePath": "/portal/orders"},
            "body": None,
            "stageVariables": None,
        }
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed(secret: str | None = None, algorithm: str = "HS256", **overrides: Any) -> str:
    """A token like the portal's, with `overrides` (None removes a claim)."""
    now = int(time.time())
    claims = {
        "sub": JANE,
        "aud": SESSION_AUDIENCE,
        "iss": SESSION_ISSUER,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    with warnings.catch_warnings():
        # HS512 wants a longer key than the tests' secret; the token is meant to be refused.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, secret or portal_secret(), algorithm=algorithm)


def test_a_session_token_names_the_shopper_for_the_portal_only() -> None:
    # Given session tokens of 30 minutes
    tokens = SessionTokens(SECRET, 30, clock=lambda: NOW)
    # When one is issued for Jane
    session = tokens.issue(JANE)
    # Then it is an HS256 JWT for the portal, naming her, valid 30 minutes
    assert session.expires_in == 1800
    assert jwt.get_unverified_header(session.token)["alg"] == "HS256"
    claims = jwt.decode(
        session.token,
        SECRET,
        algorithms=["HS256"],
        audience="returns-desk-portal",
        issuer="returns-desk",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {
        "sub": JANE,
        "aud": "returns-desk-portal",
        "iss": "returns-desk",
        "iat": int(NOW),
        "exp": int(NOW) + 1800,
    }


def test_the_guard_lets_a_portal_session_through_and_remembers_its_shopper() -> None:
    # Given a request carrying a session token issued to Jane
    request = portal_request(bearer(container.session_tokens().issue(JANE).token))
    # When the guard checks it
    portal_session_guard(request)
    # Then the route can ask whose session it is
    assert shopper_email(request) == JANE


def test_the_guard_accepts_the_scheme_in_any_case() -> None:
    # Given a session token sent as "bearer <token>"
    request = portal_request({"authorization": f"bearer {signed()}"})
    # When / Then it is accepted
    portal_session_guard(request)
    assert shopper_email(request) == JANE


REFUSED = {
    "no header": lambda: {},
    "empty bearer": lambda: {"Authorization": "Bearer "},
    "another scheme": lambda: {"Authorization": f"Basic {signed()}"},
    "malformed": lambda: bearer("not.a.jwt"),
    "garbage": lambda: bearer("%%%"),
    "wrong signature": lambda: bearer(signed(secret="someone-elses-secret-of-32-bytes!!")),
    "tampered subject": lambda: bearer(_tampered(signed(), sub="bob@example.com")),
    "expired": lambda: bearer(signed(iat=int(time.time()) - 3600, exp=int(time.time()) - 1)),
    "wrong audience": lambda: bearer(signed(aud="returns-desk-admin")),
    "wrong issuer": lambda: bearer(signed(iss="someone-else")),
    "no expiry": lambda: bearer(signed(exp=None)),
    "no subject": lambda: bearer(signed(sub=None)),
    "empty subject": lambda: bearer(signed(sub="")),
    "no audience": lambda: bearer(signed(aud=None)),
    "another algorithm": lambda: bearer(signed(algorithm="HS512")),
    "unsigned": lambda: bearer(_unsigned()),
    "widget token": lambda: WIDGET_AUTH,
    "admin token": lambda: ADMIN_AUTH,
}


def _tampered(token: str, **claims: Any) -> str:
    """`token` with its payload replaced, its signature kept."""
    header, _, signature = token.split(".")
    original = jwt.decode(token, options={"verify_signature": False})
    payload = jwt.utils.base64url_encode(json.dumps({**original, **claims}).encode()).decode()
    return f"{header}.{payload}.{signature}"


def _unsigned() -> str:
    """A token with `alg: none`: claims anyone can write."""
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    payload = _tampered(signed()).split(".")[1]
    return f"{header}.{payload}."


@pytest.mark.parametrize("headers", REFUSED.values(), ids=REFUSED.keys())
def test_the_guard_refuses_anything_but_a_valid_portal_session(headers: Any) -> None:
    # Given a request without a valid portal session token
    request = portal_request(headers())
    # When the guard checks it, then it is refused as unauthenticated
    with pytest.raises(AuthenticationError) as refused:
        portal_session_guard(request)
    assert refused.value.code == "unauthorized"
    # And no shopper is remembered for the route
    with pytest.raises(RuntimeError):
        shopper_email(request)


def test_asking_for_the_shopper_on_an_unguarded_route_is_a_bug() -> None:
    # Given a request that no guard checked, even with a valid token
    request = portal_request(bearer(signed()))
    # When / Then asking for its shopper fails loudly rather than trusting it
    with pytest.raises(RuntimeError):
        shopper_email(request)


def test_without_a_portal_secret_the_portal_is_unavailable_rather_than_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a deployment without PORTAL_SECRET
    reconfigure(monkeypatch, PORTAL_SECRET=None)
    # When a token signed with some secret, or none, is presented
    for headers in (bearer(signed(secret=SECRET)), {}):
        # Then the portal answers that it is not configured, and lets nobody in
        with pytest.raises(DependencyUnavailableError):
            portal_session_guard(portal_request(headers))
    with pytest.raises(DependencyUnavailableError):
        container.portal_auth()


def test_a_short_portal_secret_counts_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a secret short enough to be found from a shopper's own session token
    reconfigure(monkeypatch, PORTAL_SECRET="too-short")
    # When the portal's services are built, Then the portal is refused as not configured
    with pytest.raises(DependencyUnavailableError):
        container.session_tokens()
