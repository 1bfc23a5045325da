"""One way in for every return, whatever the channel (the admin API, the portal, the chat): the
policy's money terms, its eligibility rules, the variants an exchange may be sent, and units of
an order line claimed atomically, so that two requests for the last unit never both succeed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.clock import utc_now
from chalicelib.domain.exchanges import choose_exchange
from chalicelib.domain.intake import ReturnRequest, photos_missing, refused_lines
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.rma import Actor, Rma, RmaDraft, RmaLine, revised
from chalicelib.domain.statuses import ExpectedResolution
from chalicelib.domain.transitions import Action
from chalicelib.errors import (
    InvalidRequestError,
    LinesNotReturnableError,
    NotFoundError,
    UnitsAlreadyClaimedError,
)
from chalicelib.services.rma_service import RmaService

if TYPE_CHECKING:
    from chalicelib.integrations.shopify_exchanges import ShopifyCatalog
    from chalicelib.services.order_service import OrderService

# A customer's returns looked at to count the units of an order they already claim and their
# recent returns: far more than a shopper opens, and still one Query.
CUSTOMER_HISTORY = 100


class ReturnIntake:
    def __init__(
        self,
        rmas: RmaService,
        policy: Callable[[], ReturnPolicy],
        *,
        orders: OrderService | None = None,
        catalog: Callable[[], ShopifyCatalog | None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._rmas = rmas
        self._policy = policy
        self._orders = orders
        self._catalog = catalog
        self._clock = clock

    def open(
        self, request: ReturnRequest, *, actor: Actor, check_eligibility: bool, submit: bool
    ) -> Rma:
        """Open `request` with the policy's terms for those it leaves out.

        `check_eligibility`: lines the policy refuses refuse the whole request (a shopper's
        channel); otherwise the lifecycle checks them once the return is submitted (a merchant's
        system may open what the policy would refuse, and sees it rejected with the reasons).
        `submit`: submitted at once, which starts the lifecycle, unless a line still needs the
        photos its reason requires. Units of the order a live return already claims are refused
        either way, even when two requests race for them. The variants an exchange asks for
        are checked with the shop (same product, available, the policy's price rule)."""
        policy = self._policy()
        draft = request.draft(policy)
        if not request.from_stored_order:
            draft = self._with_shop_ids(draft)
        if check_eligibility:
            self._refuse_ineligible(draft, policy)
        # After the policy's rules: the shop is asked only about lines that may be returned.
        draft = self._with_exchanges(draft, request.exchange_variants, policy)
        try:
            rma = self._rmas.open(draft, actor=actor)
        except UnitsAlreadyClaimedError as claimed:
            # Another request took the units meanwhile: say why in the customer's words when
            # its return can already be read, in general terms otherwise.
            self._refuse_ineligible(draft, policy)
            raise LinesNotReturnableError(
                claimed.message, {"lines": [{"sku": sku} for sku in claimed.skus]}
            ) from claimed
        if submit and not photos_missing(rma, policy):
            rma = self._rmas.act(rma.id, Action.SUBMIT, actor=actor)
        return rma

    def _with_shop_ids(self, draft: RmaDraft) -> RmaDraft:
        """The draft with the shop's ids of its order, each line and its variant, from the
        stored order where the request left them out (a merchant's system opening a return by
        order number and SKU): the refund is made on that order, the exchange by variant."""
        complete = draft.order.external_id and all(line.variant_id for line in draft.lines)
        if self._orders is None or complete:
            return draft
        try:
            order = self._orders.find(draft.order.number)
        except NotFoundError:
            return draft
        if not draft.order.external_id and order.external_id:
            draft = revised(draft, order=revised(draft.order, external_id=order.external_id))
        ordered = {line.sku: line for line in order.lines}
        lines = [
            revised(
                line,
                line_item_id=line.line_item_id or ordered[line.sku].line_item_id,
                variant_id=line.variant_id or ordered[line.sku].variant_id,
            )
            if line.sku in ordered
            else line
            for line in draft.lines
        ]
        return revised(draft, lines=lines)

    def _with_exchanges(
        self, draft: RmaDraft, chosen: Mapping[str, str], policy: ReturnPolicy
    ) -> RmaDraft:
        """The draft with the variant each line is exchanged for, as the shop offers it and
        the policy allows (InvalidRequestError saying why not). A line that names its own
        variant, or none, is replaced by the same variant."""
        if not chosen:
            return draft
        skus = sorted(chosen)
        if draft.expected_resolution is not ExpectedResolution.REPLACE:
            raise InvalidRequestError(
                "Another variant can only be chosen for an exchange (expected_resolution "
                f"REPLACE): {', '.join(skus)}.",
                {"field": "lines", "skus": skus},
            )
        lines = [
            self._exchanged(line, chosen[line.sku], policy)
            if chosen.get(line.sku) not in (None, line.variant_id)
            else line
            for line in draft.lines
        ]
        return revised(draft, lines=lines)

    def _exchanged(self, line: RmaLine, variant_id: str, policy: ReturnPolicy) -> RmaLine:
        catalog = self._catalog()
        details = {"field": "lines", "sku": line.sku, "exchange_variant_id": variant_id}
        if catalog is None:
            raise InvalidRequestError(
                f"{line.sku} can only be exchanged for the same item: no shop is connected to "
                "offer its other variants.",
                details,
            )
        if line.variant_id is None:
            raise InvalidRequestError(
                f"{line.sku} can only be exchanged for the same item: the shop's variant of "
                "the item ordered is not known.",
                details,
            )
        options = catalog.exchange_options(line.variant_id)
        return revised(line, exchange=choose_exchange(line, variant_id, options, policy))

    def _refuse_ineligible(self, draft: RmaDraft, policy: ReturnPolicy) -> None:
        history = self._rmas.latest_for_customer(draft.customer.email, CUSTOMER_HISTORY)[0]
        refused = refused_lines(
            draft, policy, history, today=self._clock().date(), photos_follow=True
        )
        if refused:
            raise LinesNotReturnableError(
                "Some lines cannot be returned: "
                + "; ".join(f"{v.sku}: {v.reason}" for v in refused),
                {"lines": [v.model_dump(mode="json") for v in refused]},
            )
