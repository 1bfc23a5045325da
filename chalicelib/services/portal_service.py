"""What a signed-in shopper can do: see which of their order lines can be returned and why not,
open a return, add photos, follow it, and cancel it while that is still allowed.

Every method takes the shopper's verified email and answers "not found" for anything that is
not theirs: a shopper cannot even learn that another shopper's order or return exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.clock import utc_now
from chalicelib.domain.eligibility import (
    LineVerdict,
    RequestedLine,
    already_returned,
    check_lines,
)
from chalicelib.domain.exchanges import ExchangeOption, exchange_options
from chalicelib.domain.intake import RequestedReturnLine, photos_missing, request_for_order
from chalicelib.domain.order import Order, OrderLine
from chalicelib.domain.order_tracking import TrackingEvent
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.refunds import RefundBreakdown, compute_refund
from chalicelib.domain.rma import (
    MAX_SHOPPER_PHOTOS,
    Actor,
    PendingPhoto,
    Rma,
    RmaEvent,
    revised,
)
from chalicelib.domain.statuses import Channel, ExpectedResolution, ProcessingStatus, ReturnReason
from chalicelib.domain.transitions import Action, apply_update
from chalicelib.errors import (
    ConcurrentModificationError,
    InvalidRequestError,
    NotFoundError,
    PhotoLimitReachedError,
    RmaNotFoundError,
)
from chalicelib.repositories.photo_store import UPLOAD_SECONDS, PhotoStore, PhotoUpload
from chalicelib.services.intake import ReturnIntake
from chalicelib.services.order_service import OrderService
from chalicelib.services.rma_service import RmaService

if TYPE_CHECKING:
    from chalicelib.integrations.shopify_exchanges import ShopifyCatalog

_HISTORY = 100
# A shopper's cancel read again this many times at most when the lifecycle wrote meanwhile.
_CANCEL_ATTEMPTS = 3


@dataclass(frozen=True)
class ReturnableLine:
    sku: str
    name: str
    ordered: int
    returnable: int
    verdict: LineVerdict


class PortalService:
    def __init__(
        self,
        rmas: RmaService,
        intake: ReturnIntake,
        orders: OrderService,
        policy: Callable[[], ReturnPolicy],
        photos: Callable[[], PhotoStore],
        *,
        clock: Callable[[], datetime] = utc_now,
        new_key: Callable[[], str] | None = None,
        catalog: Callable[[], ShopifyCatalog | None] = lambda: None,
    ) -> None:
        import uuid

        self._rmas = rmas
        self._intake = intake
        self._orders = orders
        self._policy = policy
        self._photos = photos
        self._clock = clock
        self._new_key = new_key or (lambda: uuid.uuid4().hex)
        self._catalog = catalog

    # --- orders ------------------------------------------------------------------------------

    def orders(self, shopper: str) -> list[tuple[Order, list[ReturnableLine]]]:
        history = self._history(shopper)
        return [
            (order, self._returnable(order, history))
            for order in self._orders.for_customer(shopper)
        ]

    def order(
        self, shopper: str, number: str
    ) -> tuple[Order, list[ReturnableLine], list[TrackingEvent]]:
        """The shopper's order, what of it can be returned, and its timeline (read with it)."""
        order, timeline = self._orders.order_with_timeline(number, shopper)
        return order, self._returnable(order, self._history(shopper)), timeline

    def exchange_options(self, shopper: str, number: str, sku: str) -> list[ExchangeOption]:
        """The variants a line of the shopper's order may be exchanged for (the one ordered
        first); none when only the same item can be sent: no shop is connected, or the shop's
        variant of the line is not known."""
        order = self._orders.find_for_customer(number, shopper)
        line = next((line for line in order.lines if line.sku == sku), None)
        if line is None:
            raise NotFoundError(f"Order {number} has no item {sku}.", {"sku": sku})
        catalog = self._catalog()
        if catalog is None or line.variant_id is None:
            return []
        return exchange_options(line, catalog.exchange_options(line.variant_id), self._policy())

    def policy(self) -> ReturnPolicy:
        """The policy a shopper's returns are checked against, whose terms the portal shows
        before they ask (reasons, photos, the window)."""
        return self._policy()

    # --- returns -----------------------------------------------------------------------------

    def open_return(
        self,
        shopper: str,
        order_number: str,
        lines: list[RequestedReturnLine],
        *,
        expected_resolution: ExpectedResolution,
        comment: str | None,
    ) -> Rma:
        """Open a return for lines of the shopper's order, priced and named as the order says,
        through the one intake (the policy's terms and rules; lines it refuses refuse the whole
        request, naming each). Submitted at once, which starts the lifecycle, unless a line
        still needs the photos its reason requires: then it waits in NEW for them and for
        `submit`."""
        order = self._orders.find_for_customer(order_number, shopper)
        request = request_for_order(
            order, lines, expected_resolution=expected_resolution, comment=comment
        )
        return self._intake.open(
            request, actor=_shopper_actor(order), check_eligibility=True, submit=True
        )

    def submit(self, shopper: str, reference: str) -> Rma:
        """Submit a return whose required photos S3 holds: a photo counts once uploaded, not
        when its upload URL was given."""
        rma = self._confirm_photos(self._own(shopper, reference))
        missing = photos_missing(rma, self._policy())
        if missing:
            raise InvalidRequestError(
                "Add a photo of each item first: " + ", ".join(missing) + ".",
                {"field": "photos", "skus": missing},
            )
        return self._rmas.act(rma.id, Action.SUBMIT, actor=_shopper_actor_of(rma))

    def add_photo(self, shopper: str, reference: str, sku: str, content_type: str) -> PhotoUpload:
        """A presigned upload for a photo of `sku`; its key waits on the line until S3 holds
        it. A line keeps at most MAX_SHOPPER_PHOTOS, uploads in progress included."""
        rma = self._own(shopper, reference)
        if rma.processing_status not in {ProcessingStatus.NEW, ProcessingStatus.REQUESTED}:
            raise InvalidRequestError(
                f"Return {rma.return_reference} no longer takes photos.", {"field": "sku"}
            )
        if sku not in {line.sku for line in rma.lines}:
            raise InvalidRequestError(f"{sku} is not on this return.", {"field": "sku"})
        rma = self._confirm_photos(rma)
        line = next(line for line in rma.lines if line.sku == sku)
        if len(line.photos) + len(line.pending_photos) >= MAX_SHOPPER_PHOTOS:
            raise PhotoLimitReachedError(
                f"{sku} already has {MAX_SHOPPER_PHOTOS} photos (uploads in progress included), "
                "as many as an item may have.",
                {"sku": sku, "max_photos": MAX_SHOPPER_PHOTOS},
            )
        extension = content_type.split("/")[-1].replace("jpeg", "jpg")
        key = f"returns/{rma.id}/photos/{self._new_key()}.{extension}"
        upload = self._photos().presign_upload(key, content_type)
        pending = PendingPhoto(
            key=key, upload_expires_at=self._clock() + timedelta(seconds=UPLOAD_SECONDS)
        )
        lines = [
            revised(line, pending_photos=[*line.pending_photos, pending])
            if line.sku == sku
            else line
            for line in rma.lines
        ]
        updated, event = apply_update(
            rma,
            action="add_photo",
            actor=_shopper_actor_of(rma),
            at=self._clock(),
            changes={"lines": lines},
            note=f"Upload of a photo of {sku}",
        )
        self._rmas.save(updated, event, before=rma)
        return upload

    def confirm_photos(self, shopper: str, reference: str) -> Rma:
        """The return once the photos S3 now holds are counted on their lines (a return that
        was submitted before its photos arrived counts them here)."""
        return self._confirm_photos(self._own(shopper, reference))

    def _confirm_photos(self, rma: Rma) -> Rma:
        """Count the pending photos S3 now holds (one HeadObject each) and free the slots of
        uploads that can no longer arrive; stored when anything changed."""
        if not any(line.pending_photos for line in rma.lines):
            return rma
        store, now = self._photos(), self._clock()
        lines, arrived, expired = [], [], 0
        for line in rma.lines:
            photos, waiting = list(line.photos), []
            for pending in line.pending_photos:
                if store.holds(pending.key):
                    photos.append(pending.key)
                    arrived.append(line.sku)
                elif pending.upload_expires_at > now:
                    waiting.append(pending)
                else:
                    expired += 1
            lines.append(revised(line, photos=photos, pending_photos=waiting))
        if not arrived and not expired:
            return rma
        note = "; ".join(
            filter(
                None,
                [
                    f"Photos uploaded: {', '.join(arrived)}" if arrived else None,
                    f"{expired} upload(s) never arrived and expired" if expired else None,
                ],
            )
        )
        updated, event = apply_update(
            rma,
            action="photos_uploaded",
            actor=_shopper_actor_of(rma),
            at=now,
            changes={"lines": lines},
            note=note,
        )
        self._rmas.save(updated, event, before=rma)
        return updated

    def returns(self, shopper: str) -> list[Rma]:
        return self._history(shopper)

    def follow(
        self, shopper: str, reference: str
    ) -> tuple[Rma, list[RmaEvent], RefundBreakdown | None]:
        """The return with the photos S3 now holds counted (a shopper who left before sending
        sees which are in), its log, and once items came back, how their refund adds up."""
        rma, events = self._rmas.history(self.confirm_photos(shopper, reference).id)
        received = any(line.received_quantity for line in rma.lines)
        return rma, events, compute_refund(rma, self._policy()) if received else None

    def cancel(self, shopper: str, reference: str) -> Rma:
        """Cancel the shopper's return as it stands: a write of the lifecycle's own (keeping its
        token, a status step) made while she clicked is read again, not answered as a conflict
        she could do nothing about. A move her return no longer allows is still refused."""
        rma = self._own(shopper, reference)
        for _ in range(_CANCEL_ATTEMPTS - 1):
            try:
                return self._rmas.act(rma.id, Action.CANCEL, actor=_shopper_actor_of(rma))
            except ConcurrentModificationError:
                continue
        return self._rmas.act(rma.id, Action.CANCEL, actor=_shopper_actor_of(rma))

    # --- helpers -----------------------------------------------------------------------------

    def _own(self, shopper: str, reference: str) -> Rma:
        """The shopper's return; anyone else's is "not found", exactly like a missing one."""
        try:
            rma = self._rmas.find(reference)
        except RmaNotFoundError:
            rma = None
        if rma is None or rma.customer.email_key != shopper:
            raise RmaNotFoundError(reference)
        return rma

    def _history(self, shopper: str) -> list[Rma]:
        return self._rmas.latest_for_customer(shopper, _HISTORY)[0]

    def _returnable(self, order: Order, history: list[Rma]) -> list[ReturnableLine]:
        """Each line of `order` as the portal shows it: how many units can still be returned,
        and when none can, why (the order-level rules: window, final sale, quantities)."""
        policy = self._policy()
        returned = already_returned(order.number, history)
        neutral = _neutral_reason(policy)
        # At most what shipped, when the shop says; else what was ordered.
        most = {line.sku: _at_most(order, line) for line in order.lines}
        verdicts = check_lines(
            [
                RequestedLine(
                    sku=line.sku,
                    quantity=max(1, most[line.sku] - returned[line.sku]),
                    reason=neutral,
                    photos=("pending",),
                    final_sale=line.final_sale,
                    ordered_quantity=line.quantity,
                    shipped_quantity=order.shipped(line),
                    already_returned=returned[line.sku],
                )
                for line in order.lines
            ],
            policy=policy,
            ordered_at=order.ordered_at,
            delivered_at=order.delivered_at,
            today=self._clock().date(),
            locale=order.locale,
        )
        return [
            ReturnableLine(
                sku=line.sku,
                name=line.name,
                ordered=line.quantity,
                returnable=max(0, most[line.sku] - returned[line.sku]) if verdict.eligible else 0,
                verdict=verdict,
            )
            for line, verdict in zip(order.lines, verdicts, strict=True)
        ]


def _at_most(order: Order, line: OrderLine) -> int:
    shipped = order.shipped(line)
    return line.quantity if shipped is None else shipped


def _neutral_reason(policy: ReturnPolicy) -> ReturnReason:
    """A reason the policy allows, for checking the rules that do not depend on the reason."""
    return next(iter(policy.allowed_reasons), ReturnReason.UNSATISFIED)


def _shopper_actor(order: Order) -> Actor:
    return Actor(channel=Channel.PORTAL, email=order.customer_email, name=order.customer_name)


def _shopper_actor_of(rma: Rma) -> Actor:
    return Actor(channel=Channel.PORTAL, email=rma.customer.email, name=rma.customer.name)
