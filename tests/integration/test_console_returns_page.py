"""Specification of the console's list of returns (`/console/returns`): newest first, each with
its four statuses in words and a link to its page; filtered on a status of any dimension or
searched, a page at a time both ways; an empty list said in words; only for a signed-in
merchant."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from chalicelib.domain.rma import Rma
from tests.integration.test_admin_routes import open_return, walk
from tests.support import rma_payload

LIST = "/console/returns"


def show(api: Any, cookie: str, query: str = "") -> Any:
    return api.http.get(LIST + query, headers={"Cookie": cookie})


def references(page: Any) -> list[str]:
    """The references the table lists, in its order, each linked to its return's page."""
    return re.findall(r'<a href="/console/returns/(R-\d{6})">\1</a>', page.body.decode())


def text(page: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.body.decode()))


def link(page: Any, words: str) -> str | None:
    """The query string of the pager's link named `words`, if the page has it."""
    found = re.search(rf'href="{LIST}(\?[^"]*)" rel="\w+">{words}', page.body.decode())
    return html.unescape(found.group(1)) if found else None


def test_the_list_shows_every_return_newest_first_with_its_statuses_in_words(
    console: Any, cookie: str
) -> None:
    # Given three returns, one of them waiting for a decision, one rejected
    first = open_return(console)["return_reference"]
    waiting = walk(console, open_return(console)["return_reference"], "submit")
    rejected = walk(console, open_return(console)["return_reference"], "submit", "reject")
    # When the merchant opens the list
    page = show(console, cookie)
    # Then the returns come newest first, each linked to its page
    assert page.status_code == 200
    assert references(page) == [
        rejected["return_reference"],
        waiting["return_reference"],
        first,
    ]
    # And each row says its customer, order, value and four statuses in words
    words = text(page)
    for expected in (
        "Jane Doe",
        "jane.doe@example.com",
        "#1001",
        "25.00 EUR",
        "Processing Awaiting approval",
        "Processing Rejected",
        "Delivery Not shipped yet",
        "Refund pending",
        "Inspection Waiting for items",
    ):
        assert expected in words, expected


def test_a_status_of_any_dimension_narrows_the_list(console: Any, cookie: str) -> None:
    # Given a rejected return (its parcel will never come: delivery canceled) and a draft
    rejected = walk(console, open_return(console)["return_reference"], "submit", "reject")
    open_return(console)
    # When the list is filtered on the delivery status "canceled"
    page = show(console, cookie, "?status=delivery%3ACANCELED")
    # Then only the rejected return is listed, and the filter shows as chosen
    assert references(page) == [rejected["return_reference"]]
    assert 'value="delivery:CANCELED" selected' in page.body.decode()


@pytest.mark.parametrize("typed", ["{reference}", "JANE.DOE@example.com", "%23777"])
def test_the_search_finds_a_return_by_reference_email_or_order(
    console: Any, cookie: str, typed: str
) -> None:
    # Given a return of order #777 and one of another customer and order
    wanted = open_return(console, rma_payload(order={"number": "#777"}))["return_reference"]
    open_return(console, rma_payload("other@example.com", order={"number": "#888"}))
    # When the merchant searches for its reference, its customer's email or its order
    page = show(console, cookie, "?q=" + typed.format(reference=wanted))
    # Then that return alone is listed, and the search box keeps what was typed
    assert references(page) == [wanted]
    assert 'id="q" name="q" type="search" value="' in page.body.decode()


def test_older_and_newer_pages_walk_the_whole_list(
    console: Any, cookie: str, open_rma: Callable[..., Rma]
) -> None:
    # Given more returns than a page shows
    opened = [open_rma(submitted=False).return_reference for _ in range(27)]
    newest_first = list(reversed(opened))
    # When the merchant goes to the older page, then back
    first = show(console, cookie)
    older_query = link(first, "Older")
    assert older_query is not None
    assert link(first, "← Newer") is None
    older = show(console, cookie, older_query)
    newer_query = link(older, "← Newer")
    assert newer_query is not None
    back = show(console, cookie, newer_query)
    # Then the pages hold every return once, newest first, and "Newer" leads back to the first
    assert references(first) + references(older) == newest_first
    assert link(older, "Older") is None
    assert references(back) == references(first)


def test_an_empty_list_says_so(console: Any, cookie: str) -> None:
    assert "No returns yet." in text(show(console, cookie))
    assert "No return matches this filter." in text(show(console, cookie, "?q=nobody@x.example"))


@pytest.mark.parametrize(
    "query", ["?status=delivery%3AREQUESTED", "?status=colour%3ARED", "?q=" + "x" * 201]
)
def test_a_filter_that_cannot_be_used_is_said_in_words(
    console: Any, cookie: str, query: str
) -> None:
    page = show(console, cookie, query)
    assert page.status_code == 400
    assert "This filter cannot be used" in text(page)


def test_a_cursor_that_is_not_the_lists_is_refused(console: Any, cookie: str) -> None:
    page = show(console, cookie, "?cursor=forged.cursor")
    assert page.status_code == 400
    assert "The cursor is not one this listing returned." in text(page)


def test_the_list_is_for_signed_in_merchants_only(console: Any) -> None:
    answer = console.http.get(LIST)
    assert answer.status_code == 303
    assert urlsplit(answer.headers["Location"]).path == "/console/login"
