"""The status email job: sends the emails status changes made due, oldest change first, each
once, and clears each once sent: a return's (status_emails.py) and a cancellation request's or
a claim's (request_emails.py).

Each due email holds the RMA or the request as its change left it (see status_emails_due.py):
the job renders from that, so a change made while an email is being sent is a due email of its
own and is never lost or merged into the one in flight.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.clock import utc_now
from chalicelib.domain.order_requests import OrderRequestEventType
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import RefundBreakdown, compute_refund
from chalicelib.domain.status_emails import StatusEmailKind
from chalicelib.integrations.email import EmailMessage, EmailNotSentError, EmailSender
from chalicelib.notifications.brand import Brand
from chalicelib.notifications.rendering import RenderedEmail
from chalicelib.notifications.request_emails import render_request_email
from chalicelib.notifications.status_emails import refund_shown, render_status_email
from chalicelib.observability import logger, metrics
from chalicelib.repositories.email_outbox import DueStatusEmail, EmailOutbox

# Longer than any run can last (a Lambda stops at 15 minutes): a run's hold on an email never
# runs out while the run is alive, and an email whose run died is tried again after it.
CLAIM_DURATION = timedelta(minutes=15)
# So many failures in a row, and SES is taken to be down: the rest wait for the next run rather
# than spend their attempts.
OUTAGE_AFTER_FAILURES = 3
# A run stops taking new emails when less time than this is left before its Lambda's timeout:
# one email (claim, render, SES, delete) takes well under a second.
SAFETY_SECONDS = 2.0
# How long an email set aside as failed stays in the table for whoever investigates it.
FAILED_KEPT = timedelta(days=90)


class _Outcome(StrEnum):
    SENT = "StatusEmailsSent"
    RETRIED_LATER = "StatusEmailsRetried"
    SET_ASIDE = "StatusEmailsSetAside"
    SKIPPED = "StatusEmailsSkipped"


@dataclass(frozen=True)
class StatusEmailRun:
    """What one run did."""

    sent: int = 0
    # Not sent this time, still due: the next run tries again.
    retried_later: int = 0
    # Out of tries: no longer due, kept as a record of the failure.
    set_aside: int = 0
    # Held by another run, or behind an earlier email of the same return (or request) that was
    # not sent.
    skipped: int = 0
    stopped_early: bool = False


class StatusEmailJob:
    def __init__(
        self,
        outbox: EmailOutbox,
        sender: EmailSender,
        policy: Callable[[], ReturnPolicy],
        *,
        brand: Brand,
        batch_size: int,
        max_attempts: int,
        clock: Callable[[], datetime] = utc_now,
        new_claim: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._outbox = outbox
        self._sender = sender
        self._policy = policy
        self._brand = brand
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._clock = clock
        self._new_claim = new_claim

    def run(self, seconds_left: Callable[[], float] = lambda: float("inf")) -> StatusEmailRun:
        """Send up to `batch_size` due emails, oldest change first, while `seconds_left` (before
        the Lambda's timeout) allows."""
        counts: Counter[_Outcome] = Counter()
        # Returns and requests whose earlier email was not sent in this run: their later emails
        # wait too, so that a shopper never reads "refunded" before "parcel received".
        held_back: set[str] = set()
        failures_in_a_row = 0
        stopped_early = False
        for due in self._outbox.due_status_emails(self._batch_size):
            if seconds_left() < SAFETY_SECONDS:
                stopped_early = True
                break
            outcome = self._deliver(due, held_back)
            counts[outcome] += 1
            failures_in_a_row = failures_in_a_row + 1 if outcome is _Outcome.RETRIED_LATER else 0
            if failures_in_a_row >= OUTAGE_AFTER_FAILURES:
                logger.warning("SES refuses every email: the rest wait for the next run")
                stopped_early = True
                break
        for outcome, count in counts.items():
            metrics.add_metric(name=outcome.value, unit=MetricUnit.Count, value=count)
        return StatusEmailRun(
            sent=counts[_Outcome.SENT],
            retried_later=counts[_Outcome.RETRIED_LATER],
            set_aside=counts[_Outcome.SET_ASIDE],
            skipped=counts[_Outcome.SKIPPED],
            stopped_early=stopped_early,
        )

    def _deliver(self, due: DueStatusEmail, held_back: set[str]) -> _Outcome:
        """Send one due email, unless another run holds it or an earlier one of its return
        (or request) was not sent."""
        about = due.about
        now = self._clock()
        if about is None:
            logger.error(
                "Status email unreadable: set aside",
                extra={"email_item": due.item_key, "problem": due.unreadable},
            )
            return self._set_aside_unsendable(due, now)
        if due.series in held_back:
            return _Outcome.SKIPPED
        reference = _reference(due)
        # Outside the rendering's try: a policy that cannot be read now says nothing of the
        # email, and fails the run for the schedule to retry rather than set the email aside.
        breakdown = self._breakdown(due)
        if due.attempts >= self._max_attempts:
            # Its last run died before it could say so (the claim counted the attempt).
            if self._set_aside(due, now, claim=None):
                return _Outcome.SET_ASIDE
            held_back.add(due.series)
            return _Outcome.SKIPPED
        try:
            message = self._message(due, breakdown)
        except Exception:
            # A template or a stored email that cannot render will not render next run either.
            logger.exception(
                "Status email cannot be rendered: set aside",
                extra={"reference": reference, "kind": due.kind},
            )
            held_back.add(due.series)
            return self._set_aside_unsendable(due, now)
        claim = self._new_claim()
        if not self._outbox.claim_status_email(
            due, claim=claim, now=now, until=now + CLAIM_DURATION
        ):
            held_back.add(due.series)
            return _Outcome.SKIPPED
        try:
            self._sender.send(about.customer.email, message)
        except EmailNotSentError as error:
            held_back.add(due.series)
            # Throttling or an outage says nothing of this email: the try is not counted.
            attempts = due.attempts if error.transient else due.attempts + 1
            log = {"reference": reference, "kind": due.kind, "attempts": attempts}
            log = {**log, "error": str(error)}
            if attempts >= self._max_attempts:
                logger.error("Status email set aside after failed attempts", extra=log)
                self._set_aside(due, now, claim=claim)
                return _Outcome.SET_ASIDE
            logger.warning("Status email not sent: due again next run", extra=log)
            self._outbox.release_status_email(due, claim=claim, count_try=not error.transient)
            return _Outcome.RETRIED_LATER
        if not self._outbox.clear_status_email(due, claim=claim, sent_at=self._clock()):
            # Our hold ran out mid-send and another run took the email: it clears it.
            logger.warning(
                "Status email taken over while being sent",
                extra={"reference": reference, "kind": due.kind},
            )
        return _Outcome.SENT

    def _breakdown(self, due: DueStatusEmail) -> RefundBreakdown | None:
        """How a return's refund the email shows was computed, when it shows one: by the refund
        domain, with the policy in force. A kind unknown here is the rendering's to refuse. (A
        claim's settlement shows its total alone: nothing of it was kept back.)"""
        rma, kind = due.rma, due.kind
        if rma is None or kind not in set(StatusEmailKind):
            return None
        if not refund_shown(StatusEmailKind(kind), rma):
            return None
        return compute_refund(rma, self._policy())

    def _message(self, due: DueStatusEmail, breakdown: RefundBreakdown | None) -> EmailMessage:
        rendered = self._rendered(due, breakdown)
        return EmailMessage(
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            reply_to=self._brand.support_email,
            kind=rendered.kind,
        )

    def _rendered(self, due: DueStatusEmail, breakdown: RefundBreakdown | None) -> RenderedEmail:
        if due.request is not None:
            return render_request_email(
                OrderRequestEventType(due.kind), due.request, brand=self._brand
            )
        assert due.rma is not None
        return render_status_email(
            StatusEmailKind(due.kind),
            due.rma,
            brand=self._brand,
            reason=due.reason,
            breakdown=breakdown,
        )

    def _set_aside_unsendable(self, due: DueStatusEmail, now: datetime) -> _Outcome:
        return _Outcome.SET_ASIDE if self._set_aside(due, now, claim=None) else _Outcome.SKIPPED

    def _set_aside(self, due: DueStatusEmail, now: datetime, *, claim: str | None) -> bool:
        return self._outbox.set_status_email_aside(
            due, failed_at=now, expires_at=now + FAILED_KEPT, claim=claim
        )


def _reference(due: DueStatusEmail) -> str:
    """What the logs name an email by: its return's or request's reference, never an address."""
    if due.rma is not None:
        return due.rma.return_reference
    assert due.request is not None
    return due.request.reference
