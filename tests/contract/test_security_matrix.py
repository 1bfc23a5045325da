"""Specification of who may call what, over every route of the app: the shoppers' portal takes
only a valid session token and shows a shopper only their own orders and returns; the admin and
Gorgias routes take their own tokens and never a session; Shopify's webhook takes only a body
signed with its secret; the sign-in routes are open, but tell nothing about whose an order is and
lock a code out after the configured attempts.

The bearer-token routes' own matrix (no token, wrong token, the other audience's) is in
test_http_errors.py; this file adds what concerns the other credentials. Every refusal is the
error envelope, nothing refused changes anything stored, and no request here ends in a 5xx.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import pytest

from chalicelib.api.cors import PREFLIGHT_ROUTES
from chalicelib.api.models.portal import LOGIN_ANSWER
from chalicelib.domain.order_request_rules import ClaimedLine
from chalicelib.domain.order_requests import ClaimIssue
from chalicelib.domain.statuses import ExpectedResolution
from chalicelib.integrations.shopify import SIGNATURE_HEADER, TOPIC_HEADER, sign
from chalicelib.pages.routing import PAGE_ROUTES
from chalicelib.repositories.aws import client
from chalicelib.services import container
from chalicelib.services.portal_auth import SESSION_AUDIENCE, SESSION_ISSUER, SessionTokens
from chalicelib.settings import get_settings
from tests.integration import test_http_errors as bearer_matrix
from tests.integration.test_http_errors import (  # noqa: F401 (no_server_errors: autouse here too)
    assert_error,
    no_server_errors,
)
from tests.integration.test_portal import BOB, JANE, signed_in, store_order
from tests.integration.test_portal_login import code_in, sent_emails, wrong
from tests.support import ADMIN_AUTH, JSON, WIDGET_AUTH, body, reconfigure

Headers = dict[str, str]
EVENTS = Path(__file__).parents[1] / "events"
RETURNED_LINE = {"sku": "TEE-M", "quantity": 1, "reason": "SIZE_PROBLEM"}


# --- The matrix -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a portal request names: an order (by number), a return (by reference) and a
    cancellation request or claim (by reference)."""

    order: str
    reference: str
    request: str


@dataclass(frozen=True)
class PortalRoute:
    """A portal operation, with a request its shopper makes successfully (`success`)."""

    method: str
    template: str
    payload: dict[str, Any] | None = None
    success: int = 200

    def __str__(self) -> str:
        return f"{self.method} {self.template}"

    @property
    def names_an_order_or_a_return(self) -> bool:
        """Whether it names an order, a return or a request: a list of the shopper's names
        none."""
        return "{" in self.template or "order_number" in (self.payload or {})

    def request(self, target: Target) -> tuple[str, str | None]:
        """The path and JSON body of this request about `target`: a body that names an order
        names the target's."""
        names_a_request = self.template.startswith("/portal/requests/")
        path = self.template.format(
            number=quote(target.order, safe=""),
            reference=target.request if names_a_request else target.reference,
            sku=RETURNED_LINE["sku"],
        )
        if self.payload is None:
            return path, None
        if "order_number" in self.payload:
            return path, json.dumps({**self.payload, "order_number": target.order})
        return path, json.dumps(self.payload)


