"""Specification of the shoppers' portal sign-in: `POST /portal/login` emails a one-time code
when the order is the shopper's, `POST /portal/verify` trades it for a session token.

Through the app's routes, with moto's DynamoDB and SES: the codes are read from moto's outbox,
as `make run` does. Orders are a fake standing in for OrderService.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import time_machine

from chalicelib.api.models.portal import LOGIN_ANSWER
from chalicelib.api.portal_auth import portal_session_guard, shopper_email
from chalicelib.domain import login as login_domain
from chalicelib.integrations.login_requests import LOGIN_CODE_FUNCTION_NAME
from chalicelib.observability import logger
from chalicelib.repositories.aws import client
from chalicelib.services import container
from chalicelib.services.portal_auth import portal_auth_service
from chalicelib.settings import get_settings
from tests.support import JSON, body, reconfigure, sent_emails
from tests.unit.test_login import portal_request

JANE = "jane.doe@example.com"
JANES_ORDER = "#1001"
SENT = {"status": "sent", "message": LOGIN_ANSWER}
# Pairs of sign-ins timed, and how far apart a pair's durations may typically be, as a share of
# a typical answer: enough pairs for a steady median, few enough to take a couple of seconds.
# (Checking the order before answering made it about 30%; handing the request over, under 3%.)
TIMED_LOGINS = 60
TIMING_TOLERANCE = 0.10


class FakeOrders:
    """Who placed which order, and in which language, as OrderService will tell."""

    def __init__(self) -> None:
        self.owners = {JANES_ORDER: JANE, "#1002": "bob@example.com"}
        self.locales: dict[str, str] = {}
        self.asked: list[tuple[str, str]] = []

    def belongs(self, order_number: str, email: str) -> bool:
        self.asked.append((order_number, email))
        return self.owners.get(order_number) == email

    def locale(self, order_number: str) -> str | None:
        return self.locales.get(order_number)


@pytest.fixture
def orders() -> FakeOrders:
    return FakeOrders()


@pytest.fixture
def portal(aws: None, orders: FakeOrders, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`chalice.test.Client` on the app with the sign-in routes, checking orders with `orders`,
    sending from a verified SES identity."""
    from chalice.test import Client

    from app import app

    client("ses").verify_email_identity(EmailAddress=get_settings().sender_email)
    service = portal_auth_service(orders.belongs, order_locale=orders.locale)
    monkeypatch.setattr(container, "portal_auth", lambda: service)
    with Client(app, stage_name="test") as test_client:
        yield test_client


def post(portal: Any, path: str, payload: dict[str, Any]) -> Any:
    return portal.http.post(path, headers=JSON, body=json.dumps(payload))


def login(portal: Any, email: str = JANE, order_number: str = JANES_ORDER) -> Any:
    response = post(portal, "/portal/login", {"email": email, "order_number": order_number})
    # Whatever happened, the same answer.
    assert response.status_code == 202, response.body
    assert body(response) == SENT
    return response


def verify(portal: Any, code: str, email: str = JANE) -> Any:
    return post(portal, "/portal/verify", {"email": email, "code": code})


def code_in(message: Any) -> str:
    """The one login code in an email (moto keeps the HTML body when there is one)."""
    codes = set(re.findall(r"\b\d{6}\b", message.body))
    assert len(codes) == 1, message.body
    return codes.pop()


def only_code() -> str:
    emails = sent_emails()
    assert len(emails) == 1
    return code_in(emails[0])


def login_items() -> list[dict[str, Any]]:
    """Every login code item in the table, as DynamoDB holds it."""
    items = client("dynamodb").scan(TableName=os.environ["TABLE_NAME"])["Items"]
    return [item for item in items if item["pk"]["S"].startswith("LOGIN#")]


def assert_invalid_code(response: Any) -> None:
    """The one answer to every refused code: it tells nothing about whether a code was sent."""
    assert response.status_code == 401, response.body
    error = body(response)["error"]
    assert error["code"] == "invalid_code"
    assert error["details"] == {}
    assert "token" not in body(response)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def portal_secret() -> bytes:
    secret = get_settings().portal_secret
    assert secret is not None
    return secret.get_secret_value().encode()


# --- Signing in ------------------------------------------------------------------------------


