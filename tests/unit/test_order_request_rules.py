"""Specification of what a shopper may ask of an order besides a return: cancel it while
nothing shipped, report an issue once it is overdue or delivered, within the policy's days,
and every refusal said in English and French."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.order_request_rules import (
    ClaimedLine,
    RequestRefusal,
    cancellation_verdict,
    check_claim,
    claim_options,
    issue_verdict,
)
from chalicelib.domain.order_requests import (
    ClaimIssue,
    OrderRequest,
    OrderRequestKind,
    RequestStatus,
)
from chalicelib.domain.order_tracking import Milestone, TrackingEvent
from chalicelib.domain.policy import CancellationRules, ClaimRules
from chalicelib.domain.statuses import ExpectedResolution

TODAY = date(2026, 12, 1)


def an_order(*, shipped: int = 0, delivered_days_ago: int | None = None, **fields: object) -> Order:
    """Ordered two days ago; or, when delivered, three days before its delivery."""
    ordered_days_ago = 2 if delivered_days_ago is None else delivered_days_ago + 3
    return Order.model_validate(
        {
            "number": "#4950",
            "customer_email": "jane.doe@example.com",
            "ordered_at": TODAY - timedelta(days=ordered_days_ago),
            "delivered_at": (
                None if delivered_days_ago is None else TODAY - timedelta(days=delivered_days_ago)
            ),
            "lines": [
                OrderLine(
                    sku="MUG-001",
                    name="Ceramic mug",
                    quantity=2,
                    unit_price=Decimal("18.00"),
                    fulfilled_quantity=shipped,
                )
            ],
            "source": "shopify",
            "source_updated_at": datetime(2026, 11, 29, tzinfo=UTC),
            **fields,
        }
    )


def shipped_on(day: date, *, estimate: date | None = None) -> list[TrackingEvent]:
    return [
        TrackingEvent(
            milestone=Milestone.SHIPPED,
            at=datetime.combine(day, datetime.min.time(), UTC),
            fulfillment="#4950.1",
            estimated_delivery_at=(
                datetime.combine(estimate, datetime.min.time(), UTC) if estimate else None
            ),
        )
    ]


# --- cancellations ---------------------------------------------------------------------------


def test_an_unfulfilled_order_may_be_canceled() -> None:
    assert cancellation_verdict(an_order(), CancellationRules(), today=TODAY).allowed


def test_a_shipped_order_cannot_be_canceled_and_the_shopper_is_told_why_in_her_language() -> None:
    verdict = cancellation_verdict(
        an_order(shipped=2), CancellationRules(), today=TODAY, locale="fr"
    )

    assert verdict.code is RequestRefusal.ORDER_FULFILLED
    assert "déjà été expédiée" in (verdict.reason or "")


def test_a_partly_shipped_order_may_be_canceled_only_when_the_policy_says_so() -> None:
    order = an_order(shipped=1)

    refused = cancellation_verdict(order, CancellationRules(), today=TODAY)
    allowed = cancellation_verdict(
        order, CancellationRules(allow_partially_fulfilled=True), today=TODAY
    )

    assert refused.code is RequestRefusal.ORDER_PARTIALLY_FULFILLED
    assert allowed.allowed


def a_cancellation(status: RequestStatus) -> OrderRequest:
    return OrderRequest.model_validate(
        {
            "reference": "X-000003",
            "kind": OrderRequestKind.CANCELLATION,
            "status": status,
            "order": {"number": "#4950"},
            "customer": {"email": "jane.doe@example.com"},
            "created_at": datetime(2026, 11, 30, tzinfo=UTC),
            "updated_at": datetime(2026, 11, 30, tzinfo=UTC),
        }
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (RequestStatus.OPEN, RequestRefusal.CANCELLATION_PENDING),
        (RequestStatus.APPROVED, RequestRefusal.CANCELLATION_ACCEPTED),
        (RequestStatus.RESOLVED, RequestRefusal.CANCELLATION_ACCEPTED),
    ],
)
def test_a_second_request_names_the_one_that_stands(
    status: RequestStatus, code: RequestRefusal
) -> None:
    verdict = cancellation_verdict(
        an_order(), CancellationRules(), today=TODAY, earlier=a_cancellation(status)
    )

    assert verdict.code is code
    assert "X-000003" in (verdict.reason or "")


def test_nothing_is_reported_of_an_order_being_canceled() -> None:
    options = claim_options(
        an_order(shipped=1, delivered_days_ago=1),
        [],
        ClaimRules(),
        today=TODAY,
        canceling="X-000003",
    )

    assert {verdict.code for _, verdict in options} == {RequestRefusal.ORDER_BEING_CANCELED}


def test_the_cancellation_window_counts_from_the_order_day() -> None:
    rules = CancellationRules(window_days=1)

    verdict = cancellation_verdict(an_order(), rules, today=TODAY, locale="en")

    assert verdict.code is RequestRefusal.CANCELLATION_WINDOW_CLOSED
    assert "2026-11-30" in (verdict.reason or "")


def test_a_canceled_order_or_a_policy_without_cancellations_refuses() -> None:
    canceled = an_order(canceled_at=datetime(2026, 11, 30, tzinfo=UTC))

    assert (
        cancellation_verdict(canceled, CancellationRules(), today=TODAY).code
        is RequestRefusal.ORDER_CANCELED
    )
    assert (
        cancellation_verdict(an_order(), CancellationRules(enabled=False), today=TODAY).code
        is RequestRefusal.CANCELLATIONS_OFF
    )


# --- claims ----------------------------------------------------------------------------------


def test_nothing_can_be_reported_of_an_order_that_has_not_shipped() -> None:
    options = dict(claim_options(an_order(), [], ClaimRules(), today=TODAY))

    assert {verdict.code for verdict in options.values()} == {RequestRefusal.NOT_SHIPPED}


def test_a_parcel_is_reported_not_received_only_once_its_delivery_is_overdue() -> None:
    order = an_order(shipped=2)
    rules = ClaimRules(not_received_after_days=10)

    early = issue_verdict(
        order, shipped_on(TODAY - timedelta(days=3)), rules, ClaimIssue.NOT_RECEIVED, today=TODAY
    )
    overdue = issue_verdict(
        order, shipped_on(TODAY - timedelta(days=11)), rules, ClaimIssue.NOT_RECEIVED, today=TODAY
    )

    assert early.code is RequestRefusal.NOT_OVERDUE
    assert "2026-12-08" in (early.reason or "")
    assert overdue.allowed


def test_the_carriers_estimate_decides_when_a_parcel_is_overdue() -> None:
    events = shipped_on(TODAY - timedelta(days=2), estimate=TODAY - timedelta(days=1))

    verdict = issue_verdict(
        an_order(shipped=2), events, ClaimRules(), ClaimIssue.NOT_RECEIVED, today=TODAY
    )

    assert verdict.allowed


def test_a_parcel_scanned_as_delivered_may_still_be_reported_not_received() -> None:
    verdict = issue_verdict(
        an_order(shipped=2, delivered_days_ago=1),
        [],
        ClaimRules(),
        ClaimIssue.NOT_RECEIVED,
        today=TODAY,
    )

    assert verdict.allowed


def test_damage_wrong_and_missing_items_are_reported_once_delivered() -> None:
    in_transit = dict(claim_options(an_order(shipped=2), [], ClaimRules(), today=TODAY))
    delivered = dict(
        claim_options(an_order(shipped=2, delivered_days_ago=3), [], ClaimRules(), today=TODAY)
    )

    for issue in (ClaimIssue.DAMAGED, ClaimIssue.WRONG_ITEM, ClaimIssue.MISSING_ITEM):
        assert in_transit[issue].code is RequestRefusal.NOT_DELIVERED
        assert delivered[issue].allowed


def test_issues_are_reported_within_the_policys_days_after_delivery() -> None:
    order = an_order(shipped=2, delivered_days_ago=31)

    verdict = issue_verdict(order, [], ClaimRules(window_days=30), ClaimIssue.DAMAGED, today=TODAY)

    assert verdict.code is RequestRefusal.CLAIM_WINDOW_CLOSED


def test_an_issue_the_policy_does_not_offer_is_refused_by_name() -> None:
    rules = ClaimRules(issues=[ClaimIssue.DAMAGED])

    verdict = issue_verdict(
        an_order(shipped=2, delivered_days_ago=1),
        [],
        rules,
        ClaimIssue.WRONG_ITEM,
        today=TODAY,
        locale="fr",
    )

    assert verdict.code is RequestRefusal.ISSUE_NOT_OFFERED
    assert "Mauvais article" in (verdict.reason or "")


@pytest.mark.parametrize(
    ("lines", "resolution", "code"),
    [
        ([ClaimedLine("MUG-001", 1)], ExpectedResolution.VOUCHER, RequestRefusal.PHOTO_MISSING),
        (
            [ClaimedLine("MUG-001", 3, ("p",))],
            ExpectedResolution.REFUND,
            RequestRefusal.QUANTITY_EXCEEDED,
        ),
        ([ClaimedLine("NOPE", 1, ("p",))], ExpectedResolution.REFUND, RequestRefusal.UNKNOWN_LINE),
        ([], ExpectedResolution.REFUND, RequestRefusal.NO_LINES),
        (
            [ClaimedLine("MUG-001", 1, ("p",))],
            ExpectedResolution.NONE,
            RequestRefusal.RESOLUTION_NOT_OFFERED,
        ),
        ([ClaimedLine("MUG-001", 2, ("p",))], ExpectedResolution.VOUCHER, None),
    ],
)
def test_a_damage_claim_names_shipped_units_with_a_photo_and_an_offered_settlement(
    lines: list[ClaimedLine], resolution: ExpectedResolution, code: RequestRefusal | None
) -> None:
    verdict = check_claim(
        an_order(shipped=2, delivered_days_ago=3),
        [],
        ClaimRules(),
        issue=ClaimIssue.DAMAGED,
        lines=lines,
        resolution=resolution,
        today=TODAY,
    )

    assert verdict.code is code


def test_an_order_delivered_without_fulfillments_counts_as_shipped_whole() -> None:
    """The admin API's orders say when they were delivered, not what each parcel held."""
    verdict = check_claim(
        an_order(delivered_days_ago=3),
        [],
        ClaimRules(),
        issue=ClaimIssue.MISSING_ITEM,
        lines=[ClaimedLine("MUG-001", 2)],
        resolution=ExpectedResolution.REFUND,
        today=TODAY,
    )

    assert verdict.allowed


def test_every_refusal_has_an_english_and_a_french_sentence() -> None:
    from chalicelib.domain.order_request_rules import _SENTENCES

    assert set(_SENTENCES) == set(RequestRefusal)
    assert all(english and french and english != french for english, french in _SENTENCES.values())
