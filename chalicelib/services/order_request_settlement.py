"""The order requests' settlement: a subscriber of their events that carries out what an agent
accepted (the order canceled in the shop, the claim paid or its replacement ordered).

Out of the request that accepted it: the shop may be slow or down, and a failure here is
retried by the stream, never lost, and never undoes the agent's decision. Idempotent: a
request already resolved is left alone, and the shop's side recognises a retry by the
request's reference.
"""

from __future__ import annotations

from chalicelib.domain.order_requests import OrderRequestEvent, OrderRequestEventType
from chalicelib.services.order_requests import OrderRequestService

_ACCEPTED = frozenset(
    {OrderRequestEventType.CANCELLATION_ACCEPTED, OrderRequestEventType.CLAIM_APPROVED}
)


class OrderRequestSettlement:
    name = "order_request_settlement"

    def __init__(self, service: OrderRequestService) -> None:
        self._service = service

    def __call__(self, event: OrderRequestEvent) -> None:
        if event.type in _ACCEPTED:
            self._service.carry_out(event.reference)
