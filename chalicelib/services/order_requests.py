"""Order requests: a shopper asks to cancel an order or reports an issue with it (a claim); an
agent accepts or refuses; what was accepted is carried out in the shop.

One service for every entry point (portal, Gorgias widget and buttons, console, admin API),
as the intake is for returns. Every write is conditional on the version read and carries its
log entry and event (`claim.*`, `cancellation.*`), so subscribers (the Gorgias ticket, the
webhooks, the analytics and the settlement below) react to exactly what was stored.

A shopper only ever sees their own requests: another's is "not found", like one that does not
exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from chalicelib.clock import utc_now
from chalicelib.domain.order import Order
from chalicelib.domain.order_request_rules import (
    ClaimedLine,
    RequestRefusal,
    Verdict,
    cancellation_verdict,
    check_claim,
    claim_options,
    refusal,
    shipping_verdict,
)
from chalicelib.domain.order_requests import (
    ClaimIssue,
    ClaimLine,
    OrderRequest,
    OrderRequestEntry,
    OrderRequestKind,
    RequestStatus,
    RequestTransitionError,
    Settlement,
    format_request_reference,
    moved,
    parse_request_reference,
    request_event,
)
from chalicelib.domain.order_tracking import TrackingEvent
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.rma import Actor, Customer, OrderRef, ReplacementOrder, email_key, revised
from chalicelib.domain.statuses import Channel, ExpectedResolution
from chalicelib.errors import (
    CancellationNotAllowedError,
    ClaimNotAllowedError,
    ConcurrentModificationError,
    InvalidRequestError,
    OrderRequestNotFoundError,
    RequestStateError,
)
from chalicelib.integrations.cancellations import (
    CancellationDeclinedError,
    OrderCanceller,
    left_to_the_back_office,
)
from chalicelib.observability import logger
from chalicelib.repositories.order_requests import (
    CancellationAlreadyOpenError,
    OrderRequestRepository,
    RequestPage,
)
from chalicelib.repositories.photo_store import PhotoStore, PhotoUpload
from chalicelib.services.order_service import OrderService

_SHOPPER = Channel.PORTAL
_WORKFLOW = Actor(channel=Channel.WORKFLOW)
# A write of the workflow's read again this many times when someone wrote meanwhile.
_SAVE_ATTEMPTS = 3
# The shop's words kept of a refusal: enough to act on, within a note.
_REASON_CHARS = 500


class ClaimSettler(Protocol):
    """Carries out an approved claim's settlement in the shop: pays its money (the payment
    provider returns use) or orders its replacement. Idempotent on the request's reference."""

    def settle(
        self,
        request: OrderRequest,
        settlement: Settlement,
        *,
        keep_draft: Callable[[ReplacementOrder], None],
    ) -> Settlement: ...


class SettlementCalculator(Protocol):
    def __call__(
        self,
        request: OrderRequest,
        policy: ReturnPolicy,
        *,
        resolution: ExpectedResolution | None = None,
        amount: Decimal | None = None,
    ) -> Settlement: ...


@dataclass(frozen=True)
class OrderOptions:
    """What the portal offers for one of the shopper's orders."""

    order: Order
    timeline: list[TrackingEvent]
    requests: list[OrderRequest]
    cancellation: Verdict
    claims: list[tuple[ClaimIssue, Verdict]]


