"""Specification of the returns list of the merchant console: filtered by a status of any of the
four dimensions, searched by reference, email or order number, newest first, a page at a time,
and every page served by key lookups and Queries, never a Scan.

On moto's DynamoDB; returns are opened and moved by the real services, and time-machine spreads
their creation over several months (one of them without any return).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from bench.counting import DynamoDBCallCounter
from chalicelib.domain.handling import ReceivedLine
from chalicelib.domain.returns_listing import StatusDimension, StatusFilter, status_of
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import Channel, ProductState
from chalicelib.domain.transitions import Action
from chalicelib.errors import InvalidRequestError
from chalicelib.repositories.aws import client
from chalicelib.services import container
from chalicelib.services.console_returns import ConsoleReturns, ReturnsFilter

ADMIN = Actor(channel=Channel.ADMIN)
NOW = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
# September has no return: the list walks through an empty month.
OPENED_ON = [
    datetime(2026, 8, 3, tzinfo=UTC),
    datetime(2026, 8, 20, tzinfo=UTC),
    datetime(2026, 10, 1, tzinfo=UTC),
    datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
    datetime(2026, 11, 1, tzinfo=UTC),
    datetime(2026, 11, 15, tzinfo=UTC),
    datetime(2026, 12, 1, tzinfo=UTC),
    datetime(2026, 12, 14, tzinfo=UTC),
]
# What becomes of each, in turn.
FATES: tuple[tuple[str, ...], ...] = (
    ("submit",),
    ("submit", "accept"),
    ("submit", "reject"),
    (),
    ("submit", "accept", "receive"),
    ("cancel",),
    ("submit",),
    ("submit", "accept"),
)
CUSTOMERS = ("ana@example.com", "ben@example.com")
ORDERS = ("#5001", "#5002", "#5003")


@dataclass(frozen=True)
class Shop:
    """The returns opened, oldest first, as they now are."""

    returns: list[Rma]

    @property
    def newest_first(self) -> list[str]:
        return [rma.id for rma in reversed(self.returns)]

    def where(self, keep: Callable[[Rma], bool]) -> list[str]:
        return [rma.id for rma in reversed(self.returns) if keep(rma)]


@pytest.fixture
def console(repository: Any) -> ConsoleReturns:
    """The list as the console reads it, in the middle of December."""
    return ConsoleReturns(repository, clock=lambda: NOW)


@pytest.fixture
def shop(open_rma: Callable[..., Rma], rma_service: Any) -> Shop:
    opened = []
    for n, (moment, fate) in enumerate(zip(OPENED_ON, FATES, strict=True)):
        with time_machine.travel(moment, tick=False):
            order = {"number": ORDERS[n % len(ORDERS)], "ordered_at": "2026-07-01"}
            rma = open_rma(CUSTOMERS[n % len(CUSTOMERS)], submitted=False, order=order)
            for step in fate:
                rma = move(rma_service, rma, step)
        opened.append(rma)
    return Shop(opened)


def move(rma_service: Any, rma: Rma, step: str) -> Rma:
    if step == "receive":
        received = [ReceivedLine(line.sku, line.quantity, ProductState.WORE) for line in rma.lines]
        return container.handling_service().receive(rma.id, received, actor=ADMIN)
    note = "Outside the return window." if step == "reject" else None
    return rma_service.act(rma.id, Action(step), actor=ADMIN, note=note)


def walk(console: ConsoleReturns, limit: int = 2, **asked: Any) -> list[list[str]]:
    """Every page of a listing, following its cursor until there is none."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        assert len(pages) <= 20, "the cursor must come to an end"
        page = console.list(ReturnsFilter(limit=limit, cursor=cursor, **asked))
        pages.append([rma.id for rma in page.items])
        cursor = page.cursor
        if cursor is None:
            return pages


def every_status() -> list[tuple[StatusDimension, str]]:
    """Each status the returns above are in, in each dimension."""
    return [
        (StatusDimension.PROCESSING, "NEW"),
        (StatusDimension.PROCESSING, "REQUESTED"),
        (StatusDimension.PROCESSING, "ACCEPTED"),
        (StatusDimension.PROCESSING, "PROCESSING"),
        (StatusDimension.PROCESSING, "REJECTED"),
        (StatusDimension.PROCESSING, "CANCELED"),
        (StatusDimension.DELIVERY, "PENDING"),
        (StatusDimension.DELIVERY, "DELIVERED"),
        (StatusDimension.DELIVERY, "CANCELED"),
        (StatusDimension.FINANCIAL, "PENDING"),
        (StatusDimension.FINANCIAL, "NONE"),
        (StatusDimension.FINANCIAL, "CANCELED"),
        (StatusDimension.FULFILLMENT, "PENDING"),
        (StatusDimension.FULFILLMENT, "COMPLETE"),
        (StatusDimension.FULFILLMENT, "CANCELED"),
    ]


