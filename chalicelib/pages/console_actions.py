"""What a merchant may do to a return from its console page, and how each form becomes a call
to the admin API's use cases (RmaService.act, HandlingService).

Whether an action is offered is asked of the domain (`may_decide` over the transition table,
the handling rules): the console keeps no rules of its own, and a form posted for an action
the return's state does not allow is refused by the same service that would refuse the API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import TypeAdapter, ValidationError

from chalicelib.domain.handling import (
    ReceivedLine,
    awaits_items,
    completable_by_hand,
    refund_awaits_a_person,
)
from chalicelib.domain.rma import Actor, Money, Rma
from chalicelib.domain.statuses import ProductState
from chalicelib.domain.transitions import Action, may_decide
from chalicelib.errors import InvalidRequestError

# The fields of the receive form: units that came back, and their state, per SKU.
RECEIVED_FIELD = "received-"
STATE_FIELD = "state-"


@dataclass(frozen=True)
class ConsoleAction:
    name: str
    # The sentence the page shows once it is done (post/redirect/get: `?done=<name>`).
    done: str
    offered: Callable[[Rma], bool]
    # (reference, form, actor, version) -> the return after it.
    run: Callable[[str, Mapping[str, str], Actor, int], Rma]


def _move(
    action: Action, reference: str, form: Mapping[str, str], actor: Actor, version: int
) -> Rma:
    from chalicelib.services import container

    # The reason a rejection needs is its note, as the admin API's `reason` is.
    note = form.get("reason") or form.get("note")
    return container.rma_service().act(reference, action, actor=actor, note=note, version=version)


def _receive(reference: str, form: Mapping[str, str], actor: Actor, version: int) -> Rma:
    from chalicelib.services import container

    return container.handling_service().receive(
        reference, received_lines(form), actor=actor, note=form.get("note"), version=version
    )


def _refund(reference: str, form: Mapping[str, str], actor: Actor, version: int) -> Rma:
    from chalicelib.services import container

    return container.handling_service().approve_refund(
        reference, actor=actor, amount=amount(form), note=form.get("note"), version=version
    )


def _complete(reference: str, form: Mapping[str, str], actor: Actor, version: int) -> Rma:
    from chalicelib.services import container

    return container.handling_service().complete(
        reference, actor=actor, note=form.get("note"), version=version
    )


def _transition(name: str, done: str, action: Action) -> ConsoleAction:
    """A move of the processing status, offered when `decide` would make it."""
    return ConsoleAction(name, done, lambda rma: may_decide(rma, action), partial(_move, action))


# In the order the page offers them.
ACTIONS: dict[str, ConsoleAction] = {
    action.name: action
    for action in (
        _transition("approve", "The return is approved.", Action.ACCEPT),
        _transition("reject", "The return is rejected.", Action.REJECT),
        ConsoleAction("receive", "The items received are recorded.", awaits_items, _receive),
        ConsoleAction("refund", "The refund is approved.", refund_awaits_a_person, _refund),
        ConsoleAction("complete", "The return is completed.", completable_by_hand, _complete),
        _transition("hold", "The return is on hold.", Action.HOLD),
        _transition("resume", "The return is resumed.", Action.RESUME),
        _transition("cancel", "The return is canceled.", Action.CANCEL),
    )
}


def offered(rma: Rma) -> list[str]:
    """The names of the actions a person may take on `rma` as it stands."""
    return [name for name, action in ACTIONS.items() if action.offered(rma)]


def version_read(form: Mapping[str, str]) -> int:
    """The version of the return the page showed when its form was sent."""
    try:
        return int(form.get("version", ""))
    except ValueError:
        raise InvalidRequestError(
            "This form does not say which version of the return it was sent from: reload the "
            "page and try again.",
            {"field": "version"},
        ) from None


_MONEY: TypeAdapter[Any] = TypeAdapter(Money)


def amount(form: Mapping[str, str]) -> Any:
    """The amount a person typed, or None (the amount computed) when they left it empty or as
    the page suggested it: the log then says the refund computed was approved, not set."""
    typed = form.get("amount", "").strip()
    if not typed:
        return None
    try:
        chosen = _MONEY.validate_python(typed)
    except ValidationError:
        raise InvalidRequestError(
            "Enter an amount such as 12.50, with at most two decimals.", {"field": "amount"}
        ) from None
    return None if str(chosen) == form.get("suggested_amount") else chosen


def received_lines(form: Mapping[str, str]) -> list[ReceivedLine]:
    """The units a person says came back, per SKU, in the state they chose."""
    received = []
    for field, typed in form.items():
        if not field.startswith(RECEIVED_FIELD) or not typed.strip() or typed.strip() == "0":
            continue
        sku = field.removeprefix(RECEIVED_FIELD)
        try:
            quantity = int(typed)
            state = ProductState(form.get(STATE_FIELD + sku, ""))
        except ValueError:
            raise InvalidRequestError(
                f"Enter a whole number of units of {sku} and the state they came back in.",
                {"field": "lines", "sku": sku},
            ) from None
        if quantity < 0:
            raise InvalidRequestError(
                f"Enter a whole number of units of {sku}.", {"field": "lines", "sku": sku}
            )
        received.append(ReceivedLine(sku, quantity, state))
    if not received:
        raise InvalidRequestError(
            "Enter how many units of at least one line came back.", {"field": "lines"}
        )
    return received
