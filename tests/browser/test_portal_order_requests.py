"""Browser specification of what a shopper may do with an order besides returning it, on the
stack of `make run`: Jane tracks her orders and reads their summary; she asks to cancel the one
waiting to ship, is told an agent will confirm, and reads it canceled once one accepted it; she
reports that her mugs arrived damaged, with a photo, asks for store credit, and once an agent
accepted it reads the credit's amount and code. Every screen is free of WCAG A/AA violations,
fits a phone's screen, and is saved as a screenshot."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from local.demo_orders import RECENTLY_DELIVERED_ORDER_NUMBER, UNFULFILLED_ORDER_NUMBER
from tests.browser.conftest import (
    assert_accessible,
    assert_no_horizontal_scroll,
    latest_sign_in_code,
    screenshot,
)
from tests.browser.test_portal_page import (
    admin_post,
    ask_for_code,
    euros,
    tiny_png,
    type_code,
    view_title,
)
from tests.lifecycle_support import eventually


def sign_in(stack: Any, page: Any, order_number: str) -> None:
    email = stack.demo.customer_email
    page.goto(f"{stack.url}/portal/")
    sent = ask_for_code(page, email, order_number, email_label="Email address")
    type_code(page, latest_sign_in_code(email, after=sent))
    page.get_by_role("heading", name="Your orders", level=1).wait_for()


def open_order(page: Any, number: str) -> None:
    order = page.locator("article", has_text=f"Order {number}")
    order.get_by_role("button", name="Track, cancel or report an issue").click()
    page.get_by_role("heading", name=f"Order {number}", level=1).wait_for()


def resolved(reference: str) -> Any:
    """The request once the stream carried out what the agent accepted."""
    from chalicelib.domain.order_requests import RequestStatus
    from chalicelib.services import container

    def probe() -> Any:
        request, _ = container.order_request_service().find(reference)
        return request if request.status is RequestStatus.RESOLVED else None

    return eventually(probe, f"{reference} resolved")


def open_request(page: Any, reference: str) -> None:
    page.get_by_role("link", name="Your requests", exact=True).click()
    page.get_by_role("heading", name="Your requests", level=1).wait_for()
    page.get_by_role("link", name=f"View request {reference}").click()
    page.get_by_role("heading", name=f"Request {reference}", level=1).wait_for()


def test_a_shopper_asks_to_cancel_an_order_not_shipped_and_reads_it_canceled(
    stack: Any, page: Any
) -> None:
    number = UNFULFILLED_ORDER_NUMBER
    # Given Jane signed in, when she opens her order that waits to ship
    sign_in(stack, page, number)
    screenshot(page, "portal-orders-options")
    open_order(page, number)
    assert page.evaluate("document.activeElement.id") == "view-title"
    # Then she reads where it is and what she paid, her card by its last four digits only
    main = page.locator("main")
    tracking = page.get_by_role("region", name="Where your order is").inner_text()
    assert "Order placed" in tracking
    summary = page.get_by_role("region", name="Order summary").inner_text()
    assert "Linen tote bag" in summary
    assert "Visa ending in 4242" in summary
    assert "Jane Doe" in summary
    assert_accessible(page)
    screenshot(page, "portal-order-unfulfilled")

    # When she asks to cancel it, saying why, and confirms
    page.get_by_label("Why are you canceling? (optional)").fill("I ordered the wrong colour.")
    page.get_by_role("button", name="Cancel order", exact=True).click()
    assert page.evaluate("document.activeElement.id") == "cancel-order-question"
    assert_accessible(page)
    page.get_by_role("button", name="Yes, ask to cancel it").click()
    # Then she is told an agent will confirm it
    sent = re.compile(r"^Request X-\d{6} sent: an agent will confirm the cancellation\.$")
    status = page.get_by_role("status").filter(has_text=sent)
    status.wait_for()
    named = re.search(r"X-\d{6}", status.inner_text())
    assert named is not None
    reference = named.group(0)
    # And the order cannot be asked to be canceled twice: it says why, and lists her request
    cancel = page.get_by_role("region", name="Cancel the order").inner_text()
    assert f"You already asked to cancel this order ({reference})" in cancel
    assert page.get_by_role("button", name="Cancel order", exact=True).count() == 0
    requests = page.get_by_role("region", name="Your requests for this order").inner_text()
    assert "Cancellation request" in requests
    assert "Waiting for an agent" in requests
    # And her requests list it, waiting for an agent
    page.get_by_role("link", name="Your requests", exact=True).click()
    page.get_by_role("heading", name="Your requests", level=1).wait_for()
    card = page.locator("article", has_text=reference)
    assert "Waiting for an agent" in card.inner_text()
    assert "An agent will confirm the cancellation." in card.inner_text()
    assert_accessible(page)
    screenshot(page, "portal-requests")

    # When an agent accepts it, and the shop cancels the order
    admin_post(stack, f"/requests/{reference}/approve", {})
    resolved(reference)
    # Then her request reads resolved: her order is canceled
    open_request(page, reference)
    assert "Resolved" in page.locator(".summary-head .badge").inner_text()
    assert "Your order is canceled." in main.inner_text()
    history = page.get_by_role("region", name="History").inner_text()
    assert "Cancellation requested by you" in history
    assert "Request accepted by the store" in history
    assert "Order canceled automatically" in history
    assert not re.search(r"request_cancellation|carry_out|\bapprove\b", history)
    assert_accessible(page)
    screenshot(page, "portal-cancellation-resolved")
    # And in French too
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("heading", name=f"Demande {reference}", level=1).wait_for()
    assert "Votre commande est annulée." in main.inner_text()
    assert "Résolue" in main.inner_text()
    # And the link of the email that told her opens it again
    page.goto(f"{stack.url}/portal/?request={reference}")
    page.get_by_role("heading", name=f"Demande {reference}", level=1).wait_for()


def test_a_shopper_reports_her_mugs_arrived_damaged_and_is_paid_in_store_credit(
    stack: Any, phone: Any, tmp_path: Path
) -> None:
    from chalicelib.services import container

    page = phone
    number = RECENTLY_DELIVERED_ORDER_NUMBER
    # Given store credit worth 10 % more than a refund
    policies = container.policy_service()
    policies.change({"store_credit_bonus_percent": "10"}, policies.current_with_version()[1])
    # When Jane, on her phone, opens her order of mugs delivered three days ago
    sign_in(stack, page, number)
    open_order(page, number)
    # Then she sees each parcel's way, its tracking number a link to the carrier's page
    tracking = page.get_by_role("region", name="Where your order is")
    assert "Delivered" in tracking.inner_text()
    link = tracking.get_by_role("link").first
    assert link.get_attribute("href").startswith("http")
    # And why it can no longer be canceled
    cancel = page.get_by_role("region", name="Cancel the order").inner_text()
    assert "already shipped" in cancel
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    screenshot(page, "portal-phone-order-delivered")

    # When she reports an issue: arrived damaged, both mugs
    page.get_by_role("button", name="Report an issue").click()
    page.get_by_role("heading", name=f"Report an issue with order {number}").wait_for()
    page.get_by_role("radio", name="Arrived damaged or defective").check()
    rule = page.locator("#claim-photo-rule")
    assert "A photo of the problem is required" in rule.inner_text()
    page.get_by_role("checkbox", name="“Ceramic mug” is concerned").check()
    page.get_by_label("How many?").select_option("2")
    # And sends it without a photo: she is told to add one, before anything is sent
    page.get_by_role("button", name="Report the issue").click()
    alert = page.get_by_role("alert").inner_text()
    assert "Add a photo of “Ceramic mug”: this issue needs one." in alert
    assert page.evaluate("document.activeElement.type") == "file"
    # When she adds it, and asks for store credit, told how much more it is worth
    photo = page.get_by_label("Photo of “Ceramic mug” (required)")
    photo.set_input_files(str(tiny_png(tmp_path / "mug.png")))
    page.get_by_role("img", name="Your photo of “Ceramic mug”").wait_for()
    page.get_by_role("radio", name="Store credit").check()
    assert "10 % more than a refund" in page.locator("fieldset.resolutions").inner_text()
    page.get_by_label("Tell us what happened (optional)").fill("Both handles broke in transit.")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    screenshot(page, "portal-phone-report-issue")
    page.get_by_role("button", name="Report the issue").click()
    # Then her report opens, sent, waiting for an agent
    page.get_by_role("heading", name=re.compile(r"^Request C-\d{6}$"), level=1).wait_for()
    reference = view_title(page).removeprefix("Request ")
    expected = f"Your report {reference} was sent: an agent will review it."
    page.get_by_role("status").filter(has_text=expected).wait_for()
    main = page.locator("main")
    assert "Waiting for an agent" in main.inner_text()
    assert "Arrived damaged or defective" in main.inner_text()
    # And the photo is in the returns bucket, named in her claim
    claim, _ = container.order_request_service().find(reference)
    assert [(line.sku, line.quantity, len(line.photos)) for line in claim.lines] == [
        ("MUG-001", 2, 1)
    ]

    # When an agent accepts it and the store credit is made in the shop
    admin_post(stack, f"/requests/{reference}/approve", {})
    settled = resolved(reference).settlement
    assert settled.amount == Decimal("39.60")
    # Then her report reads resolved, with the credit's amount and its code to use
    open_request(page, reference)
    assert "Resolved" in page.locator(".summary-head .badge").inner_text()
    settlement = page.get_by_role("region", name="Settlement").inner_text()
    assert f"Store credit: {euros('39.60', 'en')}" in settlement
    assert settled.voucher_code
    assert f"Gift card code, to use at checkout: {settled.voucher_code}" in settlement
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    screenshot(page, "portal-phone-claim-resolved")