def test_login_emails_one_code_that_verifies_into_a_session_token_for_the_shopper(
    portal: Any, orders: FakeOrders
) -> None:
    # Given Jane's order
    # When she asks for a code with it
    login(portal)
    # Then one email went to her, from the store's sender, with a 6-digit code
    [email] = sent_emails()
    assert email.destinations["ToAddresses"] == [JANE]
    assert email.source == get_settings().sender_email
    assert email.subject == f"{get_settings().merchant_name}: your sign-in code"
    code = code_in(email)
    assert orders.asked == [(JANES_ORDER, JANE)]
    # When she sends it back
    started = int(time.time())
    response = verify(portal, code)
    # Then she gets a bearer session token of the configured length
    assert response.status_code == 200, response.body
    session = body(response)
    assert set(session) == {"token", "token_type", "expires_in"}
    assert session["token_type"] == "Bearer"
    assert session["expires_in"] == get_settings().portal_session_minutes * 60
    # And the token is an HS256 JWT for the portal, naming her
    assert jwt.get_unverified_header(session["token"])["alg"] == "HS256"
    claims = jwt.decode(
        session["token"],
        portal_secret(),
        algorithms=["HS256"],
        audience="returns-desk-portal",
        issuer="returns-desk",
    )
    assert claims["sub"] == JANE
    assert started <= claims["iat"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + session["expires_in"]
    # And the portal's guard accepts it for her
    request = portal_request({"Authorization": f"Bearer {session['token']}"})
    portal_session_guard(request)
    assert shopper_email(request) == JANE
    # And the code is spent: it works once
    assert login_items() == []
    assert_invalid_code(verify(portal, code))


@pytest.mark.parametrize(
    ("email", "order_number"),
    [(JANE, "#9999"), ("mallory@example.com", JANES_ORDER), (JANE, "#1002")],
    ids=["unknown order", "someone else's order, another email", "someone else's order"],
)
def test_a_login_with_an_order_that_is_not_the_shoppers_gets_the_same_answer_and_nothing_else(
    portal: Any, email: str, order_number: str
) -> None:
    # Given orders that are not the caller's
    # When someone asks for a code with one
    response = login(portal, email, order_number)
    # Then the answer is the one a real shopper gets (checked in login()), headers included
    assert response.headers["Content-Type"] == "application/json"
    # And no email went out, and no code was stored
    assert sent_emails() == []
    assert login_items() == []


def test_emails_compare_without_regard_to_case_or_spaces(portal: Any) -> None:
    # Given Jane typing her email with capitals
    login(portal, email="Jane.Doe@Example.COM")
    # When she verifies with another spelling of it
    response = verify(portal, only_code(), email="  JANE.DOE@example.com ")
    # Then she is signed in as her one identity
    assert response.status_code == 200, response.body
    claims = jwt.decode(body(response)["token"], options={"verify_signature": False})
    assert claims["sub"] == JANE


def test_the_email_is_in_french_when_the_order_is(portal: Any, orders: FakeOrders) -> None:
    # Given Jane's order placed in French
    orders.locales[JANES_ORDER] = "fr-FR"
    # When she asks for a code
    login(portal)
    # Then the email is in French
    [email] = sent_emails()
    assert email.subject == f"{get_settings().merchant_name}: votre code de connexion"
    assert "Votre code de connexion" in email.body


@pytest.mark.parametrize("typed", ["1001", " #1001 ", "# 1001"])
def test_a_shopper_may_type_her_order_number_without_its_hash(
    api: Any, ses: Any, typed: str
) -> None:
    from tests.integration.test_portal import store_order

    # Given Jane's Shopify order "#1001", checked by the app's own order service
    store_order("#1001", JANE)
    # When she asks for a code typing its number another way
    login(api, JANE, typed)
    # Then the code is emailed to her, and signs her in
    assert verify(api, only_code()).status_code == 200


# --- One code a minute -----------------------------------------------------------------------


def test_a_second_login_within_a_minute_sends_nothing_and_the_first_code_still_works(
    portal: Any,
) -> None:
    # Given a code sent to Jane
    login(portal)
    first = only_code()
    # When she asks again 30 seconds later
    with time_machine.travel(time.time() + 30):
        login(portal)
        # Then nothing more was sent
        assert len(sent_emails()) == 1
        # And the first code still signs her in
        assert verify(portal, first).status_code == 200


def test_a_login_after_a_minute_replaces_the_code_and_the_old_one_fails(
    portal: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a code sent to Jane (the codes drawn known, so that the two differ)
    monkeypatch.setattr(login_domain, "new_code", iter(["111111", "222222"]).__next__)
    login(portal)
    # When she asks again over a minute later
    with time_machine.travel(time.time() + 61):
        login(portal)
        # Then a second email carries a new code
        assert [code_in(email) for email in sent_emails()] == ["111111", "222222"]
        # And the old code no longer works, the new one does
        assert_invalid_code(verify(portal, "111111"))
        assert verify(portal, "222222").status_code == 200


def test_a_second_login_with_a_wrong_order_within_a_minute_does_not_disturb_the_code(
    portal: Any,
) -> None:
    # Given a code sent to Jane
    login(portal)
    code = only_code()
    # When someone else asks with her email and an order that is not hers
    login(portal, order_number="#9999")
    # Then her code still works
    assert verify(portal, code).status_code == 200


# --- Refusals --------------------------------------------------------------------------------


def test_an_expired_code_is_refused(portal: Any) -> None:
    # Given a code sent to Jane
    login(portal)
    code = only_code()
    # When she sends it back after its 10 minutes (before DynamoDB's TTL deletes the item)
    with time_machine.travel(time.time() + get_settings().login_code_minutes * 60 + 1):
        response = verify(portal, code)
    # Then it is refused, and she is told to ask for a new one
    assert_invalid_code(response)
    assert "new code" in body(response)["error"]["message"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="returns-desk"'


def test_five_wrong_attempts_lock_the_code_out_even_for_the_right_one(portal: Any) -> None:
    # Given a code sent to Jane
    login(portal)
    code = only_code()
    # When five wrong codes are tried
    for _ in range(get_settings().login_code_attempts):
        assert_invalid_code(verify(portal, wrong(code)))
    # Then even the right code is refused
    assert_invalid_code(verify(portal, code))
    # And the attempts stop counting there
    [item] = login_items()
    assert item["attempts"] == {"N": "5"}


def test_a_code_that_was_never_sent_is_refused_and_nothing_is_stored(portal: Any) -> None:
    # Given no code for Jane
    # When a code is tried for her
    response = verify(portal, "123456")
    # Then it is refused like an expired one, and the try left no trace
    assert_invalid_code(response)
    assert login_items() == []


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "١٢٣٤٥٦", ""])
def test_a_code_that_is_not_six_digits_is_a_validation_error_and_costs_no_attempt(
    portal: Any, code: str
) -> None:
    # Given a code sent to Jane
    login(portal)
    # When something that cannot be a code is sent
    response = verify(portal, code)
    # Then it is a 400, and her attempts are untouched
    assert response.status_code == 400, response.body
    assert body(response)["error"]["code"] == "validation_error"
    [item] = login_items()
    assert item["attempts"] == {"N": "0"}


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "not-an-email", "order_number": JANES_ORDER},
        {"email": JANE},
        {"email": JANE, "order_number": ""},
        {"email": JANE, "order_number": JANES_ORDER, "extra": 1},
    ],
    ids=["bad email", "no order", "empty order", "unknown field"],
)
def test_a_malformed_login_is_a_validation_error_and_sends_nothing(
    portal: Any, payload: dict[str, Any]
) -> None:
    # Given / When a login body that is not one
    response = post(portal, "/portal/login", payload)
    # Then it is a 400 and nothing was sent
    assert response.status_code == 400, response.body
    assert body(response)["error"]["code"] == "validation_error"
    assert sent_emails() == []


