"""The unit tests: the domain and the services with small fakes, no AWS and no network."""

from __future__ import annotations

import pytest

# The fixtures of tests/conftest.py that bring moto or the whole app.
_AWS_FIXTURES = frozenset(
    {"aws", "api", "repository", "rma_service", "open_rma", "lifecycle", "ses", "return_events"}
)


@pytest.fixture(autouse=True)
def no_aws_in_unit_tests(request: pytest.FixtureRequest) -> None:
    """A unit test asking for moto belongs in tests/integration."""
    used = _AWS_FIXTURES & set(request.fixturenames)
    assert not used, f"unit tests run without AWS; move this test to tests/integration ({used})"
