"""The Lambda entry point of warehouse inspection uploads (S3 → SQS → here)."""

from __future__ import annotations

from typing import Any


def process_inspection_messages(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise NotImplementedError
