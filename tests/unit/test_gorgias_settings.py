"""Specification: the Gorgias client is only ever pointed at the merchant's Gorgias account, so
that no deployed function calls a private or loopback address; the local stack's stand-in is the
one exception, and only there."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.settings_model import Settings

CREDENTIALS = {"gorgias_api_email": "bot@acme.example", "gorgias_api_key": "key"}


def test_the_subdomain_names_a_host_under_gorgias_com() -> None:
    settings = Settings(gorgias_subdomain="acme", **CREDENTIALS)
    assert settings.gorgias_credentials is not None
    assert settings.gorgias_credentials.base_url == "https://acme.gorgias.com/api/"


@pytest.mark.parametrize(
    "subdomain", ["acme.evil.example/", "127.0.0.1", "acme:8080", "ACME", "-acme", "a" * 64]
)
def test_a_subdomain_that_could_point_elsewhere_is_refused(subdomain: str) -> None:
    with pytest.raises(ValidationError, match="GORGIAS_SUBDOMAIN"):
        Settings(gorgias_subdomain=subdomain, **CREDENTIALS)


def test_another_api_url_is_refused_outside_the_local_stack() -> None:
    with pytest.raises(ValidationError, match="local stack only"):
        Settings(gorgias_subdomain="acme", gorgias_api_url="http://127.0.0.1:8001/api/")


def test_the_local_stack_may_point_the_client_at_its_stand_in() -> None:
    settings = Settings(
        gorgias_subdomain="local",
        gorgias_api_url="http://127.0.0.1:8001/api/",
        local_stack=True,
        **CREDENTIALS,
    )
    assert settings.gorgias_credentials is not None
    assert settings.gorgias_credentials.base_url == "http://127.0.0.1:8001/api/"
