"""AWS clients, created lazily and once per process so that importing the app stays cheap."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    # boto3 honours AWS_ENDPOINT_URL, which is how the local stack and the benchmarks point
    # every client at the embedded moto server.
    import boto3

    return boto3.session.Session().client(service)
