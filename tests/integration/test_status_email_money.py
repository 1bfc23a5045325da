"""Specification of the money a refund email shows, end to end: the lifecycle computes and pays
the refund under the stored policy, and the email job shows the same figures, row by row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.refunds import compute_refund
from chalicelib.domain.status_emails import latest_paid
from chalicelib.notifications.refund_summary import money
from chalicelib.services import container
from tests.lifecycle_support import (
    AUTO_APPROVED,
    ITEM_RECEIPT,
    REFUNDED_AUTOMATICALLY,
    ended,
    receive,
    submit_return,
    use_policy,
    waiting_in,
)
from tests.support import deliver_return_events, reconfigure, sent_emails

PORTAL = "https://returns.acme.example/portal/"


def test_the_refund_email_shows_the_lifecycles_figures_and_a_button_to_follow_the_return(
    ses: Any, lifecycle: str, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a shop with its portal page and colour, and a policy that charges a return fee and
    # refunds without a person
    reconfigure(monkeypatch, PORTAL_URL=PORTAL, BRAND_COLOR="#7a3e9d")
    use_policy(auto_execute_financial_resolution=True, return_fee=Decimal("2.00"))
    # And a return whose item came back worn (20% kept back), refunded by the lifecycle
    created = submit_return(api, auto_execute_financial_resolution=True, apply_return_fee=True)
    waiting_in(created["id"], ITEM_RECEIPT)
    assert receive(api, created["id"], "WORE").status_code == 200
    ended(lifecycle, created["id"], "SUCCEEDED", [*AUTO_APPROVED, *REFUNDED_AUTOMATICALLY])

    # When the email job runs, once the return events have made the emails due
    deliver_return_events()
    container.status_email_job().run()

    # Then the refund email shows the computed figures, and the total is the amount paid
    rma = container.rma_service().find(created["id"])
    paid = latest_paid(rma)
    assert paid is not None
    computed = compute_refund(rma, container.policy_service().current())
    assert computed.amount == paid.amount
    [refund] = [m.body for m in sent_emails() if "your refund" in m.subject]
    assert money(paid.amount, rma.currency, "en") in refund
    assert money(-computed.deductions, rma.currency, "en") in refund
    assert money(Decimal("-2.00"), rma.currency, "en") in refund
    # And its button, in the shop's colour, follows the return on the portal page
    assert f'href="{PORTAL}?return={rma.return_reference}"' in refund
    assert "background-color: #7a3e9d" in refund
