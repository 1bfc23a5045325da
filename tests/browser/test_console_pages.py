"""Specification of the merchant console in a browser, on the stack of `make run`: a merchant
signs in with the code from their inbox, finds a return waiting for a decision in the list and
approves it, records its parcel, approves the refund the lifecycle computed, edits the policy,
and reads the inspection uploads and the analytics; every page is free of WCAG A/AA violations
and is saved as a screenshot."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import DEMO_CONSOLE_USER
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    latest_sign_in_code,
    screenshot,
    sent_emails,
)

# The lifecycle runs on the local stack's pumps: each step lands within seconds.
STEP_SECONDS = 20


def sign_in(page: Any, stack: Any) -> None:
    """Sign in as the demo merchant with the code from their inbox."""
    page.goto(f"{stack.url}/console/login")
    page.get_by_label("Email address").fill(DEMO_CONSOLE_USER)
    sent = len(sent_emails())
    page.get_by_role("button", name="Email me a code").click()
    page.get_by_label("Code").fill(latest_sign_in_code(DEMO_CONSOLE_USER, after=sent))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.url}/console/**")


@pytest.fixture(scope="module")
def merchant(browser: Any, stack: Any) -> Iterator[Any]:
    """A page of the demo merchant, signed in once for the file's tests, on a desktop screen."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    sign_in(opened, stack)
    yield opened
    context.close()


def reload_until(page: Any, pattern: str, what: str) -> None:
    """Reload the page until it shows `pattern` (the lifecycle moved on)."""
    deadline = time.monotonic() + STEP_SECONDS
    while not re.search(pattern, page.locator("main").inner_text()):
        assert time.monotonic() < deadline, f"Timed out waiting for {what}"
        time.sleep(0.3)
        page.reload()


def test_a_merchant_handles_a_return_from_request_to_refund(stack: Any, merchant: Any) -> None:
    # Given a signed-in merchant, and a return of the demo customer waiting for a decision
    page = merchant
    rma = stack.demo.awaiting_decision[0]
    return_page = f"{stack.url}/console/returns/{rma.return_reference}"
    # When the merchant lists the returns awaiting approval, and opens it
    page.goto(f"{stack.url}/console/returns")
    page.get_by_label("Status").select_option(label="Processing: Awaiting approval")
    page.get_by_role("button", name="Show returns").click()
    assert_accessible(page)
    screenshot(page, "console-returns-awaiting-approval")
    page.get_by_role("link", name=rma.return_reference, exact=True).click()
    page.wait_for_url(return_page)
    # Then they see it waiting for a decision, with what they may do
    main = page.locator("main")
    assert "Awaiting approval" in main.inner_text()
    assert_accessible(page)
    screenshot(page, "console-return-requested")
    # And on a phone's screen, nothing is wider than the screen
    page.set_viewport_size(PHONE)
    assert_no_horizontal_scroll(page)
    screenshot(page, "console-return-phone")
    page.set_viewport_size(DESKTOP)
    # When they approve it
    page.get_by_label("Note (optional)").first.fill("Within the window, photos fine")
    page.get_by_role("button", name="Approve the return").click()
    # Then the page says so, and the lifecycle issues the label and waits for the parcel
    assert page.get_by_role("status").inner_text() == "The return is approved."
    reload_until(page, r"Waiting for\s+The customer's parcel", "the wait for the parcel")
    assert "Label issued" in main.inner_text()
    # When the parcel arrives and they record each line as new
    for units in page.locator("input[name^='received-']").all():
        units.fill(units.get_attribute("max"))
    page.get_by_role("button", name="Record receipt").click()
    assert page.get_by_role("status").inner_text() == "The items received are recorded."
    # Then the lifecycle computes the refund, which waits for them
    reload_until(page, "Approve the refund", "the refund to approve")
    assert_accessible(page)
    screenshot(page, "console-return-refund")
    # When they approve it as computed
    page.get_by_role("button", name="Approve the refund").click()
    # Then it is paid and the return completes
    assert page.get_by_role("status").inner_text() == "The refund is approved."
    reload_until(page, r"Processing\s+Completed", "the return to complete")
    assert "Refunded" in main.inner_text()
    screenshot(page, "console-return-complete")


def test_a_merchant_edits_the_policy_and_reads_the_reports(stack: Any, merchant: Any) -> None:
    # Given a signed-in merchant on the policy editor
    page = merchant
    page.goto(f"{stack.url}/console/policy")
    # When they type a window that cannot be
    page.get_by_label("Return window (days)").fill("-1")
    page.get_by_role("button", name="Save the policy").click()
    # Then the problem is said next to the field
    window = page.get_by_label("Return window (days)")
    assert window.get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    screenshot(page, "console-policy-error")
    # When they make it 45 days
    window.fill("45")
    page.get_by_role("button", name="Save the policy").click()
    # Then it is saved
    assert "The policy is saved" in page.get_by_role("status").inner_text()
    assert page.get_by_label("Return window (days)").input_value() == "45"
    screenshot(page, "console-policy")
    # When they open the warehouse's inspection uploads
    page.get_by_role("link", name="Inspections").click()
    # Then the files processed are listed, accessibly
    assert page.get_by_role("heading", name="Inspection uploads").is_visible()
    assert_accessible(page)
    screenshot(page, "console-inspections")
    # When they open the analytics
    page.get_by_role("link", name="Analytics").click()
    # Then it shows the period's figures, accessibly
    assert page.get_by_role("heading", name="Analytics").is_visible()
    assert_accessible(page)
    screenshot(page, "console-analytics")
