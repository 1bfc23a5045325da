"""The Lambda entry points of the scheduled emails: status emails and the daily reminder."""

from __future__ import annotations

from typing import Any


def run_status_emails(context: Any) -> dict[str, Any]:
    raise NotImplementedError


def run_decision_reminder(context: Any) -> dict[str, Any]:
    raise NotImplementedError
