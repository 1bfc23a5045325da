"""Specification of the emails of cancellation requests and claims, end to end: requests made
and decided through the service every entry point uses, their events delivered from the table's
stream to the app's consumer, and the status email job sending what they made due through
moto's SES, each once however often the stream hands an event over.

A store credit is a Shopify gift card: respx stands in for the shop
(tests/shopify_refunds_support.py, answering the documented shapes)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
import respx

from app import handle_return_events
from chalicelib.domain.statuses import ExpectedResolution
from chalicelib.services import container
from chalicelib.services.status_email_job import StatusEmailRun
from chalicelib.settings import get_settings
from local.stream_events import StreamDelivery, streams_client
from tests.order_request_support import (
    AGENT,
    JANE,
    ask_cancellation,
    report_damage,
    store_janes_orders,
    store_mug_order,
)
from tests.shopify_refunds_support import SHOP, TOKEN, RefundingShop, mocked_shop
from tests.support import reconfigure, sent_emails

CHLOE = "chloe@example.fr"


def deliver_all(stream: StreamDelivery) -> None:
    """Deliver the stream until nothing new comes: carrying out a decision writes the event
    that says it was done."""
    while stream.deliver().records:
        pass


def deliver_again() -> int:
    """The stream hands every event it holds over once more, as after a consumer's failure.
    How many."""
    table = os.environ["TABLE_NAME"]
    return StreamDelivery(streams_client(), table, handle_return_events).deliver().records


def sent_to(address: str) -> list[Any]:
    return [m for m in sent_emails() if m.destinations["ToAddresses"] == [address]]


@pytest.fixture
def shop(aws: None, respx_mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> RefundingShop:
    """A shop the app pays claims through: store credit is one of its gift cards."""
    reconfigure(monkeypatch, SHOPIFY_SHOP_DOMAIN=SHOP, SHOPIFY_ADMIN_TOKEN=TOKEN)
    return mocked_shop(respx_mock)


def test_a_claim_settled_in_store_credit_emails_its_code_once_even_delivered_twice(
    ses: Any,
    shop: RefundingShop,
    return_events: StreamDelivery,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given Jane reported a broken mug, asking for store credit, and an agent accepted it
    store_janes_orders()
    claim = report_damage(ExpectedResolution.VOUCHER)
    container.order_request_service().decide(claim.reference, approve=True, actor=AGENT)
    # When the stream delivers the events (the settlement pays the gift card), then hands them
    # all over again, and the email job runs twice
    deliver_all(return_events)
    assert deliver_again() >= 3
    first = container.status_email_job().run()
    second = container.status_email_job().run()

    # Then Jane got one email per step, once each, in order
    assert (first, second) == (StatusEmailRun(sent=3), StatusEmailRun())
    merchant = get_settings().merchant_name
    assert [m.subject for m in sent_to(JANE)] == [
        f"{merchant}: we received your report {claim.reference} about order #4930",
        f"{merchant}: your report {claim.reference} is accepted",
        f"{merchant}: your store credit for report {claim.reference}",
    ]
    # And the last gives the gift card's code, the one the shop made, and the amount
    [code] = shop.gift_cards
    request, _ = container.order_request_service().find(claim.reference)
    assert request.settlement is not None
    assert request.settlement.voucher_code == code
    credit = sent_to(JANE)[-1].body
    assert code in credit
    assert "18.00 EUR" in credit
    # And no other email, and no log line, shows it
    assert all(code not in m.body for m in sent_to(JANE)[:-1])
    assert code not in capsys.readouterr().out


def test_a_refused_cancellation_tells_the_shopper_why_in_her_language(
    ses: Any, aws: None, return_events: StreamDelivery
) -> None:
    # Given Chloé, who shops in French, asked to cancel an order not shipped yet
    order = store_mug_order("#4960", CHLOE, shipped=0, delivered_days_ago=None)
    later = order.source_updated_at + timedelta(seconds=1)
    container.order_service().record(
        order.model_copy(update={"locale": "fr-FR", "source_updated_at": later})
    )
    requests = container.order_request_service()
    asked = requests.request_cancellation(CHLOE, "#4960")
    # When an agent refuses it with a reason, the stream delivers, and the job runs
    requests.decide(asked.reference, approve=False, actor=AGENT, note="Le colis est déjà parti.")
    deliver_all(return_events)
    run = container.status_email_job().run()

    # Then she was told of her request, then of the refusal with its reason, in French
    assert run == StatusEmailRun(sent=2)
    merchant = get_settings().merchant_name
    received, refused = sent_to(CHLOE)
    assert received.subject == (
        f"{merchant} : nous avons reçu votre demande d'annulation de la commande #4960"
    )
    assert refused.subject == f"{merchant} : votre commande #4960 ne peut pas être annulée"
    assert "Le colis est déjà parti." in refused.body
    assert "Motif" in refused.body


def test_an_accepted_cancellation_left_to_a_person_promises_no_refund(
    ses: Any, aws: None, return_events: StreamDelivery
) -> None:
    # Given Jane's cancellation accepted, with no shop connected to cancel the order in
    store_janes_orders()
    asked = ask_cancellation()
    container.order_request_service().decide(asked.reference, approve=True, actor=AGENT)
    # When the stream delivers (the cancellation is left to a person) and the job runs
    deliver_all(return_events)
    container.status_email_job().run()

    # Then she hears her order is being canceled, then that the team will do it, no refund said
    merchant = get_settings().merchant_name
    _received, accepted, left = sent_to(JANE)
    assert accepted.subject == f"{merchant}: we're canceling your order #4950"
    assert left.subject == f"{merchant}: your order #4950 will be canceled shortly"
    assert "our team will cancel your order #4950 shortly" in left.body
    assert "refund" not in left.body.lower()
