"""What the console's tests share: a merchant CONSOLE_USERS names, signing in with the emailed
code, and posting a console form as a console page does. The `console` and `cookie` fixtures
(tests/conftest.py) use them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from chalicelib.api.console_auth import csrf_token_for
from tests.integration.test_portal_login import code_in
from tests.support import sent_emails

MERCHANT = "ops@shop.example"
# What a browser sends with a form of a console page.
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}


def post(api: Any, path: str, fields: dict[str, str], **headers: str) -> Any:
    return api.http.post(path, body=urlencode(fields), headers={**FORM, **headers})


def sign_in(api: Any, email: str = MERCHANT) -> str:
    """The session cookie `email` gets by signing in with the emailed code."""
    sent = len(sent_emails())
    post(api, "/console/login", {"email": email, "next": "/console"})
    answer = post(
        api, "/console/login/code", {"email": email, "code": code_in(sent_emails()[sent])}
    )
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    return str(cookie.split(";")[0])


def csrf_of(cookie: str) -> str:
    """The CSRF token the console's pages put in the forms of the session `cookie`."""
    return csrf_token_for(cookie.split("=", 1)[1])