PORTAL_ROUTES = [
    PortalRoute("GET", "/portal/orders"),
    PortalRoute("GET", "/portal/orders/{number}"),
    PortalRoute("GET", "/portal/orders/{number}/lines/{sku}/exchange-options"),
    PortalRoute(
        "POST",
        "/portal/returns",
        payload={"order_number": "", "lines": [RETURNED_LINE]},
        success=201,
    ),
    PortalRoute("GET", "/portal/returns"),
    PortalRoute("GET", "/portal/returns/{reference}"),
    PortalRoute("POST", "/portal/returns/{reference}/cancel", {}),
    PortalRoute("POST", "/portal/returns/{reference}/submit", {}),
    PortalRoute(
        "POST",
        "/portal/returns/{reference}/photos",
        {"sku": "TEE-M", "content_type": "image/png"},
        success=201,
    ),
    # The order was delivered: asking to cancel it is answered why not (409), past the guard.
    PortalRoute("POST", "/portal/orders/{number}/cancellation", {}, success=409),
    PortalRoute("POST", "/portal/claim-photos", {"content_type": "image/jpeg"}, success=201),
    PortalRoute(
        "POST",
        "/portal/orders/{number}/claims",
        {"issue": "MISSING_ITEM", "lines": [{"sku": "SALE-SCARF", "quantity": 1}]},
        success=201,
    ),
    PortalRoute("GET", "/portal/requests"),
    PortalRoute("GET", "/portal/requests/{reference}"),
]
# Open to anyone: the sign-in (specified below and in test_portal_login.py) and the health check.
OPEN_ROUTES = {("POST", "/portal/login"), ("POST", "/portal/verify"), ("GET", "/health")}
SIGNED_ROUTES = {("POST", "/webhooks/shopify")}


def test_the_matrix_covers_every_route_of_the_app(api: Any) -> None:
    # Given the app as deployed
    from app import app

    # When its routes are listed
    registered = {(m, path) for path, methods in app.routes.items() for m in methods}
    registered -= PAGE_ROUTES  # specified in test_page_security.py
    registered -= PREFLIGHT_ROUTES  # specified in tests/integration/test_portal_cors.py
    # Then each is in this matrix or in the bearer-token one, and in one only
    mine = {(r.method, r.template) for r in PORTAL_ROUTES} | OPEN_ROUTES | SIGNED_ROUTES
    theirs = {(r.method, r.template) for r in bearer_matrix.ROUTES}
    assert registered == mine | theirs
    assert mine & theirs == set()
    # And the two files agree on which routes this one specifies
    assert mine - {("GET", "/health")} == bearer_matrix.OTHER_CREDENTIALS


# --- Helpers ----------------------------------------------------------------------------------


def stored_items() -> list[dict[str, Any]]:
    """Everything in the table, in a stable order: what "nothing changed" compares."""
    items = client("dynamodb").scan(TableName=os.environ["TABLE_NAME"])["Items"]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def call(api: Any, route: PortalRoute, target: Target, headers: Headers) -> Any:
    path, raw = route.request(target)
    return api.http.request(route.method, path, headers={**JSON, **headers}, body=raw or b"")


def assert_unauthorized(response: Any) -> None:
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="returns-desk"'


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def portal_secret() -> str:
    secret = get_settings().portal_secret
    assert secret is not None
    return secret.get_secret_value()


def session_claims(**changes: Any) -> dict[str, Any]:
    """Jane's claims as SessionTokens issues them, with `changes` (None removes a claim)."""
    now = int(time.time())
    claims = {
        "sub": JANE,
        "aud": SESSION_AUDIENCE,
        "iss": SESSION_ISSUER,
        "iat": now,
        "exp": now + 600,
        **changes,
    }
    return {name: value for name, value in claims.items() if value is not None}


def forge(*, secret: str | None = None, algorithm: str = "HS256", **changes: Any) -> str:
    """A session token for Jane that differs from a valid one only by what the arguments say."""
    return jwt.encode(session_claims(**changes), secret or portal_secret(), algorithm=algorithm)


def segment(part: dict[str, Any]) -> str:
    """A header or the claims as a JWT carries them: base64url JSON, unpadded."""
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def unsigned() -> str:
    """Jane's claims under `alg: none`, without a signature."""
    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(session_claims())}."


def tampered(**changes: Any) -> str:
    """A valid token of Jane's whose claims were changed after it was signed."""
    header, _, signature = forge().split(".")
    return f"{header}.{segment(session_claims(**changes))}.{signature}"


def expired() -> str:
    """A token SessionTokens issued a minute more than a session lasts ago."""
    minutes = get_settings().portal_session_minutes
    issued = SessionTokens(portal_secret(), minutes, clock=lambda: time.time() - minutes * 60 - 60)
    return issued.issue(JANE).token


