"""The daily reminder to the support team of returns waiting for a decision too long.

Pure rendering, in English: it goes to the merchant's own support inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.labels import label
from chalicelib.domain.rma import Rma
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.rendering import RenderedEmail, render_email


@dataclass(frozen=True)
class OverdueReturn:
    reference: str
    order_number: str
    customer_name: str | None
    status: str
    waiting_since: str
    waiting_for: str


def render_decision_reminder(
    overdue: list[Rma],
    *,
    more: int,
    timeout: timedelta,
    now: datetime,
    brand: Brand,
) -> RenderedEmail:
    """The reminder listing `overdue` (oldest first) and saying how many `more` wait."""
    total = len(overdue) + more
    returns = "return" if total == 1 else "returns"
    context = {
        "total": total,
        "returns": returns,
        "timeout": duration(timeout),
        "more": more,
        "overdue": [
            OverdueReturn(
                reference=rma.return_reference,
                order_number=rma.order.number,
                customer_name=rma.customer.name,
                status=label(rma.processing_status, "en"),
                waiting_since=rma.waiting_for_decision_since.strftime("%Y-%m-%d %H:%M UTC"),
                waiting_for=duration(now - rma.waiting_for_decision_since),
            )
            for rma in overdue
        ],
    }
    subject = (
        f"{brand.name}: {total} {returns} waiting for a decision for more than {duration(timeout)}"
    )
    return render_email(
        "decision_reminder",
        subject,
        context,
        brand=brand,
        lang="en",
        preheader="Approve or reject them in Gorgias or through the admin API.",
        kind="decision-reminder",
    )


def duration(delay: timedelta) -> str:
    """`2 days`, `1 day 5 h`, `36 h` reads better than a timedelta; under an hour, minutes."""
    days, seconds = delay.days, delay.seconds
    hours = seconds // 3600
    if days == 0 and hours == 0:
        return f"{max(1, seconds // 60)} min"
    if days == 0:
        return f"{hours} h"
    day_part = f"{days} day" if days == 1 else f"{days} days"
    return f"{day_part} {hours} h" if hours else day_part
