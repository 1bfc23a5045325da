"""Demo customers and returns for the local stack, created through the service layer.

Every return is opened and moved with `RmaService.open()` and `.act()`, exactly as the API does,
so the demo data always obeys the transition table and the repository's item layout. A clock the
seed controls spreads creation times over the past weeks; ids come from a fixed sequence, so two
seeds relative to the same `present` produce identical data.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from chalicelib.domain.rma import Actor, Customer, OrderRef, Rma, RmaDraft, RmaLine
from chalicelib.domain.statuses import Channel, ExpectedResolution, ProcessingStatus, ReturnReason
from chalicelib.domain.transitions import Action
from chalicelib.repositories.rma_repository import RmaRepository
from chalicelib.services.rma_service import RmaService

# The customer whose widget shows a full page: five newest returns, two awaiting a decision.
DEMO_CUSTOMER_EMAIL = "jane.doe@example.com"

# Any fixed namespace will do: it only has to make the demo ids the same on every run.
_DEMO_ID_NAMESPACE = uuid.UUID("6f1b0c2e-5d1a-4c1e-9a53-0d6c2a9e7b41")


class DemoClock:
    """The seeding service's clock: it reads whatever moment the seed last set.

    `present` is the "now" the demo is relative to; returns are opened days before it.
    """

    def __init__(self, present: datetime) -> None:
        self.present = present
        self._moment = present

    def __call__(self) -> datetime:
        return self._moment

    def set(self, moment: datetime) -> None:
        self._moment = moment


def seeding_service(repository: RmaRepository, clock: DemoClock) -> RmaService:
    """An RmaService over `repository` whose clock and ids the seed controls."""
    numbers = itertools.count(1)
    return RmaService(
        repository,
        clock=clock,
        new_id=lambda: uuid.uuid5(_DEMO_ID_NAMESPACE, f"demo-rma-{next(numbers)}").hex,
    )


@dataclass(frozen=True)
class DemoData:
    customer_email: str
    # The demo customer's two REQUESTED returns, newest first: one to approve, one to reject.
    awaiting_decision: tuple[Rma, Rma]
    # Every seeded return in its final state, oldest first.
    returns: tuple[Rma, ...]


# --- the catalog and the people ----------------------------------------------------------------


@dataclass(frozen=True)
class _Product:
    sku: str
    name: str
    unit_price: Decimal


_SWEATER_NAVY_M = _Product("MER-CREW-NVY-M", "Merino crew sweater, navy (M)", Decimal("89.00"))
_SWEATER_GREY_S = _Product("MER-CREW-GRY-S", "Merino crew sweater, grey (S)", Decimal("89.00"))
_SHIRT_WHITE_L = _Product("LIN-SHIRT-WHT-L", "Linen shirt, white (L)", Decimal("59.00"))
_SHIRT_WHITE_M = _Product("LIN-SHIRT-WHT-M", "Linen shirt, white (M)", Decimal("59.00"))
_SHOES_39 = _Product("TRAIL-RUN-39", "Trail running shoes (EU 39)", Decimal("129.00"))
_SHOES_44 = _Product("TRAIL-RUN-44", "Trail running shoes (EU 44)", Decimal("129.00"))
_JACKET_S = _Product("RAIN-JKT-OLV-S", "Packable rain jacket, olive (S)", Decimal("119.00"))
_JACKET_M = _Product("RAIN-JKT-OLV-M", "Packable rain jacket, olive (M)", Decimal("119.00"))
_JEANS_30 = _Product("DENIM-SLIM-30-32", "Slim jeans, indigo (30/32)", Decimal("79.00"))
_JEANS_32 = _Product("DENIM-SLIM-32-32", "Slim jeans, indigo (32/32)", Decimal("79.00"))
_BEANIE = _Product("WOOL-BEANIE-GRY", "Wool beanie, grey", Decimal("25.00"))
_BELT = _Product("LEATHER-BELT-BRN-90", "Leather belt, brown (90 cm)", Decimal("45.00"))
_TOTE = _Product("CANVAS-TOTE-NAT", "Canvas tote bag, natural", Decimal("29.00"))
_MUGS = _Product("STONEWARE-MUG-SET4", "Stoneware mug set (4)", Decimal("38.00"))

_JANE = Customer(email=DEMO_CUSTOMER_EMAIL, name="Jane Doe", locale="en")
_CAMILLE = Customer(email="camille.laurent@example.fr", name="Camille Laurent", locale="fr")
_MARCUS = Customer(email="marcus.webb@example.com", name="Marcus Webb", locale="en")
_PRIYA = Customer(email="priya.raman@example.com", name="Priya Raman", locale="en")

_AGENT_SAM = Actor(
    channel=Channel.GORGIAS, id="4211", email="sam.carter@example.com", name="Sam Carter"
)
_AGENT_LEA = Actor(
    channel=Channel.GORGIAS, id="4237", email="lea.martin@example.fr", name="Léa Martin"
)
_BACK_OFFICE = Actor(channel=Channel.ADMIN, name="Back office")
_WAREHOUSE = Actor(channel=Channel.WAREHOUSE, name="Lyon warehouse")
_WORKFLOW = Actor(channel=Channel.WORKFLOW, name="Return workflow")


def _shopper(customer: Customer) -> Actor:
    return Actor(channel=Channel.PORTAL, email=customer.email, name=customer.name)


# --- the returns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    product: _Product
    reason: ReturnReason
    quantity: int = 1
    comment: str | None = None


@dataclass(frozen=True)
class _Move:
    """An action taken `after` the return was opened."""

    after: timedelta
    action: Action
    actor: Actor
    note: str | None = None


@dataclass(frozen=True)
class _DemoReturn:
    opened_ago: timedelta
    customer: Customer
    order_number: str
    lines: tuple[_Line, ...]
    expected_resolution: ExpectedResolution
    moves: tuple[_Move, ...] = ()
    opened_by: Actor | None = None  # the shopper, through the portal, unless said otherwise


def _ago(days: int, hours: int = 0, minutes: int = 0) -> timedelta:
    return timedelta(days=days, hours=hours, minutes=minutes)


def _submitted(customer: Customer) -> _Move:
    return _Move(timedelta(minutes=4), Action.SUBMIT, _shopper(customer))


def _approved(agent: Actor = _AGENT_SAM) -> _Move:
    return _Move(timedelta(hours=20), Action.ACCEPT, agent)


_RECEIVED = _Move(timedelta(days=6), Action.START_PROCESSING, _WAREHOUSE)
_COMPLETED = _Move(timedelta(days=8), Action.COMPLETE, _WORKFLOW)

# Oldest first. Jane's eight cover most statuses; her five newest end with two REQUESTED.
_DEMO_RETURNS: tuple[_DemoReturn, ...] = (
    _DemoReturn(
        _ago(54, 3, 12),
        _JANE,
        "#4803",
        (_Line(_SWEATER_NAVY_M, ReturnReason.SIZE_PROBLEM, comment="Runs small"),),
        ExpectedResolution.REFUND,
        (_submitted(_JANE), _approved(), _RECEIVED, _COMPLETED),
    ),
    _DemoReturn(
        _ago(49, 7, 40),
        _MARCUS,
        "#4811",
        (_Line(_SHOES_44, ReturnReason.DEFECTIVE, comment="Sole coming unglued after two runs"),),
        ExpectedResolution.REPLACE,
        (_submitted(_MARCUS), _approved(), _RECEIVED, _COMPLETED),
    ),
    _DemoReturn(
        _ago(45, 1, 5),
        _JANE,
        "#4822",
        (_Line(_SHIRT_WHITE_L, ReturnReason.UNSATISFIED),),
        ExpectedResolution.REFUND,
        (
            _submitted(_JANE),
            _Move(
                timedelta(hours=26),
                Action.REJECT,
                _AGENT_SAM,
                "Worn and washed: not eligible under the return policy.",
            ),
        ),
    ),
    _DemoReturn(
        _ago(38, 5, 27),
        _CAMILLE,
        "#4830",
        (_Line(_JACKET_S, ReturnReason.COLOR_PROBLEM, comment="Plus foncé que sur la photo"),),
        ExpectedResolution.VOUCHER,
        (_submitted(_CAMILLE), _approved(_AGENT_LEA), _RECEIVED, _COMPLETED),
    ),
    _DemoReturn(
        _ago(36, 2, 48),
        _JANE,
        "#4841",
        (_Line(_BEANIE, ReturnReason.COLOR_PROBLEM),),
        ExpectedResolution.REPLACE,
        (
            _submitted(_JANE),
            _Move(
                timedelta(hours=3),
                Action.CANCEL,
                _shopper(_JANE),
                "Found the colour I wanted in store; keeping this one.",
            ),
        ),
    ),
    _DemoReturn(
        _ago(30, 6, 3),
        _PRIYA,
        "#4852",
        (_Line(_MUGS, ReturnReason.DAMAGED_PRODUCT, comment="Two mugs arrived chipped"),),
        ExpectedResolution.REFUND,
        (
            _submitted(_PRIYA),
            _approved(),
            _RECEIVED,
            _Move(
                timedelta(days=6, hours=2),
                Action.FLAG_ANOMALY,
                _WAREHOUSE,
                "Parcel received empty: no mug set inside.",
            ),
        ),
    ),
    _DemoReturn(
        _ago(27, 4, 31),
        _JANE,
        "#4858",
        (
            _Line(_JEANS_32, ReturnReason.SIZE_PROBLEM),
            _Line(_BELT, ReturnReason.UNSATISFIED),
        ),
        ExpectedResolution.REFUND,
        (_submitted(_JANE), _approved(), _RECEIVED),
    ),
    _DemoReturn(
        _ago(21, 8, 16),
        _MARCUS,
        "#4867",
        (_Line(_TOTE, ReturnReason.WRONG_ITEM, comment="Received the black one"),),
        ExpectedResolution.REPLACE,
        opened_by=_BACK_OFFICE,  # a draft the back office opened and nobody submitted yet
    ),
    _DemoReturn(
        _ago(18, 2, 55),
        _JANE,
        "#4871",
        (_Line(_SHOES_39, ReturnReason.SIZE_PROBLEM),),
        ExpectedResolution.REPLACE,
        (_submitted(_JANE), _approved()),
    ),
    _DemoReturn(
        _ago(14, 6, 9),
        _CAMILLE,
        "#4880",
        (_Line(_SHIRT_WHITE_M, ReturnReason.DEFECTIVE, comment="Couture décousue à l'épaule"),),
        ExpectedResolution.REFUND,
        (_submitted(_CAMILLE),),
    ),
    _DemoReturn(
        _ago(11, 1, 44),
        _JANE,
        "#4886",
        (_Line(_JACKET_M, ReturnReason.DAMAGED_PRODUCT, comment="Zip broke on the first day"),),
        ExpectedResolution.REFUND,
        (
            _submitted(_JANE),
            _Move(
                timedelta(hours=5),
                Action.HOLD,
                _AGENT_SAM,
                "Asked the customer for photos of the zip.",
            ),
        ),
    ),
    _DemoReturn(
        _ago(6, 3, 20),
        _PRIYA,
        "#4895",
        (_Line(_SWEATER_GREY_S, ReturnReason.WRONG_ITEM),),
        ExpectedResolution.REPLACE,
        (
            _submitted(_PRIYA),
            _Move(
                timedelta(hours=22),
                Action.REJECT,
                _AGENT_LEA,
                "Already exchanged in store on the same day.",
            ),
        ),
    ),
    _DemoReturn(
        _ago(4, 2, 7),
        _JANE,
        "#4899",
        (_Line(_SHIRT_WHITE_L, ReturnReason.WRONG_ITEM, comment="Ordered white, received ecru"),),
        ExpectedResolution.REPLACE,
        (_submitted(_JANE),),
    ),
    _DemoReturn(
        _ago(1, 5, 33),
        _JANE,
        "#4906",
        (
            _Line(_JEANS_30, ReturnReason.SIZE_PROBLEM, comment="Too tight at the waist"),
            _Line(_BEANIE, ReturnReason.UNSATISFIED),
        ),
        ExpectedResolution.REFUND,
        (_submitted(_JANE),),
    ),
)


# --- seeding -------------------------------------------------------------------------------------


def seed_demo_data(rmas: RmaService, clock: DemoClock) -> DemoData:
    """Open and move every demo return through `rmas`, whose clock must be `clock`.

    Returns are opened oldest first: a customer's return count is allocated in opening order,
    and the widget's total relies on it matching creation order.
    """
    seeded = tuple(_replay(rmas, clock, demo) for demo in _DEMO_RETURNS)
    pending = sorted(
        (
            rma
            for rma in seeded
            if rma.customer.email_key == DEMO_CUSTOMER_EMAIL
            and rma.processing_status is ProcessingStatus.REQUESTED
        ),
        key=lambda rma: rma.created_at,
        reverse=True,
    )
    return DemoData(
        customer_email=DEMO_CUSTOMER_EMAIL,
        awaiting_decision=(pending[0], pending[1]),
        returns=seeded,
    )


def _replay(rmas: RmaService, clock: DemoClock, demo: _DemoReturn) -> Rma:
    opened_at = clock.present - demo.opened_ago
    clock.set(opened_at)
    rma = rmas.open(_draft(demo, opened_at), actor=demo.opened_by or _shopper(demo.customer))
    for move in demo.moves:
        clock.set(opened_at + move.after)
        rma = rmas.act(rma.id, move.action, actor=move.actor, note=move.note)
    return rma


def _draft(demo: _DemoReturn, opened_at: datetime) -> RmaDraft:
    # Orders are placed about two weeks and delivered about a week before the return opens.
    return RmaDraft(
        order=OrderRef(
            number=demo.order_number,
            external_id=f"gid://shopify/Order/{5_310_000 + int(demo.order_number[1:])}",
            ordered_at=(opened_at - timedelta(days=13)).date(),
            delivered_at=(opened_at - timedelta(days=8)).date(),
        ),
        customer=demo.customer,
        lines=[
            RmaLine(
                sku=line.product.sku,
                name=line.product.name,
                quantity=line.quantity,
                unit_price=line.product.unit_price,
                reason=line.reason,
                comment=line.comment,
            )
            for line in demo.lines
        ],
        expected_resolution=demo.expected_resolution,
        currency="EUR",
    )
