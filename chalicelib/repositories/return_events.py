"""Return events (and order requests' events) in the table, and as the table's stream delivers
them. The only module that knows their item layout.

An event item is put in the transaction of the change it tells of (see rma_repository.py and
order_requests.py): pk `CHANGES#<rma id or request reference>`, sk `CHANGE#<version, 6
digits>`, the event's fields beside them; its `type` says which kind of event it is. A
partition of its own, so that reading a return with its log never reads its events. Nothing
reads them back from the table: the stream carries each new item to the consumer once, and
the TTL then removes it, well after the stream's own 24 hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.events import ReturnEvent
from chalicelib.domain.order_requests import OrderRequestEvent
from chalicelib.errors import StoredDataError
from chalicelib.repositories.stored_data import validation_summary
from chalicelib.repositories.table_schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE

EVENT_PARTITION_PREFIX = "CHANGES#"
_EVENT_SORT_PREFIX = "CHANGE#"
# Kept past the stream's retention (24 h) and the consumer's oldest retry: long enough to look
# at an event a subscriber failed on, short enough not to grow the table.
EVENT_RETENTION = timedelta(days=7)
_REQUEST_EVENT_PREFIXES = ("claim.", "cancellation.")


def event_key(rma_id: str, version: int) -> dict[str, str]:
    return {
        PARTITION_KEY: f"{EVENT_PARTITION_PREFIX}{rma_id}",
        SORT_KEY: f"{_EVENT_SORT_PREFIX}{version:06d}",
    }


def event_document(event: ReturnEvent | OrderRequestEvent) -> dict[str, Any]:
    """The item of `event`, as a plain document."""
    expires = event.occurred_at + EVENT_RETENTION
    subject = event.rma_id if isinstance(event, ReturnEvent) else event.reference
    return {
        **event_key(subject, event.version),
        TTL_ATTRIBUTE: int(_aware(expires).timestamp()),
        **event.model_dump(mode="json", exclude_none=True),
    }


def is_event_item(keys: dict[str, Any]) -> bool:
    """Whether the item of these keys (plain values) is a return event."""
    return str(keys.get(PARTITION_KEY, "")).startswith(EVENT_PARTITION_PREFIX)


def event_from_image(image: dict[str, Any]) -> ReturnEvent | OrderRequestEvent:
    """The event a stream record's new image (plain values) holds; StoredDataError when it no
    longer reads as one (reported and set aside, never dropped silently)."""
    document = {
        name: value
        for name, value in image.items()
        if name not in {PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE}
    }
    is_request_event = str(document.get("type", "")).startswith(_REQUEST_EVENT_PREFIXES)
    try:
        if is_request_event:
            return OrderRequestEvent.model_validate(document)
        return ReturnEvent.model_validate(document)
    except ValidationError as error:
        key = f"{image.get(PARTITION_KEY)}/{image.get(SORT_KEY)}"
        raise StoredDataError(key, validation_summary(error)) from error


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