# --- Storage and sending ---------------------------------------------------------------------


def test_the_code_is_stored_only_as_a_keyed_hash_with_its_expiry(portal: Any) -> None:
    # Given Jane asking for a code
    before = int(time.time())
    login(portal)
    code = only_code()
    # When the table is read
    [item] = login_items()
    # Then the item holds her key, an HMAC of the code, its attempts and its TTL, and the code
    # itself nowhere
    assert set(item) == {"pk", "sk", "code_hash", "issued_at", "attempts", "expires_at"}
    assert item["pk"] == {"S": f"LOGIN#{JANE}"}
    assert item["sk"] == {"S": "CODE"}
    assert all(code not in json.dumps(value) for value in item.values())
    expected = hmac.new(portal_secret(), f"{JANE}:{code}".encode(), hashlib.sha256).hexdigest()
    assert item["code_hash"] == {"S": expected}
    assert item["attempts"] == {"N": "0"}
    issued_at = int(item["issued_at"]["N"])
    assert before <= issued_at <= int(time.time())
    assert int(item["expires_at"]["N"]) == issued_at + get_settings().login_code_minutes * 60


def test_when_ses_refuses_the_email_the_shopper_may_ask_again_at_once(portal: Any) -> None:
    # Given SES refusing to send (the sender identity is not verified)
    ses = client("ses")
    ses.delete_identity(Identity=get_settings().sender_email)
    # When Jane asks for a code
    login(portal)
    # Then nothing was sent, and no code waits for her
    assert sent_emails() == []
    assert login_items() == []
    # When SES works again and she asks again at once
    ses.verify_email_identity(EmailAddress=get_settings().sender_email)
    login(portal)
    # Then the code arrives and works
    assert verify(portal, only_code()).status_code == 200


# --- The answer's timing --------------------------------------------------------------------


