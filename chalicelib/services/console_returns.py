"""The list of returns the merchant console shows (and the admin API lists): narrowed to a status
of one dimension, searched by reference, customer email or order number, newest first, a page at
a time. Every page is key lookups and Queries (see `RmaRepository.page`), never a Scan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from chalicelib.clock import utc_now
from chalicelib.domain.returns_listing import (
    ReturnsListing,
    StatusDimension,
    StatusFilter,
    read_search,
)
from chalicelib.domain.rma import Rma
from chalicelib.repositories.rma_repository import RmaPage, RmaRepository

# A console page: enough to scan by eye, few enough to read in one Query.
MAX_PAGE_SIZE = 50


class ReturnsFilter(BaseModel):
    """What the console's list is asked for: a status of one dimension, search text, or both;
    with neither, every return. The page's GET form sends empty fields for "any": they are
    none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dimension: StatusDimension | None = None
    status: str | None = None
    query: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    cursor: Annotated[str, StringConstraints(max_length=2000)] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 25

    @field_validator("dimension", "status", "query", "cursor", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _a_status_of_its_dimension(self) -> ReturnsFilter:
        if (self.dimension is None) != (self.status is None):
            raise ValueError("a status filter names both a dimension and one of its statuses")
        if self.dimension is not None and self.status is not None:
            StatusFilter(self.dimension, self.status)
        return self

    @property
    def status_filter(self) -> StatusFilter | None:
        if self.dimension is None or self.status is None:
            return None
        return StatusFilter(self.dimension, self.status)


class ConsoleReturns:
    def __init__(
        self, repository: RmaRepository, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._repository = repository
        self._clock = clock

    def list(self, returns_filter: ReturnsFilter) -> RmaPage:
        """One page of the console's list; its cursor asks for the next."""
        return self.page(
            status=returns_filter.status_filter,
            query=returns_filter.query,
            limit=returns_filter.limit,
            cursor=returns_filter.cursor,
        )

    def page(
        self, *, status: StatusFilter | None, query: str | None, limit: int, cursor: str | None
    ) -> RmaPage:
        """One page of the returns in `status` that `query` finds (any, without one).

        An email is its customer's returns: open ones first, each group newest first (the
        customer index's order, the widget's). A reference is one key lookup. A bare number
        (`1042`, `#1042`) may name a return and an order alike, since shops number both from
        about 1001: the return it names comes first on the first page, then the order's
        returns, so that page holds one more than `limit` when `limit` is 1. With a status
        too, the search's few results are kept to it (a filter on its Query).
        """
        search = read_search(query) if query else None
        if search is None:
            return self._listing(ReturnsListing(status=status), limit, cursor)
        if search.email_key is not None:
            return self._listing(
                ReturnsListing(status=status, customer=search.email_key), limit, cursor
            )
        # A return named by its number is on the first page only: later pages have a cursor.
        named = [] if cursor else self._numbered(search.return_number, status)
        if search.order_key is None:
            return RmaPage(items=named, cursor=None)
        of_order = self._listing(
            ReturnsListing(status=status, order=search.order_key),
            max(limit - len(named), 1),
            cursor,
        )
        shown = {rma.id for rma in named}
        items = named + [rma for rma in of_order.items if rma.id not in shown]
        return RmaPage(items=items, cursor=of_order.cursor)

    def _listing(self, listing: ReturnsListing, limit: int, cursor: str | None) -> RmaPage:
        return self._repository.page(listing, limit=limit, cursor=cursor, now=self._clock())

    def _numbered(self, return_number: int | None, status: StatusFilter | None) -> list[Rma]:
        rma_id = (
            self._repository.find_id_by_return_number(return_number)
            if return_number is not None
            else None
        )
        rma = self._repository.get(rma_id) if rma_id else None
        return [rma] if rma is not None and (status is None or status.matches(rma)) else []
