"""Orders an exchange's replacement in the shop when its moment comes (domain/exchanges.py), and
records it on the return.

A subscriber of the return events, idempotent however often an event comes back: a return that
has its replacement is left alone; the draft order's id is kept on the return (DRAFTED) as soon
as the shop answers, and a later try finishes that draft; and before creating one, the shop's
draft order tagged with the return's reference is used instead, so that a crash between ordering
and recording orders nothing twice. Without a shop to order in (no Shopify configured, or a line
whose variant the shop does not know), the return records that the merchant creates the
replacement. A refusal of the shop (a `userError`: sold out, an address it cannot ship to) is
told to a person in the return's log, once, and never retried; anything else fails the event,
which the stream retries.

A claim settled by a replacement is ordered by the same code (`ClaimReplacements`), for the
claim service to record: the draft the claim keeps, or the one tagged with its reference, or a
new one, completed into an order at no charge; without a shop, or for a line whose variant the
shop does not know, or when the shop refuses, the merchant creates it (MERCHANT_TO_CREATE).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from chalicelib.clock import utc_now
from chalicelib.domain.events import ReturnEvent
from chalicelib.domain.exchanges import price_difference, replacement_due
from chalicelib.domain.order_requests import OrderRequest
from chalicelib.domain.policy import ExchangePriceDifference, ReturnPolicy
from chalicelib.domain.rma import (
    Actor,
    ReplacementOrder,
    ReplacementStatus,
    Rma,
    fit_note,
    revised,
)
from chalicelib.domain.statuses import Channel
from chalicelib.domain.transitions import apply_update
from chalicelib.errors import ConcurrentModificationError
from chalicelib.integrations.shopify_exchanges import (
    DraftOrder,
    ShopifyDraftOrders,
    ShopifyUserError,
    claim_replacement_input,
    replacement_input,
)
from chalicelib.integrations.shopify_payments import ORDER_GID_PREFIX
from chalicelib.observability import logger
from chalicelib.services.rma_service import RmaService

ACTION = "order_replacement"
_SHOP = Actor(channel=Channel.WORKFLOW, name="Exchanges")
# Recording is retried on a lost race: what the shop holds is found again by its tag.
_RECORD_ATTEMPTS = 3


class ReplacementOrders:
    name = "replacement_orders"

    def __init__(
        self,
        rmas: RmaService,
        policy: Callable[[], ReturnPolicy],
        drafts: ShopifyDraftOrders | None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._rmas = rmas
        self._policy = policy
        self._drafts = drafts
        self._clock = clock

    def __call__(self, event: ReturnEvent) -> None:
        policy = self._policy()
        if not replacement_due(event, policy):
            return
        rma = self._rmas.find(event.rma_id)
        if _settled(rma):
            return
        replacement, note = self._order(rma, policy)
        self._record(rma.id, replacement, note)

    def _order(self, rma: Rma, policy: ReturnPolicy) -> tuple[ReplacementOrder, str]:
        """The replacement as the shop now holds it, ordering it if needed, and the log's note."""
        now = self._clock()
        unknown = [line.sku for line in rma.lines if not (line.exchange or line.variant_id)]
        if self._drafts is None or unknown:
            why = (
                f"the shop does not know the variant of {', '.join(unknown)}"
                if unknown
                else "no shop is connected"
            )
            return _by_the_merchant(now), (
                f"Replacement to be created by the merchant in the shop ({why}): {_items(rma)}."
            )
        # Under SAME_PRICE_ONLY nothing is settled, even when the shopper paid a sale price.
        settles = policy.exchange_price_difference is ExchangePriceDifference.SETTLE
        difference = price_difference(rma) if settles else Decimal(0)
        try:
            draft = self._draft(rma, self._drafts, difference)
            if difference > 0:
                if not (draft.invoiced or draft.completed):
                    draft = self._drafts.send_invoice(draft.id)
            elif not draft.completed:
                draft = self._drafts.complete(draft.id)
        except ShopifyUserError as refused:
            logger.warning(
                "The shop refused an exchange's replacement",
                extra={"rma_id": rma.id, "errors": refused.messages},
            )
            return _by_the_merchant(now), (
                f"The shop refused the replacement ({'; '.join(refused.messages)}): "
                f"a person orders {_items(rma)} by hand."
            )
        return _recorded(draft, now), _note(draft, difference, rma.currency)

    def _draft(self, rma: Rma, drafts: ShopifyDraftOrders, difference: Decimal) -> DraftOrder:
        """The replacement's draft order: the one the return keeps, the one tagged with its
        reference, or a new one, kept on the return before anything else is asked of it."""
        kept = rma.replacement_order
        if kept is not None and kept.draft_order_id:
            draft = drafts.get(kept.draft_order_id)
            if draft is not None:
                return draft
        draft = drafts.find_tagged(rma.return_reference) or drafts.create(
            replacement_input(rma, invoice_amount=difference if difference > 0 else None),
            idempotency_key=f"replacement:{rma.id}",
        )
        self._record(rma.id, _drafted(draft, self._clock()))
        return draft

    def _record(self, rma_id: str, replacement: ReplacementOrder, note: str | None = None) -> None:
        """Keep `replacement` on the return, with `note` in its log (without one, bookkeeping
        that publishes nothing); a change made meanwhile is read again, and a replacement that
        is already settled is kept."""
        for _ in range(_RECORD_ATTEMPTS):
            rma = self._rmas.find(rma_id)
            if _settled(rma):
                return
            try:
                if note is None:
                    kept = revised(rma, replacement_order=replacement, version=rma.version + 1)
                    self._rmas.save(kept, before=rma)
                    return
                updated, entry = apply_update(
                    rma,
                    action=ACTION,
                    actor=_SHOP,
                    at=self._clock(),
                    changes={"replacement_order": replacement},
                    note=fit_note(note),
                )
                self._rmas.save(updated, entry, before=rma)
                return
            except ConcurrentModificationError:
                continue
        raise ConcurrentModificationError(rma_id)


