"""Specification of the console's cancellation requests and claims: a list with a tab per status
(those waiting for an agent first), newest first, a page at a time; a request's page with
everything about it in words, and while it waits, a form to accept it (a claim settled as the
merchant chooses) and one to refuse it with the reason the customer is told, each the use case
every entry point shares, acting as the signed-in merchant."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.api.console_auth import CSRF_FIELD, SESSION_COOKIE
from chalicelib.domain.order_requests import RequestStatus
from chalicelib.domain.statuses import Channel, ExpectedResolution
from chalicelib.services import container
from tests.console_support import MERCHANT, csrf_of, post
from tests.order_request_support import (
    AGENT,
    JANE,
    ask_cancellation,
    report_damage,
    report_wrong_item,
    store_janes_orders,
)

LIST = "/console/requests"


@pytest.fixture
def orders(console: Any) -> None:
    store_janes_orders()


def show(api: Any, cookie: str, path: str) -> Any:
    return api.http.get(path, headers={"Cookie": cookie})


def decide(api: Any, cookie: str, reference: str, decision: str, **fields: str) -> Any:
    """Post the page's form of `decision` as the browser would."""
    form = {CSRF_FIELD: csrf_of(cookie), **fields}
    return post(api, f"{LIST}/{reference}/{decision}", form, Cookie=cookie)


