"""Every email returns-desk sends, rendered in-process from sample returns and order requests:
what the layout's unit tests and the browser screenshots look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from chalicelib.domain.order_requests import (
    ClaimIssue,
    ClaimLine,
    OrderRequest,
    OrderRequestEventType,
    OrderRequestKind,
    RequestStatus,
    Settlement,
    ShopCancellation,
)
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import RefundBreakdown, compute_refund
from chalicelib.domain.rma import (
    Customer,
    FinancialResolution,
    OrderRef,
    Rma,
    RmaLine,
    Shipment,
)
from chalicelib.domain.status_emails import StatusEmailKind
from chalicelib.domain.statuses import (
    DeliveryStatus,
    ExpectedResolution,
    FinancialMethod,
    FinancialStatus,
    ProcessingStatus,
    ProductState,
    ReturnReason,
)
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.decision_reminder import render_decision_reminder
from chalicelib.notifications.login_code import login_code_email
from chalicelib.notifications.request_emails import render_request_email
from chalicelib.notifications.status_emails import refund_shown, render_status_email

P = ProcessingStatus
K = StatusEmailKind
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LOGO_URL = "https://shop.example/logo.svg"
PORTAL_URL = "https://api.example.com/portal/"
BRAND = Brand(
    name="Maison Lune",
    support_email="help@maison-lune.example",
    color="#7a3e9d",
    logo_url=LOGO_URL,
    portal_url=PORTAL_URL,
)
# A return fee and the default deductions (worn: 20%), so that the breakdown has every row.
POLICY = ReturnPolicy(return_fee=Decimal("3.00"))
SIGN_IN_CODE = "482916"
LOCALES = ("en", "fr")
VOUCHER_CODE = "K7QX2M4PLR9TB3WZ5NHD"
# The order request events a shopper is emailed about.
REQUEST_EMAIL_KINDS = tuple(t for t in OrderRequestEventType if not t.value.endswith(".updated"))


@dataclass(frozen=True)
class SampleEmail:
    kind: str
    locale: str
    subject: str
    text: str
    html: str
    # The return it tells of, and the money it shows (status emails only).
    rma: Rma | None = None
    breakdown: RefundBreakdown | None = None


def a_return(locale: str = "en", **changes: object) -> Rma:
    rma = Rma(
        id="0" * 32,
        return_number=1042,
        return_reference="R-001042",
        order=OrderRef(number="#1001"),
        customer=Customer(email="jane@example.com", name="Jane Doe", locale=locale),
        lines=[
            RmaLine(
                sku="SHIRT-LIN-M",
                name="Linen shirt",
                quantity=2,
                unit_price=Decimal("45.00"),
                reason=ReturnReason.SIZE_PROBLEM,
            ),
            RmaLine(
                sku="TOTE-NAT",
                name="Canvas tote",
                quantity=1,
                unit_price=Decimal("20.00"),
                reason=ReturnReason.UNSATISFIED,
            ),
        ],
        processing_status=P.REQUESTED,
        created_at=T0,
        updated_at=T0,
    )
    return rma.model_copy(update=changes)


def received(locale: str, **changes: object) -> Rma:
    """Back at the warehouse: one shirt new, one worn, the tote new."""
    rma = a_return(locale)
    shirt, tote = rma.lines
    return a_return(
        locale,
        processing_status=P.PROCESSING,
        delivery_status=DeliveryStatus.DELIVERED,
        lines=[
            shirt.model_copy(
                update={
                    "received_states": {
                        ProductState.BRAND_NEW_WITH_LABEL: 1,
                        ProductState.WORE: 1,
                    }
                }
            ),
            tote.model_copy(update={"received_states": {ProductState.BRAND_NEW_WITH_LABEL: 1}}),
        ],
        apply_return_fee=True,
        retained_amount_for_shipping=Decimal("4.95"),
        **changes,
    )


def paid(locale: str, method: FinancialMethod, amount: Decimal | None = None) -> Rma:
    """Received, then paid back the computed amount (or `amount`, set by a person)."""
    rma = received(locale)
    owed = compute_refund(rma, POLICY).amount if amount is None else amount
    status = (
        FinancialStatus.REFUNDED
        if owed >= rma.requested_value
        else FinancialStatus.PARTIALLY_REFUNDED
    )
    return rma.model_copy(
        update={
            "financial_status": status,
            "financial_resolutions": [
                FinancialResolution(amount=owed, method=method, status=status, approved=True)
            ],
        }
    )


def status_return(kind: StatusEmailKind, locale: str) -> Rma:
    """The return as it stands when `kind` is sent."""
    if kind is K.APPROVED:
        return a_return(
            locale,
            processing_status=P.ACCEPTED,
            delivery_status=DeliveryStatus.HANDLED,
            return_instructions="Drop the parcel at any post office.\nKeep the receipt.",
            shipments=[
                Shipment(carrier="Colissimo", label_url="https://labels.example/R-001042.pdf")
            ],
        )
    if kind is K.PARCEL_RECEIVED:
        return received(locale)
    if kind is K.REFUND_ISSUED:
        return paid(locale, FinancialMethod.REFUND)
    if kind is K.VOUCHER_ISSUED:
        return paid(locale, FinancialMethod.VOUCHER)
    if kind is K.COMPLETED:
        return paid(locale, FinancialMethod.REFUND).model_copy(
            update={"processing_status": P.COMPLETE}
        )
    statuses = {K.REJECTED: P.REJECTED, K.CANCELED: P.CANCELED}
    return a_return(locale, processing_status=statuses.get(kind, P.REQUESTED))


def status_email(kind: StatusEmailKind, locale: str, rma: Rma | None = None) -> SampleEmail:
    """The `kind` email of `rma` (its sample by default), its money computed as the job does."""
    rma = rma or status_return(kind, locale)
    breakdown = compute_refund(rma, POLICY) if refund_shown(kind, rma) else None
    email = render_status_email(
        kind,
        rma,
        brand=BRAND,
        reason="The items were worn beyond what the policy accepts.",
        breakdown=breakdown,
    )
    return SampleEmail(
        email.kind,
        locale,
        email.subject,
        email.text,
        email.html,
        rma=rma,
        breakdown=breakdown,
    )


def sign_in_email(locale: str) -> SampleEmail:
    message = login_code_email(SIGN_IN_CODE, brand=BRAND, minutes=10, locale=locale)
    assert message.kind is not None
    return SampleEmail(message.kind, locale, message.subject, message.text, message.html)


def decision_reminder_email() -> SampleEmail:
    now = T0 + timedelta(days=3)
    overdue = [
        a_return(
            return_number=1000 + n,
            return_reference=f"R-00{1000 + n}",
            order=OrderRef(number=f"#{2000 + n}"),
            created_at=T0 + timedelta(hours=5 * n),
        )
        for n in range(3)
    ]
    email = render_decision_reminder(
        overdue, more=2, timeout=timedelta(days=2), now=now, brand=BRAND
    )
    return SampleEmail(email.kind, "en", email.subject, email.text, email.html)


def order_request(kind: OrderRequestEventType, locale: str) -> OrderRequest:
    """Jane's cancellation of #4950, or her claim of two mugs of #4930 arriving broken, as it
    stands when `kind` is sent: refused with a reason, canceled in the shop and refunded, or
    settled in store credit with its code."""
    statuses = {
        "requested": RequestStatus.OPEN,
        "opened": RequestStatus.OPEN,
        "accepted": RequestStatus.APPROVED,
        "approved": RequestStatus.APPROVED,
        "refused": RequestStatus.REJECTED,
        "rejected": RequestStatus.REJECTED,
        "completed": RequestStatus.RESOLVED,
        "resolved": RequestStatus.RESOLVED,
    }
    status = statuses[kind.value.split(".")[1]]
    common: dict[str, object] = {
        "customer": Customer(email="jane@example.com", name="Jane Doe", locale=locale),
        "status": status,
        "decision_note": "The parcel was already handed to the carrier."
        if status is RequestStatus.REJECTED
        else None,
        "created_at": T0,
        "updated_at": T0,
    }
    if kind.value.startswith("cancellation."):
        return OrderRequest(
            reference="X-000041",
            kind=OrderRequestKind.CANCELLATION,
            order=OrderRef(number="#4950"),
            cancellation=ShopCancellation(in_shop=True, job_id="gid://shopify/Job/1")
            if status is RequestStatus.RESOLVED
            else None,
            **common,
        )
    paid = status is RequestStatus.RESOLVED
    return OrderRequest(
        reference="C-000042",
        kind=OrderRequestKind.CLAIM,
        order=OrderRef(number="#4930"),
        issue=ClaimIssue.DAMAGED,
        lines=[ClaimLine(sku="MUG-001", name="Ceramic mug", quantity=2, unit_price=18)],
        resolution=ExpectedResolution.VOUCHER,
        settlement=Settlement(
            resolution=ExpectedResolution.VOUCHER,
            amount=Decimal("39.60"),
            method=FinancialMethod.VOUCHER,
            status=FinancialStatus.REFUNDED if paid else FinancialStatus.PENDING,
            voucher_code=VOUCHER_CODE if paid else None,
        )
        if status in (RequestStatus.APPROVED, RequestStatus.RESOLVED)
        else None,
        **common,
    )


def request_email(kind: OrderRequestEventType, locale: str) -> SampleEmail:
    email = render_request_email(kind, order_request(kind, locale), brand=BRAND)
    return SampleEmail(email.kind, locale, email.subject, email.text, email.html)


def every_email() -> list[SampleEmail]:
    """Each email in each language it is written in."""
    return [
        *(sign_in_email(locale) for locale in LOCALES),
        *(status_email(kind, locale) for kind in StatusEmailKind for locale in LOCALES),
        *(request_email(kind, locale) for kind in REQUEST_EMAIL_KINDS for locale in LOCALES),
        decision_reminder_email(),
    ]
