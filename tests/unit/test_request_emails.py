"""Specification of the emails of cancellation requests and claims: which change of a request
the shopper hears of, and what each email says, in her language. What was done is told, never
more: no refund is promised when the order was canceled without one or left to a person, and a
store credit's code is shown in its own email only."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from typing import Any

import pytest

from chalicelib.domain.order_requests import (
    ClaimIssue,
    ClaimLine,
    OrderRequest,
    OrderRequestEntry,
    OrderRequestEventType,
    OrderRequestKind,
    RequestStatus,
    Settlement,
    ShopCancellation,
    request_event,
)
from chalicelib.domain.rma import Actor, Customer, OrderRef, ReplacementOrder, ReplacementStatus
from chalicelib.domain.statuses import (
    Channel,
    ExpectedResolution,
    FinancialMethod,
    FinancialStatus,
)
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.request_emails import render_request_email
from chalicelib.services.status_emails_due import RequestEmailsDue

E = OrderRequestEventType
S = RequestStatus
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BRAND = Brand("Maison Lune", "help@maison-lune.example", portal_url="https://shop.example/portal/")
CODE = "K7QX2M4PLR9TB3WZ5NHD"
AGENT = Actor(channel=Channel.GORGIAS, email="agent@shop.example")


def a_cancellation(locale: str = "en", **changes: Any) -> OrderRequest:
    request = OrderRequest(
        reference="X-000041",
        kind=OrderRequestKind.CANCELLATION,
        order=OrderRef(number="#4950"),
        customer=Customer(email="jane.doe@example.com", name="Jane Doe", locale=locale),
        created_at=T0,
        updated_at=T0,
    )
    return request.model_copy(update=changes)


def a_claim(locale: str = "en", **changes: Any) -> OrderRequest:
    request = OrderRequest(
        reference="C-000042",
        kind=OrderRequestKind.CLAIM,
        order=OrderRef(number="#4930"),
        customer=Customer(email="jane.doe@example.com", name="Jane Doe", locale=locale),
        issue=ClaimIssue.DAMAGED,
        lines=[ClaimLine(sku="MUG-001", name="Ceramic mug", quantity=1, unit_price=18)],
        resolution=ExpectedResolution.VOUCHER,
        created_at=T0,
        updated_at=T0,
    )
    return request.model_copy(update=changes)


def settled(
    resolution: ExpectedResolution,
    status: FinancialStatus = FinancialStatus.PENDING,
    **changes: Any,
) -> Settlement:
    methods = {
        ExpectedResolution.REFUND: FinancialMethod.REFUND,
        ExpectedResolution.VOUCHER: FinancialMethod.VOUCHER,
    }
    amounts = {ExpectedResolution.REFUND: "18.00", ExpectedResolution.VOUCHER: "19.80"}
    return Settlement(
        resolution=resolution,
        amount=Decimal(amounts.get(resolution, "0")),
        method=methods.get(resolution),
        status=status,
        **changes,
    )


def canceled(in_shop: bool, refund: bool, locale: str = "en") -> OrderRequest:
    return a_cancellation(
        locale,
        status=S.RESOLVED,
        cancellation=ShopCancellation(in_shop=in_shop, refund=refund, job_id="gid://job/1"),
    )


CREDIT_PAID = a_claim(
    status=S.RESOLVED,
    settlement=settled(
        ExpectedResolution.VOUCHER,
        FinancialStatus.REFUNDED,
        reference="gid://shopify/GiftCard/1",
        voucher_code=CODE,
    ),
)


def in_french(request: OrderRequest) -> OrderRequest:
    return request.model_copy(
        update={"customer": request.customer.model_copy(update={"locale": "fr-FR"})}
    )


def both_bodies(kind: OrderRequestEventType, request: OrderRequest) -> list[str]:
    email = render_request_email(kind, request, brand=BRAND)
    return [email.text, unescape(email.html)]


# --- Which change is emailed ------------------------------------------------------------------


class RecordingOutbox:
    """The outbox's Protocol: what was made due, once per request and version."""

    def __init__(self) -> None:
        self.due: dict[tuple[str, int], str] = {}

    def add(self, about: Any, kind: str, reason: str | None = None) -> bool:
        key = (about.reference, about.version)
        if key in self.due:
            return False
        self.due[key] = kind
        return True