# --- every return ------------------------------------------------------------------------------


def test_without_a_filter_every_return_comes_once_newest_first_across_months(
    shop: Shop, console: ConsoleReturns
) -> None:
    # Given returns opened over five months, one of them without any
    # When the list is read two at a time, following the cursor
    pages = walk(console, limit=2)
    # Then each return comes exactly once, newest first, and every page but the last is full
    assert [rma for page in pages for rma in page] == shop.newest_first
    assert all(len(page) == 2 for page in pages[:-1])


def test_a_page_fills_up_from_older_months_when_this_one_has_few(
    shop: Shop, console: ConsoleReturns
) -> None:
    # Given two returns this month
    # When a page of five is asked for
    page = console.list(ReturnsFilter(limit=5))
    # Then it holds this month's two and the three before them, and a cursor for the rest
    assert [rma.id for rma in page.items] == shop.newest_first[:5]
    assert page.cursor is not None


def test_an_empty_shop_lists_nothing(console: ConsoleReturns) -> None:
    page = console.list(ReturnsFilter())
    assert (page.items, page.cursor) == ([], None)


# --- status filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(("dimension", "status"), every_status())
def test_a_status_filter_lists_exactly_the_returns_in_it_newest_first(
    shop: Shop, console: ConsoleReturns, dimension: StatusDimension, status: str
) -> None:
    # Given returns in many states
    # When the list is filtered on one status of one dimension, a page of two at a time
    pages = walk(console, limit=2, dimension=dimension, status=status)
    # Then exactly the returns in that status come, newest first
    expected = shop.where(lambda rma: status_of(rma, dimension) == status)
    assert expected, "the data set has a return in each status tried"
    assert [rma for page in pages for rma in page] == expected


def test_a_status_change_moves_a_return_from_one_list_to_the_other(
    shop: Shop, console: ConsoleReturns, rma_service: Any
) -> None:
    # Given a return waiting for a decision
    waiting = shop.returns[6]
    requested = ReturnsFilter(dimension=StatusDimension.PROCESSING, status="REQUESTED")
    accepted = ReturnsFilter(dimension=StatusDimension.PROCESSING, status="ACCEPTED")
    assert waiting.id in [rma.id for rma in console.list(requested).items]
    # When it is accepted
    rma_service.act(waiting.id, Action.ACCEPT, actor=ADMIN)
    # Then it has left the REQUESTED list and is first of the ACCEPTED one (newest there)
    assert waiting.id not in [rma.id for rma in console.list(requested).items]
    assert [rma.id for rma in console.list(accepted).items][:2] == [
        shop.returns[7].id,
        waiting.id,
    ]


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["{reference}", "{number}", "#{number}", " r{number} "])
def test_a_reference_is_found_by_any_typed_form(
    shop: Shop, console: ConsoleReturns, typed: str
) -> None:
    # Given a return, typed as people type its reference
    wanted = shop.returns[3]
    query = typed.format(reference=wanted.return_reference, number=wanted.return_number)
    # When it is searched for
    page = console.list(ReturnsFilter(query=query))
    # Then it comes first (a bare number may also be an order number: none here)
    assert [rma.id for rma in page.items] == [wanted.id]
    assert page.cursor is None


def test_an_email_finds_its_customers_returns_open_ones_first(
    shop: Shop, console: ConsoleReturns
) -> None:
    # Given Ana's returns, some of them closed (rejected)
    # When her email is searched for, in another case
    page = console.list(ReturnsFilter(query="ANA@Example.com"))
    # Then her returns come, open ones first, each group newest first
    ana = [rma for rma in reversed(shop.returns) if rma.customer.email == CUSTOMERS[0]]
    closed = {"REJECTED", "CANCELED", "COMPLETE", "DELETED"}
    expected = [r.id for r in ana if r.processing_status not in closed] + [
        r.id for r in ana if r.processing_status in closed
    ]
    assert [rma.id for rma in page.items] == expected


@pytest.mark.parametrize("typed", ["#5002", "5002", " # 5002 "])
def test_an_order_number_finds_the_orders_returns_newest_first(
    shop: Shop, console: ConsoleReturns, typed: str
) -> None:
    # When an order number is searched for, with or without its #
    pages = walk(console, limit=2, query=typed)
    # Then the returns of that order come, newest first
    expected = shop.where(lambda rma: rma.order.number == "#5002")
    assert [rma for page in pages for rma in page] == expected


