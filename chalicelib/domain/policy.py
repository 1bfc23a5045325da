"""The merchant's return policy (the returns platform's `rmaConfiguration`).

One policy per deployment. It decides which lines may be returned, which returns approve
themselves, how much money a received return gives back, and how long the lifecycle waits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from chalicelib.domain.order_requests import ClaimIssue
from chalicelib.domain.rma import Contact, DomainModel, Money, ShortText
from chalicelib.domain.statuses import ExpectedResolution, ProductState, ReturnReason


def _listed_once(reasons: list[ReturnReason]) -> list[ReturnReason]:
    repeated = sorted({reason for reason in reasons if reasons.count(reason) > 1})
    if repeated:
        raise ValueError(f"each reason may be listed once; repeated: {', '.join(repeated)}")
    return reasons


Reasons = Annotated[list[ReturnReason], AfterValidator(_listed_once)]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
# A Step Functions Standard execution lives at most one year, so no wait inside it may be longer.
Timeout = Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=365))]


class WindowStart(StrEnum):
    ORDER_DATE = "ORDER_DATE"
    DELIVERY_DATE = "DELIVERY_DATE"


class DecisionTimeoutAction(StrEnum):
    """What happens to a return no agent decided on in time (a reminder is sent either way)."""

    HOLD = "HOLD"
    KEEP_WAITING = "KEEP_WAITING"


class ExchangeShipping(StrEnum):
    """When the replacement of an exchange is ordered in the shop."""

    ON_RECEIPT = "ON_RECEIPT"
    # "Ship before receipt": the shopper gets the replacement without waiting for the parcel.
    ON_APPROVAL = "ON_APPROVAL"


class ExchangePriceDifference(StrEnum):
    """Which variants an exchange may pick, and what becomes of a difference in price."""

    # Only variants at the returned unit's price: nothing to settle.
    SAME_PRICE_ONLY = "SAME_PRICE_ONLY"
    # Any variant of the product: a cheaper one has the difference refunded, a dearer one is
    # ordered with an invoice for the difference.
    SETTLE = "SETTLE"


class ReasonRule(DomainModel):
    photo_required: bool = False


class AutoApprovalRules(DomainModel):
    """When a return is accepted without waiting for an agent. Every rule must pass."""

    enabled: bool = True
    reasons: Reasons = [
        ReturnReason.SIZE_PROBLEM,
        ReturnReason.COLOR_PROBLEM,
        ReturnReason.UNSATISFIED,
    ]
    # The value of the returned lines, not of the whole order; None: no limit.
    max_order_value: Money | None = Decimal("200.00")
    # Returns the customer opened in the last `period_days`, this one included.
    max_returns_per_customer: Annotated[int, Field(ge=1)] = 3
    period_days: Annotated[int, Field(ge=1, le=3650)] = 90
    # Compared case-insensitively; these customers always wait for an agent.
    blocklisted_emails: list[ShortText] = []


class CancellationRules(DomainModel):
    """When a shopper may ask to cancel an order, and what accepting it does in the shop."""

    enabled: bool = True
    # Unfulfilled orders only, unless partially fulfilled ones may be canceled too (the shop
    # cancels what is left; the shipped parcel is a return).
    allow_partially_fulfilled: bool = False
    # Days after the order a request may still be made; None: as long as nothing shipped.
    window_days: Annotated[int, Field(ge=0, le=365)] | None = None
    # What the shop's cancellation does (Shopify `orderCancel`'s `refund` and `restock`).
    refund: bool = True
    restock: bool = True


class ClaimRules(DomainModel):
    """Which order issues a shopper may report, when, and how they may be settled."""

    enabled: bool = True
    issues: list[ClaimIssue] = list(ClaimIssue)
    # Days after delivery (or, when none is known, after shipping) an issue may be reported.
    window_days: Annotated[int, Field(ge=1, le=3650)] = 30
    # A parcel with no delivery after this many days from shipping (when its carrier gave no
    # estimate) may be reported as not received.
    not_received_after_days: Annotated[int, Field(ge=1, le=365)] = 10
    photo_required: list[ClaimIssue] = [ClaimIssue.DAMAGED]
    resolutions: list[ExpectedResolution] = [
        ExpectedResolution.REFUND,
        ExpectedResolution.VOUCHER,
        ExpectedResolution.REPLACE,
    ]


class ReturnPolicy(DomainModel):
    return_window_days: Annotated[int, Field(ge=0, le=3650)] = 30
    # When an order lacks this date, the window counts from its other one (see eligibility).
    window_starts_from: WindowStart = WindowStart.DELIVERY_DATE
    non_returnable_skus: list[ShortText] = []
    allowed_reasons: Reasons = list(ReturnReason)
    # Factories rather than instances: building a model at import would undo `defer_build`.
    reason_rules: dict[ReturnReason, ReasonRule] = Field(
        default_factory=lambda: {
            ReturnReason.DAMAGED_PRODUCT: ReasonRule(photo_required=True),
            ReturnReason.DEFECTIVE: ReasonRule(photo_required=True),
        }
    )
    auto_approval: AutoApprovalRules = Field(default_factory=AutoApprovalRules)
    # Charged only on returns whose terms say `apply_return_fee`.
    return_fee: Money = Decimal("0.00")
    # The default retained amount of new returns; each return keeps its own.
    retained_amount_for_shipping: Money = Decimal("0.00")
    # Percent of a received line's value kept back, by the state it came back in; a state not
    # listed here keeps nothing back.
    deductions_by_product_state: dict[ProductState, Percent] = {
        ProductState.BRAND_NEW_WITH_LABEL: Decimal(0),
        ProductState.BRAND_NEW_WITHOUT_LABEL: Decimal(10),
        ProductState.WORE: Decimal(20),
        ProductState.DAMAGED: Decimal(100),
        ProductState.DEFECTIVE: Decimal(0),
    }
    auto_generate_financial_resolution: bool = True
    auto_execute_financial_resolution: bool = False
    # JSON: ISO 8601 durations ("P2D") or seconds.
    agent_decision_timeout: Timeout = timedelta(days=2)
    on_decision_timeout: DecisionTimeoutAction = DecisionTimeoutAction.HOLD
    parcel_timeout: Timeout = timedelta(days=30)
    # How long a computed refund waits for a person's approval before the team is reminded
    # (again each time this runs out; the refund keeps waiting).
    refund_approval_timeout: Timeout = timedelta(days=3)
    # Where the default label provider tells shoppers to send their parcel.
    return_address: Contact | None = None
    # Store credit (a VOUCHER) is worth this much more than the refund it replaces, to make
    # credit the shopper's better choice; 0: the same.
    store_credit_bonus_percent: Percent = Decimal(0)
    exchange_ships: ExchangeShipping = ExchangeShipping.ON_RECEIPT
    exchange_price_difference: ExchangePriceDifference = ExchangePriceDifference.SAME_PRICE_ONLY
    # The shop tells the shopper itself of a refund or gift card it makes (Shopify's `notify`).
    shop_notifies_shopper: bool = True
    # Order requests: cancellations and claims (domain/order_request_rules.py).
    cancellations: CancellationRules = Field(default_factory=CancellationRules)
    claims: ClaimRules = Field(default_factory=ClaimRules)

    def with_changes(self, changes: Mapping[str, Any]) -> ReturnPolicy:
        """This policy with `changes` made (the JSON of `PATCH /config/policy`): an object
        changes field by field, the maps keyed by reason or product state key by key; anything
        else (a list, a number, a string, null) replaces the value it names. The result is
        validated as a whole policy: a ValidationError names fields as `changes` does."""
        return ReturnPolicy.model_validate(_merged(self.model_dump(mode="json"), changes))

    def is_non_returnable(self, sku: str) -> bool:
        # SKUs are typed into the policy by hand: a difference of case is not a different SKU.
        return sku.casefold() in {listed.casefold() for listed in self.non_returnable_skus}

    def photo_required(self, reason: ReturnReason) -> bool:
        rule = self.reason_rules.get(reason)
        return rule is not None and rule.photo_required

    def deduction_percent(self, state: ProductState | None) -> Decimal:
        if state is None:
            return Decimal(0)
        return self.deductions_by_product_state.get(state, Decimal(0))


def _merged(current: Any, change: Any) -> Any:
    """`change` made to `current`, both JSON values: objects merge, anything else replaces."""
    if isinstance(current, dict) and isinstance(change, Mapping):
        return {
            **current,
            **{key: _merged(current.get(key), value) for key, value in change.items()},
        }
    return change
