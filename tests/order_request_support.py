"""What the console's and the analytics' tests of order requests share: Jane's two orders (one
not shipped yet, one delivered three days ago) and her requests about them, made through the
service every entry point uses."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.order_request_rules import ClaimedLine
from chalicelib.domain.order_requests import ClaimIssue, OrderRequest
from chalicelib.domain.rma import Actor
from chalicelib.domain.statuses import Channel, ExpectedResolution
from chalicelib.repositories.aws import client
from chalicelib.services import container

JANE = "jane.doe@example.com"
# Not shipped: may be canceled.
UNSHIPPED = "#4950"
# Two mugs at 18.00, delivered three days ago: issues may be reported.
DELIVERED = "#4930"
AGENT = Actor(channel=Channel.GORGIAS, email="agent@shop.example")


def store_mug_order(
    number: str, email: str = JANE, *, shipped: int, delivered_days_ago: int | None
) -> Order:
    """An order of two ceramic mugs at 18.00 (`shipped` of them), delivered that many days ago
    or not yet, placed three days before."""
    today = date.today()
    order = Order(
        number=number,
        customer_email=email,
        customer_name="Jane Doe",
        ordered_at=today - timedelta(days=(delivered_days_ago or 0) + 3),
        delivered_at=None
        if delivered_days_ago is None
        else today - timedelta(days=delivered_days_ago),
        currency="EUR",
        lines=[
            OrderLine(
                sku="MUG-001",
                name="Ceramic mug",
                quantity=2,
                unit_price=Decimal("18.00"),
                fulfilled_quantity=shipped,
            )
        ],
        source="admin",
        source_updated_at=datetime.now(UTC),
    )
    container.order_service().record(order)
    return order


def store_janes_orders() -> None:
    """Jane's orders, and the bucket her claims' photos are uploaded to."""
    store_mug_order(UNSHIPPED, shipped=0, delivered_days_ago=None)
    store_mug_order(DELIVERED, shipped=2, delivered_days_ago=3)
    client("s3").create_bucket(Bucket=os.environ["RETURNS_BUCKET"])


def uploaded_photo() -> str:
    """The key of a photo Jane uploaded for a claim, as her browser would have."""
    upload = container.order_request_service().claim_photo_upload(JANE, "image/jpeg")
    client("s3").put_object(
        Bucket=os.environ["RETURNS_BUCKET"], Key=upload.key, Body=b"\xff\xd8\xff\xe0 a photo"
    )
    return upload.key


def report_damage(
    resolution: ExpectedResolution = ExpectedResolution.REFUND, quantity: int = 1
) -> OrderRequest:
    """Jane reports `quantity` mugs of #4930 arrived broken, with a photo."""
    return container.order_request_service().open_claim(
        JANE,
        DELIVERED,
        issue=ClaimIssue.DAMAGED,
        lines=[ClaimedLine("MUG-001", quantity, (uploaded_photo(),))],
        resolution=resolution,
        comment="The handle came off in the box.",
    )


def report_wrong_item() -> OrderRequest:
    return container.order_request_service().open_claim(
        JANE,
        DELIVERED,
        issue=ClaimIssue.WRONG_ITEM,
        lines=[ClaimedLine("MUG-001", 1)],
        resolution=ExpectedResolution.REPLACE,
    )


def ask_cancellation() -> OrderRequest:
    """Jane asks to cancel #4950, not shipped yet."""
    return container.order_request_service().request_cancellation(
        JANE, UNSHIPPED, comment="Ordered twice by mistake."
    )
