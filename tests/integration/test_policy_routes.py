"""Specification of the return policy's storage (DynamoDB, under moto) and of its admin routes:
`GET /config/policy`, `PUT` (the whole policy) and `PATCH` (some of its fields), each change
made from the version its editor read."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.statuses import ProductState
from chalicelib.errors import ConcurrentModificationError
from chalicelib.repositories.policy_repository import PolicyRepository
from chalicelib.services import container
from chalicelib.services.policy_service import CACHE_SECONDS, PolicyService
from tests.support import ADMIN_AUTH, JSON, WIDGET_AUTH, body

PATH = "/config/policy"


@pytest.fixture
def repository(aws: None) -> PolicyRepository:
    return PolicyRepository(os.environ["TABLE_NAME"])


def policy_json(**changes: Any) -> dict[str, Any]:
    """A policy a merchant would PUT: a 14-day window from the order, a fee, a return address."""
    return {
        "return_window_days": 14,
        "window_starts_from": "ORDER_DATE",
        "non_returnable_skus": ["GIFT-CARD"],
        "allowed_reasons": ["SIZE_PROBLEM", "DEFECTIVE", "DAMAGED_PRODUCT"],
        "reason_rules": {"DEFECTIVE": {"photo_required": True}},
        "auto_approval": {
            "reasons": ["SIZE_PROBLEM"],
            "max_order_value": "150.00",
            "blocklisted_emails": ["serial.returner@example.com"],
        },
        "return_fee": "4.90",
        "deductions_by_product_state": {"WORE": "12.5", "DAMAGED": "100"},
        "agent_decision_timeout": "PT36H",
        "on_decision_timeout": "KEEP_WAITING",
        "parcel_timeout": 1_296_000,
        "return_address": {
            "name": "Returns, Shop SAS",
            "address_lines": ["12 rue des Entrepôts"],
            "city": "Lyon",
            "postal_code": "69007",
            "country": "FR",
        },
        **changes,
    }


FOURTEEN_DAYS = ReturnPolicy(return_window_days=14)
SIXTY_DAYS = ReturnPolicy(return_window_days=60)


# --- Storage --------------------------------------------------------------------------------


def test_until_a_policy_is_stored_the_default_one_applies_as_version_0(
    repository: PolicyRepository,
) -> None:
    # Given / When the policy of a new deployment is read
    # Then it is the default policy, at version 0
    assert repository.get() == (ReturnPolicy(), 0)


def test_a_stored_policy_reads_back_exactly_with_every_field(
    repository: PolicyRepository,
) -> None:
    # Given a policy setting every kind of field: durations, percents, money, None, an address
    policy = ReturnPolicy.model_validate(policy_json())
    # When it is stored as the first version and read back
    version = repository.replace(policy, expected_version=0)
    # Then it is the same policy, at version 1
    assert version == 1
    assert repository.get() == (policy, 1)
    assert policy.parcel_timeout == timedelta(days=15)
    assert policy.deduction_percent(ProductState.WORE) == Decimal("12.5")


def test_each_replacement_is_one_version_more(repository: PolicyRepository) -> None:
    # Given a stored policy
    repository.replace(FOURTEEN_DAYS, expected_version=0)
    # When it is replaced from the version read
    version = repository.replace(SIXTY_DAYS, expected_version=1)
    # Then the new policy is stored as version 2
    assert version == 2
    assert repository.get() == (SIXTY_DAYS, 2)


@pytest.mark.parametrize(
    ("stored_versions", "expected_version"),
    [(0, 1), (1, 0), (1, 2), (2, 1)],
    ids=["none-stored", "first-write-over-one", "ahead", "stale"],
)
def test_a_replacement_from_another_version_than_the_stored_one_is_refused(
    repository: PolicyRepository, stored_versions: int, expected_version: int
) -> None:
    # Given a policy stored `stored_versions` times
    for version in range(stored_versions):
        repository.replace(ReturnPolicy(return_window_days=20 + version), expected_version=version)
    before = repository.get()
    # When a replacement names another version
    with pytest.raises(ConcurrentModificationError) as refused:
        repository.replace(SIXTY_DAYS, expected_version=expected_version)
    # Then it is refused, saying it is the policy that changed, and nothing was written
    assert refused.value.details == {"reference": "policy"}
    assert repository.get() == before


def test_every_lambda_container_applies_a_change_within_the_minute(
    repository: PolicyRepository,
) -> None:
    # Given two Lambda containers, each with its own service and clock, both having read the
    # default policy
    clock = {"now": 0.0}
    editor = PolicyService(repository, clock=lambda: clock["now"])
    other = PolicyService(PolicyRepository(os.environ["TABLE_NAME"]), clock=lambda: clock["now"])
    assert editor.current() == other.current() == ReturnPolicy()
    # When the policy is replaced through the first
    editor.replace(FOURTEEN_DAYS, expected_version=0)
    # Then the first applies it at once, the other once its minute is over
    assert editor.current() == FOURTEEN_DAYS
    clock["now"] += CACHE_SECONDS - 1
    assert other.current() == ReturnPolicy()
    clock["now"] += 1
    assert other.current() == FOURTEEN_DAYS


class InterleavingRepository(PolicyRepository):
    """Storage where someone else stores a policy right after this one reads the version."""

    def __init__(self, rival: ReturnPolicy) -> None:
        super().__init__(os.environ["TABLE_NAME"])
        self._rival: ReturnPolicy | None = rival

    def get(self) -> tuple[ReturnPolicy, int]:
        read = super().get()
        if self._rival is not None:
            PolicyRepository(os.environ["TABLE_NAME"]).replace(self._rival, read[1])
            self._rival = None
        return read


def test_a_change_never_silently_overwrites_one_stored_while_it_was_made(aws: None) -> None:
    # Given a change from version 0, during which another policy is stored
    service = PolicyService(InterleavingRepository(rival=SIXTY_DAYS))
    # When it writes
    with pytest.raises(ConcurrentModificationError):
        service.change({"return_fee": "1.00"}, expected_version=0)
    # Then it is refused, and the other one stays, applied at once
    assert PolicyRepository(os.environ["TABLE_NAME"]).get() == (SIXTY_DAYS, 1)
    assert service.current() == SIXTY_DAYS


# --- Routes ---------------------------------------------------------------------------------


def put(api: Any, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return api.http.put(
        PATH,
        headers={**JSON, **(ADMIN_AUTH if headers is None else headers)},
        body=json.dumps(payload),
    )


def patch(api: Any, payload: Any) -> Any:
    return api.http.request("PATCH", PATH, headers={**JSON, **ADMIN_AUTH}, body=json.dumps(payload))


def get(api: Any) -> dict[str, Any]:
    response = api.http.get(PATH, headers=ADMIN_AUTH)
    assert response.status_code == 200, response.body
    return body(response)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is the JSON error envelope with `status` and `code`; returns its details."""
    assert response.status_code == status, response.body
    assert set(body(response)) == {"error"}
    error = body(response)["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    return error["details"]


@pytest.mark.parametrize(
    "headers",
    [{}, WIDGET_AUTH, {"Authorization": "Bearer not-the-token"}],
    ids=["no-token", "widget-token", "wrong-token"],
)
def test_only_the_admin_token_reads_or_replaces_the_policy(
    api: Any, headers: dict[str, str]
) -> None:
    # Given / When the policy is read, replaced or changed without the admin token
    reading = api.http.get(PATH, headers=headers)
    replacing = put(api, {"policy": policy_json(), "version": 0}, headers)
    changing = api.http.request(
        "PATCH",
        PATH,
        headers={**JSON, **headers},
        body=json.dumps({"policy": {"return_window_days": 10}, "version": 0}),
    )
    # Then all are a 401, and the policy is untouched
    assert_error(reading, 401, "unauthorized")
    assert_error(replacing, 401, "unauthorized")
    assert_error(changing, 401, "unauthorized")
    assert get(api)["version"] == 0


def test_a_new_deployment_shows_the_default_policy_at_version_0(api: Any) -> None:
    # Given / When the merchant reads the policy of a new deployment
    shown = get(api)
    # Then it is the default policy, written in JSON, timeouts as ISO 8601 durations
    assert shown == {"policy": ReturnPolicy().model_dump(mode="json"), "version": 0}
    assert (shown["policy"]["agent_decision_timeout"], shown["policy"]["parcel_timeout"]) == (
        "P2D",
        "P30D",
    )


def test_a_replaced_policy_is_answered_and_read_back_as_stored(api: Any) -> None:
    # Given / When the merchant replaces the policy of a new deployment
    response = put(api, {"policy": policy_json(), "version": 0})
    # Then the answer is the stored policy, in its canonical JSON, at version 1
    assert response.status_code == 200, response.body
    stored = body(response)
    assert stored["version"] == 1
    assert stored["policy"]["agent_decision_timeout"] == "P1DT12H"
    assert stored["policy"]["parcel_timeout"] == "P15D"
    assert stored["policy"]["auto_approval"]["max_returns_per_customer"] == 3
    # And reading it back gives the same
    assert get(api) == stored
    # And the lifecycle applies it at once
    assert container.policy_service().current().return_window_days == 14


def test_an_edit_from_the_version_read_goes_through(api: Any) -> None:
    # Given a stored policy, read by the merchant
    put(api, {"policy": policy_json(), "version": 0})
    read = get(api)
    # When they change the window and send it back with the version they read
    edited = {**read["policy"], "return_window_days": 21}
    response = put(api, {"policy": edited, "version": read["version"]})
    # Then it is stored as the next version
    assert response.status_code == 200, response.body
    assert (body(response)["version"], get(api)["policy"]["return_window_days"]) == (2, 21)


def test_an_edit_from_a_stale_version_is_a_conflict_and_changes_nothing(api: Any) -> None:
    # Given two people read version 1 of the policy, and one of them saved an edit
    put(api, {"policy": policy_json(), "version": 0})
    put(api, {"policy": policy_json(return_window_days=21), "version": 1})
    before = get(api)
    # When the other one saves theirs from version 1
    response = put(api, {"policy": policy_json(return_window_days=45), "version": 1})
    # Then it is a 409 in the envelope, and the first edit stays
    assert assert_error(response, 409, "concurrent_modification") == {"reference": "policy"}
    assert get(api) == before


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_change_without_the_version_read_is_a_428_and_changes_nothing(
    api: Any, method: str
) -> None:
    # Given a stored policy with a fee
    put(api, {"policy": policy_json(), "version": 0})
    before = get(api)
    # When a policy saying only the window is sent without a version
    response = api.http.request(
        method,
        PATH,
        headers={**JSON, **ADMIN_AUTH},
        body=json.dumps({"policy": {"return_window_days": 10}}),
    )
    # Then it is refused as lacking its precondition, naming the version, and nothing changed:
    # it may have been written from a policy older than the stored one
    assert assert_error(response, 428, "precondition_required") == {"field": "version"}
    assert get(api) == before


def test_a_replacement_is_the_whole_policy_and_what_is_left_out_is_the_default(
    api: Any,
) -> None:
    # Given a stored policy with a fee
    put(api, {"policy": policy_json(), "version": 0})
    # When a policy saying only the window is put from the version read
    response = put(api, {"policy": {"return_window_days": 10}, "version": 1})
    # Then everything else is back to the default, the fee included
    assert response.status_code == 200, response.body
    assert get(api)["policy"] == ReturnPolicy(return_window_days=10).model_dump(mode="json")


def test_a_patch_changes_only_the_fields_it_names(api: Any) -> None:
    # Given a stored policy, read by the merchant
    put(api, {"policy": policy_json(), "version": 0})
    read = get(api)
    # When they change the fee, one auto-approval rule and one deduction from the version read
    response = patch(
        api,
        {
            "policy": {
                "return_fee": "2.00",
                "auto_approval": {"enabled": False},
                "deductions_by_product_state": {"WORE": "15"},
            },
            "version": read["version"],
        },
    )
    # Then the answer is the whole policy as stored, as the next version
    assert response.status_code == 200, response.body
    changed = body(response)
    assert changed["version"] == 2
    assert get(api) == changed
    # And only what was named changed: the other rules, deductions and fields are as read
    expected = json.loads(json.dumps(read["policy"]))
    expected["return_fee"] = "2.00"
    expected["auto_approval"]["enabled"] = False
    expected["deductions_by_product_state"]["WORE"] = "15"
    assert changed["policy"] == expected
    # And the lifecycle applies it at once
    assert container.policy_service().current().return_fee == Decimal("2.00")


def test_a_patch_clears_the_return_address_with_null(api: Any) -> None:
    # Given a stored policy with a return address
    put(api, {"policy": policy_json(), "version": 0})
    # When the address is set to null
    response = patch(api, {"policy": {"return_address": None}, "version": 1})
    # Then there is none any more, and the rest is kept
    assert response.status_code == 200, response.body
    assert body(response)["policy"]["return_address"] is None
    assert body(response)["policy"]["return_fee"] == "4.90"


def test_a_patch_of_a_new_deployment_changes_the_default_policy(api: Any) -> None:
    # Given / When the merchant of a new deployment changes only the window, from version 0
    response = patch(api, {"policy": {"return_window_days": 60}, "version": 0})
    # Then the stored policy is the default one with that window, as version 1
    assert response.status_code == 200, response.body
    assert get(api) == {
        "policy": ReturnPolicy(return_window_days=60).model_dump(mode="json"),
        "version": 1,
    }


def test_a_patch_from_a_stale_version_is_a_conflict_and_changes_nothing(api: Any) -> None:
    # Given two people read version 1, and one of them saved a change
    put(api, {"policy": policy_json(), "version": 0})
    patch(api, {"policy": {"return_window_days": 21}, "version": 1})
    before = get(api)
    # When the other one saves theirs from version 1
    response = patch(api, {"policy": {"return_fee": "0.00"}, "version": 1})
    # Then it is a 409 in the envelope, and the first change stays
    assert assert_error(response, 409, "concurrent_modification") == {"reference": "policy"}
    assert get(api) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"policy": {"return_fee": "-1.00"}, "version": 1}, "policy.return_fee"),
        ({"policy": {"auto_approval": None}, "version": 1}, "policy.auto_approval"),
        (
            {"policy": {"auto_approval": {"reasons": ["DEFECTIVE", "DEFECTIVE"]}}, "version": 1},
            "policy.auto_approval.reasons",
        ),
        (
            {"policy": {"reason_rules": {"BORED": {"photo_required": True}}}, "version": 1},
            "policy.reason_rules.BORED.[key]",
        ),
        ({"policy": {"refund_shipping": True}, "version": 1}, "policy.refund_shipping"),
        ({"policy": ["return_fee"], "version": 1}, "policy"),
        ({"policy": {"return_fee": "1.00"}, "version": -1}, "version"),
        ({"version": 1}, "policy"),
    ],
    ids=[
        "negative-fee",
        "null-rules",
        "repeated-reason",
        "rule-for-unknown-reason",
        "unknown-key",
        "not-an-object",
        "negative-version",
        "no-policy",
    ],
)
def test_a_patch_making_an_invalid_policy_is_a_400_naming_the_field_and_changes_nothing(
    api: Any, payload: dict[str, Any], field: str
) -> None:
    # Given a stored policy
    put(api, {"policy": policy_json(), "version": 0})
    before = get(api)
    # When a change that would make it invalid is sent
    response = patch(api, payload)
    # Then it is a 400 naming the field as the body does, and the stored policy is untouched
    details = assert_error(response, 400, "validation_error")
    assert [problem["field"] for problem in details["errors"]] == [field]
    assert field in body(response)["error"]["message"]
    assert get(api) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"policy": policy_json(allowed_reasons=["SIZE_PROBLEM", "BORED"])}, "allowed_reasons.1"),
        ({"policy": policy_json(return_fee="-1.00")}, "return_fee"),
        (
            {"policy": policy_json(deductions_by_product_state={"WORE": "120"})},
            "deductions_by_product_state.WORE",
        ),
        ({"policy": policy_json(agent_decision_timeout="P2Y")}, "agent_decision_timeout"),
        ({"policy": policy_json(parcel_timeout=0)}, "parcel_timeout"),
        (
            {"policy": policy_json(reason_rules={"BORED": {"photo_required": True}})},
            "reason_rules.BORED.[key]",
        ),
        ({"policy": policy_json(refund_shipping=True)}, "refund_shipping"),
        (
            {"policy": policy_json(auto_approval={"reasons": ["DEFECTIVE", "DEFECTIVE"]})},
            "auto_approval.reasons",
        ),
        ({"policy": policy_json(), "version": -1}, "version"),
        ({"policy": policy_json(), "etag": "1"}, "etag"),
        ({"version": 0}, "policy"),
    ],
    ids=[
        "unknown-reason",
        "negative-fee",
        "percent-over-100",
        "two-year-timeout",
        "zero-timeout",
        "rule-for-unknown-reason",
        "unknown-key",
        "repeated-reason",
        "negative-version",
        "unknown-body-key",
        "no-policy",
    ],
)
def test_an_invalid_policy_is_a_400_naming_the_field_and_changes_nothing(
    api: Any, payload: dict[str, Any], field: str
) -> None:
    # Given a stored policy
    put(api, {"policy": policy_json(), "version": 0})
    before = get(api)
    # When a policy with one wrong value is sent
    response = put(api, payload)
    # Then it is a 400 naming the field, and the stored policy is untouched
    details = assert_error(response, 400, "validation_error")
    prefix = "" if field in {"version", "etag", "policy"} else "policy."
    assert [problem["field"] for problem in details["errors"]] == [prefix + field]
    assert get(api) == before


def test_a_body_that_is_not_json_is_a_400(api: Any) -> None:
    # Given / When a truncated body is sent
    response = api.http.put(PATH, headers={**ADMIN_AUTH, **JSON}, body='{"policy": {')
    # Then it is a 400 saying so
    assert_error(response, 400, "malformed_json")
    assert get(api)["version"] == 0