@pytest.fixture
def handed_over(api: Any, ses: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """The app configured as deployed: the sign-in route hands each request to the
    `send_login_code` function (moto's Lambda, run in this process on a thread of its own, as
    Lambda runs an asynchronous invocation). Returns what waits until the function is done."""
    from local.step_functions import (
        app_task_handlers,
        run_lambdas_in_process,
        wait_for_asynchronous_invocations,
    )

    run_lambdas_in_process(app_task_handlers())
    reconfigure(monkeypatch, LOGIN_CODE_FUNCTION=LOGIN_CODE_FUNCTION_NAME)
    return wait_for_asynchronous_invocations


def test_a_code_handed_over_reaches_the_shopper_after_the_answer(
    api: Any, handed_over: Callable[[], None]
) -> None:
    from tests.integration.test_portal import store_order

    # Given Jane's order
    store_order(JANES_ORDER, JANE)
    # When she asks for a code
    login(api)
    handed_over()
    # Then the code reaches her, and signs her in
    assert verify(api, only_code()).status_code == 200


def test_the_answer_takes_as_long_whoever_s_order_it_is(
    api: Any, handed_over: Callable[[], None]
) -> None:
    from tests.integration.test_portal import store_order

    # Given Jane's order, and another shopper's
    store_order(JANES_ORDER, JANE)
    store_order("#1002", "bob@example.com")
    # When codes are asked for with her email, with her order and with the other one by turns
    # (which first alternating, each timed once the function is done with the one before; the
    # first pair untimed, as it makes the clients)
    for order_number in (JANES_ORDER, "#1002"):
        login(api, JANE, order_number)
    handed_over()
    # The time measured is the answering thread's CPU time: moto's DynamoDB and SES run in it,
    # so their work counts like the route's own, while other processes on a busy machine (and
    # the function's thread) do not.
    durations: dict[str, list[float]] = {JANES_ORDER: [], "#1002": []}
    for turn in range(TIMED_LOGINS):
        for order_number in (JANES_ORDER, "#1002")[:: 1 if turn % 2 else -1]:
            started = time.thread_time()
            login(api, JANE, order_number)
            durations[order_number].append(time.thread_time() - started)
            handed_over()
    # Then, typically, her answer takes as long as the other: the route does the same work,
    # and the order is checked and the code sent where no one waits. (The median of the pairs'
    # differences: each pair of answers came one after the other.)
    differences = [hers - not_hers for hers, not_hers in zip(*durations.values(), strict=True)]
    typical = statistics.median([d for answers in durations.values() for d in answers])
    difference = statistics.median(differences)
    assert abs(difference) <= TIMING_TOLERANCE * typical, f"{difference:.4f}s of {typical:.4f}s"
    # And only her own order got her a code (one: a minute must pass between two)
    assert [email.destinations["ToAddresses"] for email in sent_emails()] == [[JANE]]


@pytest.mark.parametrize("order_number", [JANES_ORDER, "#1002"], ids=["hers", "not-hers"])
def test_when_lambda_will_not_take_the_request_it_is_a_503_whoever_s_order_it_is(
    api: Any, handed_over: Callable[[], None], order_number: str
) -> None:
    from tests.integration.test_portal import store_order

    # Given Jane's order, and Lambda throttling the next asynchronous invocation
    store_order(JANES_ORDER, JANE)
    throttled = {"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}}

    def throttle(**_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        return AWSResponse("https://lambda", 429, {}, None), throttled

    events = client("lambda").meta.events
    events.register_first("before-call.lambda.Invoke", throttle)
    try:
        # When she asks for a code, with her order or another
        response = post(api, "/portal/login", {"email": JANE, "order_number": order_number})
    finally:
        events.unregister("before-call.lambda.Invoke", throttle)
    # Then the answer, the same either way, says to ask again later, and nothing was sent
    assert response.status_code == 503, response.body
    assert body(response)["error"]["code"] == "dependency_unavailable"
    assert response.headers["Retry-After"] == "60"
    handed_over()
    assert sent_emails() == []


# --- Logs ------------------------------------------------------------------------------------


@pytest.fixture
def app_logs(caplog: pytest.LogCaptureFixture) -> Callable[[], str]:
    """Every log line written so far, as the app's formatter writes them (extra keys too)."""

    def lines() -> str:
        formatter = logger.registered_formatter
        return "\n".join(formatter.format(record) for record in caplog.records)

    return lines


def test_codes_never_appear_in_the_logs(portal: Any, app_logs: Callable[[], str]) -> None:
    # Given a code sent to Jane, a wrong try, a right one, and a refused login
    login(portal)
    code = only_code()
    verify(portal, wrong(code))
    assert verify(portal, code).status_code == 200
    login(portal, order_number="#9999")
    # When the logs are read
    logs = app_logs()
    # Then the requests were logged, but neither code nor her full email address was
    assert "Login code requested" in logs
    assert "Request answered" in logs
    assert code not in logs
    assert wrong(code) not in logs
    assert JANE not in logs
