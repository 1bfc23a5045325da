"""The local stack's outbox page: the emails sent, newest first, each as the shopper sees it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage
from typing import Any

import httpx
import pytest
from moto.ses.models import Message, RawMessage

from chalicelib.integrations.email import EmailMessage, SesEmailSender
from chalicelib.settings import get_settings
from local.demo_orders import DEMO_ORDER_NUMBER
from local.outbox_page import OutboxPage, keep_sent_details, sent_email
from local.stack import start
from tests.lifecycle_support import eventually
from tests.support import sent_emails

SENT_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
HTML = '<!DOCTYPE html><html><body><p class="x">Hello "Jane" &amp; co</p></body></html>'


def a_message(number: int, *, html: str = HTML, text: str | None = "Hello Jane") -> Message:
    """A message as moto keeps it once keep_sent_details() has run."""
    message = Message(
        f"id-{number}",
        "returns@example.com",
        f"Email {number}",
        html,
        {"ToAddresses": [f"jane.doe{number}@example.com"]},
    )
    message.text = text  # type: ignore[attr-defined]
    message.sent_at = SENT_AT  # type: ignore[attr-defined]
    message.kind = "status-approved"  # type: ignore[attr-defined]
    return message


@pytest.fixture
def outbox() -> list[Any]:
    return [a_message(1), a_message(2)]


@pytest.fixture
def page(outbox: list[Any]) -> Iterator[httpx.Client]:
    server = OutboxPage(lambda: outbox).start()
    try:
        with httpx.Client(base_url=server.url, timeout=5, trust_env=False) as http:
            yield http
    finally:
        server.stop()


def test_the_list_shows_the_newest_first_with_masked_recipients(page: httpx.Client) -> None:
    listing = page.get("/")
    assert listing.status_code == 200
    assert listing.headers["content-type"] == "text/html; charset=utf-8"
    body = listing.text
    assert body.index("Email 2") < body.index("Email 1")
    assert "j***@example.com" in body
    assert "jane.doe" not in body
    assert "2026-12-01 09:30:00 UTC" in body
    assert "status-approved" in body
    assert '<a href="/emails/1">Email 1</a>' in body
    assert '<a href="/emails/2.txt">text</a>' in body


def test_an_email_shows_its_html_part_in_a_sandboxed_frame(page: httpx.Client) -> None:
    shown = page.get("/emails/1")
    assert shown.status_code == 200
    assert '<iframe sandbox="allow-popups"' in shown.text
    # The HTML, escaped into the frame's srcdoc: the frame renders it, this page does not
    assert 'srcdoc="&lt;!DOCTYPE html&gt;&lt;html&gt;&lt;body&gt;&lt;p class=&quot;x&quot;' in (
        shown.text
    )
    assert "&amp;amp; co" in shown.text
    assert '<a href="/emails/1.txt">Text part</a>' in shown.text


def test_an_emails_text_part_is_plain_text(page: httpx.Client) -> None:
    text = page.get("/emails/2.txt")
    assert text.status_code == 200
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.text == "Hello Jane"


@pytest.mark.parametrize("path", ["/emails/0", "/emails/3", "/emails/3.txt", "/nope", "/emails/x"])
def test_anything_else_is_not_found(page: httpx.Client, path: str) -> None:
    assert page.get(path).status_code == 404


def test_an_email_sent_without_a_text_part_has_no_text_link(outbox: list[Any]) -> None:
    outbox.append(a_message(3, text=None))
    del outbox[-1].text
    shown = sent_email(outbox[-1])
    assert shown.html == HTML
    assert shown.text is None


def test_a_raw_mime_email_shows_its_parts() -> None:
    mime = MimeMessage()
    mime["Subject"] = "Votre code"
    mime.set_content("Votre code : 482916")
    mime.add_alternative("<p>482916</p>", subtype="html")
    shown = sent_email(
        RawMessage("id-raw", "returns@example.com", ["chloe@example.fr"], mime.as_string())
    )
    assert shown.subject == "Votre code"
    assert shown.recipients == "c***@example.fr"
    assert shown.html is not None
    assert shown.html.strip() == "<p>482916</p>"
    assert shown.text is not None
    assert shown.text.strip() == "Votre code : 482916"


def test_the_local_ses_keeps_the_text_part_the_time_and_the_kind(ses: Any) -> None:
    # Given moto's SES made to keep what the page shows
    keep_sent_details()
    # When the app sends an email with both parts
    SesEmailSender(get_settings().sender_email, ses).send(
        "jane@example.com",
        EmailMessage(subject="Hi", text="Plain", html="<p>Rich</p>", kind="sign-in-code"),
    )
    # Then both parts, the time and the kind are kept
    [message] = sent_emails()
    shown = sent_email(message)
    assert (shown.html, shown.text, shown.kind) == ("<p>Rich</p>", "Plain", "sign-in-code")
    assert shown.sent_at is not None


def test_the_stack_serves_the_page_and_lists_a_sign_in_code_it_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a started stack
    stack = start(port=0, environment=monkeypatch)
    try:
        with httpx.Client(timeout=5, trust_env=False) as http:

            def sign_in_row() -> str | None:
                rows = http.get(stack.outbox_url).text.split("<tr>")
                return next((row for row in rows if "sign-in-code" in row), None)

            # When the demo customer asks for a sign-in code
            asked = http.post(
                f"{stack.url}/portal/login",
                json={"email": stack.demo.customer_email, "order_number": DEMO_ORDER_NUMBER},
            )
            assert asked.status_code == 202
            # Then the outbox page lists it, its recipient masked
            row = eventually(sign_in_row, "the sign-in code email on the outbox page")
            assert stack.demo.customer_email not in row
            link = re.search(r'href="/emails/(\d+)"', row)
            assert link is not None
            # And shows its HTML part framed, and its text part with the code
            shown = http.get(f"{stack.outbox_url}emails/{link.group(1)}")
            assert "srcdoc=" in shown.text
            text = http.get(f"{stack.outbox_url}emails/{link.group(1)}.txt").text
            assert re.search(r"\b\d{6}\b", text)
    finally:
        stack.stop()
    # And the page stops with the stack
    with pytest.raises(httpx.ConnectError):
        httpx.get(stack.outbox_url, trust_env=False)
