"""Specification of a return's page in the merchant console: the return in words, the actions
its state allows and no other, each one the admin API's use case acting as the signed-in
merchant, and a page left open while someone else changed the return refused in words."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.api.console_auth import CSRF_FIELD
from tests.console_support import MERCHANT, csrf_of, post
from tests.integration.test_admin_routes import get, open_return, walk
from tests.support import rma_payload

REFERENCE = "R-001001"
PAGE = f"/console/returns/{REFERENCE}"


def show(api: Any, cookie: str, path: str = PAGE) -> Any:
    return api.http.get(path, headers={"Cookie": cookie})


def act(api: Any, cookie: str, action: str, **fields: str) -> Any:
    """Post the page's form of `action` as the browser would, with the version it showed
    unless `fields` says another."""
    version = str(get(api, f"/rmas/{REFERENCE}")["version"])
    form = {CSRF_FIELD: csrf_of(cookie), "version": version, **fields}
    return post(api, f"{PAGE}/{action}", form, Cookie=cookie)


def offered(page: Any) -> set[str]:
    """The actions whose forms the page holds."""
    return set(re.findall(rf'action="/console/returns/{REFERENCE}/(\w+)"', page.body.decode()))


def text(page: Any) -> str:
    """The page's words, as a person reads them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.body.decode())).replace(" .", ".")


def field_error(page: Any, field_id: str) -> str:
    """The error the page shows next to the field `field_id`."""
    found = re.search(
        rf'<p id="{field_id}-error" class="field-error">([^<]*)</p>', page.body.decode()
    )
    assert found, f"no error next to {field_id}"
    return found.group(1)


def test_the_page_shows_the_return_in_words(console: Any, cookie: str) -> None:
    # Given a return waiting for a decision
    open_return(console, rma_payload(lines=[{**rma_payload()["lines"][0], "comment": "Too tight"}]))
    walk(console, REFERENCE, "submit")
    # When the merchant opens its page
    page = show(console, cookie)
    # Then it says who, what, why, and its statuses in words
    assert page.status_code == 200
    words = text(page)
    for expected in (
        "Return R-001001",
        "Awaiting approval",
        "Not shipped yet",
        "Refund pending",
        "Waiting for items",
        "jane.doe@example.com",
        "#1001",
        "Blue T-shirt (M)",
        "Size doesn&#39;t fit",
        "Too tight",
        "25.00 EUR",
        "Submitted",
        "Awaiting approval",
    ):
        assert expected in words, expected
    # And it offers what a return waiting for a decision allows, and nothing else
    assert offered(page) == {"approve", "reject", "hold", "cancel"}


def test_approving_through_the_page_moves_the_return_as_the_admin_api_does(
    console: Any, cookie: str
) -> None:
    # Given two returns waiting for a decision
    open_return(console)
    open_return(console, rma_payload(order={"number": "#1002", "ordered_at": "2026-11-01"}))
    walk(console, REFERENCE, "submit")
    walk(console, "R-001002", "submit")
    # When the merchant approves the first on its page, and the API accepts the second
    answer = act(console, cookie, "approve", note="Looks fine")
    by_api = walk(console, "R-001002", "accept")
    # Then the browser goes back to the page, which says it is done
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{PAGE}?done=approve"
    assert "The return is approved." in text(show(console, cookie, answer.headers["Location"]))
    # And both returns are alike in every status
    by_page = get(console, f"/rmas/{REFERENCE}")
    for status in ("processing_status", "delivery_status", "financial_status"):
        assert by_page[status] == by_api[status]
    assert by_page["version"] == by_api["version"]
    # And the log names the merchant who acted, from the console
    last = get(console, f"/rmas/{REFERENCE}/events")["events"][-1]
    assert last["actor"] == {
        "channel": "admin",
        "email": MERCHANT,
        "id": None,
        "name": None,
        "gorgias_ticket_id": None,
    }
    assert (last["action"], last["from_status"], last["to_status"], last["note"]) == (
        "accept",
        "REQUESTED",
        "ACCEPTED",
        "Looks fine",
    )
    # And the page's log says it in words
    words = text(show(console, cookie))
    assert "Approved — Awaiting approval → Approved" in words
    assert f"{MERCHANT} via the console or admin API" in words


def test_a_rejection_needs_its_reason_next_to_the_field(console: Any, cookie: str) -> None:
    # Given a return waiting for a decision
    open_return(console)
    walk(console, REFERENCE, "submit")
    # When the merchant rejects it without a reason
    answer = act(console, cookie, "reject", reason="  ")
    # Then the page says so next to the field, and nothing changed
    assert answer.status_code == 400
    assert field_error(answer, "reject-reason").startswith("A reason is required")
    assert get(console, f"/rmas/{REFERENCE}")["processing_status"] == "REQUESTED"
    # When they give one
    act(console, cookie, "reject", reason="Worn and washed")
    # Then it is rejected, the reason in the log
    assert get(console, f"/rmas/{REFERENCE}")["processing_status"] == "REJECTED"
    assert get(console, f"/rmas/{REFERENCE}/events")["events"][-1]["note"] == "Worn and washed"


