"""Cancelling an order in the shop once a shopper's cancellation request is accepted. The claim
service asks an `OrderCanceller`; Shopify's is integrations/shopify_orders.py."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.order_requests import OrderRequest, ShopCancellation


class CancellationDeclinedError(Exception):
    """The shop declined to cancel the order, for good (an order with an active return, a
    missing scope): a person settles it, asking again will not help. (Not the errors module's
    CancellationRefusedError, which refuses a shopper's request by the policy.)"""


class OrderCanceller(Protocol):
    def cancel(
        self, request: OrderRequest, *, refund: bool, restock: bool, notify: bool
    ) -> ShopCancellation:
        """Cancel the order of `request`, refunding and restocking as told. Asked again (a
        retry after a lost answer or a failed write), an order already canceled is done."""
        ...


class ManualCancellation:
    """Without a shop to cancel in: a person cancels the order in the shop's back office, and
    the request records that it was left to them."""

    def cancel(
        self, request: OrderRequest, *, refund: bool, restock: bool, notify: bool
    ) -> ShopCancellation:
        return left_to_the_back_office(request, refund=refund, restock=restock)


def left_to_the_back_office(
    request: OrderRequest, *, refund: bool, restock: bool, why: str | None = None
) -> ShopCancellation:
    """The cancellation of `request`'s order, left to a person, saying what to do and why."""
    does = [word for word, asked in (("refund", refund), ("restock", restock)) if asked]
    how = f" ({' and '.join(does)})" if does else " (no refund, no restock)"
    because = f": {why}" if why else ""
    return ShopCancellation(
        in_shop=False,
        refund=refund,
        restock=restock,
        note=f"Cancel order {request.order.number} in the shop's back office{how}{because}.",
    )