def test_a_number_that_is_a_return_and_an_order_finds_both(
    open_rma: Callable[..., Rma], console: ConsoleReturns
) -> None:
    # Given return R-001001, and two returns of order #1001 (shops number orders like returns)
    first = open_rma("ana@example.com", order={"number": "#9000"})
    of_order = [open_rma("ben@example.com", order={"number": "#1001"}) for _ in range(2)]
    # When 1001 is searched for
    page = console.list(ReturnsFilter(query="1001"))
    # Then the return comes first, then the order's, newest first
    assert [rma.id for rma in page.items] == [first.id, of_order[1].id, of_order[0].id]


def test_a_search_with_a_status_keeps_the_results_in_that_status(
    shop: Shop, console: ConsoleReturns
) -> None:
    # When Ana's returns that are CANCELED in the delivery dimension are asked for
    delivery_canceled = StatusFilter(StatusDimension.DELIVERY, "CANCELED")
    page = console.list(
        ReturnsFilter(query=CUSTOMERS[0], dimension=StatusDimension.DELIVERY, status="CANCELED")
    )
    # Then only those come
    expected = shop.where(
        lambda rma: rma.customer.email == CUSTOMERS[0] and delivery_canceled.matches(rma)
    )
    assert expected
    assert [rma.id for rma in page.items] == expected
    # And a reference outside the status finds nothing
    accepted = shop.returns[1]
    outside = ReturnsFilter(
        query=accepted.return_reference, dimension=StatusDimension.PROCESSING, status="NEW"
    )
    assert console.list(outside).items == []


def test_a_search_that_finds_nothing_answers_an_empty_page(
    shop: Shop, console: ConsoleReturns
) -> None:
    for query in ("nobody@example.com", "R-009999", "#424242", "no such thing"):
        page = console.list(ReturnsFilter(query=query))
        assert (page.items, page.cursor) == ([], None), query


# --- cursors -----------------------------------------------------------------------------------


def test_a_cursor_of_another_listing_is_refused(shop: Shop, console: ConsoleReturns) -> None:
    # Given a cursor of the list of every return
    cursor = console.list(ReturnsFilter(limit=1)).cursor
    assert cursor is not None
    # When it is used with a status filter, or a search
    for asked in (
        {"dimension": StatusDimension.DELIVERY, "status": "PENDING"},
        {"query": "#5001"},
        {"query": CUSTOMERS[1]},
    ):
        # Then it is refused as a bad request
        with pytest.raises(InvalidRequestError):
            console.list(ReturnsFilter(cursor=cursor, **asked))


# --- cost --------------------------------------------------------------------------------------


def test_every_kind_of_page_is_key_lookups_and_queries_and_nothing_scans(
    shop: Shop, console: ConsoleReturns
) -> None:
    # Given DynamoDB calls counted
    counter = DynamoDBCallCounter().attach(client("dynamodb"))
    wanted = shop.returns[3]
    asked = {
        "status": ReturnsFilter(dimension=StatusDimension.FINANCIAL, status="PENDING", limit=2),
        "email": ReturnsFilter(query=CUSTOMERS[1], limit=2),
        "order": ReturnsFilter(query="#5001", limit=2),
        "reference": ReturnsFilter(query=wanted.return_reference),
        "this month": ReturnsFilter(limit=2),
    }
    costs = {}
    for kind, returns_filter in asked.items():
        before = counter.usage()
        console.list(returns_filter)
        costs[kind] = counter.usage() - before
    # Then a status or an email is one Query, a reference two key lookups, an order number
    # one Query after a lookup of the return it may also name, and the first page of every
    # return one Query when this month fills it
    assert {kind: dict(cost.calls) for kind, cost in costs.items()} == {
        "status": {"Query": 1},
        "email": {"Query": 1},
        "order": {"GetItem": 1, "Query": 1},
        "reference": {"GetItem": 2},
        "this month": {"Query": 1},
    }
    assert all(cost.items_read <= 2 for cost in costs.values())
    # And walking every list to its end never scans
    walk(console, limit=3)
    for dimension, status in every_status():
        walk(console, limit=3, dimension=dimension, status=status)
    assert counter.scans == 0


def test_a_page_reaching_back_queries_each_month_once_and_reads_the_first_month_once(
    shop: Shop, console: ConsoleReturns
) -> None:
    # Given DynamoDB calls counted
    counter = DynamoDBCallCounter().attach(client("dynamodb"))
    # When one page holds every return (December back to August, September empty)
    page = console.list(ReturnsFilter(limit=50))
    # Then it took one Query a month and one read of the month of the first return
    assert [rma.id for rma in page.items] == shop.newest_first
    assert counter.usage().calls == {"Query": 5, "GetItem": 1}
    assert counter.usage().items_read == len(shop.returns) + 1
