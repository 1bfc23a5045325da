"""Specification of the shoppers' return portal in a browser, on the stack of `make run`: a
shopper signs in with the code from their inbox, opens a return with a photo uploaded straight
to the returns bucket, follows it and cancels it; she sends from its page a return she left
waiting for its photo, and once it is received reads its refund, in English and in French;
another reads the portal in French, errors included, from a link to one of her returns; a
third uses it on a phone, in the language of her order. Every screen is free of WCAG A/AA
violations and is saved as a screenshot."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from local.demo_orders import DEMO_ORDER_NUMBER
from tests.browser.conftest import (
    assert_accessible,
    assert_no_horizontal_scroll,
    latest_sign_in_code,
    screenshot,
    sent_emails,
)
from tests.lifecycle_support import rma_when

CAMILLE = "camille.laurent@example.fr"
LUCIE = "lucie.moreau@example.fr"


def tiny_png(path: Path) -> Path:
    """A 2x2 red PNG, as a phone's camera would hand over a (much larger) photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )
    return path


def record_order(number: str, email: str, locale: str) -> None:
    """An order of `email`, delivered two days ago, as the shop would send it."""
    from chalicelib.domain.order import Order, OrderLine
    from chalicelib.services import container

    container.order_service().record(
        Order(
            number=number,
            customer_email=email,
            customer_name="Customer",
            locale=locale,
            ordered_at=date.today() - timedelta(days=4),
            delivered_at=date.today() - timedelta(days=2),
            currency="EUR",
            lines=[
                OrderLine(
                    sku="LINEN-SHIRT-S",
                    name="Linen shirt (S)",
                    quantity=1,
                    unit_price=Decimal("59.00"),
                )
            ],
            source="admin",
            source_updated_at=datetime.now(UTC),
        )
    )


def ask_for_code(page: Any, email: str, order_number: str, *, email_label: str) -> int:
    """Fill the sign-in form and ask for a code; the number of emails sent before."""
    page.get_by_label(email_label).fill(email)
    page.locator("#order-number").fill(order_number)
    sent = len(sent_emails())
    page.locator("#signin-form button[type=submit]").click()
    page.locator("#code").wait_for()
    return sent


def type_code(page: Any, code: str) -> None:
    page.locator("#code").fill(code)
    page.locator("#code-form button[type=submit]").click()


def view_title(page: Any) -> str:
    return str(page.locator("#view-title").inner_text())


def admin_post(stack: Any, path: str, payload: dict[str, Any]) -> None:
    """What the store's back office sends the admin API."""
    import requests

    headers = {"Authorization": f"Bearer {stack.admin_token}"}
    response = requests.post(f"{stack.url}{path}", json=payload, headers=headers, timeout=10)
    assert response.ok, response.text


