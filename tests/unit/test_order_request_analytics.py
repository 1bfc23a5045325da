"""Specification of what cancellation requests and claims add to the analytics: a claim counted
by its issue on the day it is reported, each decision on its day, a claim's settlement by what
it gave once carried out; the report and the console's analytics page read them from the day
totals. And of how the console words a request: a store credit's code by its last four
characters only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.analytics import (
    CLAIM_ISSUE_COUNTERS,
    DayTotals,
    Granularity,
    RangeCounters,
    RequestIncrements,
    build_report,
    request_increments,
)
from chalicelib.domain.order_requests import (
    ClaimIssue,
    ClaimLine,
    OrderRequest,
    OrderRequestEvent,
    OrderRequestEventType,
    OrderRequestKind,
    RequestStatus,
    Settlement,
    ShopCancellation,
)
from chalicelib.domain.rma import Actor, Customer, OrderRef
from chalicelib.domain.statuses import (
    Channel,
    ExpectedResolution,
    FinancialMethod,
    FinancialStatus,
)
from chalicelib.pages.analytics_page import analytics_view
from chalicelib.pages.request_views import request_view
from chalicelib.services.analytics import OrderRequestAnalytics

T0 = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
E = OrderRequestEventType
SHOPPER = Actor(channel=Channel.PORTAL, email="jane.doe@example.com")


def a_claim(issue: ClaimIssue = ClaimIssue.DAMAGED, **fields: object) -> OrderRequest:
    return OrderRequest.model_validate(
        {
            "reference": "C-000007",
            "kind": OrderRequestKind.CLAIM,
            "order": {"number": "#4930"},
            "customer": {"email": "jane.doe@example.com", "name": "Jane Doe"},
            "issue": issue,
            "lines": [ClaimLine(sku="MUG-001", name="Ceramic mug", quantity=1, unit_price=18)],
            "resolution": ExpectedResolution.REFUND,
            "created_at": T0,
            "updated_at": T0,
            **fields,
        }
    )


def a_cancellation(**fields: object) -> OrderRequest:
    return OrderRequest(
        reference="X-000008",
        kind=OrderRequestKind.CANCELLATION,
        order=OrderRef(number="#4950"),
        customer=Customer(email="jane.doe@example.com"),
        created_at=T0,
        updated_at=T0,
        **fields,  # type: ignore[arg-type]
    )


def an_event(
    event_type: OrderRequestEventType, request: OrderRequest, at: datetime = T0, version: int = 1
) -> OrderRequestEvent:
    return OrderRequestEvent(
        id=f"{request.reference}:{version}",
        type=event_type,
        reference=request.reference,
        version=version,
        occurred_at=at,
        actor=SHOPPER,
        request=request,
    )


def paid(method: FinancialMethod, amount: str, **fields: object) -> Settlement:
    resolution = (
        ExpectedResolution.VOUCHER
        if method is FinancialMethod.VOUCHER
        else ExpectedResolution.REFUND
    )
    return Settlement.model_validate(
        {
            "resolution": resolution,
            "amount": Decimal(amount),
            "method": method,
            "status": FinancialStatus.REFUNDED,
            **fields,
        }
    )


# --- what each event counts ----------------------------------------------------------------------


@pytest.mark.parametrize("issue", list(ClaimIssue))
def test_a_claim_counts_once_by_its_issue_on_the_day_it_is_reported(issue: ClaimIssue) -> None:
    increments = request_increments(an_event(E.CLAIM_OPENED, a_claim(issue)))

    assert increments is not None
    assert increments.day == T0.date()
    assert increments.totals.claims_by_issue == {i: int(i is issue) for i in ClaimIssue}
    assert increments.totals.claims_opened == 1


def test_every_issue_has_its_counter_on_the_day_totals() -> None:
    assert set(CLAIM_ISSUE_COUNTERS) == set(ClaimIssue)
    assert all(hasattr(DayTotals(), name) for name in CLAIM_ISSUE_COUNTERS.values())


@pytest.mark.parametrize(
    ("event_type", "asked", "counted"),
    [
        (E.CANCELLATION_REQUESTED, a_cancellation(), DayTotals(cancellations_requested=1)),
        (E.CANCELLATION_ACCEPTED, a_cancellation(), DayTotals(cancellations_accepted=1)),
        (E.CANCELLATION_REFUSED, a_cancellation(), DayTotals(cancellations_refused=1)),
        (E.CLAIM_APPROVED, a_claim(), DayTotals(claims_approved=1)),
        (E.CLAIM_REJECTED, a_claim(), DayTotals(claims_rejected=1)),
    ],
)
def test_a_request_or_a_decision_counts_on_its_day(
    event_type: OrderRequestEventType, asked: OrderRequest, counted: DayTotals
) -> None:
    later = T0 + timedelta(days=2)

    assert request_increments(an_event(event_type, asked, later)) == RequestIncrements(
        later.date(), counted
    )


@pytest.mark.parametrize(
    ("settlement", "counted"),
    [
        (paid(FinancialMethod.REFUND, "18.00"), DayTotals(claims_refund_value=Decimal("18.00"))),
        (paid(FinancialMethod.VOUCHER, "19.80"), DayTotals(claims_credit_value=Decimal("19.80"))),
        (Settlement(resolution=ExpectedResolution.REPLACE), DayTotals(claims_replaced=1)),
    ],
)
def test_a_claim_carried_out_counts_what_its_settlement_gave(
    settlement: Settlement, counted: DayTotals
) -> None:
    resolved = a_claim(status=RequestStatus.RESOLVED, settlement=settlement)

    increments = request_increments(an_event(E.CLAIM_RESOLVED, resolved, version=3))

    assert increments == RequestIncrements(T0.date(), counted)


def test_a_settlement_the_shop_refused_and_changes_that_move_nothing_count_nothing() -> None:
    refused = paid(FinancialMethod.REFUND, "18.00", status=FinancialStatus.EXECUTION_ERROR)
    events = [
        an_event(E.CLAIM_RESOLVED, a_claim(status=RequestStatus.RESOLVED, settlement=refused)),
        an_event(E.CLAIM_UPDATED, a_claim()),
        an_event(E.CANCELLATION_UPDATED, a_cancellation()),
        an_event(E.CANCELLATION_COMPLETED, a_cancellation(status=RequestStatus.RESOLVED)),
    ]

    assert [request_increments(event) for event in events] == [None, None, None, None]


# --- the subscriber, with a fake store -----------------------------------------------------------


@dataclass
class CountedOnce:
    """A counter store that counts an event id once, as the table's marks do."""

    counted: dict[str, RequestIncrements] = field(default_factory=dict)

    def add_order_request(
        self, event_id: str, increments: RequestIncrements, *, now: datetime
    ) -> bool:
        if event_id in self.counted:
            return False
        self.counted[event_id] = increments
        return True


