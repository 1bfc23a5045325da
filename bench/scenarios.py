"""The requests the bench makes, each with its DynamoDB budget and what its answer must show.

Budgets come from the access-pattern table of ARCHITECTURE.md. References are typed the ways
agents and merchants type them (`1042`, `#1043`, `R-001044`, `r-1045`): all cost the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench.budgets import Budget
from bench.dataset import Dataset
from bench.payloads import create_rma_body

# The widget shows a customer's latest five returns, open ones first (ARCHITECTURE.md).
WIDGET_SIZE = 5
_CLOSED = frozenset({"REJECTED", "CANCELED", "COMPLETE", "DELETED"})
LIST_PAGE_SIZE = 25

WIDGET_TOKEN = "GORGIAS_WIDGET_TOKEN"
ADMIN_TOKEN = "ADMIN_API_TOKEN"

_AGENT = {"id": 7, "email": "alex@example.com", "name": "Alex"}

# Finding an RMA by typed reference: the reference item, then the RMA. Deciding adds one
# transaction of three items (the RMA's new version, its action-log entry and its return event);
# a rejection also gives back the units of its one line.
_FIND_BY_REFERENCE = Budget({"GetItem": 2}, max_items_read=2)
_APPROVE = Budget({"GetItem": 2, "TransactWriteItems": 1}, max_items_read=2, max_items_written=3)
_REJECT = Budget({"GetItem": 2, "TransactWriteItems": 1}, max_items_read=2, max_items_written=4)


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    # The environment variable holding the bearer token the route's audience uses; None for
    # the routes that take no token or another one (`token`).
    token_variable: str | None
    budget: Budget
    body: Mapping[str, Any] | None = None
    expected_status: int = 200
    # Whether the decoded answer is the right one: a cheap wrong answer is no success.
    answer_is_right: Callable[[Any], bool] = lambda answer: True
    # A bearer token known only at run time (a shopper's session).
    token: str | None = None
    # When the request is made; None: now.
    at: datetime | None = None


def widget(email: str, returns_opened: int) -> Scenario:
    """The Gorgias sidebar for a customer who has opened `returns_opened` returns."""
    shown = min(returns_opened, WIDGET_SIZE)
    return Scenario(
        name=f"widget ({returns_opened} RMAs)",
        method="GET",
        path=f"/gorgias/widget?email={email}",
        token_variable=WIDGET_TOKEN,
        # Her returns, then her cancellation requests and claims: a Query each, five at most.
        budget=Budget({"Query": 2}, max_items_read=2 * WIDGET_SIZE),
        answer_is_right=lambda answer: (
            len(answer["returns"]) == shown
            and answer["total"] == returns_opened
            and _open_ones_first([r["status"] for r in answer["returns"]])
        ),
    )


def _open_ones_first(statuses: list[str]) -> bool:
    closed = [status in _CLOSED for status in statuses]
    return closed == sorted(closed)


def approve(typed_reference: str) -> Scenario:
    return _decision("approve", typed_reference, "ACCEPTED", {}, _APPROVE)


def reject(typed_reference: str) -> Scenario:
    return _decision(
        "reject", typed_reference, "REJECTED", {"reason": "Worn and unwashed."}, _REJECT
    )


def _decision(
    action: str, typed_reference: str, status: str, extra: Mapping[str, Any], budget: Budget
) -> Scenario:
    return Scenario(
        name=f"{action} '{typed_reference}'",
        method="POST",
        path=f"/gorgias/actions/{action}",
        token_variable=WIDGET_TOKEN,
        budget=budget,
        body={"rma": typed_reference, "ticket_id": 4242, "agent": _AGENT, **extra},
        answer_is_right=lambda answer: answer["rma"]["status"] == status,
    )


def get_rma(typed_reference: str) -> Scenario:
    return Scenario(
        name=f"GET /rmas/{typed_reference}",
        method="GET",
        path=f"/rmas/{typed_reference}",
        token_variable=ADMIN_TOKEN,
        budget=_FIND_BY_REFERENCE,
        answer_is_right=lambda answer: answer["processing_status"] == "REQUESTED",
    )


def get_events(typed_reference: str) -> Scenario:
    """The action log of a submitted RMA: its partition holds the RMA, `create` and `submit`."""
    return Scenario(
        name=f"GET /rmas/{typed_reference}/events",
        method="GET",
        path=f"/rmas/{typed_reference}/events",
        token_variable=ADMIN_TOKEN,
        budget=Budget({"GetItem": 1, "Query": 1}, max_items_read=1 + 3),
        answer_is_right=lambda answer: (
            [e["action"] for e in answer["events"]] == ["create", "submit"]
        ),
    )


def list_requested() -> Scenario:
    return Scenario(
        name=f"GET /rmas?status=REQUESTED&limit={LIST_PAGE_SIZE}",
        method="GET",
        path=f"/rmas?status=REQUESTED&limit={LIST_PAGE_SIZE}",
        token_variable=ADMIN_TOKEN,
        budget=Budget({"Query": 1}, max_items_read=LIST_PAGE_SIZE),
        answer_is_right=lambda answer: (
            len(answer["items"]) == LIST_PAGE_SIZE
            and {rma["processing_status"] for rma in answer["items"]} == {"REQUESTED"}
        ),
    )


# The lists of the console and the admin API (ARCHITECTURE.md: one Query a page). A status of any
# dimension is one Query of its index. Every return is the month index read backwards, one Query
# a month: a page that runs out of a month reads the first return's month once, then the month
# before. A reference is two key lookups; a number that may also be an order's adds that order's
# Query; an email is one Query of the customer index.
_STATUS_PAGE = Budget({"Query": 1}, max_items_read=LIST_PAGE_SIZE)
_EVERY_RETURN_PAGE = Budget({"Query": 2, "GetItem": 1}, max_items_read=LIST_PAGE_SIZE + 1)
_REFERENCE_PAGE = Budget({"GetItem": 2}, max_items_read=2)
_ORDER_PAGE = Budget({"GetItem": 1, "Query": 1}, max_items_read=1 + LIST_PAGE_SIZE)
_CUSTOMER_PAGE = Budget({"Query": 1}, max_items_read=LIST_PAGE_SIZE)

Returns = Sequence[Mapping[str, Any]]


def list_page(
    query: str,
    budget: Budget,
    *,
    keep: Callable[[Mapping[str, Any]], bool] = lambda rma: True,
    ordered: Callable[[Returns], bool] | None = None,
    size: int = LIST_PAGE_SIZE,
    at: datetime | None = None,
) -> Scenario:
    """A page of `GET /rmas?<query>`: `size` returns, each one `keep` accepts, newest first
    unless `ordered` says otherwise."""
    path = f"/rmas?{query}&limit={LIST_PAGE_SIZE}"
    in_order = ordered or _newest_first
    return Scenario(
        name=f"GET {path}",
        method="GET",
        path=path,
        token_variable=ADMIN_TOKEN,
        budget=budget,
        at=at,
        answer_is_right=lambda answer: (
            len(answer["items"]) == size
            and all(keep(rma) for rma in answer["items"])
            and in_order(answer["items"])
        ),
    )


def _newest_first(returns: Returns) -> bool:
    created = [rma["created_at"] for rma in returns]
    return created == sorted(created, reverse=True)


def list_pages(dataset: Dataset) -> list[Scenario]:
    """A page of the list for each kind of filter and search."""
    number = dataset.requested_numbers[4]
    order_number = "#100042"

    def status_page(parameter: str, status: str) -> Scenario:
        field = "processing_status" if parameter == "status" else parameter
        return list_page(
            f"{parameter}={status}", _STATUS_PAGE, keep=lambda rma: rma[field] == status
        )

    return [
        list_page("any_status=true", _EVERY_RETURN_PAGE, at=dataset.last_opened_at),
        status_page("status", "ACCEPTED"),
        status_page("delivery_status", "CANCELED"),
        status_page("financial_status", "NONE"),
        status_page("fulfillment_status", "PENDING"),
        list_page(
            f"q=R-{number:06d}",
            _REFERENCE_PAGE,
            keep=lambda rma: rma["return_number"] == number,
            size=1,
        ),
        list_page(
            f"q={dataset.heavy_customer}",
            _CUSTOMER_PAGE,
            keep=lambda rma: rma["customer"]["email"] == dataset.heavy_customer,
            ordered=lambda returns: _open_ones_first([r["processing_status"] for r in returns]),
        ),
        # One return per order in the data set; `#100042` is no return number.
        list_page(
            f"q=%23{order_number[1:]}",
            _ORDER_PAGE,
            keep=lambda rma: rma["order"]["number"] == order_number,
            size=1,
        ),
    ]


def create(sequence: int, customer: int) -> Scenario:
    """The return policy (its money terms are the defaults; read once a minute per container,
    and here on a cold cache), the stored order it names (the shop's ids of the order, its lines
    and variants, which the request may leave out), two counters (return number, customer's
    count), then the units its one line claims + RMA + reference + log entry + its return
    event."""
    return Scenario(
        name="POST /rmas",
        method="POST",
        path="/rmas",
        token_variable=ADMIN_TOKEN,
        budget=Budget(
            {"GetItem": 2, "UpdateItem": 2, "TransactWriteItems": 1},
            max_items_read=2,
            max_items_written=2 + 5,
        ),
        body=create_rma_body(sequence, customer),
        expected_status=201,
        answer_is_right=lambda answer: answer["processing_status"] == "NEW",
    )


def all_scenarios(dataset: Dataset) -> list[Scenario]:
    """Every measured request, on RMAs of `dataset` that no earlier scenario has changed."""
    spec = dataset.spec
    approved, rejected, read, logged = dataset.requested_numbers[:4]
    return [
        widget(dataset.heavy_customer, spec.heavy_customer_rmas),
        widget(dataset.light_customer, spec.light_customer_rmas),
        approve(f"{approved}"),
        reject(f"#{rejected}"),
        get_rma(f"R-{read:06d}"),
        get_events(f"r-{logged}"),
        list_requested(),
        *list_pages(dataset),
        # A customer the data set does not know, so that the widget figures above stay true.
        create(sequence=spec.rmas, customer=spec.customers),
    ]