def refund_breakdown(stack: Any, page: Any, reference: str) -> dict[str, str]:
    """The refund breakdown the portal API answers the signed-in shopper of `page`."""
    import requests

    token = page.evaluate("JSON.parse(sessionStorage.getItem('returns-desk.portal.session')).token")
    response = requests.get(
        f"{stack.url}/portal/returns/{reference}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.ok, response.text
    breakdown: dict[str, str] = response.json()["refund_breakdown"]
    return breakdown


def euros(amount: str, language: str) -> str:
    """An amount as the page writes it in `language` (spaces of any width as one space)."""
    figure = f"{Decimal(amount):,.2f}"
    if language == "fr":
        return figure.replace(",", " ").replace(".", ",") + " €"
    return f"€{figure}"


def breakdown_rows(page: Any) -> list[tuple[str, str]]:
    """The refund breakdown's rows as the page shows them: (what, amount)."""
    rows = page.locator("table.breakdown tr").evaluate_all(
        "rows => rows.map((row) => [row.cells[0].innerText, row.cells[1].innerText])"
    )
    return [(name, re.sub(r"\s", " ", amount)) for name, amount in rows]


def test_a_shopper_opens_a_return_with_a_photo_follows_it_and_cancels_it(
    stack: Any, page: Any, tmp_path: Path
) -> None:
    email = stack.demo.customer_email
    # Given the portal, opened from the shop
    page.goto(f"{stack.url}/portal/")
    assert view_title(page) == "Return an item"
    assert_accessible(page)
    screenshot(page, "portal-sign-in")
    # When the shopper asks for a code for her order and types the one from her inbox
    sent = ask_for_code(page, email, DEMO_ORDER_NUMBER, email_label="Email address")
    assert view_title(page) == "Check your inbox"
    assert page.evaluate("document.activeElement.id") == "view-title"
    type_code(page, latest_sign_in_code(email, after=sent))
    # Then she sees her orders: what can be returned, and why the scarf cannot, in words
    page.get_by_role("heading", name="Your orders", level=1).wait_for()
    main = page.locator("main")
    assert "2 can be returned" in main.inner_text()
    assert "Sold as final sale: it can't be returned." in main.inner_text()
    assert "FINAL_SALE" not in main.inner_text()
    assert_accessible(page)
    screenshot(page, "portal-orders")

    # When she starts a return of the mug, which arrived damaged
    order = page.locator("article", has_text=f"Order {DEMO_ORDER_NUMBER}")
    order.get_by_role("button", name="Return items from this order").click()
    page.get_by_role("checkbox", name="Return “Stoneware mug”").check()
    # Then she is told before sending that this reason needs a photo
    assert "A photo of the item is required when the reason is" in main.inner_text()
    page.locator("select[id$=-reason]:visible").select_option(label="Arrived damaged")
    photo_input = page.get_by_label("Photo of “Stoneware mug” (required)")
    # When she sends it without the photo, she is told what to fix, before anything is sent
    page.get_by_role("button", name="Send my return request").click()
    assert "Add a photo of “Stoneware mug”" in page.get_by_role("alert").inner_text()
    assert page.evaluate("document.activeElement.type") == "file"
    # And once she adds one, she sees it
    photo_input.set_input_files(str(tiny_png(tmp_path / "mug.png")))
    preview = page.get_by_role("img", name="Your photo of “Stoneware mug”")
    assert preview.get_attribute("src").startswith("blob:")
    page.get_by_label("Store credit").check()
    page.get_by_label("Anything to add? (optional)").fill("The handle came off in the box.")
    assert_accessible(page)
    screenshot(page, "portal-new-return")
    # When she sends it, the photo's upload progress is shown until it is in
    page.evaluate(
        """() => {
            window.uploadTexts = [];
            new MutationObserver(() => {
                for (const text of document.querySelectorAll("[id$=-upload-text]")) {
                    if (text.textContent) window.uploadTexts.push(text.textContent);
                }
            }).observe(document.getElementById("view"), {subtree: true, childList: true,
                characterData: true});
        }"""
    )
    page.get_by_role("button", name="Send my return request").click()
    # Then her return opens, sent and waiting for a decision
    page.get_by_role("heading", name=re.compile(r"^Return R-\d{6}$")).wait_for()
    reference = view_title(page).removeprefix("Return ")
    status = page.get_by_role("status")
    assert status.inner_text() == f"Your return request {reference} was sent."
    texts = page.evaluate("window.uploadTexts")
    assert texts[0] == "Uploading: 0%", texts
    assert texts[-1] == "Photo uploaded", texts
    assert "Awaiting approval" in main.inner_text()
    assert "Store credit" in main.inner_text()
    # And its history is told in words, never as the log's action names
    history = page.locator("ol.timeline").inner_text()
    assert "Photos received by you" in history
    assert "Request sent by you" in history
    assert not re.search(r"photos_uploaded|add_photo|\bsubmit\b", history)
    # And the photo is in the returns bucket
    from chalicelib.services import container

    rma = container.rma_service().find(reference)
    assert [len(line.photos) for line in rma.lines] == [1]
    assert_accessible(page)
    screenshot(page, "portal-return")

    # When she cancels it, confirming first
    page.get_by_role("button", name="Cancel this return").click()
    assert page.evaluate("document.activeElement.id") == "cancel-question"
    page.get_by_role("button", name="Yes, cancel it").click()
    # Then it is canceled, and says so
    page.get_by_role("status").filter(has_text="was canceled").wait_for()
    assert "This return was canceled." in main.inner_text()
    assert page.get_by_role("button", name="Cancel this return").count() == 0
    # And her returns list shows it among hers
    page.get_by_role("link", name="Your returns").click()
    page.get_by_role("heading", name="Your returns", level=1).wait_for()
    page.get_by_role("link", name=f"View return {reference}").wait_for()
    assert_accessible(page)
    screenshot(page, "portal-returns")
    # When she signs out, the portal forgets her session
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("status").inner_text() == "You are signed out."
    assert page.evaluate("Object.keys(sessionStorage)").count("returns-desk.portal.session") == 0


def test_a_return_left_waiting_for_its_photo_is_sent_from_its_page_and_its_refund_read(
    stack: Any, page: Any, tmp_path: Path
) -> None:
    from chalicelib.domain.intake import RequestedReturnLine
    from chalicelib.domain.statuses import ExpectedResolution, LifecycleStep, ReturnReason
    from chalicelib.services import container

    email = stack.demo.customer_email
    # Given a return of her damaged mug that the shopper left before its photo was uploaded
    left = container.portal_service().open_return(
        email,
        DEMO_ORDER_NUMBER,
        [RequestedReturnLine("MUG-STONE", 1, ReturnReason.DAMAGED_PRODUCT)],
        expected_resolution=ExpectedResolution.REFUND,
        comment=None,
    )
    reference = left.return_reference
    assert left.processing_status == "NEW"
    # When she opens it from a link and signs in
    page.goto(f"{stack.url}/portal/?return={reference}")
    sent = ask_for_code(page, email, DEMO_ORDER_NUMBER, email_label="Email address")
    type_code(page, latest_sign_in_code(email, after=sent))
    page.get_by_role("heading", name=f"Return {reference}").wait_for()
    main = page.locator("main")
    # Then she is told it waits for its photo, and adds it there, as in the form
    assert "Your request is not sent yet: it waits for its photos." in main.inner_text()
    page.get_by_role("button", name="Send my return request").click()
    assert "Add a photo of “Stoneware mug”" in page.get_by_role("alert").inner_text()
    assert page.evaluate("document.activeElement.type") == "file"
    photo_input = page.get_by_label("Photo of “Stoneware mug” (required)")
    photo_input.set_input_files(str(tiny_png(tmp_path / "mug.png")))
    page.get_by_role("img", name="Your photo of “Stoneware mug”").wait_for()
    assert_accessible(page)
    screenshot(page, "portal-finish-return")
    # When she sends it
    page.get_by_role("button", name="Send my return request").click()
    # Then the photo goes to the returns bucket and the request is sent
    sent_message = f"Your return request {reference} was sent."
    page.get_by_role("status").filter(has_text=sent_message).wait_for()
    assert "Awaiting approval" in main.inner_text()
    assert page.get_by_role("button", name="Send my return request").count() == 0
    # And her photo is shown, loaded from the bucket
    thumbnail = page.get_by_role("img", name="Your photo 1 of “Stoneware mug”")
    assert thumbnail.evaluate("image => image.decode().then(() => image.naturalWidth)") == 2
    assert_accessible(page)

    # When the store approves it once it waits for a decision, and the warehouse receives the
    # mug, worn, once it waits for its parcel (the lifecycle writes the return in between)
    rma_when(left.id, lambda rma: rma.waiting_for is LifecycleStep.AGENT_DECISION, "a decision")
    admin_post(stack, f"/rmas/{reference}/accept", {})
    rma_when(left.id, lambda rma: rma.waiting_for is LifecycleStep.ITEM_RECEIPT, "its parcel")
    received = {"lines": [{"sku": "MUG-STONE", "quantity": 1, "product_state": "WORE"}]}
    admin_post(stack, f"/rmas/{reference}/receive", received)
    page.reload()
    # Then her return's page adds up the refund row by row, as the API computes it
    page.get_by_role("heading", name="Refund breakdown").wait_for()
    breakdown = refund_breakdown(stack, page, reference)
    assert Decimal(breakdown["deductions"]) > 0

    def rows(language: str, names: list[str]) -> list[tuple[str, str]]:
        parts = ["lines_value", "deductions", "return_fee", "retained_for_shipping", "amount"]
        minus = "\u2212 "  # the page's minus sign
        signs = ["", minus, minus, minus, ""]
        return [
            (name, sign + euros(breakdown[part], language))
            for name, sign, part in zip(names, signs, parts, strict=True)
        ]

    assert breakdown_rows(page) == rows(
        "en",
        ["Items received", "Deductions for condition", "Return fee", "Return shipping", "Refund"],
    )
    # And in French
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("heading", name="Détail du remboursement").wait_for()
    assert breakdown_rows(page) == rows(
        "fr",
        [
            "Articles reçus",
            "Déductions selon l'état",
            "Frais de retour",
            "Frais d'expédition du retour",
            "Remboursement",
        ],
    )
    screenshot(page, "portal-refund")


def test_a_shopper_reads_the_portal_in_french_from_a_link_to_her_return(
    stack: Any, page: Any
) -> None:
    from chalicelib.services import container

    # Given an order of Camille's, and a completed return of hers that a status email links to
    record_order("#4920", CAMILLE, "fr")
    completed = next(
        rma
        for rma in container.rma_service().latest_for_customer(CAMILLE, 10)[0]
        if rma.processing_status == "COMPLETE"
    )
    page.goto(f"{stack.url}/portal/?return={completed.return_reference}")
    # When she chooses French before signing in
    page.get_by_label("Language").select_option("fr")
    # Then the page speaks French
    assert view_title(page) == "Retourner un article"
    assert page.evaluate("document.documentElement.lang") == "fr"
    sent = ask_for_code(page, CAMILLE, "#4920", email_label="Adresse e-mail")
    # And a wrong code is refused in French
    type_code(page, "000000")
    error = page.get_by_role("alert")
    error.filter(has_text="Ce code n'est pas valide").wait_for()
    assert_accessible(page)
    screenshot(page, "portal-fr-error")
    # When she types the one from her inbox
    type_code(page, latest_sign_in_code(CAMILLE, after=sent))
    # Then the return the link named opens, in French, its statuses and history in words
    page.get_by_role("heading", name=f"Retour {completed.return_reference}").wait_for()
    main = page.locator("main").inner_text()
    assert "Votre retour est terminé." in main
    assert "Historique" in main
    assert "Remboursement" in main
    assert "Retour terminé" in main
    assert_accessible(page)
    screenshot(page, "portal-fr-return")


@pytest.fixture
def phone_order() -> None:
    # Given a shopper whose shop knows her as French
    record_order("#4931", LUCIE, "fr-FR")


def test_a_shopper_uses_the_portal_on_a_phone_in_her_orders_language(
    stack: Any, phone: Any, phone_order: None
) -> None:
    # When she opens the portal on her phone (an English browser) and signs in
    phone.goto(f"{stack.url}/portal/")
    assert_no_horizontal_scroll(phone)
    screenshot(phone, "portal-phone-sign-in")
    sent = ask_for_code(phone, LUCIE, "#4931", email_label="Email address")
    type_code(phone, latest_sign_in_code(LUCIE, after=sent))
    # Then her orders are shown in her order's language, and fit the screen
    phone.get_by_role("heading", name="Vos commandes", level=1).wait_for()
    assert phone.evaluate("document.documentElement.lang") == "fr"
    assert_no_horizontal_scroll(phone)
    assert_accessible(phone)
    screenshot(phone, "portal-phone-orders")
    # And so does the form to return her shirt
    phone.get_by_role("button", name="Retourner des articles de cette commande").click()
    phone.get_by_role("checkbox", name="Retourner « Linen shirt (S) »").check()
    assert_no_horizontal_scroll(phone)
    assert_accessible(phone)
    screenshot(phone, "portal-phone-new-return")