class ClaimReplacements:
    """Orders a claim's replacement in the shop; the claim service records what it answers."""

    def __init__(
        self, drafts: ShopifyDraftOrders | None, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._drafts = drafts
        self._clock = clock

    def order_replacement(
        self,
        request: OrderRequest,
        *,
        keep_draft: Callable[[ReplacementOrder], None] | None = None,
    ) -> ReplacementOrder:
        """The replacement of the claim `request` as the shop now holds it, ordering it if
        needed; asked again (a retry), the same one. `keep_draft` stores a new draft on the
        claim before it is completed, so that a retry after a failed completion completes it
        rather than drafting another (a tag search may not see a draft made seconds ago).
        What it did is `replacement_note`."""
        kept = request.settlement.replacement_order if request.settlement else None
        if kept is not None and kept.status is not ReplacementStatus.DRAFTED:
            return kept
        now = self._clock()
        unknown = [line.sku for line in request.lines if not line.variant_id]
        if self._drafts is None or unknown or not request.lines:
            logger.info(
                "A claim's replacement is left to the merchant",
                extra={"reference": request.reference, "unknown_variants": unknown},
            )
            return _by_the_merchant(now)
        try:
            draft = self._draft(request, self._drafts, kept)
            if not draft.completed:
                if keep_draft is not None and (kept is None or kept.draft_order_id != draft.id):
                    keep_draft(_drafted(draft, now))
                draft = self._drafts.complete(draft.id)
        except ShopifyUserError as refused:
            logger.warning(
                "The shop refused a claim's replacement",
                extra={"reference": request.reference, "errors": refused.messages},
            )
            return _by_the_merchant(now)
        return _recorded(draft, now)

    def _draft(
        self, request: OrderRequest, drafts: ShopifyDraftOrders, kept: ReplacementOrder | None
    ) -> DraftOrder:
        if kept is not None and kept.draft_order_id:
            draft = drafts.get(kept.draft_order_id)
            if draft is not None:
                return draft
        found = drafts.find_tagged(request.reference)
        if found is not None:
            return found
        order_id = request.order.external_id
        address = (
            drafts.shipping_address(order_id)
            if order_id and order_id.startswith(ORDER_GID_PREFIX)
            else None
        )
        return drafts.create(
            claim_replacement_input(request, shipping_address=address),
            idempotency_key=f"replacement:{request.reference}",
        )


def replacement_note(request: OrderRequest, replacement: ReplacementOrder) -> str:
    """What the claim's log says of its replacement."""
    items = ", ".join(f"{line.quantity} x {line.name}" for line in request.lines)
    if replacement.status is ReplacementStatus.ORDERED:
        return f"Replacement order {replacement.name} created at no charge: {items}."
    return f"Replacement to be created by the merchant in the shop: {items}."


def _settled(rma: Rma) -> bool:
    """The return's replacement is ordered, invoiced or left to the merchant: nothing to do."""
    order = rma.replacement_order
    return order is not None and order.status is not ReplacementStatus.DRAFTED


def _drafted(draft: DraftOrder, now: datetime) -> ReplacementOrder:
    return ReplacementOrder(
        status=ReplacementStatus.DRAFTED,
        draft_order_id=draft.id,
        name=draft.name or None,
        created_at=now,
    )


def _by_the_merchant(now: datetime) -> ReplacementOrder:
    return ReplacementOrder(status=ReplacementStatus.MERCHANT_TO_CREATE, created_at=now)


def _recorded(draft: DraftOrder, now: datetime) -> ReplacementOrder:
    if draft.completed:
        return ReplacementOrder(
            status=ReplacementStatus.ORDERED,
            draft_order_id=draft.id,
            order_id=draft.order_id,
            name=draft.order_name or draft.name,
            created_at=now,
        )
    return ReplacementOrder(
        status=ReplacementStatus.INVOICE_SENT,
        draft_order_id=draft.id,
        name=draft.name or None,
        created_at=now,
    )


def _note(draft: DraftOrder, difference: Decimal, currency: str) -> str:
    if draft.completed:
        note = f"Replacement order {draft.order_name or draft.name} created"
        if difference < 0:
            note += f"; {-difference} {currency} cheaper than the items returned, to refund"
        return note
    return (
        f"Replacement draft order {draft.name} created with the returned items' value taken "
        f"off; its invoice for the remaining {difference} {currency} was sent to the shopper, "
        "and paying it makes the order"
    )


def _items(rma: Rma) -> str:
    return ", ".join(
        f"{line.quantity} x {line.exchange.title if line.exchange else line.name}"
        for line in rma.lines
    )
