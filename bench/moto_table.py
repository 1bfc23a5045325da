"""In-process moto with the returns-desk table, created as the template creates it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto import mock_aws

from chalicelib.repositories.aws import client
from chalicelib.repositories.table_schema import table_definition
from chalicelib.services import container
from local.moto_support import patch_moto_dynamodb
from local.step_functions import MOTO_CONFIG


@contextmanager
def moto_table(table_name: str) -> Iterator[Any]:
    """Yields the DynamoDB client the app itself will use, so that hooks on it see every call."""
    patch_moto_dynamodb()
    with mock_aws(config=MOTO_CONFIG):
        # Forget clients and services built before moto was in place.
        client.cache_clear()
        container.reset()
        dynamodb = client("dynamodb")
        dynamodb.create_table(**table_definition(table_name))
        try:
            yield dynamodb
        finally:
            client.cache_clear()
            container.reset()
