"""The Lambda entry point of return events (the table's stream → here)."""

from __future__ import annotations

from typing import Any


def process_return_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Hand each return event of the batch to its subscribers; failed records are reported."""
    raise NotImplementedError