def test_a_page_left_open_while_someone_changed_the_return_acts_on_nothing(
    console: Any, cookie: str
) -> None:
    # Given a return the merchant's page showed at one version
    open_return(console)
    walk(console, REFERENCE, "submit")
    shown = str(get(console, f"/rmas/{REFERENCE}")["version"])
    # And an agent who put it on hold meanwhile
    walk(console, REFERENCE, "hold")
    # When the merchant cancels it from their page
    answer = act(console, cookie, "cancel", version=shown)
    # Then they are told, in words, on the page as it is now, and nothing changed
    assert answer.status_code == 409
    assert "Someone changed this return meanwhile" in text(answer)
    assert offered(answer) == {"approve", "reject", "resume"}
    assert get(console, f"/rmas/{REFERENCE}")["processing_status"] == "ON_HOLD"


def test_an_action_the_state_does_not_allow_is_not_offered_and_refused_if_posted(
    console: Any, cookie: str
) -> None:
    # Given a return waiting for a decision: nothing came back, no refund awaits
    open_return(console)
    walk(console, REFERENCE, "submit")
    assert not offered(show(console, cookie)) & {"receive", "refund", "complete", "resume"}
    # When forms for those are posted anyway
    for action, fields in (
        ("receive", {"received-TSHIRT-BLUE-M": "1", "state-TSHIRT-BLUE-M": "WORE"}),
        ("refund", {"amount": "10.00"}),
        ("complete", {}),
        ("resume", {}),
    ):
        answer = act(console, cookie, action, **fields)
        # Then each is refused in words, and the return is as it was
        assert answer.status_code == 409, action
        assert "Return R-001001 is waiting for a decision; it cannot be" in text(answer)
    assert get(console, f"/rmas/{REFERENCE}")["version"] == 2


def test_receiving_then_refunding_through_the_page_finishes_a_return_no_lifecycle_carries(
    console: Any, cookie: str
) -> None:
    # Given an approved return of two units, no lifecycle configured
    open_return(console, rma_payload(lines=[{**rma_payload()["lines"][0], "quantity": 2}]))
    walk(console, REFERENCE, "submit", "accept")
    assert offered(show(console, cookie)) == {"receive", "hold", "cancel"}
    # When one unit comes back new and one worn
    act(
        console,
        cookie,
        "receive",
        **{"received-TSHIRT-BLUE-M": "1", "state-TSHIRT-BLUE-M": "BRAND_NEW_WITH_LABEL"},
    )
    act(
        console, cookie, "receive", **{"received-TSHIRT-BLUE-M": "1", "state-TSHIRT-BLUE-M": "WORE"}
    )
    # Then the return is being processed with both units in, and the page computes the refund
    # as the policy does (20 % kept back for the worn one)
    stored = get(console, f"/rmas/{REFERENCE}")
    assert stored["processing_status"] == "PROCESSING"
    assert stored["lines"][0]["received_states"] == {"BRAND_NEW_WITH_LABEL": 1, "WORE": 1}
    page = show(console, cookie)
    assert offered(page) == {"refund", "hold"}
    for figure in ("50.00 EUR", "-5.00 EUR", "45.00 EUR", "1 x New, with tags, 1 x Worn"):
        assert figure in text(page), figure
    # When the merchant asks for more than was paid
    refused = act(console, cookie, "refund", amount="80.00")
    # Then the service's limit is said next to the amount, which keeps what was typed
    assert refused.status_code == 400
    assert field_error(refused, "refund-amount").startswith(
        "A refund of return R-001001 is at most 50.00 EUR"
    )
    assert 'value="80.00"' in refused.body.decode()
    # When they approve the 45.00 the page suggests, as it is
    assert 'name="suggested_amount" value="45.00"' in page.body.decode()
    done = act(console, cookie, "refund", amount="45.00", suggested_amount="45.00")
    # Then the refund computed is approved, paid, and the return complete
    assert done.status_code == 303
    notes = [e["note"] for e in get(console, f"/rmas/{REFERENCE}/events")["events"]]
    assert any(note and note.startswith("Refund approved; computed 45.00 EUR") for note in notes)
    stored = get(console, f"/rmas/{REFERENCE}")
    assert (stored["processing_status"], stored["financial_status"]) == (
        "COMPLETE",
        "PARTIALLY_REFUNDED",
    )
    assert [r["amount"] for r in stored["financial_resolutions"]] == ["45.00"]
    assert offered(show(console, cookie)) == set()


def test_hold_and_resume_through_the_page(console: Any, cookie: str) -> None:
    # Given an approved return
    open_return(console)
    walk(console, REFERENCE, "submit", "accept")
    # When it is held, then resumed
    act(console, cookie, "hold")
    assert get(console, f"/rmas/{REFERENCE}")["processing_status"] == "ON_HOLD"
    assert offered(show(console, cookie)) == {"resume"}
    act(console, cookie, "resume")
    # Then it is back where it was
    assert get(console, f"/rmas/{REFERENCE}")["processing_status"] == "ACCEPTED"


def test_an_unknown_return_or_action_is_not_found_in_words(console: Any, cookie: str) -> None:
    assert show(console, cookie, "/console/returns/R-999999").status_code == 404
    open_return(console)
    answer = act(console, cookie, "delete")
    assert answer.status_code == 404
    assert "The console has no action" in text(answer)
