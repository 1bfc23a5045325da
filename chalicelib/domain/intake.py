"""A return as a channel asks for it (the admin API, the portal, the chat), before the policy's
terms and rules are applied to it. Pure: the intake service reads the policy and the customer's
earlier returns, and opens what this module decides."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from chalicelib.domain.eligibility import LineVerdict, RequestedLine, already_returned, check_lines
from chalicelib.domain.order import Order
from chalicelib.domain.policy import ReturnPolicy
from chalicelib.domain.rma import (
    Customer,
    Money,
    OrderRef,
    ReturnTerms,
    Rma,
    RmaDraft,
    RmaLine,
    ShortText,
)
from chalicelib.domain.statuses import ExpectedResolution, ReturnReason
from chalicelib.errors import InvalidRequestError

_POLICY_TERMS = frozenset(
    {
        "apply_return_fee",
        "retained_amount_for_shipping",
        "auto_generate_financial_resolution",
        "auto_execute_financial_resolution",
    }
)


class ReturnRequest(RmaDraft):
    """An RMA draft whose money terms are the requester's where given (None: the policy's),
    and the variant each line of an exchange asks for instead of the one ordered, by SKU (the
    intake asks the shop about it)."""

    apply_return_fee: bool | None = None  # type: ignore[assignment]
    retained_amount_for_shipping: Money | None = None  # type: ignore[assignment]
    auto_generate_financial_resolution: bool | None = None  # type: ignore[assignment]
    auto_execute_financial_resolution: bool | None = None  # type: ignore[assignment]
    exchange_variants: dict[ShortText, ShortText] = {}
    # Built from the stored order (the portal, the chat): its shop ids are already there.
    from_stored_order: bool = False

    def draft(self, policy: ReturnPolicy | None) -> RmaDraft:
        """The draft to open: each term left out is the policy's (the model's default when
        there is no policy to ask)."""
        defaults = terms_from_policy(policy) if policy else ReturnTerms()
        return RmaDraft.model_validate(
            {
                **self.model_dump(
                    exclude={*_POLICY_TERMS, "exchange_variants", "from_stored_order"}
                ),
                **defaults.model_dump(include=set(_POLICY_TERMS)),
                **self.model_dump(include=set(_POLICY_TERMS), exclude_none=True),
            }
        )


@dataclass(frozen=True)
class RequestedReturnLine:
    """Units of one line of a customer's order they ask to return, and why."""

    sku: str
    quantity: int
    reason: ReturnReason
    comment: str | None = None
    # An exchange for another variant of the same product (the shop's id of the variant).
    exchange_variant_id: str | None = None


def request_for_order(
    order: Order,
    lines: Sequence[RequestedReturnLine],
    *,
    expected_resolution: ExpectedResolution,
    comment: str | None = None,
    locale: str | None = None,
    gorgias_ticket_id: int | None = None,
) -> ReturnRequest:
    """A return of `lines` of the customer's own `order`, each named and priced as the order
    says (never as the customer does): what a channel that starts from an order asks the
    intake to open (the portal, the chat). `locale`: the language the customer uses there when
    it is not the order's, so that refusals and later emails speak it; `gorgias_ticket_id`: the
    ticket the request came from, where the return is then discussed."""
    by_sku = {line.sku: line for line in order.lines}
    unknown = [line.sku for line in lines if line.sku not in by_sku]
    if unknown:
        raise InvalidRequestError(
            f"Not on order {order.number}: {', '.join(unknown)}.",
            {"field": "lines", "skus": unknown},
        )
    return ReturnRequest(
        order=OrderRef(
            number=order.number,
            external_id=order.external_id,
            ordered_at=order.ordered_at,
            delivered_at=order.delivered_at,
        ),
        customer=Customer(
            email=order.customer_email, name=order.customer_name, locale=locale or order.locale
        ),
        lines=[
            RmaLine(
                sku=line.sku,
                name=by_sku[line.sku].name,
                quantity=line.quantity,
                unit_price=by_sku[line.sku].unit_price,
                reason=line.reason,
                comment=line.comment,
                ordered_quantity=by_sku[line.sku].quantity,
                shipped_quantity=order.shipped(by_sku[line.sku]),
                final_sale=by_sku[line.sku].final_sale,
                line_item_id=by_sku[line.sku].line_item_id,
                variant_id=by_sku[line.sku].variant_id,
            )
            for line in lines
        ],
        exchange_variants={
            line.sku: line.exchange_variant_id for line in lines if line.exchange_variant_id
        },
        expected_resolution=expected_resolution,
        currency=order.currency,
        comment=comment,
        gorgias_ticket_id=gorgias_ticket_id,
        from_stored_order=True,
    )


def terms_from_policy(policy: ReturnPolicy) -> ReturnTerms:
    """The money terms a new return gets unless its requester says otherwise."""
    return ReturnTerms(
        apply_return_fee=policy.return_fee > 0,
        retained_amount_for_shipping=policy.retained_amount_for_shipping,
        auto_generate_financial_resolution=policy.auto_generate_financial_resolution,
        auto_execute_financial_resolution=policy.auto_execute_financial_resolution,
    )


def refused_lines(
    draft: RmaDraft,
    policy: ReturnPolicy,
    history: Iterable[Rma],
    *,
    today: date,
    excluding: str | None = None,
    photos_follow: bool = False,
) -> list[LineVerdict]:
    """The lines of `draft` the policy refuses, each with its reason in the customer's language,
    counting the units the customer's other returns of the order (`history`, less the one
    `excluding` names) still claim. `photos_follow`: photos are added once the return exists,
    so their rule waits for its submission."""
    returned = already_returned(draft.order.number, history, excluding=excluding)
    requested = []
    for line in draft.lines:
        candidate = RequestedLine.from_rma_line(line, returned[line.sku])
        if photos_follow:
            candidate = RequestedLine(**{**vars(candidate), "photos": ("to follow",)})
        requested.append(candidate)
    verdicts = check_lines(
        requested,
        policy=policy,
        ordered_at=draft.order.ordered_at,
        delivered_at=draft.order.delivered_at,
        today=today,
        locale=draft.customer.locale,
    )
    return [verdict for verdict in verdicts if not verdict.eligible]


def photos_missing(rma: Rma, policy: ReturnPolicy) -> list[str]:
    """The SKUs whose reason needs a photo that S3 does not hold yet."""
    return [
        line.sku for line in rma.lines if policy.photo_required(line.reason) and not line.photos
    ]
