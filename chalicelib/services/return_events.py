"""Hands each return event to every subscriber.

Subscribers are plain callables of an event, each idempotent on the event's id: an event
comes back whenever any subscriber failed on it (the stream retries the record), and the
subscribers that had succeeded see it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib.domain.events import ReturnEvent
from chalicelib.observability import logger


class ReturnEventSubscriber(Protocol):
    name: str

    def __call__(self, event: ReturnEvent) -> None: ...


class SubscribersFailedError(Exception):
    """Some subscribers failed on an event; the record is retried for all of them."""

    def __init__(self, event: ReturnEvent, failed: list[str]) -> None:
        super().__init__(f"Subscribers {', '.join(failed)} failed on event {event.id}")
        self.failed = failed


class ReturnEventDispatcher:
    def __init__(self, subscribers: Sequence[ReturnEventSubscriber]) -> None:
        self._subscribers = list(subscribers)

    @property
    def subscriber_names(self) -> list[str]:
        return [subscriber.name for subscriber in self._subscribers]

    def deliver(self, event: ReturnEvent) -> None:
        """Every subscriber gets the event, even after another one failed on it: one failing
        reaction (Step Functions throttled) does not hold back the others (the email)."""
        failed = []
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:
                logger.exception(
                    "Return event subscriber failed",
                    extra={"subscriber": subscriber.name, "event": event.id, "type": event.type},
                )
                failed.append(subscriber.name)
        if failed:
            raise SubscribersFailedError(event, failed)
