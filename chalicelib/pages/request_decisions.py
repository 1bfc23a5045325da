"""What a merchant decides from a request's console page, and how each form becomes a call to
the use case every entry point shares (OrderRequestService.decide).

The console keeps no rules of its own: whether a request may still be decided, which
resolution a cancellation takes (none), and how much a claim may give back are the service's
to say, and its refusals are shown next to the field they name. The page only reads its
fields: a note and a reason are texts of the same bounds as anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from chalicelib.domain.order_requests import CLAIM_RESOLUTIONS, OrderRequest
from chalicelib.domain.rma import Actor, LongText
from chalicelib.domain.statuses import ExpectedResolution
from chalicelib.errors import InvalidRequestError
from chalicelib.pages.console_actions import amount

# The sentence the page shows once a decision is made (post/redirect/get: `?done=<name>`).
DONE = {
    "accept": "The request is accepted. What it asks is carried out in a moment.",
    "refuse": "The request is refused. The customer is told why.",
}
_TEXT: TypeAdapter[Any] = TypeAdapter(LongText)


def accept(reference: str, form: Mapping[str, str], actor: Actor) -> OrderRequest:
    """Accept the request: a claim is settled by the resolution chosen (the shopper's unless
    the person chose another), for the amount computed unless they typed a lower one."""
    from chalicelib.services import container

    return container.order_request_service().decide(
        reference,
        approve=True,
        actor=actor,
        note=_text(form, "note") or None,
        resolution=_resolution(form),
        amount=amount(form),
    )


def refuse(reference: str, form: Mapping[str, str], actor: Actor) -> OrderRequest:
    """Refuse the request, telling the customer why: a reason is required."""
    from chalicelib.services import container

    reason = _text(form, "reason")
    if not reason:
        raise InvalidRequestError(
            "A reason is required to refuse a request: it is what the customer is told.",
            {"field": "reason"},
        )
    return container.order_request_service().decide(
        reference, approve=False, actor=actor, note=reason
    )


def _text(form: Mapping[str, str], field: str) -> str:
    try:
        return str(_TEXT.validate_python(form.get(field, "")))
    except ValidationError:
        raise InvalidRequestError(
            "Write at most 2,000 characters, without control characters.", {"field": field}
        ) from None


def _resolution(form: Mapping[str, str]) -> ExpectedResolution | None:
    """The resolution chosen for a claim; None when the form has none (a cancellation's)."""
    typed = form.get("resolution", "").strip()
    if not typed:
        return None
    chosen = next((r for r in CLAIM_RESOLUTIONS if r.value == typed), None)
    if chosen is None:
        raise InvalidRequestError(
            "Choose a refund, store credit or a replacement.", {"field": "resolution"}
        )
    return chosen