class OrderRequestService:
    def __init__(
        self,
        repository: OrderRequestRepository,
        orders: OrderService,
        policy: Callable[[], ReturnPolicy],
        photos: Callable[[], PhotoStore],
        *,
        settlement: SettlementCalculator,
        settler: Callable[[], ClaimSettler],
        canceller: Callable[[], OrderCanceller],
        clock: Callable[[], datetime] = utc_now,
        new_key: Callable[[], str] | None = None,
    ) -> None:
        import uuid

        self._repository = repository
        self._orders = orders
        self._policy = policy
        self._photos = photos
        self._settlement = settlement
        self._settler = settler
        self._canceller = canceller
        self._clock = clock
        self._new_key = new_key or (lambda: uuid.uuid4().hex)

    # --- what a shopper may ask -----------------------------------------------------------------

    def options_for(
        self,
        order: Order,
        timeline: Sequence[TrackingEvent],
        requests: Sequence[OrderRequest],
        locale: str | None = None,
    ) -> OrderOptions:
        """One of the shopper's orders, read with its timeline, with whether it may be canceled
        or which issues may be reported now and why not; `requests`: the shopper's."""
        mine = [r for r in requests if _same_order(r, order)]
        return self._options(order, list(timeline), mine, locale or order.locale)

    def _options(
        self,
        order: Order,
        timeline: list[TrackingEvent],
        requests: list[OrderRequest],
        locale: str,
    ) -> OrderOptions:
        policy, today = self._policy(), self._clock().date()
        earlier = next((r for r in requests if _cancels(r)), None)
        canceling = earlier.reference if earlier else None
        return OrderOptions(
            order=order,
            timeline=timeline,
            requests=requests,
            cancellation=cancellation_verdict(
                order, policy.cancellations, today=today, earlier=earlier, locale=locale
            ),
            claims=claim_options(
                order, timeline, policy.claims, today=today, canceling=canceling, locale=locale
            ),
        )

    # --- a shopper asks -------------------------------------------------------------------------

    def request_cancellation(
        self, shopper: str, number: str, *, comment: str | None = None, locale: str | None = None
    ) -> OrderRequest:
        """Ask to cancel the shopper's order `number`. CancellationNotAllowedError (409) when its
        state or the policy refuses it, with why in the shopper's language."""
        order = self._orders.find_for_customer(number, shopper)
        language = locale or order.locale
        rules, today = self._policy().cancellations, self._clock().date()
        earlier = self._earlier_cancellation(order.number)
        verdict = cancellation_verdict(order, rules, today=today, earlier=earlier, locale=language)
        if not verdict.allowed:
            raise _cancellation_refused(verdict)
        request = self._new_request(order, OrderRequestKind.CANCELLATION, comment=comment)
        try:
            return self._create(request, _shopper(shopper), "request_cancellation")
        except CancellationAlreadyOpenError as error:
            # Asked twice at the same instant: the other request is the one that stands.
            earlier = self._earlier_cancellation(order.number)
            raise _cancellation_refused(
                cancellation_verdict(order, rules, today=today, earlier=earlier, locale=language)
            ) from error

    def _earlier_cancellation(self, order_number: str) -> OrderRequest | None:
        """The order's cancellation request that was not refused, if any (its guard, then it:
        a second read only when there is one)."""
        reference = self._repository.open_cancellation(order_number)
        return self._repository.get(reference) if reference else None

    def claim_photo_upload(self, shopper: str, content_type: str) -> PhotoUpload:
        """A presigned upload for a photo of a claim the shopper is about to report; its key
        is only accepted back from the same shopper, once S3 holds it."""
        extension = content_type.split("/")[-1].replace("jpeg", "jpg")
        key = f"{_photo_prefix(shopper)}{self._new_key()}.{extension}"
        return self._photos().presign_upload(key, content_type)

    def open_claim(
        self,
        shopper: str,
        number: str,
        *,
        issue: ClaimIssue,
        lines: Sequence[ClaimedLine],
        resolution: ExpectedResolution,
        comment: str | None = None,
        locale: str | None = None,
    ) -> OrderRequest:
        """Report an issue with the shopper's order `number`. ClaimNotAllowedError (422) when the
        policy refuses it; UnitsAlreadyClaimedError when returns or claims already hold the
        units."""
        order, timeline = self._orders.order_with_timeline(number, shopper)
        self._check_photos(shopper, lines)
        verdict = check_claim(
            order,
            timeline,
            self._policy().claims,
            issue=issue,
            lines=lines,
            resolution=resolution,
            today=self._clock().date(),
            canceling=self._repository.open_cancellation(order.number),
            locale=locale or order.locale,
        )
        if not verdict.allowed:
            raise ClaimNotAllowedError(
                verdict.reason or "", {"reason_code": verdict.code, **_shown(verdict.values)}
            )
        by_sku = {line.sku: line for line in order.lines}
        claim_lines = [
            ClaimLine(
                sku=claimed.sku,
                name=by_sku[claimed.sku].name,
                quantity=claimed.quantity,
                unit_price=by_sku[claimed.sku].unit_price,
                line_item_id=by_sku[claimed.sku].line_item_id,
                variant_id=by_sku[claimed.sku].variant_id,
                photos=list(claimed.photos),
            )
            for claimed in lines
        ]
        request = self._new_request(
            order,
            OrderRequestKind.CLAIM,
            comment=comment,
            issue=issue,
            lines=claim_lines,
            resolution=resolution,
        )
        ordered = {line.sku: line.quantity for line in order.lines}
        return self._create(request, _shopper(shopper), "open_claim", ordered=ordered)

    def _check_photos(self, shopper: str, lines: Sequence[ClaimedLine]) -> None:
        prefix = _photo_prefix(shopper)
        store = None
        for line in lines:
            for key in line.photos:
                if not key.startswith(prefix):
                    raise InvalidRequestError(
                        "That photo was not uploaded for your claim.", {"field": "photos"}
                    )
                store = store or self._photos()
                if not store.holds(key):
                    raise InvalidRequestError(
                        "A photo has not finished uploading: send it again, then report the issue.",
                        {"field": "photos", "sku": line.sku},
                    )

    def _new_request(self, order: Order, kind: OrderRequestKind, **fields: Any) -> OrderRequest:
        now = self._clock()
        return OrderRequest(
            reference=format_request_reference(kind, self._repository.allocate_number()),
            kind=kind,
            order=OrderRef(
                external_id=order.external_id,
                number=order.number,
                ordered_at=order.ordered_at,
                delivered_at=order.delivered_at,
            ),
            customer=Customer(
                email=order.customer_email, name=order.customer_name, locale=order.locale
            ),
            currency=order.currency,
            created_at=now,
            updated_at=now,
            **fields,
        )

    def _create(
        self,
        request: OrderRequest,
        actor: Actor,
        action: str,
        *,
        ordered: dict[str, int] | None = None,
    ) -> OrderRequest:
        entry = OrderRequestEntry(
            reference=request.reference,
            version=request.version,
            at=request.created_at,
            actor=actor,
            action=action,
            to_status=request.status,
            note=request.comment,
        )
        self._repository.create(
            request, entry, request_event(None, request, entry), ordered=ordered
        )
        logger.info(
            "Order request opened",
            extra={"reference": request.reference, "kind": request.kind, "issue": request.issue},
        )
        return request

    # --- reading --------------------------------------------------------------------------------

    def for_shopper(self, shopper: str) -> list[OrderRequest]:
        return self._for_email(shopper)

    def shoppers_request(
        self, shopper: str, reference: str
    ) -> tuple[OrderRequest, list[OrderRequestEntry]]:
        request, log = self.find(reference)
        if request.customer.email_key != email_key(shopper):
            raise OrderRequestNotFoundError(reference)
        return request, log

    def for_customer(self, email: str, limit: int = 5) -> list[OrderRequest]:
        """A customer's latest requests, open ones first (the Gorgias widget)."""
        return self._repository.for_customer(email_key(email), limit)

    def _for_email(self, email: str) -> list[OrderRequest]:
        return self._repository.for_customer(email_key(email))

    def find(self, typed: str) -> tuple[OrderRequest, list[OrderRequestEntry]]:
        """The request a person typed (`C-000042`, `c42`, `X-7`) with its log."""
        reference = parse_request_reference(typed)
        if reference is None:
            raise OrderRequestNotFoundError(typed)
        request, log = self._repository.get_with_log(reference)
        if request is None:
            raise OrderRequestNotFoundError(typed)
        return request, log

    def listing(
        self, status: RequestStatus, *, limit: int, cursor: str | None = None
    ) -> RequestPage:
        """The requests in `status`, newest first, a page at a time (the console, admin API)."""
        return self._repository.in_status(status, limit=limit, cursor=cursor)

    # --- an agent decides -----------------------------------------------------------------------

    def decide(
        self,
        typed: str,
        *,
        approve: bool,
        actor: Actor,
        note: str | None = None,
        resolution: ExpectedResolution | None = None,
        amount: Decimal | None = None,
    ) -> OrderRequest:
        """Accept or refuse a request that is still open. A claim accepted is settled by its
        shopper's resolution unless the agent chose another (or a lower amount): the amount is
        computed and bounded here, paid by the settlement subscriber."""
        # Bookkeeping (the ticket's id) may be written between the read and the write: the
        # decision is made again on what is stored then, never refused for it.
        for _ in range(_SAVE_ATTEMPTS):
            request, _ = self.find(typed)
            after, entry = self._decided(
                request,
                approve=approve,
                actor=actor,
                note=note,
                resolution=resolution,
                amount=amount,
            )
            try:
                self._repository.save(
                    after,
                    entry,
                    request_event(request, after, entry),
                    read_version=request.version,
                    closes_without_settling=not approve,
                )
            except ConcurrentModificationError:
                continue
            return after
        raise ConcurrentModificationError(request.reference)

    def _decided(
        self,
        request: OrderRequest,
        *,
        approve: bool,
        actor: Actor,
        note: str | None,
        resolution: ExpectedResolution | None,
        amount: Decimal | None,
    ) -> tuple[OrderRequest, OrderRequestEntry]:
        changes: dict[str, Any] = {"decision_note": note}
        if approve and request.is_claim:
            changes["settlement"] = self._settlement(
                request,
                self._policy(),
                resolution=resolution or request.resolution,
                amount=amount,
            )
        elif resolution is not None or amount is not None:
            raise InvalidRequestError(
                "A resolution or an amount goes with accepting a claim only.",
                {"field": "resolution" if resolution is not None else "amount"},
            )
        if approve and request.kind is OrderRequestKind.CANCELLATION and request.is_open:
            self._check_still_cancellable(request)
        to = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
        try:
            return moved(
                request,
                to,
                actor=actor,
                at=self._clock(),
                action="approve" if approve else "reject",
                note=_decision_note(after_settlement=changes.get("settlement"), note=note),
                **changes,
            )
        except RequestTransitionError as error:
            raise RequestStateError(
                f"{request.reference} is already {request.status.lower()}; it cannot be "
                f"{'accepted' if approve else 'refused'}.",
                {"reference": request.reference, "current_status": request.status},
            ) from error

    # --- carrying out what was accepted (the settlement subscriber) -------------------------------

    def carry_out(self, reference: str) -> OrderRequest | None:
        """Carry out an accepted request: cancel its order in the shop, or settle its claim.
        Idempotent: a request already resolved (or no longer accepted) is left as it is, and
        the shop's side finds what an earlier try did by the request's reference."""
        request, _ = self._repository.get_with_log(reference)
        if request is None or request.status is not RequestStatus.APPROVED:
            return None
        changes: dict[str, Any]
        if request.kind is OrderRequestKind.CANCELLATION:
            rules = self._policy().cancellations
            try:
                done = self._canceller().cancel(
                    request,
                    refund=rules.refund,
                    restock=rules.restock,
                    notify=self._policy().shop_notifies_shopper,
                )
            except CancellationDeclinedError as declined:
                # Refused for good (asking again will not help): a person cancels it, told why.
                done = left_to_the_back_office(
                    request,
                    refund=rules.refund,
                    restock=rules.restock,
                    why=str(declined)[:_REASON_CHARS],
                )
            changes, note = {"cancellation": done}, done.note
        else:
            settlement = request.settlement or self._settlement(request, self._policy())
            settled = self._settler().settle(
                request, settlement, keep_draft=lambda draft: self._keep_draft(reference, draft)
            )
            changes, note = {"settlement": settled}, settled.explanation
        # What the shop did is written whatever was written meanwhile (the ticket's id): lost,
        # the money would be paid and the request would never say so.
        for _ in range(_SAVE_ATTEMPTS):
            if request.status is not RequestStatus.APPROVED:
                return None  # another delivery of the same event resolved it: that stands
            after, entry = moved(
                request,
                RequestStatus.RESOLVED,
                actor=_WORKFLOW,
                at=self._clock(),
                action="carry_out",
                note=note,
                **changes,
            )
            try:
                self._repository.save(
                    after, entry, request_event(request, after, entry), read_version=request.version
                )
                return after
            except ConcurrentModificationError:
                request = self._read(reference)
        raise ConcurrentModificationError(reference)

    def carry_out_again(self, typed: str) -> OrderRequest:
        """Carry out now an accepted request the stream gave up on (its event set aside after
        its retries): a person asks, once what stopped it is fixed."""
        request, _ = self.find(typed)
        if request.status is not RequestStatus.APPROVED:
            raise RequestStateError(
                f"{request.reference} is {request.status.lower()}: only an accepted request "
                "waits to be carried out.",
                {"reference": request.reference, "current_status": request.status},
            )
        return self.carry_out(request.reference) or self._read(request.reference)

    def record_ticket(self, reference: str, ticket_id: int) -> None:
        """Keep the Gorgias ticket a request was opened as (the ticket subscriber)."""
        self._keep(reference, gorgias_ticket_id=ticket_id)

    def _keep_draft(self, reference: str, draft: ReplacementOrder) -> None:
        """Keep a claim's replacement as soon as its draft order exists, before it is
        completed: a retry completes that draft instead of making a second one."""
        request = self._read(reference)
        if request.settlement is not None:
            self._keep(
                reference,
                settlement=revised(request.settlement, replacement_order=draft),
            )

    def _keep(self, reference: str, **changes: Any) -> None:
        """Bookkeeping, no one's action: a new version with `changes`, no log entry and no
        event, written over whatever was written meanwhile."""
        for _ in range(_SAVE_ATTEMPTS):
            request = self._read(reference)
            if all(getattr(request, name) == value for name, value in changes.items()):
                return
            after = revised(
                request, **changes, updated_at=self._clock(), version=request.version + 1
            )
            try:
                self._repository.save(after, None, None, read_version=request.version)
                return
            except ConcurrentModificationError:
                continue
        raise ConcurrentModificationError(reference)

    def _read(self, reference: str) -> OrderRequest:
        request = self._repository.get(reference)
        if request is None:
            raise OrderRequestNotFoundError(reference)
        return request

    def _check_still_cancellable(self, request: OrderRequest) -> None:
        """An order that shipped (or was canceled) since the shopper asked cannot be canceled
        by accepting her request: the agent is told why. (Its window is the shopper's, not
        the agent's.)"""
        order = self._orders.find(request.order.number)
        verdict = shipping_verdict(
            order,
            revised(self._policy().cancellations, window_days=None),
            today=self._clock().date(),
        )
        if order.canceled_at is not None:
            verdict = refusal(RequestRefusal.ORDER_CANCELED, "en")
        if not verdict.allowed:
            raise RequestStateError(
                f"{request.reference} cannot be accepted: {verdict.reason}",
                {"reference": request.reference, "reason_code": verdict.code},
            )


def _shopper(email: str) -> Actor:
    return Actor(channel=_SHOPPER, email=email)


def _cancels(request: OrderRequest) -> bool:
    """A cancellation request that stands: open, accepted or carried out."""
    return request.kind is OrderRequestKind.CANCELLATION and request.status is not (
        RequestStatus.REJECTED
    )


def _same_order(request: OrderRequest, order: Order) -> bool:
    from chalicelib.domain.references import order_key

    return order_key(request.order.number) == order_key(order.number)


def _photo_prefix(shopper: str) -> str:
    # The email never appears in a key: a digest of it scopes the shopper's uploads.
    digest = hashlib.sha256(email_key(shopper).encode()).hexdigest()[:32]
    return f"claims/{digest}/"


def _cancellation_refused(verdict: Verdict) -> CancellationNotAllowedError:
    return CancellationNotAllowedError(
        verdict.reason or "", {"reason_code": verdict.code, **_shown(verdict.values)}
    )


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    return {name: str(value) for name, value in values.items()}


def _decision_note(*, after_settlement: Settlement | None, note: str | None) -> str | None:
    parts = [part for part in (note, after_settlement and after_settlement.explanation) if part]
    return " ".join(parts) or None
