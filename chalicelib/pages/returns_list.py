"""The console's list of returns in words, for `console/returns.html.j2`: the filter's choices,
a row per return, and the links to the newer and older pages. Pure: the page's query string and
the page of returns come in as values.

The status filter is one select of every status, grouped by dimension (`processing:REQUESTED`):
one filter at a time, which is what the list serves. Going back to newer pages needs the cursors
of the pages before: each link carries them (`trail`), as the list's cursors only go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from chalicelib.domain.labels import label
from chalicelib.domain.returns_listing import DIMENSION_STATUSES, StatusDimension, status_of
from chalicelib.domain.rma import Rma
from chalicelib.notifications.refund_summary import money
from chalicelib.pages.console_views import CONSOLE_LOCALE, Figure

# The dimensions as the return's page names them.
DIMENSION_NAMES: dict[StatusDimension, str] = {
    StatusDimension.PROCESSING: "Processing",
    StatusDimension.DELIVERY: "Delivery",
    StatusDimension.FINANCIAL: "Refund",
    StatusDimension.FULFILLMENT: "Inspection",
}
_TRAIL_SEPARATOR = ","
# The first page has no cursor; in a trail it is this.
_FIRST_PAGE = "-"
# Enough to come back from deep in the list; past it, "Newer" leads to the newest page.
_TRAIL_PAGES = 30


@dataclass(frozen=True)
class Choice:
    value: str
    words: str


@dataclass(frozen=True)
class ChoiceGroup:
    name: str
    choices: list[Choice]


@dataclass(frozen=True)
class ReturnRow:
    reference: str
    customer: str
    email: str
    order: str
    created: str
    statuses: list[Figure]
    total: str


@dataclass(frozen=True)
class Asked:
    """What the page's query string asks for: the status choice (`dimension:STATUS`), search
    text, the page's cursor and the cursors of the pages before it, newest first."""

    status: str = ""
    query: str = ""
    cursor: str = ""
    trail: tuple[str, ...] = ()

    @classmethod
    def from_query_string(cls, params: Mapping[str, str]) -> Asked:
        trail = params.get("trail", "")
        return cls(
            status=params.get("status", ""),
            query=params.get("q", ""),
            cursor=params.get("cursor", ""),
            trail=tuple(trail.split(_TRAIL_SEPARATOR)) if trail else (),
        )

    @property
    def filter_fields(self) -> dict[str, str]:
        """The fields of ReturnsFilter this asks for (empty ones mean "any")."""
        dimension, _, status = self.status.partition(":")
        return {
            "dimension": dimension,
            "status": status,
            "query": self.query,
            "cursor": self.cursor,
        }


def status_choices() -> list[ChoiceGroup]:
    return [
        ChoiceGroup(
            name,
            [
                Choice(f"{dimension}:{status}", label(status, CONSOLE_LOCALE))
                for status in DIMENSION_STATUSES[dimension]
            ],
        )
        for dimension, name in DIMENSION_NAMES.items()
    ]


def return_rows(rmas: list[Rma]) -> list[ReturnRow]:
    return [
        ReturnRow(
            reference=rma.return_reference,
            customer=rma.customer.name or str(rma.customer.email),
            email=str(rma.customer.email),
            order=rma.order.number,
            created=f"{rma.created_at:%d %b %Y}",
            statuses=[
                Figure(name, label(_status(rma, dimension), CONSOLE_LOCALE))
                for dimension, name in DIMENSION_NAMES.items()
            ],
            total=money(rma.requested_value, rma.currency, CONSOLE_LOCALE),
        )
        for rma in rmas
    ]


def _status(rma: Rma, dimension: StatusDimension) -> StrEnum:
    return DIMENSION_STATUSES[dimension](status_of(rma, dimension))


def older_link(asked: Asked, next_cursor: str | None) -> str | None:
    """The query string of the next, older page; None on the last page."""
    if next_cursor is None:
        return None
    trail = (*asked.trail, asked.cursor or _FIRST_PAGE)[-_TRAIL_PAGES:]
    return _link(asked, next_cursor, trail)


def newer_link(asked: Asked) -> str | None:
    """The query string of the page before, newer; None on the first page."""
    if not asked.cursor:
        return None
    previous = asked.trail[-1] if asked.trail else _FIRST_PAGE
    return _link(asked, "" if previous == _FIRST_PAGE else previous, asked.trail[:-1])


def _link(asked: Asked, cursor: str, trail: tuple[str, ...]) -> str:
    fields = {"status": asked.status, "q": asked.query, "cursor": cursor}
    fields["trail"] = _TRAIL_SEPARATOR.join(trail)
    return "?" + urlencode({name: value for name, value in fields.items() if value})