def refused_sessions() -> dict[str, Headers]:
    """Each way of calling a portal route without a valid session, as Jane's headers. Minted at
    call time, so that only what its name says is wrong with each."""
    valid = forge()
    return {
        "no token": {},
        "malformed token": bearer("not-a-jwt"),
        "token signed with another secret": bearer(forge(secret="another-secret-" + "x" * 32)),
        "expired token": bearer(expired()),
        "token for another audience": bearer(forge(aud="returns-desk-admin")),
        "token from another issuer": bearer(forge(iss="someone-else")),
        "unsigned token (alg none)": bearer(unsigned()),
        "token whose subject was changed after signing": bearer(tampered(sub=BOB)),
        "token signed with HS512": bearer(forge(algorithm="HS512")),
        "token without an expiry": bearer(forge(exp=None)),
        "token without a subject": bearer(forge(sub="")),
        "valid token without a scheme": {"Authorization": valid},
        "valid token under the Basic scheme": {"Authorization": f"Basic {valid}"},
        "Gorgias widget token": WIDGET_AUTH,
        "admin token": ADMIN_AUTH,
    }


@pytest.fixture
def janes(api: Any, open_rma: Callable[..., Any]) -> Target:
    """Jane's order #1001, a return of one T-shirt of it, not submitted yet, and a claim of its
    mug missing; Bob's order #2001, a submitted return and a claim of his. What Jane's requests
    name."""
    line = {"name": "T-shirt (M)", "unit_price": "25.00", **RETURNED_LINE}

    def order_and_return(number: str, email: str, *, submitted: bool) -> str:
        order = store_order(number, email)
        ordered = {"number": number, "ordered_at": order.ordered_at.isoformat()}
        rma = open_rma(email, order=ordered, lines=[line], submitted=submitted)
        return str(rma.return_reference)

    def claim(number: str, email: str) -> str:
        claimed = container.order_request_service().open_claim(
            email,
            number,
            issue=ClaimIssue.MISSING_ITEM,
            lines=[ClaimedLine("MUG", 1)],
            resolution=ExpectedResolution.REFUND,
        )
        return claimed.reference

    order_and_return("#2001", BOB, submitted=True)
    claim("#2001", BOB)
    janes_return = order_and_return("#1001", JANE, submitted=False)
    return Target("#1001", janes_return, claim("#1001", JANE))


# --- Portal: a valid session of the shopper's own, nothing else ---------------------------------


@pytest.mark.parametrize("route", PORTAL_ROUTES, ids=str)
def test_a_portal_route_answers_its_shopper_about_her_own_order_and_return(
    api: Any, janes: Target, route: PortalRoute
) -> None:
    # Given / When Jane, signed in, calls the route about her own order and return
    response = call(api, route, janes, signed_in(JANE))
    # Then it answers
    assert response.status_code == route.success, response.body


def test_a_token_forged_with_nothing_changed_is_a_valid_session(api: Any, janes: Target) -> None:
    # Given / When Jane's orders are listed with a token forged with nothing changed
    response = call(api, PORTAL_ROUTES[0], janes, bearer(forge()))
    # Then they are shown: each refused token below fails for its one change only
    assert [order["number"] for order in body(response)["orders"]] == [janes.order]


# The HS512 token is signed with the portal secret on purpose, short as it is for SHA-512.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("route", PORTAL_ROUTES, ids=str)
def test_a_portal_route_refuses_anything_but_a_valid_session_and_changes_nothing(
    api: Any, janes: Target, route: PortalRoute, subtests: pytest.Subtests
) -> None:
    # Given Jane's order and return as stored
    before = stored_items()
    for credential, headers in refused_sessions().items():
        with subtests.test(credential):
            # When the route is called about them with that credential
            response = call(api, route, janes, headers)
            # Then it is the 401 envelope
            assert_unauthorized(response)
    # And none of them wrote anything (the table read once for all: a read is the slow part)
    assert stored_items() == before


