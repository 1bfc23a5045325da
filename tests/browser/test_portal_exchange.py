"""Browser specification of an exchange on the portal page, against the stack of `make run` and
its stand-in for Shopify: the shopper chooses "Replacement", picks another size among those the
policy allows, and her return names the size sent and reads "Replacement"."""

from __future__ import annotations

import re
from typing import Any

from local.demo_orders import DEMO_ORDER_NUMBER
from tests.browser.conftest import assert_accessible, latest_sign_in_code, screenshot
from tests.browser.test_portal_page import ask_for_code, type_code, view_title


def test_a_shopper_exchanges_her_t_shirt_for_another_size(stack: Any, page: Any) -> None:
    email = stack.demo.customer_email
    # Given the shopper signed in for her order
    page.goto(f"{stack.url}/portal/")
    sent = ask_for_code(page, email, DEMO_ORDER_NUMBER, email_label="Email address")
    type_code(page, latest_sign_in_code(email, after=sent))
    page.get_by_role("heading", name="Your orders", level=1).wait_for()
    # When she starts a return of her T-shirt and asks for an exchange
    order = page.locator("article", has_text=f"Order {DEMO_ORDER_NUMBER}")
    order.get_by_role("button", name="Return items from this order").click()
    page.get_by_role("checkbox", name="Return “Organic T-shirt (M)”").check()
    page.locator("select[id$=-reason]:visible").select_option(label="Size doesn't fit")
    page.get_by_role("radio", name="Replacement").check()
    # Then she may have the same item again, or another size at the same price (not the dearer XL)
    # (one list per item of the order; only the T-shirt's, being returned, shows)
    send_instead = page.get_by_label("Send me instead").filter(visible=True)
    page.locator("select[id$=-exchange] option", has_text="Organic T-shirt / L").wait_for(
        state="attached"
    )
    offered = send_instead.locator("option").all_inner_texts()
    assert offered == ["The same item", "Organic T-shirt / S", "Organic T-shirt / L"]
    send_instead.select_option(label="Organic T-shirt / L")
    assert_accessible(page)
    screenshot(page, "portal-exchange-choice")
    # When she sends it
    page.get_by_role("button", name="Send my return request").click()
    # Then her return names the size she will receive, and reads as a replacement, not a refund
    page.get_by_role("heading", name=re.compile(r"^Return R-\d{6}$")).wait_for()
    main = page.locator("main").inner_text()
    assert "Exchanged for Organic T-shirt / L" in main
    assert "Replacement" in main
    assert "Refund pending" not in main
    screenshot(page, "portal-exchange-sent")
    assert view_title(page).startswith("Return R-")
