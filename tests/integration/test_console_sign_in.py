"""Specification of the console's sign-in: a code by email for CONSOLE_USERS only, a session
cookie the page's scripts cannot read and other sites cannot send, and forms that need the
session's CSRF token and must come from the console's own pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.api.console_auth import CSRF_FIELD, SESSION_COOKIE
from tests.console_support import MERCHANT, csrf_of, post, sign_in
from tests.integration.test_portal_login import code_in
from tests.support import reconfigure, sent_emails


@pytest.fixture
def console(api: Any, ses: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app, with two merchants allowed in the console."""
    reconfigure(monkeypatch, CONSOLE_USERS=f"{MERCHANT}, lead@shop.example")
    return api


def test_a_console_user_signs_in_with_the_emailed_code(console: Any) -> None:
    # Given a merchant of CONSOLE_USERS on the sign-in page
    page = console.http.get("/console/login")
    assert page.status_code == 200
    assert 'name="email"' in page.body.decode()
    # When they ask for a code
    asked = post(console, "/console/login", {"email": MERCHANT, "next": "/console/returns"})
    # Then they are sent to the code form, and the code is in their inbox
    assert asked.status_code == 303
    location = urlsplit(asked.headers["Location"])
    assert location.path == "/console/login/code"
    assert parse_qs(location.query) == {"email": [MERCHANT], "next": ["/console/returns"]}
    (email,) = sent_emails()
    assert email.destinations["ToAddresses"] == [MERCHANT]
    # When they type it
    answer = post(
        console,
        "/console/login/code",
        {"email": MERCHANT, "code": code_in(email), "next": "/console/returns"},
    )
    # Then they land where they were going, with a strict session cookie
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/returns"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert attribute in cookie
    # And the console opens for them
    home = console.http.get("/console", headers={"Cookie": cookie.split(";")[0]})
    assert home.status_code == 303
    assert home.headers["Location"] == "/console/returns"


def test_an_address_outside_console_users_gets_the_same_answer_and_no_code(console: Any) -> None:
    asked = post(console, "/console/login", {"email": "someone@else.example"})
    assert asked.status_code == 303
    assert urlsplit(asked.headers["Location"]).path == "/console/login/code"
    assert sent_emails() == []


def test_a_wrong_code_is_refused_on_the_form(console: Any) -> None:
    post(console, "/console/login", {"email": MERCHANT})
    answer = post(console, "/console/login/code", {"email": MERCHANT, "code": "000000"})
    assert answer.status_code == 200
    assert "not valid" in answer.body.decode()
    assert "Set-Cookie" not in answer.headers


def test_a_shoppers_portal_code_or_session_never_opens_the_console(console: Any) -> None:
    # Given a portal session token for the merchant's own address
    from chalicelib.services import container

    portal_token = container.session_tokens().issue(MERCHANT).token
    # Then the console does not take it as its cookie
    answer = console.http.get("/console", headers={"Cookie": f"{SESSION_COOKIE}={portal_token}"})
    assert answer.status_code == 303
    assert urlsplit(answer.headers["Location"]).path == "/console/login"


def test_a_page_without_a_session_sends_the_browser_to_sign_in_and_back(console: Any) -> None:
    answer = console.http.get("/console")
    assert answer.status_code == 303
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/console/login"
    assert parse_qs(location.query) == {"next": ["/console"]}


def test_after_signing_in_only_a_console_path_is_followed(console: Any) -> None:
    post(console, "/console/login", {"email": MERCHANT})
    (email,) = sent_emails()
    answer = post(
        console,
        "/console/login/code",
        {"email": MERCHANT, "code": code_in(email), "next": "//evil.example/console/"},
    )
    assert answer.headers["Location"] == "/console"


def test_a_post_needs_the_sessions_csrf_token_and_to_come_from_the_console(console: Any) -> None:
    cookie = sign_in(console)
    token = csrf_of(cookie)
    # Without the token, or with another session's
    for fields in ({}, {CSRF_FIELD: "0" * 40}):
        refused = post(console, "/console/logout", fields, Cookie=cookie)
        assert refused.status_code == 403
    # From another site, even with the token
    refused = post(
        console,
        "/console/logout",
        {CSRF_FIELD: token},
        Cookie=cookie,
        **{"Sec-Fetch-Site": "cross-site"},
    )
    assert refused.status_code == 403
    # Without a session
    assert post(console, "/console/logout", {CSRF_FIELD: token}).status_code == 401
    # With both: signed out, the cookie cleared
    answer = post(console, "/console/logout", {CSRF_FIELD: token}, Cookie=cookie)
    assert answer.status_code == 303
    assert answer.headers["Set-Cookie"].startswith(f"{SESSION_COOKIE}=;")
    assert "Max-Age=0" in answer.headers["Set-Cookie"]


def test_a_sign_in_form_sent_from_another_site_is_refused(console: Any) -> None:
    answer = post(
        console, "/console/login", {"email": MERCHANT}, **{"Sec-Fetch-Site": "cross-site"}
    )
    assert answer.status_code == 403
    assert sent_emails() == []


def test_as_deployed_the_code_is_sent_by_the_sign_in_function_not_the_page(
    console: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.integrations.login_requests import LOGIN_CODE_FUNCTION_NAME
    from local.step_functions import (
        app_task_handlers,
        run_lambdas_in_process,
        wait_for_asynchronous_invocations,
    )

    # Given the console as deployed: sign-in requests go to the `send_login_code` function
    run_lambdas_in_process(app_task_handlers())
    reconfigure(monkeypatch, LOGIN_CODE_FUNCTION=LOGIN_CODE_FUNCTION_NAME, CONSOLE_USERS=MERCHANT)
    # When a merchant asks for a code
    asked = post(console, "/console/login", {"email": MERCHANT})
    assert asked.status_code == 303
    wait_for_asynchronous_invocations()
    # Then the function emails them a console code, which signs them in to the console
    (email,) = sent_emails()
    assert email.destinations["ToAddresses"] == [MERCHANT]
    answer = post(console, "/console/login/code", {"email": MERCHANT, "code": code_in(email)})
    assert answer.headers["Set-Cookie"].startswith(f"{SESSION_COOKIE}=")