@pytest.mark.parametrize(
    "route", [r for r in PORTAL_ROUTES if r.names_an_order_or_a_return], ids=str
)
def test_another_shoppers_order_or_return_is_not_found_exactly_like_a_missing_one(
    api: Any, janes: Target, route: PortalRoute
) -> None:
    # Given Jane's order and return as stored
    before = stored_items()
    missing = Target("#1999", "R-999999", "C-999999")
    # When Bob, signed in, names them, and then an order and a return that do not exist
    theirs = call(api, route, janes, signed_in(BOB))
    nobodys = call(api, route, missing, signed_in(BOB))
    # Then both are the same 404 (not 403), but for the names
    assert (theirs.status_code, nobodys.status_code) == (404, 404)
    assert_error(theirs, 404, body(nobodys)["error"]["code"])

    def anonymised(response: Any, target: Target) -> str:
        text = response.body.decode()
        for name, shown in (("ORDER", target.order), ("RETURN", target.reference)):
            text = text.replace(shown, name)
        return text.replace(target.request, "REQUEST")

    assert anonymised(theirs, janes) == anonymised(nobodys, missing)
    # And nothing of Jane's changed
    assert stored_items() == before


def test_a_shoppers_lists_show_nothing_of_another_shopper(api: Any, janes: Target) -> None:
    # Given Jane's order and return, and Bob's
    lists = [r for r in PORTAL_ROUTES if not r.names_an_order_or_a_return]
    # When Bob lists his orders, returns and requests (and asks to upload a photo)
    answers = {str(r): call(api, r, janes, signed_in(BOB)) for r in lists}
    # Then he sees his own only, and nothing of Jane's
    orders = body(answers["GET /portal/orders"])["orders"]
    returns = body(answers["GET /portal/returns"])["returns"]
    requests = body(answers["GET /portal/requests"])["requests"]
    assert [order["number"] for order in orders] == ["#2001"]
    assert [rma["order_number"] for rma in returns] == ["#2001"]
    assert [request["order_number"] for request in requests] == ["#2001"]
    traces = (JANE, janes.order, janes.reference, janes.request)
    for response in answers.values():
        text = response.body.decode().lower()
        assert all(trace.lower() not in text for trace in traces)


# --- Admin and Gorgias routes: never a session token -------------------------------------------


@pytest.mark.parametrize("route", bearer_matrix.ROUTES, ids=str)
def test_an_admin_or_gorgias_route_refuses_a_valid_portal_session(
    api: Any, janes: Target, route: bearer_matrix.Route
) -> None:
    # Given Jane's order and return as stored, and her valid session
    before = stored_items()
    # When she calls an admin or Gorgias route with it
    response = bearer_matrix.send(api, route, signed_in(JANE))
    # Then it is the 401 envelope, and nothing was written
    assert_unauthorized(response)
    assert stored_items() == before


def test_the_health_check_answers_whatever_credential_comes_with_it(api: Any) -> None:
    # Given / When the health check is called with no credential, a session, junk, a token
    answers = [
        api.http.get("/health", headers=headers).status_code
        for headers in ({}, signed_in(JANE), bearer("not-a-jwt"), WIDGET_AUTH)
    ]
    # Then it answers every time
    assert answers == [200] * 4


# --- Shopify's webhook: a body signed with the webhook secret, nothing else --------------------


def webhook_body(topic: str = "orders_create") -> bytes:
    return (EVENTS / f"shopify_{topic}.json").read_bytes()


def deliver(api: Any, raw: bytes, headers: Headers) -> Any:
    headers = {**JSON, TOPIC_HEADER: "orders/create", **headers}
    return api.http.post("/webhooks/shopify", headers=headers, body=raw)


def shopify_secret() -> str:
    secret = get_settings().shopify_webhook_secret
    assert secret is not None
    return secret.get_secret_value()


def refused_signatures(raw: bytes) -> dict[str, Headers]:
    """Each way of sending `raw` without Shopify's signature of it."""
    hex_digest = hmac.new(shopify_secret().encode(), raw, hashlib.sha256).hexdigest()
    return {
        "no signature": {},
        "an empty signature": {SIGNATURE_HEADER: ""},
        "a malformed signature": {SIGNATURE_HEADER: "not-a-signature"},
        "the signature of another body": {
            SIGNATURE_HEADER: sign(shopify_secret(), webhook_body("orders_updated"))
        },
        "a signature with another secret": {SIGNATURE_HEADER: sign("another-secret", raw)},
        "a hex digest instead of base64": {SIGNATURE_HEADER: hex_digest},
        "the Gorgias widget token": WIDGET_AUTH,
        "the admin token": ADMIN_AUTH,
        "a portal session token": signed_in(JANE),
    }