def moved(before: OrderRequest | None, after: OrderRequest) -> Any:
    entry = OrderRequestEntry(
        reference=after.reference,
        version=after.version,
        at=T0,
        actor=AGENT,
        action="test",
        from_status=before.status if before else None,
        to_status=after.status,
    )
    return request_event(before, after, entry)


def test_each_move_of_a_request_is_emailed_once_and_an_update_is_not() -> None:
    # Given a claim opened, approved, updated (a photo added) and resolved
    opened = a_claim()
    approved = a_claim(status=S.APPROVED, version=2)
    updated = a_claim(status=S.APPROVED, version=3)
    resolved = CREDIT_PAID.model_copy(update={"version": 4})
    events = [
        moved(None, opened),
        moved(opened, approved),
        moved(approved, updated),
        moved(updated, resolved),
    ]
    outbox = RecordingOutbox()
    emails_due = RequestEmailsDue(outbox)
    # When the subscriber gets each event, and the resolution again (the stream's retry)
    for event in [*events, events[-1]]:
        emails_due(event)
    # Then each move is one email of its event's type; the update, none
    assert outbox.due == {
        ("C-000042", 1): "claim.opened",
        ("C-000042", 2): "claim.approved",
        ("C-000042", 4): "claim.resolved",
    }


# --- What each email says ---------------------------------------------------------------------

