"""Return references: the `R-001042` that people type, in any of the ways they type it."""

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