def test_the_subscriber_hands_the_store_each_event_under_its_id() -> None:
    store = CountedOnce()
    subscriber = OrderRequestAnalytics(store, clock=lambda: T0)  # type: ignore[arg-type]
    opened = an_event(E.CLAIM_OPENED, a_claim())

    subscriber(opened)
    subscriber(opened)
    subscriber(an_event(E.CLAIM_UPDATED, a_claim(), version=2))

    assert subscriber.name == "order_request_analytics"
    assert store.counted == {opened.id: request_increments(opened)}


# --- the report and the page ---------------------------------------------------------------------


def test_the_analytics_page_shows_issues_by_type_and_cancellation_requests() -> None:
    # Given a week with two damaged mugs, a wrong item, and three cancellation requests
    day = date(2026, 12, 1)
    counters = RangeCounters(
        days={
            day: DayTotals(claims_damaged=2, cancellations_requested=2, cancellations_accepted=1),
            day + timedelta(days=2): DayTotals(
                claims_wrong_item=1,
                cancellations_requested=1,
                claims_credit_value=Decimal("19.80"),
            ),
        }
    )

    # When its report is laid out
    view = analytics_view(build_report(counters, day, day + timedelta(days=6), Granularity.DAY))

    # Then the issues are counted by type, in words, and the cancellations apart
    figures = {figure.name: figure.value for figure in view.claim_figures}
    assert figures["Order issues reported"] == "3"
    assert figures["Value given as store credit"] == "19.80"
    assert "arrived damaged or defective: 2; wrong item: 1." in view.issues
    assert 'role="img"' in view.issues
    assert [f.value for f in view.cancellation_figures] == ["3", "1", "0"]


# --- the console's words -------------------------------------------------------------------------


def test_the_console_shows_a_store_credits_code_by_its_ending_only() -> None:
    credit = paid(FinancialMethod.VOUCHER, "19.80", voucher_code="GIFT-ABCD-EFGH-7Q2K")
    claim = a_claim(status=RequestStatus.RESOLVED, settlement=credit)

    view = request_view(claim, [], {})

    figures = {figure.name: figure.value for figure in view.settlement}
    assert figures["Store credit code"] == "ending 7Q2K"
    assert "GIFT-ABCD-EFGH-7Q2K" not in repr(view)
    assert figures["Amount"] == "19.80 EUR"
    assert not view.decidable


def test_the_console_says_what_became_of_a_cancellation_in_the_shop() -> None:
    in_shop = ShopCancellation(in_shop=True, job_id="gid://shopify/Job/1", restock=False)
    by_hand = ShopCancellation(in_shop=False, note="No shop connected.")

    shown = [
        request_view(a_cancellation(status=RequestStatus.RESOLVED, cancellation=c), [], {})
        for c in (in_shop, by_hand)
    ]

    assert shown[0].cancellation[0].value == "Canceled in the shop, refunded"
    assert shown[1].cancellation[0].value == "Left to the team to cancel in the shop"
    assert shown[1].cancellation[1].value == "No shop connected."
