"""Items that no longer read as the model they hold: how they are described and reported."""

from __future__ import annotations

from pydantic import ValidationError

from chalicelib.errors import StoredDataError


def validation_summary(error: ValidationError) -> str:
    """Where and what kind of error only: the values may be the shopper's."""
    return "; ".join(
        f"{'.'.join(map(str, detail['loc']))}: {detail['type']}"
        for detail in error.errors(include_url=False, include_input=False)
    )


def report_stored_data_fault(fault: StoredDataError) -> None:
    """Log and count an unreadable item: the `StoredItemsUnreadable` alarm watches the count."""
    from aws_lambda_powertools.metrics import MetricUnit

    from chalicelib.observability import logger, metrics

    logger.error(
        "Stored item unreadable", extra={"item_key": fault.key, "problems": fault.problems}
    )
    metrics.add_metric(name="StoredItemsUnreadable", unit=MetricUnit.Count, value=1)
