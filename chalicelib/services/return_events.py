"""Hands each return event (or order request event) to every subscriber of its kind.

Subscribers are plain callables of an event, each idempotent on the event's id: an event
comes back whenever any subscriber failed on it (the stream retries the record), and the
subscribers that had succeeded see it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

from chalicelib.domain.events import ReturnEvent
from chalicelib.domain.order_requests import OrderRequestEvent
from chalicelib.observability import logger

EventT = TypeVar("EventT", ReturnEvent, OrderRequestEvent)
EventT_contra = TypeVar("EventT_contra", contravariant=True)


class EventSubscriber(Protocol[EventT_contra]):
    name: str

    def __call__(self, event: EventT_contra) -> None: ...


ReturnEventSubscriber = EventSubscriber[ReturnEvent]


class SubscribersFailedError(Exception):
    """Some subscribers failed on an event; the record is retried for all of them."""

    def __init__(self, event: Any, failed: list[str]) -> None:
        super().__init__(f"Subscribers {', '.join(failed)} failed on event {event.id}")
        self.failed = failed


class EventDispatcher(Generic[EventT]):
    def __init__(self, subscribers: Sequence[EventSubscriber[EventT]]) -> None:
        self._subscribers = list(subscribers)

    @property
    def subscriber_names(self) -> list[str]:
        return [subscriber.name for subscriber in self._subscribers]

    def deliver(self, event: EventT) -> None:
        """Every subscriber gets the event, even after another one failed on it: one failing
        reaction (Step Functions throttled) does not hold back the others (the email)."""
        failed = []
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:
                logger.exception(
                    "Event subscriber failed",
                    extra={"subscriber": subscriber.name, "event": event.id, "type": event.type},
                )
                failed.append(subscriber.name)
        if failed:
            raise SubscribersFailedError(event, failed)


ReturnEventDispatcher = EventDispatcher[ReturnEvent]
OrderRequestEventDispatcher = EventDispatcher[OrderRequestEvent]