def text(page: Any) -> str:
    """The page's words, as a person reads them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.body.decode())).replace(" .", ".")


def listed(page: Any) -> list[str]:
    """The references the list shows, in its order."""
    return re.findall(r'<th scope="row"><a href="/console/requests/([^"]+)">', page.body.decode())


def forms(page: Any, reference: str) -> set[str]:
    return set(re.findall(rf'action="/console/requests/{reference}/(\w+)"', page.body.decode()))


def field_error(page: Any, field_id: str) -> str:
    found = re.search(
        rf'<p id="{field_id}-error" class="field-error">([^<]*)</p>', page.body.decode()
    )
    assert found, f"no error next to {field_id}"
    return found.group(1)


def stored(reference: str) -> Any:
    return container.order_request_service().find(reference)


# --- the list ------------------------------------------------------------------------------------


def test_the_list_shows_the_requests_waiting_for_an_agent_newest_first(
    console: Any, cookie: str, orders: None
) -> None:
    # Given a cancellation request, then a damaged mug reported, then one decided already
    cancellation = ask_cancellation()
    claim = report_damage()
    decided = report_wrong_item()
    container.order_request_service().decide(decided.reference, approve=False, actor=AGENT)

    # When the merchant opens the list
    page = show(console, cookie, LIST)

    # Then it shows those waiting for an agent, newest first, each in words
    assert page.status_code == 200
    assert listed(page) == [claim.reference, cancellation.reference]
    words = text(page)
    for expected in (
        "Cancellation request",
        "Order issue",
        "Arrived damaged or defective",
        "#4930",
        "#4950",
        "Jane Doe",
        JANE,
        "Waiting for an agent",
    ):
        assert expected in words, expected
    # And the tab it shows is marked, the others one click away, the console's menu naming it
    html = page.body.decode()
    assert '<a href="/console/requests?status=OPEN" aria-current="page">' in html
    for status in ("APPROVED", "RESOLVED", "REJECTED"):
        assert f'<a href="/console/requests?status={status}">' in html
    assert '<a href="/console/requests">Cancellations and issues</a>' in html

    # When they open the refused ones
    refused = show(console, cookie, f"{LIST}?status=REJECTED")

    # Then only the refused one is there
    assert listed(refused) == [decided.reference]
    assert "Refused" in text(refused)


def test_the_list_goes_on_a_page_at_a_time(
    console: Any, cookie: str, orders: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two requests waiting, and a page of one
    from chalicelib.api import console_requests_page

    monkeypatch.setattr(console_requests_page, "PAGE_SIZE", 1)
    older, newer = ask_cancellation(), report_damage()

    # When the merchant opens the list, then its next page
    first = show(console, cookie, LIST)
    following = re.search(r'href="(/console/requests\?[^"]+)" rel="next"', first.body.decode())
    assert following
    second = show(console, cookie, following.group(1).replace("&amp;", "&"))

    # Then each page holds one, newest first, and the second leads back to the newest
    assert listed(first) == [newer.reference]
    assert listed(second) == [older.reference]
    assert '<a href="/console/requests?status=OPEN">← Newest</a>' in second.body.decode()


def test_a_list_the_page_cannot_read_says_so_in_words(console: Any, cookie: str) -> None:
    unknown = show(console, cookie, f"{LIST}?status=LOST")
    forged = show(console, cookie, f"{LIST}?status=OPEN&cursor=forged")

    assert unknown.status_code == 400
    assert "choose one of the tabs" in text(unknown)
    assert forged.status_code == 400
    assert "start again from the first page" in text(forged)


# --- a request's page ----------------------------------------------------------------------------


def test_a_claims_page_shows_it_in_words_with_its_photos_and_the_forms_to_decide(
    console: Any, cookie: str, orders: None
) -> None:
    # Given a damaged mug reported for store credit, with a photo
    claim = report_damage(ExpectedResolution.VOUCHER)

    # When the merchant opens its page
    page = show(console, cookie, f"{LIST}/{claim.reference}")

    # Then it says what, which order, whose, and the customer's words
    assert page.status_code == 200
    words = text(page)
    for expected in (
        f"Order issue {claim.reference}",
        "Arrived damaged or defective",
        "Customer asks for",
        "Ceramic mug",
        "MUG-001",
        "18.00 EUR",
        "The handle came off in the box.",
        "#4930",
        JANE,
        "Issue reported",
        "Waiting for an agent",
    ):
        assert expected in words, expected
    # And the photo is a short-lived link to the bucket, which the page's policy lets it show
    html = page.body.decode()
    photo = re.search(r'<img src="([^"]+)"', html)
    assert photo
    assert "Signature=" in photo.group(1)
    assert "returns-desk-returns-test" in page.headers["Content-Security-Policy"]
    # And it offers to accept, settled as the customer asked unless chosen otherwise, or refuse
    assert forms(page, claim.reference) == {"accept", "refuse"}
    assert '<option value="VOUCHER" selected>' in html
    assert 'name="amount"' in html


def test_a_cancellation_requests_page_offers_no_settlement(
    console: Any, cookie: str, orders: None
) -> None:
    cancellation = ask_cancellation()

    page = show(console, cookie, f"{LIST}/{cancellation.reference}")

    assert page.status_code == 200
    assert f"Cancellation request {cancellation.reference}" in text(page)
    assert "Ordered twice by mistake." in text(page)
    assert forms(page, cancellation.reference) == {"accept", "refuse"}
    assert 'name="resolution"' not in page.body.decode()
    assert 'name="amount"' not in page.body.decode()


def test_an_unknown_request_is_not_found_in_words(console: Any, cookie: str) -> None:
    for reference in ("X-999999", "C-000404", "R-001001", "nothing"):
        page = show(console, cookie, f"{LIST}/{reference}")
        assert page.status_code == 404, reference
        assert "No cancellation request or claim matches" in text(page)


# --- deciding ------------------------------------------------------------------------------------


def test_accepting_a_damaged_claim_as_store_credit_through_the_page(
    console: Any, cookie: str, orders: None
) -> None:
    # Given a damaged mug the customer asked to be refunded for
    claim = report_damage(ExpectedResolution.REFUND)

    # When the merchant accepts it as store credit, with a note
    answer = decide(
        console, cookie, claim.reference, "accept", resolution="VOUCHER", amount="", note="Sorry!"
    )

    # Then the browser goes back to the page, which says it is done and offers nothing more
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{LIST}/{claim.reference}?done=accept"
    after = show(console, cookie, answer.headers["Location"])
    assert "The request is accepted." in text(after)
    assert forms(after, claim.reference) == set()
    # And the claim is accepted, to be settled by store credit of what the mug cost
    request, log = stored(claim.reference)
    assert request.status is RequestStatus.APPROVED
    assert request.settlement is not None
    assert request.settlement.resolution is ExpectedResolution.VOUCHER
    assert request.settlement.amount == Decimal("18.00")
    # And the log names the merchant, from the console, with their note
    assert (log[-1].actor.channel, log[-1].actor.email) == (Channel.ADMIN, MERCHANT)
    assert log[-1].note is not None
    assert log[-1].note.startswith("Sorry!")
    assert f"{MERCHANT} via the console or admin API" in text(after)
    assert "Store credit" in text(after)


def test_an_amount_above_what_was_paid_is_refused_next_to_its_field(
    console: Any, cookie: str, orders: None
) -> None:
    claim = report_damage()

    answer = decide(console, cookie, claim.reference, "accept", resolution="REFUND", amount="80")

    assert answer.status_code == 400
    assert field_error(answer, "accept-amount").startswith("A refund of claim")
    assert 'value="80"' in answer.body.decode()
    assert stored(claim.reference)[0].status is RequestStatus.OPEN


def test_refusing_needs_the_reason_the_customer_is_told(
    console: Any, cookie: str, orders: None
) -> None:
    # Given a cancellation request
    cancellation = ask_cancellation()

    # When the merchant refuses it without a reason
    blank = decide(console, cookie, cancellation.reference, "refuse", reason="  ")

    # Then the page says so next to the field, and nothing changed
    assert blank.status_code == 400
    assert field_error(blank, "refuse-reason").startswith("A reason is required")
    assert stored(cancellation.reference)[0].status is RequestStatus.OPEN

    # When they give one
    answer = decide(
        console, cookie, cancellation.reference, "refuse", reason="It has left the warehouse."
    )

    # Then it is refused, the reason kept for the customer
    assert answer.status_code == 303
    request, _ = stored(cancellation.reference)
    assert request.status is RequestStatus.REJECTED
    assert request.decision_note == "It has left the warehouse."


def test_a_request_decided_meanwhile_is_not_decided_again(
    console: Any, cookie: str, orders: None
) -> None:
    # Given a claim the merchant's page showed open, and an agent who refused it meanwhile
    claim = report_damage()
    container.order_request_service().decide(
        claim.reference, approve=False, actor=AGENT, note="Not covered"
    )

    # When the merchant accepts it from their page
    answer = decide(console, cookie, claim.reference, "accept", resolution="REFUND")

    # Then they are told in words, on the page as it is now, and it stays refused
    assert answer.status_code == 409
    assert "is already rejected" in text(answer)
    assert forms(answer, claim.reference) == set()
    assert stored(claim.reference)[0].status is RequestStatus.REJECTED


def test_a_form_without_its_csrf_token_decides_nothing(
    console: Any, cookie: str, orders: None
) -> None:
    claim = report_damage()

    answer = post(
        console, f"{LIST}/{claim.reference}/accept", {"resolution": "REFUND"}, Cookie=cookie
    )

    assert answer.status_code == 403
    assert stored(claim.reference)[0].status is RequestStatus.OPEN


def test_a_shoppers_session_never_reaches_the_requests(console: Any, orders: None) -> None:
    # Given Jane's own portal session, sent as the console's
    claim = report_damage()
    token = container.session_tokens().issue(JANE).token
    cookie = f"{SESSION_COOKIE}={token}"

    # When she opens the list and the claim's page, and posts a decision
    pages = [show(console, cookie, path) for path in (LIST, f"{LIST}/{claim.reference}")]
    accepted = post(
        console,
        f"{LIST}/{claim.reference}/accept",
        {CSRF_FIELD: csrf_of(cookie), "resolution": "REFUND"},
        Cookie=cookie,
    )

    # Then she is sent to the console's sign-in, and her claim is not decided
    assert [page.status_code for page in pages] == [303, 303]
    assert all(page.headers["Location"].startswith("/console/login") for page in pages)
    assert accepted.status_code == 401
    assert stored(claim.reference)[0].status is RequestStatus.OPEN


def test_an_accepted_cancellation_shows_what_became_of_the_order(
    console: Any, cookie: str, orders: None, return_events: Any
) -> None:
    # Given a cancellation request accepted from the page, no shop connected
    cancellation = ask_cancellation()
    decide(console, cookie, cancellation.reference, "accept", note="Done")

    # When the decision is carried out
    assert return_events.deliver().failed_batches == 0

    # Then the page shows it resolved, left to the team to cancel in the shop
    page = show(console, cookie, f"{LIST}/{cancellation.reference}")
    assert stored(cancellation.reference)[0].status is RequestStatus.RESOLVED
    assert "Resolved" in text(page)
    assert "Left to the team to cancel in the shop" in text(page)
    assert "Carried out" in text(page)