# The request each email is rendered for, its subject, and a fact its bodies must show, in English
# then in French.
SCENARIOS: dict[str, tuple[OrderRequestEventType, OrderRequest, tuple[str, str], tuple[str, str]]]
SCENARIOS = {
    "cancellation-requested": (
        E.CANCELLATION_REQUESTED,
        a_cancellation(),
        (
            "Maison Lune: we received your request to cancel order #4950",
            "Maison Lune : nous avons reçu votre demande d'annulation de la commande #4950",
        ),
        ("An agent will confirm", "Un agent va confirmer"),
    ),
    "cancellation-accepted": (
        E.CANCELLATION_ACCEPTED,
        a_cancellation(status=S.APPROVED, decision_note="Not packed yet"),
        (
            "Maison Lune: we're canceling your order #4950",
            "Maison Lune : nous annulons votre commande #4950",
        ),
        ("we're canceling your order #4950", "nous annulons votre commande #4950"),
    ),
    "cancellation-refused": (
        E.CANCELLATION_REFUSED,
        a_cancellation(status=S.REJECTED, decision_note="Already handed to the carrier."),
        (
            "Maison Lune: your order #4950 cannot be canceled",
            "Maison Lune : votre commande #4950 ne peut pas être annulée",
        ),
        ("Already handed to the carrier.", "Already handed to the carrier."),
    ),
    "cancellation-completed-refunded": (
        E.CANCELLATION_COMPLETED,
        canceled(in_shop=True, refund=True),
        (
            "Maison Lune: your order #4950 is canceled",
            "Maison Lune : votre commande #4950 est annulée",
        ),
        ("its payment refunded", "son paiement remboursé"),
    ),
    "cancellation-completed-not-refunded": (
        E.CANCELLATION_COMPLETED,
        canceled(in_shop=True, refund=False),
        (
            "Maison Lune: your order #4950 is canceled",
            "Maison Lune : votre commande #4950 est annulée",
        ),
        ("Your order #4950 is canceled.", "Votre commande #4950 est annulée."),
    ),
    "cancellation-left-to-the-team": (
        E.CANCELLATION_COMPLETED,
        canceled(in_shop=False, refund=True),
        (
            "Maison Lune: your order #4950 will be canceled shortly",
            "Maison Lune : votre commande #4950 sera annulée sous peu",
        ),
        ("our team will cancel your order #4950 shortly", "notre équipe va annuler"),
    ),
    "claim-opened": (
        E.CLAIM_OPENED,
        a_claim(),
        (
            "Maison Lune: we received your report C-000042 about order #4930",
            "Maison Lune : nous avons reçu votre signalement C-000042 concernant la commande #4930",
        ),
        ("Arrived damaged or defective", "Arrivé endommagé ou défectueux"),
    ),
    "claim-approved-refund": (
        E.CLAIM_APPROVED,
        a_claim(status=S.APPROVED, settlement=settled(ExpectedResolution.REFUND)),
        (
            "Maison Lune: your report C-000042 is accepted",
            "Maison Lune : votre signalement C-000042 est accepté",
        ),
        ("we will refund you 18.00 EUR", "nous allons vous rembourser 18,00 EUR"),
    ),
    "claim-approved-store-credit": (
        E.CLAIM_APPROVED,
        a_claim(status=S.APPROVED, settlement=settled(ExpectedResolution.VOUCHER)),
        (
            "Maison Lune: your report C-000042 is accepted",
            "Maison Lune : votre signalement C-000042 est accepté",
        ),
        ("store credit of 19.80 EUR", "un avoir de 19,80 EUR"),
    ),
    "claim-approved-replacement": (
        E.CLAIM_APPROVED,
        a_claim(status=S.APPROVED, settlement=settled(ExpectedResolution.REPLACE)),
        (
            "Maison Lune: your report C-000042 is accepted",
            "Maison Lune : votre signalement C-000042 est accepté",
        ),
        ("a replacement of the items below", "un remplacement des articles"),
    ),
    "claim-rejected": (
        E.CLAIM_REJECTED,
        a_claim(status=S.REJECTED, decision_note="The photo shows no damage."),
        (
            "Maison Lune: your report C-000042 was not accepted",
            "Maison Lune : votre signalement C-000042 n'a pas été accepté",
        ),
        ("The photo shows no damage.", "The photo shows no damage."),
    ),
    "claim-resolved-refund": (
        E.CLAIM_RESOLVED,
        a_claim(
            status=S.RESOLVED,
            settlement=settled(ExpectedResolution.REFUND, FinancialStatus.REFUNDED),
        ),
        (
            "Maison Lune: your refund for report C-000042 is on its way",
            "Maison Lune : votre remboursement pour le signalement C-000042",
        ),
        ("your refund of 18.00 EUR", "votre remboursement de 18,00 EUR"),
    ),
    "claim-resolved-store-credit": (
        E.CLAIM_RESOLVED,
        CREDIT_PAID,
        (
            "Maison Lune: your store credit for report C-000042",
            "Maison Lune : votre avoir pour le signalement C-000042",
        ),
        (CODE, CODE),
    ),
    "claim-resolved-replacement": (
        E.CLAIM_RESOLVED,
        a_claim(
            status=S.RESOLVED,
            settlement=settled(
                ExpectedResolution.REPLACE,
                FinancialStatus.NONE,
                replacement_order=ReplacementOrder(
                    name="#1002", order_id="gid://shopify/Order/2", created_at=T0
                ),
            ),
        ),
        (
            "Maison Lune: your replacement for report C-000042 is ordered",
            "Maison Lune : votre remplacement pour le signalement C-000042 est commandé",
        ),
        ("order #1002", "commande #1002"),
    ),
    "claim-resolved-payment-refused": (
        E.CLAIM_RESOLVED,
        a_claim(
            status=S.RESOLVED,
            settlement=settled(ExpectedResolution.REFUND, FinancialStatus.EXECUTION_ERROR),
        ),
        (
            "Maison Lune: your report C-000042 is being settled",
            "Maison Lune : votre signalement C-000042 est en cours de règlement",
        ),
        ("Our team is completing your settlement", "Notre équipe finalise votre règlement"),
    ),
}


