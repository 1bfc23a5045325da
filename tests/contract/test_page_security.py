"""Specification of who may open the pages, over every page route of the app: the static files,
the console's sign-in and the shoppers' portal page are open to anyone; every other console page
sends a browser without a session to sign in (GET) or refuses it (POST, 401); every console form
needs its session's CSRF token and to come from a console page (403 otherwise), and a form
refused changes nothing stored; a shopper's portal session never opens the console."""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from app import app  # noqa: F401 (registers every page route)
from chalicelib.api.console_auth import CSRF_FIELD, SESSION_COOKIE
from chalicelib.pages.routing import PAGE_ROUTES
from chalicelib.repositories.aws import client
from tests.console_support import MERCHANT, csrf_of, sign_in
from tests.integration.test_admin_routes import open_return, walk
from tests.order_request_support import ask_cancellation, store_janes_orders

# The pages anyone may open: the rest of PAGE_ROUTES stands behind the console's sign-in.
PUBLIC_PAGES = {
    ("GET", "/assets/{name}"),
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("GET", "/console/login/code"),
    ("POST", "/console/login/code"),
    ("GET", "/portal"),
}
CONSOLE_PAGES = sorted(PAGE_ROUTES - PUBLIC_PAGES, key=lambda route: (route[1], route[0]))
CONSOLE_GETS = [path for method, path in CONSOLE_PAGES if method == "GET"]
CONSOLE_POSTS = [path for method, path in CONSOLE_PAGES if method == "POST"]
# A value for each path parameter: a return that exists and an action its state allows, and a
# cancellation request waiting for a decision, so that a form let through would change something.
PARAMETERS = {"reference": "R-001001", "action": "approve", "name": "base.css"}
REQUEST_PARAMETERS = {**PARAMETERS, "reference": "X-000001"}
SAME_SITE = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}


def concrete(path: str) -> str:
    values = REQUEST_PARAMETERS if path.startswith("/console/requests/") else PARAMETERS
    return re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)


def stored_items() -> list[dict[str, Any]]:
    """Everything in the table, in a stable order: what "nothing changed" compares."""
    items = client("dynamodb").scan(TableName=os.environ["TABLE_NAME"])["Items"]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


@pytest.fixture
def console(console: Any) -> Any:
    """The app with a console user, a return and a cancellation request waiting for a
    decision."""
    api = console
    open_return(api)
    walk(api, PARAMETERS["reference"], "submit")
    store_janes_orders()
    assert ask_cancellation().reference == REQUEST_PARAMETERS["reference"]
    return api


def post_form(api: Any, path: str, fields: dict[str, str], **headers: str) -> Any:
    return api.http.post(concrete(path), body=urlencode(fields), headers={**SAME_SITE, **headers})


def test_every_page_is_either_public_or_a_console_page() -> None:
    # Given every page route the app registers
    # Then each one not listed as public is the console's, behind its sign-in
    assert CONSOLE_PAGES
    assert all(path.startswith("/console") for _, path in CONSOLE_PAGES), CONSOLE_PAGES
    # And every page listed as public exists
    assert PUBLIC_PAGES.issubset(PAGE_ROUTES)


@pytest.mark.parametrize("path", CONSOLE_GETS)
def test_a_console_page_without_a_session_sends_the_browser_to_sign_in(
    console: Any, path: str
) -> None:
    # When a browser without a session opens it
    answer = console.http.get(f"{concrete(path)}?done=approve")
    # Then it is sent to sign in, and back to that very page afterwards
    assert answer.status_code == 303
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/console/login"
    assert parse_qs(location.query) == {"next": [f"{concrete(path)}?done=approve"]}


@pytest.mark.parametrize("path", CONSOLE_POSTS)
def test_a_console_form_without_a_session_is_refused_and_changes_nothing(
    console: Any, path: str
) -> None:
    before = stored_items()
    answer = post_form(console, path, {CSRF_FIELD: "0" * 40, "version": "2"})
    assert answer.status_code == 401
    assert stored_items() == before


@pytest.mark.parametrize("path", CONSOLE_POSTS)
def test_a_console_form_without_its_csrf_token_or_from_another_site_is_refused(
    console: Any, path: str
) -> None:
    # Given a signed-in merchant
    cookie = sign_in(console)
    before = stored_items()
    # When a form is posted without the token, with another session's, or from another site
    refusals = [
        post_form(console, path, {"version": "2"}, Cookie=cookie),
        post_form(console, path, {CSRF_FIELD: "0" * 40, "version": "2"}, Cookie=cookie),
        post_form(
            console,
            path,
            {CSRF_FIELD: csrf_of(cookie), "version": "2"},
            Cookie=cookie,
            **{"Sec-Fetch-Site": "cross-site"},
        ),
        post_form(
            console,
            path,
            {CSRF_FIELD: csrf_of(cookie), "version": "2"},
            Cookie=cookie,
            **{"Sec-Fetch-Site": "same-site"},
        ),
    ]
    # Then each is refused, and nothing stored changed (sign-in codes and sessions aside: none
    # is written by a refused form either)
    assert [answer.status_code for answer in refusals] == [403, 403, 403, 403]
    assert stored_items() == before


@pytest.mark.parametrize(("method", "path"), CONSOLE_PAGES)
def test_a_portal_session_never_opens_the_console(console: Any, method: str, path: str) -> None:
    # Given a shopper's portal session for the merchant's own address
    from chalicelib.services import container

    portal_token = container.session_tokens().issue(MERCHANT).token
    cookie = f"{SESSION_COOKIE}={portal_token}"
    before = stored_items()
    # When it is sent as the console's session
    if method == "GET":
        answer = console.http.get(concrete(path), headers={"Cookie": cookie})
        # Then the browser is sent to sign in
        assert answer.status_code == 303
        assert urlsplit(answer.headers["Location"]).path == "/console/login"
    else:
        answer = post_form(
            console, path, {CSRF_FIELD: csrf_of(cookie), "version": "2"}, Cookie=cookie
        )
        # Then the form is refused
        assert answer.status_code == 401
    assert stored_items() == before
