"""No full email address ever reaches a log line."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.observability import SERVICE_NAME, logger, mask_email


def test_emails_are_masked_in_text() -> None:
    assert mask_email("from Jane.Doe+x@Example.co.uk today") == "from J***@Example.co.uk today"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("john@exämple.com", "j***@exämple.com"),
        ("jöhn.doe@example.com", "j***@example.com"),
        ("Zoë@example.com", "Z***@example.com"),
        ("ñandú@correo.es", "ñ***@correo.es"),
        ("to 用户@例子.广告, thanks", "to 用***@例子.广告, thanks"),
        ("josé@bücher.xn--p1ai", "j***@bücher.xn--p1ai"),
    ],
    ids=["accented-domain", "accented-local-part", "accent-last", "accent-first", "cjk", "idn-tld"],
)
def test_internationalised_emails_are_masked_from_their_first_character(
    text: str, masked: str
) -> None:
    # Given / When text holding an address with letters beyond ASCII is masked
    # Then only the first character of the local part is left, the domain kept
    assert mask_email(text) == masked


@pytest.mark.parametrize(
    "text",
    ["no address here", "a @ b.com", "user@localhost", "price: 12@3.50", "@example.com"],
)
def test_text_without_an_email_is_left_alone(text: str) -> None:
    assert mask_email(text) == text


def test_a_long_line_without_an_address_is_masked_in_linear_time() -> None:
    # Given a long log line of address characters but no @ (a large payload, say), which a
    # pattern rescanning from every character would take seconds over
    text = "a." * 50_000
    # When it is masked
    started = time.perf_counter()
    masked = mask_email(text)
    # Then it is unchanged, at once
    assert masked == text
    assert time.perf_counter() - started < 1.0


@pytest.fixture
def app_log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The JSON lines the app's logger writes while the test runs, formatted by the app's own
    formatter. A handler of the test's own, added and removed around it: Powertools configures a
    service's logger only once per process, so a second `Logger(service=...)` of the same name
    would keep the first one's handler (and a test that relied on its own would pass only once)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    underlying = logging.getLogger(SERVICE_NAME)
    underlying.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        underlying.removeHandler(handler)


def test_log_lines_mask_emails_in_messages_and_keys(
    app_log_lines: Callable[[], list[dict[str, Any]]],
) -> None:
    # Given the app's logger
    # When emails, one of them internationalised, are logged in the message and in extra keys
    logger.info(
        "widget for jane@example.com",
        extra={"customer": "bob@shop.example", "contact": "john@exämple.com"},
    )
    # Then none appears in full
    [line] = app_log_lines()
    assert line["message"] == "widget for j***@example.com"
    assert line["customer"] == "b***@shop.example"
    assert line["contact"] == "j***@exämple.com"
