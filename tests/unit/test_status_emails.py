"""Specification of the status emails: which change deserves one, and what it says."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from jinja2 import UndefinedError

from chalicelib.domain.rma import Customer, FinancialResolution, OrderRef, Rma, RmaLine, Shipment
from chalicelib.domain.status_emails import StatusEmailKind, email_kind_for
from chalicelib.domain.statuses import (
    DeliveryStatus,
    FinancialMethod,
    FinancialStatus,
    ProcessingStatus,
    ReturnReason,
)
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.rendering import environment
from chalicelib.notifications.status_emails import render_status_email

P = ProcessingStatus
K = StatusEmailKind
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
MERCHANT = "Maison Lune"
SUPPORT = "help@maison-lune.example"
BRAND = Brand(MERCHANT, SUPPORT)


def an_rma(**changes: Any) -> Rma:
    rma = Rma(
        id="0" * 32,
        return_number=1042,
        return_reference="R-001042",
        order=OrderRef(number="#1001"),
        customer=Customer(email="jane@example.com", name="Jane Doe"),
        lines=[
            RmaLine(
                sku="SKU-1",
                name="Linen shirt",
                quantity=2,
                unit_price=Decimal("10.00"),
                reason=ReturnReason.SIZE_PROBLEM,
            )
        ],
        processing_status=P.REQUESTED,
        created_at=T0,
        updated_at=T0,
    )
    return rma.model_copy(update=changes)


def paid(method: FinancialMethod, status: FinancialStatus = FinancialStatus.REFUNDED) -> Rma:
    return an_rma(
        processing_status=P.PROCESSING,
        delivery_status=DeliveryStatus.DELIVERED,
        financial_status=status,
        financial_resolutions=[
            FinancialResolution(amount=Decimal("12.50"), method=method, status=status)
        ],
    )


# --- Which change deserves an email ------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, an_rma(processing_status=P.REQUESTED), K.REQUEST_RECEIVED),
        (
            an_rma(processing_status=P.NEW),
            an_rma(processing_status=P.REQUESTED),
            K.REQUEST_RECEIVED,
        ),
        (an_rma(), an_rma(processing_status=P.ACCEPTED), K.APPROVED),
        (an_rma(), an_rma(processing_status=P.REJECTED), K.REJECTED),
        (an_rma(), an_rma(processing_status=P.CANCELED), K.CANCELED),
        (
            an_rma(processing_status=P.PROCESSING),
            an_rma(processing_status=P.COMPLETE),
            K.COMPLETED,
        ),
        (
            an_rma(processing_status=P.ACCEPTED, delivery_status=DeliveryStatus.DELIVERING),
            an_rma(processing_status=P.PROCESSING, delivery_status=DeliveryStatus.DELIVERED),
            K.PARCEL_RECEIVED,
        ),
        (
            an_rma(processing_status=P.PROCESSING, delivery_status=DeliveryStatus.DELIVERED),
            paid(FinancialMethod.REFUND),
            K.REFUND_ISSUED,
        ),
        (
            an_rma(processing_status=P.PROCESSING, delivery_status=DeliveryStatus.DELIVERED),
            paid(FinancialMethod.REFUND, FinancialStatus.PARTIALLY_REFUNDED),
            K.REFUND_ISSUED,
        ),
        (
            an_rma(processing_status=P.PROCESSING, delivery_status=DeliveryStatus.DELIVERED),
            paid(FinancialMethod.VOUCHER),
            K.VOUCHER_ISSUED,
        ),
    ],
    ids=[
        "created-requested",
        "submitted",
        "approved",
        "rejected",
        "canceled",
        "completed",
        "parcel-delivered",
        "refunded",
        "partially-refunded",
        "voucher",
    ],
)
def test_a_change_the_shopper_cares_about_gets_its_email(
    before: Rma | None, after: Rma, expected: StatusEmailKind
) -> None:
    # Given an RMA before and after a change, When we ask which email it deserves
    kind = email_kind_for(before, after)
    # Then it is the email for that step
    assert kind is expected


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, an_rma(processing_status=P.NEW)),
        (an_rma(processing_status=P.NEW), an_rma(processing_status=P.CANCELED)),
        (an_rma(processing_status=P.NEW), an_rma(processing_status=P.DELETED)),
        (an_rma(), an_rma(version=2)),
        (an_rma(), an_rma(processing_status=P.ON_HOLD, held_from=P.REQUESTED)),
        (
            an_rma(processing_status=P.ON_HOLD, held_from=P.ACCEPTED),
            an_rma(processing_status=P.ACCEPTED),
        ),
        (an_rma(processing_status=P.PROCESSING), an_rma(processing_status=P.ANOMALY)),
        (
            an_rma(processing_status=P.ACCEPTED),
            an_rma(processing_status=P.ACCEPTED, delivery_status=DeliveryStatus.HANDLED),
        ),
        (
            an_rma(processing_status=P.PROCESSING, delivery_status=DeliveryStatus.DELIVERED),
            an_rma(processing_status=P.PROCESSING, delivery_status=DeliveryStatus.DELIVERED),
        ),
        (
            an_rma(processing_status=P.PROCESSING),
            an_rma(
                processing_status=P.PROCESSING, financial_status=FinancialStatus.EXECUTION_ERROR
            ),
        ),
        (
            paid(FinancialMethod.REFUND),
            paid(FinancialMethod.REFUND).model_copy(update={"version": 9}),
        ),
    ],
    ids=[
        "draft-created",
        "draft-canceled",
        "draft-deleted",
        "nothing-changed",
        "put-on-hold",
        "resumed-from-hold",
        "anomaly",
        "label-issued",
        "already-delivered",
        "refund-failed",
        "already-refunded",
    ],
)
def test_a_change_the_shopper_does_not_care_about_sends_nothing(
    before: Rma | None, after: Rma
) -> None:
    # Given a change that is internal or already announced, When we ask, Then no email is due
    assert email_kind_for(before, after) is None


@pytest.mark.parametrize(
    ("decided", "expected"), [(P.ACCEPTED, K.APPROVED), (P.REJECTED, K.REJECTED)]
)
def test_a_decision_on_a_return_held_while_waiting_for_one_is_announced(
    decided: ProcessingStatus, expected: StatusEmailKind
) -> None:
    # Given a return put on hold before anyone decided, When it is approved or rejected (taken
    # off hold in the same change), Then the shopper hears of the decision
    held = an_rma(processing_status=P.ON_HOLD, held_from=P.REQUESTED)
    assert email_kind_for(held, an_rma(processing_status=decided)) is expected


def test_a_refund_that_completes_the_return_is_announced_as_completed() -> None:
    # Given a change that both pays the refund and completes the return
    before = an_rma(processing_status=P.PROCESSING)
    after = paid(FinancialMethod.REFUND).model_copy(update={"processing_status": P.COMPLETE})
    # When we ask, Then the one email sent is the processing step's
    assert email_kind_for(before, after) is K.COMPLETED


def test_when_a_label_follows_the_approval_the_approval_is_announced_with_it() -> None:
    # Given a lifecycle that issues a label right after each approval
    requested = an_rma()
    accepted = an_rma(processing_status=P.ACCEPTED)
    labelled = accepted.model_copy(
        update={"delivery_status": DeliveryStatus.HANDLED, "return_instructions": "Post it."}
    )
    # When we ask about the approval, then about the label
    on_approval = email_kind_for(requested, accepted, label_follows_approval=True)
    on_label = email_kind_for(accepted, labelled, label_follows_approval=True)
    # Then the approval email is due once, with the label
    assert (on_approval, on_label) == (None, K.APPROVED)
    # And a rejection or cancellation is still announced at once
    assert (
        email_kind_for(requested, an_rma(processing_status=P.REJECTED), label_follows_approval=True)
        is K.REJECTED
    )


# --- What each email says ----------------------------------------------------------------------

APPROVED = an_rma(
    processing_status=P.ACCEPTED,
    return_instructions="Drop the parcel at any post office.",
    shipments=[Shipment(carrier="Colissimo", label_url="https://labels.example/R-001042.pdf")],
)
# The RMA each kind is rendered for, and the facts each language must show beyond the common ones.
SCENARIOS: dict[StatusEmailKind, tuple[Rma, dict[str, list[str]]]] = {
    K.REQUEST_RECEIVED: (
        an_rma(),
        {"en": ["Awaiting approval"], "fr": ["En attente d'approbation"]},
    ),
    K.APPROVED: (
        APPROVED,
        {
            "en": ["Approved", "Drop the parcel at any post office.", "R-001042.pdf"],
            "fr": ["Approuvé", "Drop the parcel at any post office.", "R-001042.pdf"],
        },
    ),
    K.REJECTED: (
        an_rma(processing_status=P.REJECTED),
        {"en": ["Rejected", "Worn beyond the policy"], "fr": ["Refusé", "Worn beyond the policy"]},
    ),
    K.PARCEL_RECEIVED: (
        an_rma(processing_status=P.PROCESSING, delivery_status=DeliveryStatus.DELIVERED),
        {"en": ["warehouse"], "fr": ["entrepôt"]},
    ),
    K.REFUND_ISSUED: (
        paid(FinancialMethod.REFUND),
        {"en": ["refund", "12.50 EUR"], "fr": ["remboursement", "12,50 EUR"]},
    ),
    K.VOUCHER_ISSUED: (
        paid(FinancialMethod.VOUCHER),
        {"en": ["store credit", "12.50 EUR"], "fr": ["avoir", "12,50 EUR"]},
    ),
    K.COMPLETED: (
        an_rma(processing_status=P.COMPLETE),
        {"en": ["Completed"], "fr": ["Terminé"]},
    ),
    K.CANCELED: (
        an_rma(processing_status=P.CANCELED),
        {"en": ["Canceled"], "fr": ["Annulé"]},
    ),
}
GREETINGS = {"en": "Hello Jane Doe,", "fr": "Bonjour Jane Doe,"}


def test_every_kind_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(StatusEmailKind)


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize("kind", list(StatusEmailKind))
def test_each_email_tells_the_shopper_the_key_facts_in_their_language(
    kind: StatusEmailKind, locale: str
) -> None:
    # Given an RMA at the step of `kind`, for a customer speaking `locale`
    rma, facts = SCENARIOS[kind]
    rma = rma.model_copy(update={"customer": rma.customer.model_copy(update={"locale": locale})})
    # When its email is rendered
    email = render_status_email(kind, rma, brand=BRAND, reason="Worn beyond the policy")
    # Then subject, text and HTML carry the reference, and both bodies every key fact (the HTML
    # as a mail client shows it: the inliner writes an apostrophe as is, not as &#39;)
    for part in (email.subject, email.text, email.html):
        assert "R-001042" in part
    assert MERCHANT in email.subject
    for fact in [GREETINGS[locale], "Linen shirt", "SKU-1", SUPPORT, MERCHANT, *facts[locale]]:
        assert fact in email.text
        assert fact in unescape(email.html)
    assert f'<html lang="{locale}">' in email.html


def test_the_reason_and_instructions_appear_only_in_their_own_email() -> None:
    # Given an approved RMA with instructions, When its cancellation email is rendered with a reason
    email = render_status_email(K.CANCELED, APPROVED, brand=BRAND, reason="Private note")
    # Then neither the instructions nor the reason leak into it
    assert "post office" not in email.text
    assert "Private note" not in email.text


def test_a_regional_french_locale_reads_french_and_an_unsupported_one_english() -> None:
    canadian = an_rma(customer=Customer(email="jane@example.com", locale="fr-CA"))
    german = an_rma(customer=Customer(email="jane@example.com", locale="de"))
    assert render_status_email(K.APPROVED, canadian, brand=BRAND).text.startswith("Bonjour,")
    assert render_status_email(K.APPROVED, german, brand=BRAND).text.startswith("Hello,")


def test_the_html_escapes_what_merchants_and_shoppers_typed_and_the_text_keeps_it() -> None:
    # Given a shopper name, item name, instructions and reason with markup in them
    script = "<script>alert(1)</script>"
    rma = an_rma(
        processing_status=P.REJECTED,
        customer=Customer(email="jane@example.com", name=f"Jane {script}"),
        lines=[an_rma().lines[0].model_copy(update={"name": f"Shirt {script}"})],
    )
    # When the rejection email is rendered
    email = render_status_email(
        K.REJECTED, rma, brand=Brand(f"Shop {script}", SUPPORT), reason=script
    )
    # Then the HTML shows the markup as text and never runs it: the name, the item, the reason,
    # and the merchant's name in the title, the header and the footer
    assert "<script>" not in email.html
    assert email.html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 6
    # And the plain text keeps the characters as typed
    assert email.text.count(script) == 4


def test_a_missing_template_variable_is_an_error_not_a_blank() -> None:
    # Given the status templates, When rendered without one of their variables
    template = environment().get_template("status_email.txt.j2")
    # Then rendering fails loudly
    with pytest.raises(UndefinedError):
        template.render(w={}, customer_name="Jane")


def test_the_templates_are_loaded_once() -> None:
    assert environment() is environment()


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "Replacement: order #1002"), ("fr", "Échange : commande #1002")],
)
def test_an_exchange_s_email_names_its_replacement_order(locale: str, words: str) -> None:
    # Given an exchange received, whose replacement the shop ordered
    from chalicelib.domain.rma import ReplacementOrder
    from chalicelib.domain.statuses import ExpectedResolution

    rma = an_rma(
        processing_status=P.PROCESSING,
        expected_resolution=ExpectedResolution.REPLACE,
        financial_status=FinancialStatus.NONE,
        customer=Customer(email="jane@example.com", name="Jane Doe", locale=locale),
        replacement_order=ReplacementOrder(
            name="#1002", order_id="gid://shopify/Order/2", created_at=T0
        ),
    )
    # When its email is rendered
    email = render_status_email(K.PARCEL_RECEIVED, rma, brand=BRAND)
    # Then it says what the shopper gets, in both parts
    assert words in email.text
    assert words in unescape(email.html)


def test_a_refund_s_email_shows_no_resolution_row() -> None:
    email = render_status_email(
        K.PARCEL_RECEIVED, an_rma(processing_status=P.PROCESSING), brand=BRAND
    )
    assert "Resolution" not in email.text


@pytest.mark.parametrize(
    ("locale", "words"),
    [("en", "Your gift card code, to use at checkout"), ("fr", "Le code de votre carte cadeau")],
)
def test_store_credit_made_in_the_shop_gives_the_shopper_its_code(locale: str, words: str) -> None:
    # Given store credit paid as a gift card of the shop, whose code is on the resolution
    credit = paid(FinancialMethod.VOUCHER)
    [resolution] = credit.financial_resolutions
    with_code = credit.model_copy(
        update={
            "customer": credit.customer.model_copy(update={"locale": locale}),
            "financial_resolutions": [
                resolution.model_copy(update={"voucher_code": "K7QX2M4PLR9TB3WZ5NHD"})
            ],
        }
    )
    # When its email is rendered
    email = render_status_email(K.VOUCHER_ISSUED, with_code, brand=BRAND)
    # Then both bodies give the code, saying what it is
    for part in (email.text, unescape(email.html)):
        assert words in part
        assert "K7QX2M4PLR9TB3WZ5NHD" in part


def test_a_refund_email_shows_no_code() -> None:
    email = render_status_email(K.REFUND_ISSUED, paid(FinancialMethod.REFUND), brand=BRAND)
    assert "gift card" not in email.text
