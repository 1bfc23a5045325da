"""The daily reminder to the support team of returns waiting for an agent's decision longer
than the policy allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.clock import utc_now
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.statuses import ProcessingStatus
from chalicelib.integrations.email import EmailMessage, EmailSender
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.decision_reminder import render_decision_reminder
from chalicelib.repositories.rma_repository import RmaRepository

P = ProcessingStatus


@dataclass(frozen=True)
class DecisionReminderRun:
    # Returns waiting too long, and how many of them the reminder names.
    overdue: int
    listed: int
    sent: bool


class DecisionReminder:
    def __init__(
        self,
        repository: RmaRepository,
        sender: EmailSender,
        policy: Callable[[], ReturnPolicy],
        *,
        brand: Brand,
        limit: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._sender = sender
        self._policy = policy
        self._brand = brand
        self._limit = limit
        self._clock = clock

    def run(self) -> DecisionReminderRun:
        """Email the support address the oldest returns waiting too long, if there are any.

        Waiting means REQUESTED, or ON_HOLD from REQUESTED: by default the lifecycle puts a
        return on hold exactly when its decision is overdue, and it still waits for an agent.
        The delay counts from the return's submission.
        """
        now = self._clock()
        timeout = self._policy().agent_decision_timeout
        cutoff = now - timeout
        requested = self._repository.oldest_in_status(
            P.REQUESTED, waiting_since_before=cutoff, limit=self._limit
        )
        held = self._repository.oldest_in_status(
            P.ON_HOLD, waiting_since_before=cutoff, limit=self._limit, held_from=P.REQUESTED
        )
        oldest = sorted(
            [*requested.items, *held.items], key=lambda rma: rma.waiting_for_decision_since
        )
        listed = oldest[: self._limit]
        overdue = len(oldest) + requested.more + held.more
        if not listed:
            return DecisionReminderRun(overdue=0, listed=0, sent=False)
        rendered = render_decision_reminder(
            listed,
            more=overdue - len(listed),
            timeout=timeout,
            now=now,
            brand=self._brand,
        )
        # Failures propagate: the scheduler retries the run.
        self._sender.send(
            self._brand.support_email,
            EmailMessage(
                subject=rendered.subject, text=rendered.text, html=rendered.html, kind=rendered.kind
            ),
        )
        return DecisionReminderRun(overdue=overdue, listed=len(listed), sent=True)
