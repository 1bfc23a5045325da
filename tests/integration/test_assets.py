"""Specification of the pages' static files: served by the app itself under content-hashed
names, cached for good, public, and nothing else under /assets."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.pages.assets import IMMUTABLE, STATIC_DIR, asset_url


def test_a_static_file_is_served_under_its_hashed_name_and_cached_for_good(api: Any) -> None:
    # Given the base stylesheet's URL, as a page links it
    url = asset_url("base.css")
    # Then the name carries a hash of the content
    assert url.startswith("/assets/base.")
    assert url.endswith(".css")
    assert url != "/assets/base.css"
    # When a browser fetches it, without any credentials
    response = api.http.get(url)
    # Then it is the file, typed and cacheable for a year
    assert response.status_code == 200
    assert response.body.decode() == (STATIC_DIR / "base.css").read_text(encoding="utf-8")
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_name_without_the_current_hash_is_not_found(api: Any) -> None:
    for stale in ("/assets/base.css", "/assets/base.0000000000.css", "/assets/..%2Fapp.py"):
        response = api.http.get(stale)
        assert response.status_code == 404, stale
        assert "max-age" not in response.headers.get("Cache-Control", "")


def test_an_unknown_static_file_is_a_bug_seen_when_the_page_is_rendered() -> None:
    with pytest.raises(KeyError, match=r"missing\.js"):
        asset_url("missing.js")


def test_api_answers_are_never_cached(api: Any) -> None:
    response = api.http.get("/health")
    assert response.headers["Cache-Control"] == "no-store"
