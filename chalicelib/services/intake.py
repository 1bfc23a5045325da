"""One way in for every return, whatever the channel (the admin API, the portal, the chat): the
policy's money terms, its eligibility rules, and units of an order line claimed atomically, so
that two requests for the last unit never both succeed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.clock import utc_now
from chalicelib.domain.intake import ReturnRequest, photos_missing, refused_lines
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.rma import Actor, Rma, RmaDraft
from chalicelib.domain.transitions import Action
from chalicelib.errors import LinesNotReturnableError, UnitsAlreadyClaimedError
from chalicelib.services.rma_service import RmaService

# A customer's returns looked at to count the units of an order they already claim and their
# recent returns: far more than a shopper opens, and still one Query.
CUSTOMER_HISTORY = 100


class ReturnIntake:
    def __init__(
        self,
        rmas: RmaService,
        policy: Callable[[], ReturnPolicy],
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._rmas = rmas
        self._policy = policy
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
        either way, even when two requests race for them."""
        policy = self._policy()
        draft = request.draft(policy)
        if check_eligibility:
            self._refuse_ineligible(draft, policy)
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
