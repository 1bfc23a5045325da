"""Specification of the console's policy editor: the policy in a form, saved as the admin API
saves a change, from the version the page showed; a refused form comes back as typed, each
problem next to its field, and a policy someone saved meanwhile is never overwritten unseen."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from chalicelib.api.console_auth import CSRF_FIELD
from chalicelib.domain.statuses import ReturnReason
from tests.console_support import csrf_of, post
from tests.support import ADMIN_AUTH, body

PAGE = "/console/policy"


def form_of(page: Any) -> dict[str, str]:
    """The fields the page's form sends as it is shown: inputs, the selected options, the
    checked boxes and the text areas."""
    html = page.body.decode()
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or " checked" in tag):
            fields[name.group(1)] = value.group(1) if value else ""
    for name, options in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        fields[name] = re.search(r'<option value="([^"]+)" selected', options).group(1)
    for name, text in re.findall(
        r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S
    ):
        fields[name] = text
    return fields


def save(api: Any, cookie: str, fields: dict[str, str]) -> Any:
    return post(api, PAGE, {**fields, CSRF_FIELD: csrf_of(cookie)}, Cookie=cookie)


def stored(api: Any) -> dict[str, Any]:
    return body(api.http.get("/config/policy", headers=ADMIN_AUTH))


def field_error(page: Any, field: str) -> str:
    html = page.body.decode()
    found = re.search(
        rf'<p id="f-{field.replace(".", "-")}-error" class="field-error">([^<]*)', html
    )
    assert found, f"no error next to {field}"
    return found.group(1)


def test_the_form_shows_the_policy_and_saving_it_unchanged_changes_nothing(
    console: Any, cookie: str
) -> None:
    # Given the default policy, stored
    before = stored(console)
    # When the merchant opens the editor and saves it as it is
    page = console.http.get(PAGE, headers={"Cookie": cookie})
    assert page.status_code == 200
    answer = save(console, cookie, form_of(page))
    # Then they are sent back to it, told it is saved, and the policy is the same, one version on
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{PAGE}?done=saved"
    after = stored(console)
    assert after["policy"] == before["policy"]
    assert after["version"] == before["version"] + 1


def test_a_policy_edited_in_the_form_is_the_policy_stored(console: Any, cookie: str) -> None:
    # Given the editor
    fields = form_of(console.http.get(PAGE, headers={"Cookie": cookie}))
    # When the merchant sets a 14-day window, a fee, a wait in days, a blocked customer and no
    # more automatic approval of unsatisfied customers, and clears the value limit
    fields.update(
        {
            "return_window_days": "14",
            "return_fee": "4.90",
            "agent_decision_timeout": "1.5",
            "auto_approval.blocklisted_emails": "serial@example.com\n\n  other@example.com ",
            "auto_approval.max_order_value": "",
            "deductions_by_product_state.WORE": "12.5",
        }
    )
    del fields["auto_approval.reasons.UNSATISFIED"]
    assert save(console, cookie, fields).status_code == 303
    # Then the stored policy says exactly that
    policy = stored(console)["policy"]
    assert policy["return_window_days"] == 14
    assert Decimal(policy["return_fee"]) == Decimal("4.90")
    assert policy["agent_decision_timeout"] == "P1DT12H"
    assert policy["auto_approval"]["blocklisted_emails"] == [
        "serial@example.com",
        "other@example.com",
    ]
    assert policy["auto_approval"]["max_order_value"] is None
    assert ReturnReason.UNSATISFIED not in policy["auto_approval"]["reasons"]
    assert Decimal(policy["deductions_by_product_state"]["WORE"]) == Decimal("12.5")
    # And the form shows it back
    again = form_of(console.http.get(PAGE, headers={"Cookie": cookie}))
    assert (again["return_window_days"], again["agent_decision_timeout"]) == ("14", "1.5")


def test_invalid_fields_are_refused_each_next_to_its_field_the_form_as_typed(
    console: Any, cookie: str
) -> None:
    # Given the editor
    fields = form_of(console.http.get(PAGE, headers={"Cookie": cookie}))
    before = stored(console)
    # When the merchant types a negative window, a fee with three decimals and a percent over 100
    fields.update(
        {
            "return_window_days": "-3",
            "return_fee": "4.999",
            "deductions_by_product_state.WORE": "120",
        }
    )
    answer = save(console, cookie, fields)
    # Then nothing is stored, and each problem is said next to its field
    assert answer.status_code == 400
    assert stored(console) == before
    assert "greater than or equal to 0" in field_error(answer, "return_window_days")
    assert "decimal places" in field_error(answer, "return_fee")
    assert "less than or equal to 100" in field_error(answer, "deductions_by_product_state.WORE")
    # And the form keeps what was typed
    kept = form_of(answer)
    assert (kept["return_window_days"], kept["return_fee"]) == ("-3", "4.999")


def test_a_policy_saved_by_someone_else_meanwhile_is_not_overwritten_unseen(
    console: Any, cookie: str
) -> None:
    # Given the editor open at one version
    fields = form_of(console.http.get(PAGE, headers={"Cookie": cookie}))
    # And a colleague who saves a 60-day window through the admin API meanwhile
    changed = console.http.patch(
        "/config/policy",
        headers={**ADMIN_AUTH, "Content-Type": "application/json"},
        body=json.dumps({"policy": {"return_window_days": 60}, "version": int(fields["version"])}),
    )
    assert changed.status_code == 200
    # When the merchant saves a 14-day window from the page they had open
    answer = save(console, cookie, {**fields, "return_window_days": "14"})
    # Then they are told, their typing kept, and the colleague's window stands
    assert answer.status_code == 409
    assert "Someone else saved the policy while you were editing it" in answer.body.decode()
    kept = form_of(answer)
    assert kept["return_window_days"] == "14"
    assert stored(console)["policy"]["return_window_days"] == 60
    # When they save again, having seen it
    assert save(console, cookie, kept).status_code == 303
    # Then theirs is stored
    assert stored(console)["policy"]["return_window_days"] == 14


def test_the_rules_of_cancellations_and_order_issues_are_edited_in_the_form(
    console: Any, cookie: str
) -> None:
    # Given the form as shown
    fields = form_of(console.http.get(PAGE, headers={"Cookie": cookie}))
    assert fields["claims.issues.WRONG_ITEM"] == "on"
    assert fields["cancellations.window_days"] == ""
    # When a merchant lets partly shipped orders be canceled within 3 days, stops offering
    # "wrong item", asks for a photo of a missing item too, and settles by refund only
    del fields["claims.issues.WRONG_ITEM"]
    del fields["claims.resolutions.VOUCHER"]
    del fields["claims.resolutions.REPLACE"]
    fields.update(
        {
            "cancellations.allow_partially_fulfilled": "on",
            "cancellations.window_days": "3",
            "claims.photo_required.MISSING_ITEM": "on",
            "claims.not_received_after_days": "14",
        }
    )
    saved = save(console, cookie, fields)
    # Then the stored policy has exactly those rules
    assert saved.status_code == 303, saved.body
    policy = stored(console)["policy"]
    assert policy["cancellations"]["allow_partially_fulfilled"] is True
    assert policy["cancellations"]["window_days"] == 3
    assert policy["claims"]["issues"] == ["NOT_RECEIVED", "DAMAGED", "MISSING_ITEM"]
    assert policy["claims"]["photo_required"] == ["DAMAGED", "MISSING_ITEM"]
    assert policy["claims"]["resolutions"] == ["REFUND"]
    assert policy["claims"]["not_received_after_days"] == 14
