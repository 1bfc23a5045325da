"""A year of return analytics for `make run`, so that the console's charts have a shape to show.

The demo returns of local/seed.py are a handful, written before the stream's consumer runs:
the year before them is made up here, the same on every run (a seeded generator), as the
return events and orders would have counted it, and loaded as the counter items the analytics
repository lays out (`counter_items`: the day items, and the month items it sums from them;
the year's first month holds only its days in the year, as the table does). It reads like a
clothing shop's: more returns early in the week (what was tried on over the weekend) and in
January (the holidays' gifts), sizes the main reason for clothes and shoes, two thirds of
approvals made by the automatic rules, refunds a week after the request.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from chalicelib.domain.analytics import Counters, DayTotals, ReasonCount, ReturnIncrements
from chalicelib.domain.statuses import ReturnReason
from chalicelib.repositories.analytics_counters import counter_items

R = ReturnReason
DAYS = 365
SEED = 20_261_201
CENT = Decimal("0.01")
# Returns a day on an ordinary Wednesday of an ordinary month.
_BASE_RETURNS = 6.0
_WEEKDAY = (1.4, 1.25, 1.0, 0.95, 0.9, 0.6, 0.5)
_MONTH = {1: 1.7, 2: 1.1, 3: 0.9, 4: 0.9, 5: 1.0, 6: 1.1, 7: 1.0, 8: 0.8, 9: 0.9, 10: 1.0}
# Sales peak before the holidays and at weekends.
_SALES_WEEKDAY = (0.9, 0.9, 0.95, 1.0, 1.1, 1.25, 1.2)
_SALES_MONTH = {11: 1.5, 12: 1.9, 1: 0.9, 8: 0.8}
_FIT = {R.SIZE_PROBLEM: 6, R.COLOR_PROBLEM: 1, R.UNSATISFIED: 2, R.DEFECTIVE: 1}
_GOODS = {R.DEFECTIVE: 3, R.DAMAGED_PRODUCT: 3, R.UNSATISFIED: 2, R.WRONG_ITEM: 1}


@dataclass(frozen=True)
class _Product:
    sku: str
    price: Decimal
    # Units sold on an ordinary day, and how often it is returned (drawn by weight).
    daily_sales: int
    return_weight: int
    reasons: dict[ReturnReason, int]


# The catalog of local/seed.py.
CATALOG = (
    _Product("MER-CREW-NVY-M", Decimal("89.00"), 9, 5, _FIT),
    _Product("MER-CREW-GRY-S", Decimal("89.00"), 7, 4, _FIT),
    _Product("LIN-SHIRT-WHT-L", Decimal("59.00"), 10, 5, _FIT),
    _Product("LIN-SHIRT-WHT-M", Decimal("59.00"), 12, 5, _FIT),
    _Product("TRAIL-RUN-39", Decimal("129.00"), 5, 6, _FIT),
    _Product("TRAIL-RUN-44", Decimal("129.00"), 6, 6, _FIT),
    _Product("RAIN-JKT-OLV-S", Decimal("119.00"), 4, 3, _FIT),
    _Product("RAIN-JKT-OLV-M", Decimal("119.00"), 5, 3, _FIT),
    _Product("DENIM-SLIM-30-32", Decimal("79.00"), 8, 7, _FIT),
    _Product("DENIM-SLIM-32-32", Decimal("79.00"), 9, 7, _FIT),
    _Product("WOOL-BEANIE-GRY", Decimal("25.00"), 14, 1, _GOODS),
    _Product("LEATHER-BELT-BRN-90", Decimal("45.00"), 6, 2, _FIT),
    _Product("CANVAS-TOTE-NAT", Decimal("29.00"), 11, 1, _GOODS),
    _Product("STONEWARE-MUG-SET4", Decimal("38.00"), 7, 2, _GOODS),
)


def demo_year(today: date) -> Counters:
    """The counters of the `DAYS` days before `today`, the same on every run."""
    rng = random.Random(SEED)  # noqa: S311 - demo figures, the same on every run
    days: dict[date, DayTotals] = {}
    reasons: dict[tuple[date, str, ReturnReason], ReasonCount] = {}
    sold: dict[tuple[date, str], int] = {}
    for offset in range(DAYS, 0, -1):
        day = today - timedelta(days=offset)
        returned = _returns_of(day, rng)
        days[day] = returned.totals
        reasons.update({(day, *pair): count for pair, count in returned.by_sku_reason.items()})
        sold.update({(day, sku): units for sku, units in _sales_of(day, rng).items()})
    return Counters(days, reasons, sold)


def fill_demo_analytics(table_name: str, today: date) -> int:
    """Load the demo year into the table, as history (kept out of the table's stream, which
    carries nothing the stream's consumer reads for it); how many counter items."""
    from local.moto_support import load_history

    items = counter_items(demo_year(today))
    load_history(table_name, items)
    return len(items)


def _busyness(day: date) -> float:
    # December's gifts come back in January; November and December's own are few.
    return _WEEKDAY[day.weekday()] * _MONTH.get(day.month, 1.0)


def _returns_of(day: date, rng: random.Random) -> ReturnIncrements:
    """A day's returns, as their events would have counted them."""
    totals = DayTotals()
    pairs: Counter[tuple[str, ReturnReason]] = Counter()
    returns: Counter[tuple[str, ReturnReason]] = Counter()
    weights = [p.return_weight for p in CATALOG]
    for _ in range(max(0, round(rng.gauss(_BASE_RETURNS * _busyness(day), 1.5)))):
        picked = rng.choices(CATALOG, weights, k=rng.choice((1, 1, 1, 2)))
        units, value = 0, Decimal(0)
        # One line per SKU, in the order drawn: the same figures on every run.
        for product in {p.sku: p for p in picked}.values():
            reason = rng.choices(list(product.reasons), list(product.reasons.values()))[0]
            quantity = rng.choice((1, 1, 1, 1, 2))
            pairs[(product.sku, reason)] += quantity
            returns[(product.sku, reason)] += 1
            units += quantity
            value += product.price * quantity
        totals += DayTotals(requested=1, units_requested=units, requested_value=value)
        totals += _outcome(value, rng)
    by_sku_reason = {pair: ReasonCount(pairs[pair], returns[pair]) for pair in pairs}
    return ReturnIncrements(day, totals, by_sku_reason)


def _outcome(value: Decimal, rng: random.Random) -> DayTotals:
    """A return's decision and refund, counted with its request to keep the demo one
    transaction a day."""
    draw = rng.random()
    if draw < 0.05:
        return DayTotals()  # still waiting
    if draw < 0.15:
        return DayTotals(rejected=1, decided=1, decision_seconds=rng.randint(3_600, 30 * 3_600))
    automatic = rng.random() < 0.65
    seconds = rng.randint(30, 300) if automatic else rng.randint(1_800, 36 * 3_600)
    decision = DayTotals(
        approved=1, auto_approved=int(automatic), decided=1, decision_seconds=seconds
    )
    if rng.random() < 0.15:
        return decision  # the parcel is still on its way
    refund = (value * Decimal(rng.uniform(0.8, 1.0))).quantize(CENT)
    days = rng.uniform(4, 11)
    return decision + DayTotals(refunded=1, refund_value=refund, refund_seconds=int(days * 86_400))


def _sales_of(day: date, rng: random.Random) -> dict[str, int]:
    busyness = _SALES_WEEKDAY[day.weekday()] * _SALES_MONTH.get(day.month, 1.0)
    units = {
        product.sku: max(0, round(rng.gauss(product.daily_sales * busyness, 2)))
        for product in CATALOG
    }
    return {sku: n for sku, n in units.items() if n}
