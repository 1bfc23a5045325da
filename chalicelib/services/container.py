"""Builds each service once per process from the settings (STYLE: created once, lru_cache)."""

from __future__ import annotations

from functools import lru_cache

from chalicelib.repositories.rma_repository import RmaRepository
from chalicelib.services.gorgias_decisions import GorgiasDecisionService
from chalicelib.services.rma_service import RmaService
from chalicelib.settings import get_settings


@lru_cache(maxsize=1)
def rma_service() -> RmaService:
    return RmaService(RmaRepository(get_settings().table_name))


@lru_cache(maxsize=1)
def gorgias_decisions() -> GorgiasDecisionService:
    settings = get_settings()
    credentials = settings.gorgias_credentials
    if credentials is None:
        return GorgiasDecisionService(rma_service())
    # Imported only when configured: httpx is the heaviest import of the Gorgias path.
    from chalicelib.integrations.gorgias import GorgiasClient

    client = GorgiasClient(
        subdomain=credentials.subdomain,
        api_email=credentials.api_email,
        api_key=credentials.api_key,
        timeout_seconds=settings.gorgias_timeout_seconds,
        max_retry_after_seconds=settings.gorgias_max_retry_after_seconds,
        role_cache_seconds=settings.gorgias_role_cache_seconds,
    )
    return GorgiasDecisionService(rma_service(), client)


def reset() -> None:
    """Forget every built service and the settings (tests and the local stack change them)."""
    for cached in (rma_service, gorgias_decisions, get_settings):
        cached.cache_clear()
