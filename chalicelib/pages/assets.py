"""Static files of the pages (CSS, JS, icons), served by the app under content-hashed names.

A page links `/assets/portal.3f2a9c1b.js`; the hash changes whenever the file does, so a
browser (or a CDN in front of API Gateway) may keep each name for a year and never serve a
stale file. The files are read once per process: they ship inside the deployment package.
Only text files, side by side in static/ (no folders): what a page needs is CSS, JS and SVG.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_PATH = "/assets"
# A hashed name never changes content: cache it for a year, and never revalidate.
IMMUTABLE = "public, max-age=31536000, immutable"
_HASH_LENGTH = 10
_TEXT_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    """One static file: its body, media type and the hashed name it is served under."""

    name: str
    served_name: str
    content: str
    media_type: str

    @property
    def url(self) -> str:
        return f"{ASSETS_PATH}/{self.served_name}"


def _hashed_name(name: str, content: bytes) -> str:
    path = PurePosixPath(name)
    digest = hashlib.sha256(content).hexdigest()[:_HASH_LENGTH]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


@functools.lru_cache(maxsize=1)
def _catalogue() -> dict[str, Asset]:
    """Every static file by its hashed name (read on first use, kept for the process)."""
    assets: dict[str, Asset] = {}
    for file in sorted(STATIC_DIR.iterdir()):
        if file.suffix not in _TEXT_TYPES:
            continue
        content = file.read_text(encoding="utf-8")
        served = _hashed_name(file.name, content.encode())
        assets[served] = Asset(file.name, served, content, _TEXT_TYPES[file.suffix])
    return assets


@functools.lru_cache(maxsize=64)
def asset_url(name: str) -> str:
    """The URL a page links `name` (a path under static/) at; KeyError for an unknown file,
    so that a template naming a missing file fails its test, not a shopper's page."""
    for asset in _catalogue().values():
        if asset.name == name:
            return asset.url
    raise KeyError(f"No static file {name!r} under {STATIC_DIR}")


def served_asset(served_name: str) -> Asset | None:
    """The file served under `served_name`, or None: an old hash is gone, not redirected."""
    return _catalogue().get(served_name)
