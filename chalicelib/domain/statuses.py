"""Every enumeration of the RMA, after the returns platform's RMA model."""

from __future__ import annotations

from enum import StrEnum


class ProcessingStatus(StrEnum):
    NEW = "NEW"
    REQUESTED = "REQUESTED"
    ACCEPTED = "ACCEPTED"
    PROCESSING = "PROCESSING"
    REJECTED = "REJECTED"
    CANCELED = "CANCELED"
    COMPLETE = "COMPLETE"
    ON_HOLD = "ON_HOLD"
    ANOMALY = "ANOMALY"
    DELETED = "DELETED"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    HANDLED = "HANDLED"
    PROCESSING = "PROCESSING"
    DELIVERING = "DELIVERING"
    DELIVERED = "DELIVERED"
    DELIVERED_TO_SENDER = "DELIVERED_TO_SENDER"
    CANCELED = "CANCELED"
    ERROR = "ERROR"


class FinancialStatus(StrEnum):
    PENDING = "PENDING"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUND_REJECTED = "REFUND_REJECTED"
    CANCELED = "CANCELED"
    NONE = "NONE"
    EXECUTION_ERROR = "EXECUTION_ERROR"


class FulfillmentStatus(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    ERROR = "ERROR"
    CANCELED = "CANCELED"
    COMPLETE = "COMPLETE"


class ExpectedResolution(StrEnum):
    NONE = "NONE"
    VOUCHER = "VOUCHER"
    REPLACE = "REPLACE"
    REFUND = "REFUND"


class ReturnReason(StrEnum):
    WRONG_ITEM = "WRONG_ITEM"
    NOT_RECEIVED = "NOT_RECEIVED"
    SIZE_PROBLEM = "SIZE_PROBLEM"
    COLOR_PROBLEM = "COLOR_PROBLEM"
    DEFECTIVE = "DEFECTIVE"
    DAMAGED_PRODUCT = "DAMAGED_PRODUCT"
    UNSATISFIED = "UNSATISFIED"
    ITEMS_NOT_SOLD = "ITEMS_NOT_SOLD"


class ProductState(StrEnum):
    """Condition of a returned item, set at inspection."""

    BRAND_NEW_WITH_LABEL = "BRAND_NEW_WITH_LABEL"
    BRAND_NEW_WITHOUT_LABEL = "BRAND_NEW_WITHOUT_LABEL"
    WORE = "WORE"
    DAMAGED = "DAMAGED"
    DEFECTIVE = "DEFECTIVE"


class LineState(StrEnum):
    FULFILLED = "FULFILLED"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    PENDING = "PENDING"


class FinancialMethod(StrEnum):
    REFUND = "REFUND"
    VOUCHER = "VOUCHER"


class Channel(StrEnum):
    """Through what an action reached the RMA; recorded in its action log."""

    GORGIAS = "gorgias"
    PORTAL = "portal"
    # A customer's chat message, read by the chat intake.
    CHAT = "chat"
    ADMIN = "admin"
    WAREHOUSE = "warehouse"
    WORKFLOW = "workflow"


class LifecycleStep(StrEnum):
    """Where the lifecycle waits for someone outside it."""

    AGENT_DECISION = "AGENT_DECISION"
    ITEM_RECEIPT = "ITEM_RECEIPT"
    REFUND_APPROVAL = "REFUND_APPROVAL"
