"""Orders canceled in the shop through the Shopify Admin GraphQL API: the `OrderCanceller` of a
shop whose orders come from Shopify (shopify_admin.py makes the calls).

`orderCancel(orderId, reason, refundMethod, restock, notifyCustomer, staffNote)`
(https://shopify.dev/docs/api/admin-graphql/latest/mutations/orderCancel, scope write_orders)
answers `{job {id done}, orderCancelUserErrors {field message code}}`: the cancellation runs
as a background job, and cannot be undone. Since 2025-07 the refund is said by `refundMethod:
OrderCancelRefundMethodInput {originalPaymentMethodsRefund}` (the shopper's money back the way
she paid); the Boolean `refund` it replaces is deprecated, so 2026-04 (the version pinned) is
sent `refundMethod`. `reason` is CUSTOMER (OrderCancelReason): the shopper asked.

`orderCancel` takes no idempotency key, and Shopify refuses to cancel an order already
canceled (OrderCancelUserErrorCode has no code of its own for it: INVALID, with a message).
So the order's `cancelledAt` is read first (`order(id:) {cancelledAt}`), and again when Shopify
refuses: an order canceled by an earlier try whose answer was lost, or by a person in the
admin meanwhile, is done, not refused. Any other refusal (`orderCancelUserErrors`, or a query
Shopify will not run) is a CancellationDeclinedError for a person; Shopify busy or out of reach
is shopify_admin's transient errors, which the caller retries.

An order not from Shopify (no `gid://shopify/Order/` id: the merchant's own system opened it)
is left to the back office, as its refund is (shopify_payments.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.order_requests import OrderRequest, ShopCancellation
from chalicelib.integrations.cancellations import (
    CancellationDeclinedError,
    left_to_the_back_office,
)
from chalicelib.integrations.shopify_admin import ShopifyAdmin, ShopifyError
from chalicelib.integrations.shopify_payments import ORDER_GID_PREFIX
from chalicelib.observability import logger

ORDER_STATE = """
query ReturnsDeskOrderState($id: ID!) {
  order(id: $id) { id name cancelledAt }
}
"""

ORDER_CANCEL = """
mutation ReturnsDeskOrderCancel(
  $orderId: ID!
  $reason: OrderCancelReason!
  $refundMethod: OrderCancelRefundMethodInput!
  $restock: Boolean!
  $notifyCustomer: Boolean
  $staffNote: String
) {
  orderCancel(
    orderId: $orderId
    reason: $reason
    refundMethod: $refundMethod
    restock: $restock
    notifyCustomer: $notifyCustomer
    staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""


class ShopifyOrders:
    """Cancels orders in the shop."""

    def __init__(self, admin: ShopifyAdmin) -> None:
        self._admin = admin

    def cancel(
        self, request: OrderRequest, *, refund: bool, restock: bool, notify: bool
    ) -> ShopCancellation:
        order_id = request.order.external_id
        if not order_id or not order_id.startswith(ORDER_GID_PREFIX):
            return left_to_the_back_office(
                request,
                refund=refund,
                restock=restock,
                why="it is not a Shopify order (no Shopify order id)",
            )
        try:
            return self._cancel(request, order_id, refund=refund, restock=restock, notify=notify)
        except ShopifyError as error:
            raise CancellationDeclinedError(
                f"Shopify refused to cancel order {request.order.number} of "
                f"{request.reference}: {error}"
            ) from error

    def _cancel(
        self, request: OrderRequest, order_id: str, *, refund: bool, restock: bool, notify: bool
    ) -> ShopCancellation:
        number = request.order.number
        already = self._canceled_at(request, order_id)
        if already:
            return _already_canceled(request, already, refund=refund, restock=restock)
        variables = {
            "orderId": order_id,
            "reason": "CUSTOMER",
            "refundMethod": {"originalPaymentMethodsRefund": refund},
            "restock": restock,
            "notifyCustomer": notify,
            "staffNote": f"Cancellation request {request.reference} accepted in returns-desk",
        }
        payload = self._admin.execute(
            ORDER_CANCEL, variables, idempotency_key=f"cancel:{request.reference}"
        ).get("orderCancel")
        if not isinstance(payload, dict):
            raise CancellationDeclinedError(
                f"Shopify answered nothing when asked to cancel order {number}."
            )
        errors = [e for e in payload.get("orderCancelUserErrors") or [] if e]
        if errors:
            # Refused, maybe because it is canceled already: what the order says decides.
            already = self._canceled_at(request, order_id)
            if already:
                return _already_canceled(request, already, refund=refund, restock=restock)
            messages = "; ".join(_user_error(e) for e in errors)
            raise CancellationDeclinedError(
                f"Shopify refused to cancel order {number} of {request.reference}: {messages}"
            )
        job = payload.get("job") or {}
        job_id = str(job["id"]) if job.get("id") else None
        logger.info(
            "Shopify order cancellation started",
            extra={"reference": request.reference, "order": order_id, "job": job_id},
        )
        return ShopCancellation(
            in_shop=True,
            job_id=job_id,
            refund=refund,
            restock=restock,
            note=f"Order {number} canceled in Shopify{_what(refund, restock)}"
            + (f" (job {job_id})" if job_id else ""),
        )

    def _canceled_at(self, request: OrderRequest, order_id: str) -> str | None:
        order = self._admin.execute(ORDER_STATE, {"id": order_id}).get("order")
        if not isinstance(order, dict):
            raise CancellationDeclinedError(
                f"Shopify shows no order {order_id} (order {request.order.number} of "
                f"{request.reference}): an order older than 60 days needs the app's "
                "read_all_orders scope."
            )
        canceled = order.get("cancelledAt")
        return str(canceled) if canceled else None


def _already_canceled(
    request: OrderRequest, at: str, *, refund: bool, restock: bool
) -> ShopCancellation:
    logger.info(
        "Shopify order already canceled",
        extra={"reference": request.reference, "cancelled_at": at},
    )
    return ShopCancellation(
        in_shop=True,
        refund=refund,
        restock=restock,
        note=f"Order {request.order.number} was already canceled in Shopify ({at}).",
    )


def _what(refund: bool, restock: bool) -> str:
    does = [word for word, asked in (("refunded", refund), ("restocked", restock)) if asked]
    return f", {' and '.join(does)}" if does else ", neither refunded nor restocked"


def _user_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    code = f" [{error['code']}]" if error.get("code") else ""
    return f"{error.get('message')}{code}"
