"""People's part in handling an approved return: recording the parcel's receipt and approving
the refund the lifecycle computed. Each completes the lifecycle step that waits for it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from chalicelib.domain.handling import (
    ReceivedLine,
    approve_refund,
    receive_items,
    release_item_receipt,
)
from chalicelib.domain.rma import Actor, Rma
from chalicelib.domain.statuses import LifecycleStep
from chalicelib.errors import InvalidTransitionError
from chalicelib.services.lifecycle import Handoff, Lifecycle
from chalicelib.services.rma_service import RmaService, utc_now


class HandlingService:
    def __init__(
        self,
        rmas: RmaService,
        lifecycle: Lifecycle | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._rmas = rmas
        self._lifecycle = lifecycle
        self._clock = clock

    def receive(
        self, typed: str, received: list[ReceivedLine], *, actor: Actor, note: str | None = None
    ) -> Rma:
        """Record received items; once every line is in, the lifecycle moves on to the refund."""
        rma = self._rmas.find(typed)
        updated, event = receive_items(rma, received, actor=actor, at=self._clock(), note=note)
        updated, completes = release_item_receipt(rma, updated)
        self._rmas.save(updated, event, before=rma)
        if completes:
            self._hand_off(rma, Handoff(output={"outcome": "RECEIVED"}))
        return updated

    def approve_refund(
        self,
        typed: str,
        *,
        actor: Actor,
        amount: Decimal | None = None,
        note: str | None = None,
    ) -> Rma:
        """Let the lifecycle pay the resolution it holds for a person, at `amount` if given."""
        rma = self._rmas.find(typed)
        if rma.waiting_for is not LifecycleStep.REFUND_APPROVAL:
            raise InvalidTransitionError(
                rma.return_reference, rma.processing_status, "refunded: no refund awaits approval"
            )
        updated, event = approve_refund(rma, amount, actor=actor, at=self._clock(), note=note)
        self._rmas.save(updated, event, before=rma)
        self._hand_off(rma, Handoff(output={"outcome": "REFUND_APPROVED"}))
        return updated

    def _hand_off(self, before: Rma, handoff: Handoff) -> None:
        if self._lifecycle is not None and before.task_token:
            self._lifecycle.hand_off(before.task_token, handoff)
