"""Specification of the return policy: its defaults, its JSON form, what it refuses, and how
long a process keeps it before reading it again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.policy import (
    AutoApprovalRules,
    DecisionTimeoutAction,
    ReasonRule,
    ReturnPolicy,
    WindowStart,
)
from chalicelib.domain.rma import Contact
from chalicelib.domain.statuses import ProductState, ReturnReason
from chalicelib.errors import ConcurrentModificationError, PreconditionRequiredError
from chalicelib.services.policy_service import CACHE_SECONDS, PolicyService

# --- Defaults -------------------------------------------------------------------------------


def test_the_default_policy_is_a_30_day_window_from_delivery_with_photos_for_damage() -> None:
    # Given / When no policy was ever configured
    policy = ReturnPolicy()
    # Then returns are open for 30 days from delivery, for every reason
    assert (policy.return_window_days, policy.window_starts_from) == (
        30,
        WindowStart.DELIVERY_DATE,
    )
    assert policy.allowed_reasons == list(ReturnReason)
    assert policy.non_returnable_skus == []
    # And damaged or defective items need a photo, nothing else does
    assert [reason for reason in ReturnReason if policy.photo_required(reason)] == [
        ReturnReason.DEFECTIVE,
        ReturnReason.DAMAGED_PRODUCT,
    ]
    # And an agent has two days to decide, the parcel thirty days to arrive
    assert policy.agent_decision_timeout == timedelta(days=2)
    assert policy.on_decision_timeout is DecisionTimeoutAction.HOLD
    assert policy.parcel_timeout == timedelta(days=30)
    # And refunds are prepared but executed by a person
    assert policy.auto_generate_financial_resolution is True
    assert policy.auto_execute_financial_resolution is False


def test_by_default_small_everyday_returns_approve_themselves() -> None:
    # Given / When no auto-approval rule was configured
    rules = ReturnPolicy().auto_approval
    # Then size, colour and change-of-mind returns up to 200.00, three in 90 days, approve
    assert rules == AutoApprovalRules(
        enabled=True,
        reasons=[ReturnReason.SIZE_PROBLEM, ReturnReason.COLOR_PROBLEM, ReturnReason.UNSATISFIED],
        max_order_value=Decimal("200.00"),
        max_returns_per_customer=3,
        period_days=90,
        blocklisted_emails=[],
    )


def test_by_default_worn_items_lose_a_fifth_and_damaged_ones_everything() -> None:
    # Given / When the default policy
    policy = ReturnPolicy()
    # Then each product state keeps back its share of the refund
    assert {state: policy.deduction_percent(state) for state in ProductState} == {
        ProductState.BRAND_NEW_WITH_LABEL: 0,
        ProductState.BRAND_NEW_WITHOUT_LABEL: 10,
        ProductState.WORE: 20,
        ProductState.DAMAGED: 100,
        ProductState.DEFECTIVE: 0,
    }
    # And an item nobody inspected keeps nothing back
    assert policy.deduction_percent(None) == 0


def test_a_product_state_missing_from_the_deductions_keeps_nothing_back() -> None:
    # Given a policy that only deducts for worn items
    policy = ReturnPolicy(deductions_by_product_state={ProductState.WORE: Decimal(30)})
    # When / Then a damaged item loses nothing
    assert policy.deduction_percent(ProductState.DAMAGED) == 0
    assert policy.deduction_percent(ProductState.WORE) == 30


def test_non_returnable_skus_match_whatever_their_case() -> None:
    # Given a policy listing a gift card's SKU
    policy = ReturnPolicy(non_returnable_skus=["GIFT-CARD"])
    # When / Then the SKU is non-returnable in any case, and others are returnable
    assert policy.is_non_returnable("gift-card")
    assert not policy.is_non_returnable("GIFT-CARD-BOX")


# --- JSON -----------------------------------------------------------------------------------


def full_policy_json() -> dict[str, Any]:
    """A policy setting every field, as a merchant would PUT it."""
    return {
        "return_window_days": 14,
        "window_starts_from": "ORDER_DATE",
        "non_returnable_skus": ["GIFT-CARD"],
        "allowed_reasons": ["SIZE_PROBLEM", "DEFECTIVE"],
        "reason_rules": {"DEFECTIVE": {"photo_required": True}},
        "auto_approval": {
            "enabled": False,
            "reasons": ["SIZE_PROBLEM"],
            "max_order_value": None,
            "max_returns_per_customer": 1,
            "period_days": 30,
            "blocklisted_emails": ["Serial.Returner@example.com"],
        },
        "return_fee": "4.90",
        "retained_amount_for_shipping": "2.50",
        "deductions_by_product_state": {"WORE": "12.5", "DAMAGED": "100"},
        "auto_generate_financial_resolution": False,
        "auto_execute_financial_resolution": True,
        "agent_decision_timeout": "PT36H",
        "on_decision_timeout": "KEEP_WAITING",
        "parcel_timeout": "P45D",
        "return_address": {
            "name": "Returns, Shop SAS",
            "address_lines": ["12 rue des Entrepôts"],
            "city": "Lyon",
            "postal_code": "69007",
            "country": "FR",
        },
    }


def test_a_policy_reads_back_from_its_json_exactly() -> None:
    # Given a policy setting every field
    policy = ReturnPolicy.model_validate(full_policy_json())
    # When it is written as JSON and read back
    again = ReturnPolicy.model_validate_json(policy.model_dump_json())
    # Then it is the same policy
    assert again == policy
    assert policy.agent_decision_timeout == timedelta(hours=36)
    assert policy.deduction_percent(ProductState.WORE) == Decimal("12.5")


def test_timeouts_are_written_as_iso_8601_durations() -> None:
    # Given a policy with a 36-hour decision timeout and the default parcel timeout
    policy = ReturnPolicy(agent_decision_timeout=timedelta(hours=36))
    # When it is written as JSON
    written = policy.model_dump(mode="json")
    # Then both timeouts are ISO 8601 durations
    assert (written["agent_decision_timeout"], written["parcel_timeout"]) == ("P1DT12H", "P30D")


@pytest.mark.parametrize(
    ("given", "expected"),
    [("P2D", timedelta(days=2)), (172800, timedelta(days=2)), ("PT90M", timedelta(minutes=90))],
)
def test_a_timeout_is_given_as_an_iso_duration_or_in_seconds(
    given: str | int, expected: timedelta
) -> None:
    # Given / When a timeout is sent as a duration or a number of seconds
    policy = ReturnPolicy.model_validate({"parcel_timeout": given})
    # Then it is that long
    assert policy.parcel_timeout == expected


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"allowed_reasons": ["BORED"]}, "allowed_reasons.0"),
        ({"allowed_reasons": ["DEFECTIVE", "DEFECTIVE"]}, "allowed_reasons"),
        ({"auto_approval": {"reasons": ["SIZE_PROBLEM", "SIZE_PROBLEM"]}}, "auto_approval.reasons"),
        ({"reason_rules": {"BORED": {"photo_required": True}}}, "reason_rules.BORED.[key]"),
        ({"return_fee": "-1"}, "return_fee"),
        ({"return_fee": "1.001"}, "return_fee"),
        ({"retained_amount_for_shipping": "-0.01"}, "retained_amount_for_shipping"),
        ({"deductions_by_product_state": {"WORE": "101"}}, "deductions_by_product_state.WORE"),
        ({"deductions_by_product_state": {"WORE": "-5"}}, "deductions_by_product_state.WORE"),
        ({"deductions_by_product_state": {"USED": "5"}}, "deductions_by_product_state.USED.[key]"),
        ({"agent_decision_timeout": "P2Y"}, "agent_decision_timeout"),
        ({"agent_decision_timeout": "P366D"}, "agent_decision_timeout"),
        ({"parcel_timeout": 0}, "parcel_timeout"),
        ({"parcel_timeout": "-P1D"}, "parcel_timeout"),
        ({"parcel_timeout": "soon"}, "parcel_timeout"),
        ({"on_decision_timeout": "ESCALATE"}, "on_decision_timeout"),
        ({"window_starts_from": "SHIPPING_DATE"}, "window_starts_from"),
        ({"return_window_days": -1}, "return_window_days"),
        (
            {"auto_approval": {"max_returns_per_customer": 0}},
            "auto_approval.max_returns_per_customer",
        ),
        ({"auto_approval": {"max_order_value": "-5"}}, "auto_approval.max_order_value"),
        ({"auto_approval": {"period_days": 0}}, "auto_approval.period_days"),
        ({"refund_shipping": True}, "refund_shipping"),
        ({"auto_approval": {"vip_only": True}}, "auto_approval.vip_only"),
        ({"reason_rules": {"DEFECTIVE": {"photos": 2}}}, "reason_rules.DEFECTIVE.photos"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_an_invalid_policy_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    # Given / When a policy with one wrong value or unknown key is read
    with pytest.raises(ValidationError) as refused:
        ReturnPolicy.model_validate(change)
    # Then it is refused, and the error names that field
    assert [".".join(str(part) for part in error["loc"]) for error in refused.value.errors()] == [
        field
    ]


def test_a_timeout_of_a_year_is_the_longest_there_is() -> None:
    # Given / When both timeouts are set to one year, the most a Step Functions execution lives
    policy = ReturnPolicy.model_validate(
        {"agent_decision_timeout": "P365D", "parcel_timeout": "P1Y"}
    )
    # Then they are accepted
    assert policy.agent_decision_timeout == policy.parcel_timeout == timedelta(days=365)


def test_a_reason_rule_only_asks_for_a_photo_when_told() -> None:
    # Given a policy whose only rule asks nothing of WRONG_ITEM
    policy = ReturnPolicy(reason_rules={ReturnReason.WRONG_ITEM: ReasonRule()})
    # When / Then no reason needs a photo
    assert not any(policy.photo_required(reason) for reason in ReturnReason)


# --- Changing some fields (PATCH) -------------------------------------------------------------

STORED = ReturnPolicy(
    return_window_days=14,
    return_fee=Decimal("4.90"),
    non_returnable_skus=["GIFT-CARD"],
    auto_approval=AutoApprovalRules(period_days=30, blocklisted_emails=["x@example.com"]),
    return_address=Contact(
        name="Returns", address_lines=["12 rue des Entrepôts"], city="Lyon", country="FR"
    ),
)


def test_a_change_of_one_field_keeps_every_other_one() -> None:
    # Given a stored policy with a fee, a window and an address
    # When only the fee is changed
    changed = STORED.with_changes({"return_fee": "2.50"})
    # Then the fee is the new one and everything else is as stored
    assert changed == STORED.model_copy(update={"return_fee": Decimal("2.50")})


def test_objects_and_maps_change_field_by_field() -> None:
    # Given / When one auto-approval rule, one deduction and one reason rule are changed
    changed = STORED.with_changes(
        {
            "auto_approval": {"enabled": False},
            "deductions_by_product_state": {"WORE": "15"},
            "reason_rules": {"WRONG_ITEM": {"photo_required": True}},
        }
    )
    # Then the other rules, deductions and reason rules are kept
    assert changed.auto_approval == STORED.auto_approval.model_copy(update={"enabled": False})
    assert changed.deductions_by_product_state == {
        **STORED.deductions_by_product_state,
        ProductState.WORE: Decimal(15),
    }
    assert changed.reason_rules == {
        **STORED.reason_rules,
        ReturnReason.WRONG_ITEM: ReasonRule(photo_required=True),
    }


def test_lists_and_values_are_replaced_whole() -> None:
    # Given / When the SKUs and the allowed reasons are changed
    changed = STORED.with_changes(
        {"non_returnable_skus": ["VOUCHER"], "allowed_reasons": ["DEFECTIVE"]}
    )
    # Then they are the lists given, not merged with the stored ones
    assert changed.non_returnable_skus == ["VOUCHER"]
    assert changed.allowed_reasons == [ReturnReason.DEFECTIVE]


def test_null_clears_what_may_be_empty() -> None:
    # Given / When the address and the auto-approval value limit are set to null
    changed = STORED.with_changes(
        {"return_address": None, "auto_approval": {"max_order_value": None}}
    )
    # Then there is no address and no limit (not the defaults of those fields)
    assert changed.return_address is None
    assert changed.auto_approval.max_order_value is None
    assert changed.auto_approval.period_days == 30


def test_no_change_is_the_policy_itself() -> None:
    assert STORED.with_changes({}) == STORED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"return_fee": "-1"}, "return_fee"),
        ({"auto_approval": None}, "auto_approval"),
        ({"auto_approval": {"reasons": ["DEFECTIVE", "DEFECTIVE"]}}, "auto_approval.reasons"),
        ({"reason_rules": {"BORED": {"photo_required": True}}}, "reason_rules.BORED.[key]"),
        ({"return_address": {"country": "France"}}, "return_address.country"),
        ({"refund_shipping": True}, "refund_shipping"),
    ],
    ids=[
        "negative-fee",
        "null-rules",
        "repeated-reason",
        "unknown-reason",
        "address-country-not-a-code",
        "unknown-field",
    ],
)
def test_a_change_is_validated_with_the_whole_policy_it_makes(
    changes: dict[str, Any], field: str
) -> None:
    # Given / When a change would make an invalid policy
    with pytest.raises(ValidationError) as refused:
        STORED.with_changes(changes)
    # Then it is refused, naming the field as the change does
    fields = [".".join(str(part) for part in error["loc"]) for error in refused.value.errors()]
    assert field in fields


# --- Caching per process --------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeStore:
    """The policy storage contract in memory, counting reads."""

    def __init__(self) -> None:
        self.policy, self.version = ReturnPolicy(), 0
        self.reads = 0

    def get(self) -> tuple[ReturnPolicy, int]:
        self.reads += 1
        return self.policy, self.version

    def replace(self, policy: ReturnPolicy, expected_version: int) -> int:
        if expected_version != self.version:
            raise ConcurrentModificationError("policy")
        self.policy, self.version = policy, self.version + 1
        return self.version

    def changed_elsewhere(self, policy: ReturnPolicy) -> None:
        """Another Lambda container stores a policy."""
        self.replace(policy, self.version)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def service(store: FakeStore, clock: FakeClock) -> PolicyService:
    return PolicyService(store, clock=clock)


SHORT_WINDOW = ReturnPolicy(return_window_days=14)


def test_the_policy_is_read_once_a_minute_at_most(
    service: PolicyService, store: FakeStore, clock: FakeClock
) -> None:
    # Given the policy was read once
    service.current()
    # When it is asked for again and again within the minute
    clock.now += CACHE_SECONDS - 0.001
    for _ in range(5):
        service.current()
    # Then storage was read only the first time
    assert store.reads == 1


def test_a_change_made_elsewhere_shows_once_the_minute_is_over(
    service: PolicyService, store: FakeStore, clock: FakeClock
) -> None:
    # Given this process read the policy, and another one then changed it
    service.current()
    store.changed_elsewhere(SHORT_WINDOW)
    # When it is asked for within the minute
    # Then this process still applies the policy it read
    assert service.current() == ReturnPolicy()
    # And when the minute is over it reads and applies the new one
    clock.now += CACHE_SECONDS
    assert service.current() == SHORT_WINDOW
    assert store.reads == 2


def test_a_replacement_through_the_service_applies_at_once(
    service: PolicyService, store: FakeStore
) -> None:
    # Given the policy was read
    service.current()
    # When it is replaced through the same service
    service.replace(SHORT_WINDOW, expected_version=0)
    # Then the new policy applies straight away, without reading storage again
    assert service.current() == SHORT_WINDOW
    assert store.reads == 1


def test_reading_with_the_version_always_reads_storage(
    service: PolicyService, store: FakeStore
) -> None:
    # Given the policy was read, then changed elsewhere
    service.current()
    store.changed_elsewhere(SHORT_WINDOW)
    # When an editor asks for the policy and its version
    # Then they get the stored one, not the cached one
    assert service.current_with_version() == (SHORT_WINDOW, 1)
    # And the service applies it from then on
    assert service.current() == SHORT_WINDOW


def test_a_replacement_or_a_change_without_a_version_is_refused_and_stores_nothing(
    service: PolicyService, store: FakeStore
) -> None:
    # Given a policy stored once already
    store.changed_elsewhere(ReturnPolicy(return_window_days=60))
    # When a policy is replaced, or changed, without saying which version it was edited from
    # Then both are refused as lacking their precondition, naming the version
    with pytest.raises(PreconditionRequiredError) as replacing:
        service.replace(SHORT_WINDOW, expected_version=None)
    with pytest.raises(PreconditionRequiredError) as changing:
        service.change({"return_window_days": 14}, expected_version=None)
    assert replacing.value.details == changing.value.details == {"field": "version"}
    # And nothing was stored
    assert (store.policy, store.version) == (ReturnPolicy(return_window_days=60), 1)


def test_a_change_is_stored_as_the_next_version_and_applies_at_once(
    service: PolicyService, store: FakeStore
) -> None:
    # Given a stored policy, read by the editor at version 1
    store.changed_elsewhere(ReturnPolicy(return_window_days=60, return_fee=Decimal("3.00")))
    # When they change its window from that version
    changed, version = service.change({"return_window_days": 14}, expected_version=1)
    # Then the window alone changed, as version 2, applied at once
    assert (changed.return_window_days, changed.return_fee, version) == (14, Decimal("3.00"), 2)
    assert store.policy == changed
    assert service.current() == changed


def test_a_change_from_a_stale_version_is_refused_without_writing(
    service: PolicyService, store: FakeStore
) -> None:
    # Given a policy stored twice, the editor having read version 1
    store.changed_elsewhere(ReturnPolicy(return_window_days=60))
    store.changed_elsewhere(ReturnPolicy(return_window_days=45))
    # When they change it from version 1
    # Then it is a conflict, and version 2 stays
    with pytest.raises(ConcurrentModificationError):
        service.change({"return_fee": "1.00"}, expected_version=1)
    assert (store.policy, store.version) == (ReturnPolicy(return_window_days=45), 2)


def test_an_invalid_change_stores_nothing(service: PolicyService, store: FakeStore) -> None:
    with pytest.raises(ValidationError):
        service.change({"return_fee": "-1"}, expected_version=0)
    assert store.version == 0


def test_a_replacement_that_loses_a_race_forgets_the_cached_policy(
    service: PolicyService, store: FakeStore
) -> None:
    # Given this process read the policy, and another one then changed it
    service.current()
    store.changed_elsewhere(SHORT_WINDOW)
    # When this process replaces it from the version it read
    with pytest.raises(ConcurrentModificationError):
        service.replace(ReturnPolicy(return_window_days=60), expected_version=0)
    # Then nothing of it was stored, and the winner's policy applies at once
    assert service.current() == SHORT_WINDOW
