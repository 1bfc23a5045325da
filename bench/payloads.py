"""Admin `POST /rmas` bodies: varied, deterministic and valid, for loading and for requests."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.statuses import ReturnReason

# (sku, name, unit price): enough variety that items and widget summaries differ.
_CATALOG = (
    ("TSHIRT-BLUE-M", "Blue T-shirt (M)", "25.00"),
    ("JEANS-SLIM-32", "Slim jeans (32)", "79.90"),
    ("SNEAKER-RUN-42", "Running sneakers (42)", "119.00"),
    ("SCARF-WOOL-RED", "Red wool scarf", "19.50"),
    ("JACKET-RAIN-L", "Rain jacket (L)", "149.00"),
)
_REASONS = tuple(ReturnReason)


def customer_email(customer: int) -> str:
    return f"customer-{customer:04d}@example.com"


def _line(index: int) -> dict[str, Any]:
    sku, name, price = _CATALOG[index % len(_CATALOG)]
    return {
        "sku": sku,
        "name": name,
        "quantity": 1 + index % 2,
        "unit_price": price,
        "reason": _REASONS[index % len(_REASONS)].value,
    }


def create_rma_body(sequence: int, customer: int) -> dict[str, Any]:
    """The body opening the `sequence`th RMA, for `customer`; one or two lines."""
    lines = [_line(sequence + offset) for offset in range(1 + sequence % 2)]
    return {
        "order": {
            "number": f"#{100_000 + sequence}",
            "external_id": f"gid://shopify/Order/{100_000 + sequence}",
        },
        "customer": {
            "email": customer_email(customer),
            "name": f"Customer {customer}",
            "locale": "fr" if customer % 4 == 0 else "en",
        },
        "lines": lines,
        "expected_resolution": "REFUND" if sequence % 3 else "VOUCHER",
        "currency": "EUR",
    }
