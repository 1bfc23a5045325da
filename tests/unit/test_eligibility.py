"""Specification of eligibility: which requested lines the policy lets a shopper return, with a
machine code and a sentence for each refusal, and which returns approve themselves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.eligibility import (
    AutoApprovalVerdict,
    IneligibilityCode,
    LineVerdict,
    RequestedLine,
    auto_approval,
    check_lines,
)
from chalicelib.domain.policy import AutoApprovalRules, ReturnPolicy, WindowStart
from chalicelib.domain.rma import RmaLine
from chalicelib.domain.statuses import ReturnReason

C = IneligibilityCode
R = ReturnReason
ORDERED = date(2026, 10, 1)
DELIVERED = date(2026, 10, 5)
# 30 days from delivery: the last day a return may be asked for.
LAST_DAY = date(2026, 11, 4)
POLICY = ReturnPolicy()


def line(sku: str = "TSHIRT-BLUE-M", **overrides: Any) -> RequestedLine:
    """A line any policy accepts unless told otherwise: a size problem on a regular item."""
    return RequestedLine(**{"sku": sku, "quantity": 1, "reason": R.SIZE_PROBLEM, **overrides})


def verdict(
    requested: RequestedLine,
    policy: ReturnPolicy = POLICY,
    *,
    ordered_at: date | None = ORDERED,
    delivered_at: date | None = DELIVERED,
    today: date = LAST_DAY,
    locale: str = "en",
) -> LineVerdict:
    [only] = check_lines(
        [requested],
        policy=policy,
        ordered_at=ordered_at,
        delivered_at=delivered_at,
        today=today,
        locale=locale,
    )
    return only


# --- Each rule ------------------------------------------------------------------------------


def test_a_regular_line_within_the_window_is_eligible() -> None:
    # Given / When a size problem is reported on the last day of the window
    result = verdict(line())
    # Then the line may be returned, with nothing to explain
    assert result == LineVerdict(sku="TSHIRT-BLUE-M", eligible=True, code=None, reason=None)


@pytest.mark.parametrize(
    ("requested", "policy", "code", "sentence"),
    [
        (
            line(final_sale=True),
            POLICY,
            C.FINAL_SALE,
            "This item was sold as final sale and can't be returned.",
        ),
        (
            line("GIFT-CARD"),
            ReturnPolicy(non_returnable_skus=["GIFT-CARD"]),
            C.NON_RETURNABLE_SKU,
            "This item can't be returned.",
        ),
        (
            line(reason=R.UNSATISFIED),
            ReturnPolicy(allowed_reasons=[R.SIZE_PROBLEM, R.DEFECTIVE]),
            C.REASON_NOT_ALLOWED,
            "Returns for the reason “Not satisfied” aren't accepted.",
        ),
        (
            line(reason=R.DAMAGED_PRODUCT),
            POLICY,
            C.PHOTO_MISSING,
            "A photo is required for the reason “Arrived damaged”.",
        ),
        (
            line(quantity=2, ordered_quantity=3, already_returned=2),
            POLICY,
            C.QUANTITY_EXCEEDED,
            "Quantity that can still be returned: 1 of 3 ordered.",
        ),
    ],
    ids=lambda value: value.value if isinstance(value, IneligibilityCode) else None,
)
def test_a_line_breaking_one_rule_is_refused_with_its_code_and_sentence(
    requested: RequestedLine, policy: ReturnPolicy, code: IneligibilityCode, sentence: str
) -> None:
    # Given / When a line breaking exactly one rule is checked within the window
    result = verdict(requested, policy)
    # Then it is refused with that rule's code and a sentence saying why
    assert result == LineVerdict(sku=requested.sku, eligible=False, code=code, reason=sentence)


def test_a_line_asked_for_after_the_window_is_refused_with_the_day_it_closed() -> None:
    # Given / When a line is asked for the day after the window's last day
    result = verdict(line(), today=date(2026, 11, 5))
    # Then it is refused, saying when the window closed
    assert (result.eligible, result.code) == (False, C.OUTSIDE_WINDOW)
    assert result.reason == "The 30-day return window closed on 2026-11-04."


def test_a_photo_satisfies_the_photo_rule() -> None:
    # Given / When a damaged item is reported with a photo
    result = verdict(line(reason=R.DAMAGED_PRODUCT, photos=("uploads/crack.jpg",)))
    # Then it is eligible
    assert result.eligible


def test_the_photo_rule_follows_the_policy_not_the_reason() -> None:
    # Given a policy that asks for a photo of a wrong item, and for nothing else
    policy = ReturnPolicy(reason_rules={R.WRONG_ITEM: {"photo_required": True}})
    # When / Then a damaged item without a photo passes, a wrong item without one does not
    assert verdict(line(reason=R.DAMAGED_PRODUCT), policy).eligible
    assert verdict(line(reason=R.WRONG_ITEM), policy).code is C.PHOTO_MISSING


# --- Quantities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "already_returned", "eligible"),
    [(3, 0, True), (1, 2, True), (4, 0, False), (2, 2, False), (1, 3, False)],
)
def test_a_line_may_return_what_was_ordered_and_not_yet_returned(
    quantity: int, already_returned: int, eligible: bool
) -> None:
    # Given three units ordered, some already returned by an earlier return
    requested = line(quantity=quantity, ordered_quantity=3, already_returned=already_returned)
    # When the line is checked
    result = verdict(requested)
    # Then it is eligible as long as the total stays within the three ordered
    assert result.eligible is eligible
    assert result.code is (None if eligible else C.QUANTITY_EXCEEDED)


def test_when_everything_was_returned_already_none_can_still_be() -> None:
    # Given / When one more unit of a line fully returned already is asked for
    result = verdict(line(quantity=1, ordered_quantity=2, already_returned=2))
    # Then the sentence says none is left
    assert result.reason == "Quantity that can still be returned: 0 of 2 ordered."


def test_an_item_the_shop_has_not_shipped_cannot_be_returned_but_its_order_canceled() -> None:
    # Given / When a line of which the shop shipped nothing yet is asked for
    result = verdict(line(ordered_quantity=2, shipped_quantity=0), locale="fr")
    # Then it is refused, and the shopper is told what she may do instead
    assert result.code is C.NOT_SHIPPED
    assert "annulation" in (result.reason or "")


def test_only_the_units_shipped_may_come_back() -> None:
    # Given two units ordered, one shipped so far
    one = verdict(line(quantity=1, ordered_quantity=2, shipped_quantity=1))
    two = verdict(line(quantity=2, ordered_quantity=2, shipped_quantity=1))
    # Then one may be returned, two may not
    assert one.eligible
    assert two.code is C.QUANTITY_EXCEEDED
    assert two.reason == "Quantity that can still be returned: 1 of 2 ordered."


def test_without_the_ordered_quantity_the_quantity_is_not_checked() -> None:
    # Given / When a line does not say how many units were ordered
    result = verdict(line(quantity=50, already_returned=10))
    # Then any quantity is eligible
    assert result.eligible


# --- Order of the rules ---------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    requested: RequestedLine
    policy: ReturnPolicy
    today: date


# How a shopper or a merchant would fix what a refusal reports.
FIXES: dict[IneligibilityCode, Callable[[Attempt], Attempt]] = {
    C.FINAL_SALE: lambda a: replace(a, requested=replace(a.requested, final_sale=False)),
    C.NON_RETURNABLE_SKU: lambda a: replace(a, requested=replace(a.requested, sku="MUG")),
    C.OUTSIDE_WINDOW: lambda a: replace(a, today=LAST_DAY),
    C.REASON_NOT_ALLOWED: lambda a: replace(a, policy=POLICY),
    C.PHOTO_MISSING: lambda a: replace(a, requested=replace(a.requested, photos=("mug.jpg",))),
    C.QUANTITY_EXCEEDED: lambda a: replace(a, requested=replace(a.requested, quantity=1)),
}


def test_the_first_rule_broken_is_the_one_reported() -> None:
    # Given a defective gift card sold as final sale, two asked back of one ordered, a month
    # late, under a policy refusing gift cards and accepting only size problems
    attempt = Attempt(
        requested=line(
            "GIFT-CARD", final_sale=True, reason=R.DEFECTIVE, quantity=2, ordered_quantity=1
        ),
        policy=ReturnPolicy(non_returnable_skus=["GIFT-CARD"], allowed_reasons=[R.SIZE_PROBLEM]),
        today=date(2026, 12, 1),
    )
    # When it is checked, and what is reported fixed, until it is eligible
    reported = []
    while not (result := verdict(attempt.requested, attempt.policy, today=attempt.today)).eligible:
        assert result.code is not None
        reported.append(result.code)
        assert len(reported) <= len(IneligibilityCode), "a fix must fix what was reported"
        attempt = FIXES[result.code](attempt)
    # Then every rule was reported once, one at a time, in the documented order
    assert reported == [
        C.FINAL_SALE,
        C.NON_RETURNABLE_SKU,
        C.OUTSIDE_WINDOW,
        C.REASON_NOT_ALLOWED,
        C.PHOTO_MISSING,
        C.QUANTITY_EXCEEDED,
    ]


def test_each_line_gets_its_own_verdict_in_the_order_requested() -> None:
    # Given a regular line, a final-sale line and a damaged one without a photo
    lines = [line("A"), line("B", final_sale=True), line("C", reason=R.DAMAGED_PRODUCT)]
    # When they are checked together
    verdicts = check_lines(
        lines, policy=POLICY, ordered_at=ORDERED, delivered_at=DELIVERED, today=LAST_DAY
    )
    # Then each has its own verdict, in order
    assert [(v.sku, v.eligible, v.code) for v in verdicts] == [
        ("A", True, None),
        ("B", False, C.FINAL_SALE),
        ("C", False, C.PHOTO_MISSING),
    ]


# --- The window -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "eligible"),
    [
        (DELIVERED, True),
        (date(2026, 11, 3), True),
        (LAST_DAY, True),
        (date(2026, 11, 5), False),
        (date(2027, 11, 4), False),
    ],
)
def test_the_window_counts_from_delivery_and_its_last_day_is_still_open(
    today: date, eligible: bool
) -> None:
    # Given the default 30-day window from delivery, and an order delivered on October 5th
    # When a line is asked for on `today`
    result = verdict(line(), today=today)
    # Then it is eligible up to and including November 4th
    assert result.eligible is eligible


def test_a_window_from_the_order_date_closes_earlier() -> None:
    # Given a 30-day window counted from the order date (October 1st, delivered October 5th)
    policy = ReturnPolicy(window_starts_from=WindowStart.ORDER_DATE)
    # When / Then October 31st is its last day
    assert verdict(line(), policy, today=date(2026, 10, 31)).eligible
    late = verdict(line(), policy, today=date(2026, 11, 1))
    assert (late.code, late.reason) == (
        C.OUTSIDE_WINDOW,
        "The 30-day return window closed on 2026-10-31.",
    )


@pytest.mark.parametrize(
    ("starts_from", "ordered_at", "delivered_at", "last_day"),
    [
        (WindowStart.DELIVERY_DATE, ORDERED, None, date(2026, 10, 31)),
        (WindowStart.ORDER_DATE, None, DELIVERED, date(2026, 11, 4)),
    ],
    ids=["delivery-unknown", "order-date-unknown"],
)
def test_when_the_date_the_window_counts_from_is_unknown_it_counts_from_the_other(
    starts_from: WindowStart, ordered_at: date | None, delivered_at: date | None, last_day: date
) -> None:
    # Given a policy counting from a date the order does not have
    policy = ReturnPolicy(window_starts_from=starts_from)
    # When / Then the window counts from the date it has
    dates = {"ordered_at": ordered_at, "delivered_at": delivered_at}
    assert verdict(line(), policy, today=last_day, **dates).eligible
    day_after = last_day + timedelta(days=1)
    assert verdict(line(), policy, today=day_after, **dates).code is C.OUTSIDE_WINDOW


def test_when_no_date_of_the_order_is_known_the_window_is_not_held_against_the_shopper() -> None:
    # Given / When a line of an order with neither date is asked for years later
    result = verdict(line(), ordered_at=None, delivered_at=None, today=date(2030, 1, 1))
    # Then it is eligible: the window cannot be placed
    assert result.eligible


def test_the_window_length_follows_the_policy() -> None:
    # Given a 14-day window from delivery
    policy = ReturnPolicy(return_window_days=14)
    # When / Then October 19th is its last day
    assert verdict(line(), policy, today=date(2026, 10, 19)).eligible
    assert verdict(line(), policy, today=date(2026, 10, 20)).reason == (
        "The 14-day return window closed on 2026-10-19."
    )


# --- Languages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "policy", "today", "sentence"),
    [
        (
            line(final_sale=True),
            POLICY,
            LAST_DAY,
            "Cet article a été vendu en vente finale et ne peut pas être retourné.",
        ),
        (
            line("GIFT-CARD"),
            ReturnPolicy(non_returnable_skus=["GIFT-CARD"]),
            LAST_DAY,
            "Cet article ne peut pas être retourné.",
        ),
        (
            line(),
            POLICY,
            date(2026, 11, 5),
            "Le délai de retour de 30 jours a expiré le 04/11/2026.",
        ),
        (
            line(reason=R.UNSATISFIED),
            ReturnPolicy(allowed_reasons=[R.SIZE_PROBLEM]),
            LAST_DAY,
            "Les retours pour le motif « Pas satisfait » ne sont pas acceptés.",
        ),
        (
            line(reason=R.DEFECTIVE),
            POLICY,
            LAST_DAY,
            "Une photo est requise pour le motif « Défectueux ».",
        ),
        (
            line(quantity=3, ordered_quantity=2),
            POLICY,
            LAST_DAY,
            "Quantité encore retournable : 2 sur 2 commandée(s).",
        ),
    ],
    ids=["final-sale", "non-returnable", "window", "reason", "photo", "quantity"],
)
def test_a_french_speaking_shopper_reads_why_in_french(
    requested: RequestedLine, policy: ReturnPolicy, today: date, sentence: str
) -> None:
    # Given / When a refused line is checked for a French-speaking shopper
    result = verdict(requested, policy, today=today, locale="fr")
    # Then the sentence is in French, with the date and the reason as the French write them
    assert result.reason == sentence


@pytest.mark.parametrize("locale", ["fr-CA", "fr_BE", "FR"])
def test_every_french_locale_reads_french(locale: str) -> None:
    assert verdict(line(final_sale=True), locale=locale).reason == (
        "Cet article a été vendu en vente finale et ne peut pas être retourné."
    )


@pytest.mark.parametrize("locale", ["en-GB", "de", "es_ES"])
def test_any_other_locale_reads_english(locale: str) -> None:
    assert verdict(line(final_sale=True), locale=locale).reason == (
        "This item was sold as final sale and can't be returned."
    )


# --- From an RMA line -----------------------------------------------------------------------


def test_a_line_of_a_return_is_checked_as_requested() -> None:
    # Given a line of a return, with what the order says about it
    rma_line = RmaLine(
        sku="MUG",
        name="Mug",
        quantity=2,
        unit_price=Decimal("12.00"),
        reason=R.DAMAGED_PRODUCT,
        photos=["uploads/mug.jpg"],
        ordered_quantity=2,
        final_sale=False,
    )
    # When it becomes a requested line, one unit having been returned already
    requested = RequestedLine.from_rma_line(rma_line, already_returned=1)
    # Then it carries all of it, and is refused for the quantity
    assert requested == RequestedLine(
        sku="MUG",
        quantity=2,
        reason=R.DAMAGED_PRODUCT,
        photos=("uploads/mug.jpg",),
        final_sale=False,
        ordered_quantity=2,
        already_returned=1,
    )
    assert verdict(requested).code is C.QUANTITY_EXCEEDED


# --- Auto-approval --------------------------------------------------------------------------


def decide(
    rules: AutoApprovalRules | None = None,
    *,
    email: str = "jane.doe@example.com",
    reasons: tuple[ReturnReason, ...] = (R.SIZE_PROBLEM,),
    returned_value: str = "49.90",
    returns_in_period: int = 1,
) -> AutoApprovalVerdict:
    policy = ReturnPolicy(auto_approval=rules or AutoApprovalRules())
    return auto_approval(
        policy=policy,
        email=email,
        reasons=reasons,
        returned_value=Decimal(returned_value),
        returns_in_period=returns_in_period,
    )


def test_a_first_small_size_return_approves_itself() -> None:
    # Given / When a customer's first return, a size problem worth 49.90, is decided on
    # Then it is approved, with nothing to explain
    assert decide() == AutoApprovalVerdict(approved=True, reasons=[])


def test_a_return_at_every_limit_still_approves_itself() -> None:
    # Given / When a return worth exactly the limit is the customer's third in the period
    result = decide(returned_value="200.00", returns_in_period=3)
    # Then it is approved: limits are inclusive
    assert result.approved


@pytest.mark.parametrize(
    ("case", "sentence"),
    [
        ({"email": "Serial.Returner@Example.com"}, "on the auto-approval blocklist"),
        ({"email": "  serial.returner@example.com "}, "on the auto-approval blocklist"),
        ({"returned_value": "200.01"}, "The returned value, 200.01, is over the auto-approval "),
        ({"returns_in_period": 4}, "The customer opened 4 returns in the last 90 days"),
        ({"reasons": (R.SIZE_PROBLEM, R.DEFECTIVE)}, "Reasons not covered by auto-approval"),
    ],
    ids=["blocklisted", "blocklisted-padded", "too-valuable", "too-many", "reason-not-covered"],
)
def test_a_return_breaking_one_auto_approval_rule_waits_for_an_agent(
    case: dict[str, Any], sentence: str
) -> None:
    # Given a policy blocking one customer
    rules = AutoApprovalRules(blocklisted_emails=["serial.returner@EXAMPLE.com"])
    # When a return breaking one rule is decided on
    result = decide(rules, **case)
    # Then it waits for an agent, who reads the one reason why
    assert result.approved is False
    assert len(result.reasons) == 1
    assert sentence in result.reasons[0]


def test_every_reason_to_wait_is_given() -> None:
    # Given a blocked customer's fifth return, worth 500.00, for defective and damaged items
    rules = AutoApprovalRules(blocklisted_emails=["jane.doe@example.com"])
    # When it is decided on
    result = decide(
        rules,
        reasons=(R.DEFECTIVE, R.SIZE_PROBLEM, R.DAMAGED_PRODUCT, R.DEFECTIVE),
        returned_value="500.00",
        returns_in_period=5,
    )
    # Then the agent reads every reason, each reason of the return named once
    assert result == AutoApprovalVerdict(
        approved=False,
        reasons=[
            "The customer's email is on the auto-approval blocklist.",
            "Reasons not covered by auto-approval: Defective, Arrived damaged.",
            "The returned value, 500.00, is over the auto-approval limit of 200.00.",
            "The customer opened 5 returns in the last 90 days, this one included; "
            "auto-approval stops after 3.",
        ],
    )


def test_without_a_value_limit_any_value_approves_itself() -> None:
    # Given / When a return worth 10,000.00 under rules without a value limit
    result = decide(AutoApprovalRules(max_order_value=None), returned_value="10000.00")
    # Then it is approved
    assert result.approved


def test_when_auto_approval_is_off_every_return_waits_for_an_agent() -> None:
    # Given / When the smallest, safest return is decided on with auto-approval off
    result = decide(AutoApprovalRules(enabled=False))
    # Then it waits, and the agent reads why
    assert result == AutoApprovalVerdict(approved=False, reasons=["Auto-approval is turned off."])


def test_the_reasons_approved_follow_the_policy() -> None:
    # Given rules approving only wrong items
    rules = AutoApprovalRules(reasons=[R.WRONG_ITEM])
    # When / Then a wrong item approves itself, a size problem waits
    assert decide(rules, reasons=(R.WRONG_ITEM,)).approved
    assert decide(rules, reasons=(R.SIZE_PROBLEM,)).reasons == [
        "Reasons not covered by auto-approval: Size doesn't fit."
    ]
