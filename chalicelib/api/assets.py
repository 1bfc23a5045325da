"""GET /assets/{name}: the pages' static files, public and cached for good under their
content-hashed names (pages/assets.py)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.pages.assets import IMMUTABLE, served_asset
from chalicelib.pages.routing import PageRouter

assets = Blueprint(__name__)
pages = PageRouter(assets)


@pages.get("/assets/{name}")
def static_file(name: str) -> Response:
    asset = served_asset(name)
    if asset is None:
        return Response(body="Not found", status_code=404, headers={"Content-Type": "text/plain"})
    return Response(
        body=asset.content,
        status_code=200,
        headers={"Content-Type": f"{asset.media_type}; charset=utf-8", "Cache-Control": IMMUTABLE},
    )