def test_a_webhook_without_shopifys_signature_is_refused_and_stores_nothing(
    api: Any, subtests: pytest.Subtests
) -> None:
    # Given an order Shopify would send
    raw = webhook_body()
    for credential, headers in refused_signatures(raw).items():
        with subtests.test(credential):
            # When it is sent with that instead of its signature
            response = deliver(api, raw, headers)
            # Then it is the 401 envelope, and nothing at all was stored
            assert_unauthorized(response)
            assert stored_items() == []


def test_a_webhook_signed_with_the_secret_is_recorded(api: Any) -> None:
    # Given / When an order is sent with Shopify's signature of it
    raw = webhook_body()
    response = deliver(api, raw, {SIGNATURE_HEADER: sign(shopify_secret(), raw)})
    # Then it is recorded
    assert response.status_code == 200, response.body
    assert body(response)["status"] == "recorded"
    assert container.order_service().find(json.loads(raw)["name"]).source == "shopify"


# --- Sign-in: open, but telling nothing, and locked after the configured attempts -------------


@pytest.fixture
def mailbox(api: Any) -> None:
    """Jane's order #1001 and Bob's #2001, and a sender SES accepts."""
    store_order("#1001", JANE)
    store_order("#2001", BOB)
    client("ses").verify_email_identity(EmailAddress=get_settings().sender_email)


ATTEMPTS = 3


def post(api: Any, path: str, payload: dict[str, str]) -> Any:
    return api.http.post(path, headers=JSON, body=json.dumps(payload))


def test_login_answers_the_same_whether_or_not_the_order_is_the_emails(
    api: Any, mailbox: None
) -> None:
    # Given / When a code is asked for with Jane's own order, and with orders that are not hers
    attempts = {
        "her own order": (JANE, "#1001"),
        "someone else's order": (JANE, "#2001"),
        "an unknown order": (JANE, "#9999"),
        "an email that placed no order": ("mallory@example.com", "#1001"),
    }
    answers = {
        name: post(api, "/portal/login", {"email": email, "order_number": number})
        for name, (email, number) in attempts.items()
    }
    # Then every answer is the same, to the headers
    sent = (202, {"status": "sent", "message": LOGIN_ANSWER})
    assert {name: (r.status_code, body(r)) for name, r in answers.items()} == dict.fromkeys(
        attempts, sent
    )
    assert all(r.headers == answers["her own order"].headers for r in answers.values())
    # And only Jane, for her own order, was sent a code
    [email] = sent_emails()
    assert email.destinations["ToAddresses"] == [JANE]


@pytest.mark.parametrize(
    ("wrong_codes", "signs_in"),
    [(ATTEMPTS - 1, True), (ATTEMPTS, False)],
    ids=["one try left", "every try used"],
)
def test_a_code_is_locked_out_after_the_configured_attempts(
    api: Any, mailbox: None, monkeypatch: pytest.MonkeyPatch, wrong_codes: int, signs_in: bool
) -> None:
    # Given a few attempts per code (not the default five), and a code sent to Jane
    reconfigure(monkeypatch, LOGIN_CODE_ATTEMPTS=str(ATTEMPTS))
    post(api, "/portal/login", {"email": JANE, "order_number": "#1001"})
    [email] = sent_emails()
    code = code_in(email)

    def verify(typed: str) -> Any:
        return post(api, "/portal/verify", {"email": JANE, "code": typed})

    # When wrong codes are tried, each refused in the envelope
    for _ in range(wrong_codes):
        assert_error(verify(wrong(code)), 401, "invalid_code")
    # Then the right code signs her in only while a try is left
    response = verify(code)
    if signs_in:
        assert response.status_code == 200, response.body
        assert body(response)["token_type"] == "Bearer"
    else:
        assert_error(response, 401, "invalid_code")
