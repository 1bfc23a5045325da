"""The return policy as the console's form holds it, and back.

Each field is named after the policy's own path (`auto_approval.max_order_value`), so that a
validation error of the policy lands next to the field it names. The form's values go to
`ReturnPolicy.with_changes` as typed: the policy's model, not the form, decides what is valid.
Waits are typed in days; lists one item a line; sets of reasons as one checkbox a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.labels import label
from chalicelib.domain.order_requests import CLAIM_RESOLUTIONS, ClaimIssue
from chalicelib.domain.policy import (
    DecisionTimeoutAction,
    ExchangePriceDifference,
    ExchangeShipping,
    ReturnPolicy,
    WindowStart,
)
from chalicelib.domain.statuses import ProductState, ReturnReason
from chalicelib.pages.console_views import CONSOLE_LOCALE

CHECKED = "on"
TEXT_FIELDS = (
    "return_window_days",
    "window_starts_from",
    "return_fee",
    "retained_amount_for_shipping",
    "on_decision_timeout",
    "auto_approval.max_order_value",
    "auto_approval.max_returns_per_customer",
    "auto_approval.period_days",
    "store_credit_bonus_percent",
    "exchange_ships",
    "exchange_price_difference",
    "cancellations.window_days",
    "claims.window_days",
    "claims.not_received_after_days",
)
# Empty is no limit (None), not a value for the model to refuse.
_OPTIONAL = frozenset({"auto_approval.max_order_value", "cancellations.window_days"})
LIST_FIELDS = ("non_returnable_skus", "auto_approval.blocklisted_emails")
SWITCHES = (
    "auto_approval.enabled",
    "auto_generate_financial_resolution",
    "auto_execute_financial_resolution",
    "shop_notifies_shopper",
    "cancellations.enabled",
    "cancellations.allow_partially_fulfilled",
    "cancellations.refund",
    "cancellations.restock",
    "claims.enabled",
)
# Sets of choices, one checkbox a value: the return reasons, the order issues, the settlements.
CHOICE_SETS: dict[str, tuple[StrEnum, ...]] = {
    "allowed_reasons": tuple(ReturnReason),
    "auto_approval.reasons": tuple(ReturnReason),
    "claims.issues": tuple(ClaimIssue),
    "claims.photo_required": tuple(ClaimIssue),
    "claims.resolutions": CLAIM_RESOLUTIONS,
}
# The checkboxes' words, as the console says them.
CLAIM_ISSUES = [(issue.value, label(issue, CONSOLE_LOCALE)) for issue in ClaimIssue]
CLAIM_RESOLUTIONS_SHOWN = [(r.value, label(r, CONSOLE_LOCALE)) for r in CLAIM_RESOLUTIONS]
DAYS = ("agent_decision_timeout", "parcel_timeout", "refund_approval_timeout")
_DAY = Decimal(86400)

WINDOW_STARTS = {
    WindowStart.ORDER_DATE.value: "Order date",
    WindowStart.DELIVERY_DATE.value: "Delivery date",
}
TIMEOUT_ACTIONS = {
    DecisionTimeoutAction.HOLD.value: "Put the return on hold",
    DecisionTimeoutAction.KEEP_WAITING.value: "Keep waiting",
}
EXCHANGE_SHIPPING = {
    ExchangeShipping.ON_RECEIPT.value: "Once the returned items are received",
    ExchangeShipping.ON_APPROVAL.value: "As soon as the return is approved",
}
EXCHANGE_PRICES = {
    ExchangePriceDifference.SAME_PRICE_ONLY.value: "Only variants at the same price",
    ExchangePriceDifference.SETTLE.value: "Any variant: refund or invoice the difference",
}


def fields_of(policy: ReturnPolicy) -> dict[str, str]:
    """The form's fields filled with `policy`."""
    data = policy.model_dump(mode="json")
    fields = {name: _text(_at(data, name)) for name in (*TEXT_FIELDS, *LIST_FIELDS)}
    fields.update({name: CHECKED for name in SWITCHES if _at(data, name)})
    for name in CHOICE_SETS:
        fields.update({f"{name}.{value}": CHECKED for value in _at(data, name)})
    for reason in ReturnReason:
        if policy.photo_required(reason):
            fields[f"reason_rules.{reason.value}.photo_required"] = CHECKED
    for state in ProductState:
        fields[f"deductions_by_product_state.{state.value}"] = str(policy.deduction_percent(state))
    for name in DAYS:
        fields[name] = _days(getattr(policy, name))
    return fields


def changes_from(form: Mapping[str, str], current: ReturnPolicy) -> dict[str, Any]:
    """The changes the form makes to `current`, as `ReturnPolicy.with_changes` reads them."""
    changes: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        typed = form.get(name, "").strip()
        # An empty limit is no limit; any other empty field is left for the model to refuse.
        _put(changes, name, None if not typed and name in _OPTIONAL else typed)
    for name in LIST_FIELDS:
        _put(
            changes,
            name,
            [item.strip() for item in form.get(name, "").splitlines() if item.strip()],
        )
    for name in SWITCHES:
        _put(changes, name, form.get(name) == CHECKED)
    for name, choices in CHOICE_SETS.items():
        _put(
            changes,
            name,
            [value.value for value in choices if form.get(f"{name}.{value.value}") == CHECKED],
        )
    # A rule is written for the reasons that have one, and the reasons checked: a reason
    # unchecked keeps no rule it did not have.
    changes["reason_rules"] = {
        r.value: {"photo_required": form.get(f"reason_rules.{r.value}.photo_required") == CHECKED}
        for r in ReturnReason
        if r in current.reason_rules or form.get(f"reason_rules.{r.value}.photo_required")
    }
    changes["deductions_by_product_state"] = {
        s.value: form.get(f"deductions_by_product_state.{s.value}", "").strip()
        for s in ProductState
    }
    for name in DAYS:
        changes[name] = _seconds(form.get(name, "").strip())
    return changes


def errors_by_field(error: ValidationError, fields: Mapping[str, str]) -> dict[str, str]:
    """Each problem of `error` under the name of the form's field it is about (the nearest
    field its location starts with); a problem no field shows goes under ""."""
    known = {*fields, *TEXT_FIELDS, *LIST_FIELDS, *DAYS, *CHOICE_SETS}
    errors: dict[str, str] = {}
    for problem in error.errors():
        path = [str(part) for part in problem["loc"]]
        names = [".".join(path[:end]) for end in range(len(path), 0, -1)]
        field = next((name for name in names if name in known), "")
        errors.setdefault(field, _sentence(problem["msg"]))
    return errors


def _sentence(message: str) -> str:
    text = message.removeprefix("Value error, ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _at(data: Mapping[str, Any], name: str) -> Any:
    value: Any = data
    for part in name.split("."):
        value = value[part]
    return value


def _put(changes: dict[str, Any], name: str, value: Any) -> None:
    *parents, last = name.split(".")
    target = changes
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)


def _days(wait: timedelta) -> str:
    days = Decimal(str(wait.total_seconds())) / _DAY
    return f"{days.normalize():f}"


def _seconds(typed: str) -> Any:
    """Days typed as a number, in seconds; anything else as typed, for the model to refuse."""
    try:
        return float(Decimal(typed) * _DAY)
    except InvalidOperation:
        return typed
