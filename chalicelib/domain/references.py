"""What people type to name a return (`R-001042`) or an order (`#4821`), in any of the ways they
type it."""

from __future__ import annotations

import re

REFERENCE_PREFIX = "R-"
_TYPED_REFERENCE = re.compile(r"^\s*#?\s*(?:r\s*-?\s*)?#?\s*0*(\d{1,12})\s*$", re.IGNORECASE)


def format_reference(return_number: int) -> str:
    return f"{REFERENCE_PREFIX}{return_number:06d}"


def parse_return_number(typed: str) -> int | None:
    """`R-001042`, `r-1042`, `1042`, `#1042`, ` R1042 ` → 1042; anything else → None."""
    match = _TYPED_REFERENCE.match(typed)
    if match is None:
        return None
    number = int(match.group(1))
    return number if number > 0 else None


def order_key(number: str) -> str:
    """Which order a typed number names: `4821`, `#4821` and ` #4821 ` are one order.

    Shopify shows its order numbers with a `#` that shoppers and platforms type or leave out,
    as they do with return references (above); the rest of the number is kept
    as typed, letters' case included, since other platforms' numbers may differ by it.
    """
    return number.strip().removeprefix("#").lstrip()
