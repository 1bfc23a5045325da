"""People's part in handling an approved return: recording the parcel's receipt, approving the
refund the lifecycle computed, and finishing by hand a return that no lifecycle carries on
(none is configured, or it ended in an anomaly). Each completes the lifecycle step that waits
for it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from chalicelib.clock import utc_now
from chalicelib.domain.events import step_completed
from chalicelib.domain.handling import (
    ReceivedLine,
    approve_refund,
    every_line_received,
    left_by_the_lifecycle,
    receive_items,
    record_declined_refund,
    record_refund,
    refund_unpaid,
    release_item_receipt,
    resolve_financial,
)
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import compute_refund, payment_method
from chalicelib.domain.rma import Actor, FinancialResolution, Rma, RmaEvent
from chalicelib.domain.statuses import FinancialStatus, LifecycleStep, ProcessingStatus
from chalicelib.domain.transitions import Action
from chalicelib.errors import InvalidTransitionError, RefundDeclinedError
from chalicelib.integrations.payments import PaymentDeclinedError, PaymentProvider
from chalicelib.services.rma_service import RmaService

_FINISHABLE = frozenset({ProcessingStatus.PROCESSING, ProcessingStatus.ANOMALY})


class HandlingService:
    def __init__(
        self,
        rmas: RmaService,
        policy: Callable[[], ReturnPolicy],
        payments: PaymentProvider,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._rmas = rmas
        self._policy = policy
        self._payments = payments
        self._clock = clock

    def receive(
        self,
        typed: str,
        received: list[ReceivedLine],
        *,
        actor: Actor,
        note: str | None = None,
        version: int | None = None,
    ) -> Rma:
        """Record received items; once every line is in, the lifecycle moves on to the refund.
        Each use case here acts on the return at `version` when given (see RmaService.find)."""
        rma = self._rmas.find(typed, version=version)
        updated, event = receive_items(rma, received, actor=actor, at=self._clock(), note=note)
        updated, completes = release_item_receipt(rma, updated)
        hand_off = step_completed(rma, "RECEIVED") if completes else None
        self._rmas.save(updated, event, before=rma, hand_off=hand_off)
        return updated

    def approve_refund(
        self,
        typed: str,
        *,
        actor: Actor,
        amount: Decimal | None = None,
        note: str | None = None,
        version: int | None = None,
    ) -> Rma:
        """Let the lifecycle pay the resolution it holds for a person, at `amount` if given.
        A return no lifecycle carries on is refunded and completed here instead."""
        rma = self._rmas.find(typed, version=version)
        if left_by_the_lifecycle(rma):
            return self._refund_and_complete(rma, amount, actor=actor, note=note)
        if rma.waiting_for is not LifecycleStep.REFUND_APPROVAL:
            raise InvalidTransitionError(
                rma.return_reference, rma.processing_status, "refunded: no refund awaits approval"
            )
        computed = compute_refund(rma, self._policy())
        updated, event = approve_refund(
            rma, amount, computed, actor=actor, at=self._clock(), note=note
        )
        hand_off = step_completed(rma, "REFUND_APPROVED")
        self._rmas.save(updated, event, before=rma, hand_off=hand_off)
        return updated

    def complete(
        self, typed: str, *, actor: Actor, note: str | None = None, version: int | None = None
    ) -> Rma:
        """Finish a return no lifecycle carries on, once every line is in and nothing is owed
        in money any more (paid, or a replacement)."""
        rma = self._rmas.find(typed, version=version)
        if not left_by_the_lifecycle(rma):
            raise InvalidTransitionError(
                rma.return_reference,
                rma.processing_status,
                "completed by hand: " + _why_not_finishable(rma),
            )
        if refund_unpaid(rma):
            raise InvalidTransitionError(
                rma.return_reference,
                rma.processing_status,
                "completed before its refund is paid: approve the refund, which completes it",
            )
        changes = (
            {"financial_status": FinancialStatus.NONE}
            if payment_method(rma) is None and rma.financial_status is FinancialStatus.PENDING
            else None
        )
        # At the version checked above: what was checked is what is completed.
        return self._rmas.act(
            rma.id, Action.COMPLETE, actor=actor, note=note, changes=changes, version=rma.version
        )

    def _refund_and_complete(
        self, rma: Rma, amount: Decimal | None, *, actor: Actor, note: str | None
    ) -> Rma:
        """Resolve (at the computed amount, or a person's, bounded alike), pay, and complete.
        Each write is conditional; a retry after a failed payment pays the same resolution
        again under the same idempotency key."""
        at = self._clock()
        computed = compute_refund(rma, self._policy())
        events: list[RmaEvent] = []
        current = rma
        if not _pending(current):
            if computed.method is None:
                raise InvalidTransitionError(
                    rma.return_reference,
                    rma.processing_status,
                    "refunded: it expects no money back; complete it instead",
                )
            resolution = FinancialResolution(amount=computed.amount, method=computed.method)
            current, resolved = resolve_financial(
                current,
                resolution,
                actor=actor,
                at=at,
                note=f"Computed {computed.explain(rma.currency)}",
            )
            events.append(resolved)
        current, approved = approve_refund(current, amount, computed, actor=actor, at=at, note=note)
        self._rmas.save(current, *events, approved, before=rma)
        try:
            paid, paid_event = pay_pending(current, self._payments, actor=actor, at=self._clock())
        except PaymentDeclinedError as declined:
            failed, failed_event = record_declined_refund(
                current, str(declined), actor=actor, at=self._clock()
            )
            self._rmas.save(failed, failed_event, before=current)
            raise RefundDeclinedError(rma.return_reference, str(declined)) from declined
        self._rmas.save(paid, paid_event, before=current)
        return self._rmas.act(paid.id, Action.COMPLETE, actor=actor)


def pay_pending(
    rma: Rma, payments: PaymentProvider, *, actor: Actor, at: datetime
) -> tuple[Rma, RmaEvent]:
    """Pay every pending resolution and record it, each with its receipt's reference and store
    credit code. The key names the resolution, so a retry never pays it twice."""
    receipts = [
        payments.refund(rma, resolution, idempotency_key=f"{rma.id}:{index}")
        for index, resolution in enumerate(rma.financial_resolutions)
        if resolution.status is FinancialStatus.PENDING
    ]
    note = "; ".join(r.note for r in receipts)
    return record_refund(rma, actor=actor, at=at, note=note, payments=receipts)


def _pending(rma: Rma) -> bool:
    return any(r.status is FinancialStatus.PENDING for r in rma.financial_resolutions)


def _why_not_finishable(rma: Rma) -> str:
    if not every_line_received(rma):
        return "not every line has been received"
    if rma.processing_status not in _FINISHABLE:
        return "only a return being processed or flagged as an anomaly can be"
    return "the lifecycle is still handling it"