@pytest.mark.parametrize("language", [0, 1], ids=["en", "fr"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_each_email_tells_the_shopper_what_happened_in_her_language(
    scenario: str, language: int
) -> None:
    # Given a request at the step of the email, for a customer speaking English or French
    kind, request, subjects, facts = SCENARIOS[scenario]
    if language:
        request = in_french(request)
    # When its email is rendered
    email = render_request_email(kind, request, brand=BRAND)
    # Then its subject is the step's, in her language
    assert email.subject == subjects[language]
    # And both bodies greet her, name the request and its order, and tell the step's fact
    greeting = ("Hello Jane Doe,", "Bonjour Jane Doe,")[language]
    for body in (email.text, unescape(email.html)):
        for fact in (greeting, request.reference, request.order.number, facts[language]):
            assert fact in body
    assert f'<html lang="{("en", "fr")[language]}">' in email.html
    assert email.kind == f"request-{kind.value.replace('.', '-')}"


def test_a_claims_email_lists_its_items_and_a_cancellations_none() -> None:
    claim = render_request_email(E.CLAIM_OPENED, a_claim(), brand=BRAND)
    cancellation = render_request_email(E.CANCELLATION_REQUESTED, a_cancellation(), brand=BRAND)
    assert "- 1 x Ceramic mug (MUG-001)" in claim.text
    assert "Items" not in cancellation.text


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize(
    "request_",
    [canceled(in_shop=True, refund=False), canceled(in_shop=False, refund=True)],
    ids=["canceled-without-refund", "left-to-a-person"],
)
def test_no_refund_is_promised_when_the_shop_did_not_refund_the_order(
    request_: OrderRequest, locale: str
) -> None:
    # Given an order canceled by the shop without a refund (the policy's choice), or whose
    # cancellation was left to a person
    request = in_french(request_) if locale == "fr" else request_
    # When its email is rendered
    email = render_request_email(E.CANCELLATION_COMPLETED, request, brand=BRAND)
    # Then no word of a refund
    for part in (email.subject, email.text, unescape(email.html)):
        assert "refund" not in part.lower()
        assert "rembours" not in part.lower()


@pytest.mark.parametrize("kind", [k for k in E if not k.value.endswith(".updated")])
def test_a_store_credits_code_is_shown_in_its_own_email_only(kind: OrderRequestEventType) -> None:
    # Given a claim settled in store credit, with its gift card's code
    # When any email of a claim is rendered from it
    bodies = both_bodies(kind, CREDIT_PAID)
    # Then only the store credit's email gives the code, saying what it is
    if kind is E.CLAIM_RESOLVED:
        for body in bodies:
            assert CODE in body
            assert "Your gift card code, to use at checkout" in body
    else:
        assert all(CODE not in body for body in bodies)


def test_a_paid_settlement_shows_its_total() -> None:
    email = render_request_email(E.CLAIM_RESOLVED, CREDIT_PAID, brand=BRAND)
    assert "= Store credit: 19.80 EUR" in email.text
    assert "Settlement: Store credit\n" in email.text


def test_a_failed_payment_shows_no_money_paid() -> None:
    failed = a_claim(
        status=S.RESOLVED,
        settlement=settled(ExpectedResolution.REFUND, FinancialStatus.EXECUTION_ERROR),
    )
    email = render_request_email(E.CLAIM_RESOLVED, failed, brand=BRAND)
    assert "18.00" not in email.text
    assert "Total refunded" not in email.text


def test_a_replacement_the_shop_could_not_order_is_left_to_the_team() -> None:
    by_hand = a_claim(
        status=S.RESOLVED,
        settlement=settled(
            ExpectedResolution.REPLACE,
            FinancialStatus.NONE,
            replacement_order=ReplacementOrder(
                status=ReplacementStatus.MERCHANT_TO_CREATE, created_at=T0
            ),
        ),
    )
    email = render_request_email(E.CLAIM_RESOLVED, by_hand, brand=BRAND)
    assert "Our team is preparing your replacement" in email.text
    assert "Settlement: Replacement\n" in email.text


def test_only_a_refusal_quotes_the_agents_note() -> None:
    # An acceptance's note is for the team
    accepted = a_cancellation(status=S.APPROVED, decision_note="Not packed yet")
    assert (
        "Not packed yet"
        not in render_request_email(E.CANCELLATION_ACCEPTED, accepted, brand=BRAND).text
    )


def test_the_html_escapes_the_reason_and_the_text_keeps_it() -> None:
    script = "<script>alert(1)</script>"
    refused = a_claim(status=S.REJECTED, decision_note=script)
    email = render_request_email(E.CLAIM_REJECTED, refused, brand=BRAND)
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert script in email.text


def test_the_button_opens_the_request_on_the_portal() -> None:
    email = render_request_email(E.CLAIM_OPENED, a_claim(), brand=BRAND)
    reference = a_claim().reference
    assert f'href="https://shop.example/portal/?request={reference}"' in email.html
    assert f"See your request: https://shop.example/portal/?request={reference}\n" in email.text
    without = render_request_email(E.CLAIM_OPENED, a_claim(), brand=Brand("Acme", "h@acme.x"))
    assert "See your request" not in without.text


def test_an_update_is_no_email() -> None:
    with pytest.raises(ValueError, match=r"claim\.updated"):
        render_request_email(E.CLAIM_UPDATED, a_claim(), brand=BRAND)
