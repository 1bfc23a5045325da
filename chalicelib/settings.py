"""Configuration, read once from the environment (and SSM Parameter Store in AWS).

The model lives in settings_model.py: pydantic-settings and what it imports (argparse, asyncio,
dotenv) are about a fifth of the app's import time, paid at the first reading of the settings
(the first request) rather than when the app is imported; `make bench` reports both.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.settings_model import GorgiasCredentials, Settings

__all__ = ["GorgiasCredentials", "Settings", "get_settings"]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    from chalicelib.settings_model import Settings

    return Settings()


def __getattr__(name: str) -> Any:
    """`Settings` and `GorgiasCredentials`, loaded when first named."""
    if name in {"Settings", "GorgiasCredentials"}:
        from chalicelib import settings_model

        return getattr(settings_model, name)
    raise AttributeError(name)
