"""No full email address ever reaches a log line."""

from __future__ import annotations

import io
import json
import logging

from aws_lambda_powertools import Logger

from chalicelib.observability import EmailMaskingFormatter, mask_email


def test_emails_are_masked_in_text() -> None:
    assert mask_email("from Jane.Doe+x@Example.co.uk today") == "from J***@Example.co.uk today"


def test_log_lines_mask_emails_in_messages_and_keys() -> None:
    # Given a logger configured as the app's
    stream = io.StringIO()
    logger = Logger(
        service="returns-test",
        logger_formatter=EmailMaskingFormatter(),
        logger_handler=logging.StreamHandler(stream),
    )
    # When an email is logged in the message and in an extra key
    logger.info("widget for jane@example.com", extra={"customer": "bob@shop.example"})
    # Then neither appears in full
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["message"] == "widget for j***@example.com"
    assert line["customer"] == "b***@shop.example"
